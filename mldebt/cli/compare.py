"""`mldebt compare [PROJECT] --from Q --to Q`: what got better and what got worse between two quarters' ends.

The comparison is the read model's (``readmodel.compare``), the one the web's
compare pages and API show: each project's scan in force at the end of each
quarter, its checks whose result changed (paid down, improved, regressed,
new debt, waived, other), its headline scores before and after, and the
paydown items opened and closed in between. Here it is laid out for a
terminal, or given as JSON or CSV (one row per line item).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mldebt.cli.options import db_option, existing_store, quarter_option
from mldebt.cli.show import chosen_format, emit_csv, format_option, page
from mldebt.errors import InputError, NoScans
from mldebt.readmodel.quarters import Quarter


def quarters(db: Any, project: str | None, first: Quarter | None, second: Quarter | None) -> tuple[Quarter, Quarter]:
    """``--to`` (default: the last quarter with scans) and ``--from`` (default: the quarter before ``--to``),
    each refused by ``standing.check_quarter`` when nothing is known of it."""
    from mldebt.readmodel.compare import quarters_with_scans
    from mldebt.readmodel.standing import LISTED_QUARTERS, check_quarter

    scanned = quarters_with_scans(db, project)
    for given in (second, first):
        if given is not None:
            check_quarter(given, scanned)
    if not scanned:
        raise InputError("no scans yet: run `mldebt collect` first")
    second = second or scanned[-1]
    if first is None:
        first = second.previous()
        if first < scanned[0]:
            listed = ", ".join(map(str, scanned[:LISTED_QUARTERS]))
            whose = f"of {project} " if project else ""
            raise NoScans(
                f"--to {second}: no scans {whose}before it to compare with (quarters with scans: {listed})",
                [str(q) for q in scanned],
            )
    if first >= second:
        raise InputError(f"--from {first} must be a quarter before --to {second}")
    return first, second


@click.command()
@click.argument("project", required=False)
@click.option("--from", "first", metavar="QUARTER", help="The earlier quarter (default: the one before --to).")
@click.option("--to", "second", metavar="QUARTER", help="The later quarter (default: the last with scans).")
@format_option
@db_option
def compare(project: str | None, first: str | None, second: str | None, fmt: str, as_json: bool, db_path: Path) -> None:
    """Say what got better and what got worse between the ends of two quarters: checks whose result changed,
    score, grade, level and gap before and after, and the paydown items opened and closed.

    Each project stands as its last scan by the quarter's end. Without PROJECT,
    every project of the portfolio; quarters are written 2026Q4 (or 2026-Q4).

    \b
    Example:
        mldebt compare
        mldebt compare reco-service --from 2026Q3 --to 2026Q4
        mldebt compare --format csv > changes.csv
    """
    from mldebt.readmodel.compare import compare_project, compare_quarters
    from mldebt.scanning.scans import project_row

    fmt = chosen_format(fmt, as_json)
    wanted = (quarter_option(first, "--from"), quarter_option(second, "--to"))
    with existing_store(db_path) as db:
        if project:
            project_row(db, project)  # an unknown project is named before any quarter is looked at
            data = compare_project(db, project, *quarters(db, project, *wanted))
        else:
            data = compare_quarters(db, *quarters(db, None, *wanted), paydown=True)
    from mldebt.cli.compare_text import csv_text, render_portfolio, render_project
    from mldebt.cli.terminal import emit
    from mldebt.readmodel.scorecard import render_json

    if fmt == "json":
        emit(render_json(data))
    elif fmt == "csv":
        emit_csv(csv_text(data))
    else:
        out = page()
        (render_project if project else render_portfolio)(data, out)
        emit(out.text())
