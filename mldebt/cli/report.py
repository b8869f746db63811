"""`mldebt report`: the leadership report, a PDF of the portfolio's debt in a quarter.

The PDF is rendered from the read model (``mldebt.report.pdf``) and written
whole or not at all, so a failed run leaves the report of the run before.
"""

from __future__ import annotations

from pathlib import Path

import click

from mldebt.cli.options import (
    OUTPUT,
    base_url_option,
    db_option,
    existing_store,
    in_option_words,
    quarter_option,
    team_id,
)


@click.command()
@click.option("--quarter", metavar="Q", help="The quarter to report, such as 2026Q3 (default: the latest scanned).")
@click.option("--team", metavar="TEAM", help="Report one team (its id or name) instead of the whole portfolio.")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The PDF file to write."
)
@click.option("--title", default="ML technical debt", show_default=True, help="The report's title.")
@base_url_option
@db_option
def report(
    quarter: str | None, team: str | None, output: Path, title: str, base_url: str | None, db_path: Path
) -> None:
    """Write the leadership report as a PDF: summary, a page per team, campaigns and method.

    A project's state in a quarter is its latest scan taken by the quarter's
    end; changes are measured against the quarter before.

    \b
    Example:
        mldebt report -o debt-report.pdf
        mldebt report --quarter 2026Q3 --team search -o search-2026Q3.pdf
    """
    from mldebt.report.pdf import write_report  # imported here: WeasyPrint takes a second to load

    chosen = quarter_option(quarter)
    with existing_store(db_path) as db:
        team_chosen = team_id(db, team)
        with in_option_words({OUTPUT: "-o"}):
            done = write_report(db, output, chosen, team_chosen, title, base_url)
    click.echo(f"wrote {output}: {done.quarter}, {done.teams} team(s), {done.projects} project(s), {done.pages} pages")
