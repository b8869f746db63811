"""`mldebt show` and `mldebt explain`: where every project stands (or one project's checks), and the facts behind
one of its checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mldebt.cli.options import db_option, existing_store
from mldebt.errors import InputError

if TYPE_CHECKING:
    from mldebt.cli.terminal import Page

FORMATS = ("text", "json", "csv")


def format_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--format text|json|csv``, with ``--json`` kept as the short way to say ``--format json``."""
    command = click.option(
        "--json", "as_json", is_flag=True, help="The same as --format json (kept for scripts that use it)."
    )(command)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help="text for a terminal (fits its width; no colour in a pipe or under NO_COLOR), json, or csv (one row "
        "per line item, with a header).",
    )(command)


def chosen_format(fmt: str, as_json: bool) -> str:
    if as_json and fmt not in ("text", "json"):
        raise InputError(f"--json and --format {fmt} ask for two formats: give one")
    return "json" if as_json else fmt


def page() -> Page:
    """A page as wide as the terminal (100 columns in a pipe), styled only where styles show."""
    from mldebt.cli.terminal import Page, colour_wanted, width

    return Page(width(), colour_wanted())


def emit_csv(text: str) -> None:
    click.echo(text, nl=False)


@click.command()
@click.argument("project", required=False)
@format_option
@db_option
def show(project: str | None, fmt: str, as_json: bool, db_path: Path) -> None:
    """Print where every project stands, one line each, or one project's checks.

    Without PROJECT: each team and its projects, one line per project (tier,
    level held, gap to the tier's target, grade, ML Test Score, the change since
    the end of the previous quarter, open effort), and each team's open effort.
    The team with the largest gap to target comes first, and within a team the
    project with the largest gap.

    With PROJECT: its tier, level, gap, ML Test Score and grade, then its checks
    by ML Test Score section and debt category, the unmet ones first with their
    reason and how to fix them, and the checks that do not apply apart.

    \b
    Example:
        mldebt show
        mldebt show reco-service
        mldebt show reco-service --format json | jq .checks
        mldebt show --format csv > portfolio.csv
    """
    from mldebt.cli import portfolio_text, scorecard_text
    from mldebt.cli.terminal import emit
    from mldebt.readmodel.scorecard import portfolio, render_json, scorecard
    from mldebt.scanning.scans import scanned_projects

    fmt = chosen_format(fmt, as_json)
    with existing_store(db_path) as db:
        if project:
            card = scorecard(db, project)
            if fmt == "json":
                emit(render_json(card))
            elif fmt == "csv":
                emit_csv(scorecard_text.csv_text(card))
            else:
                out = page()
                scorecard_text.render(card, out)
                emit(out.text())
            return
        if not scanned_projects(db):
            raise InputError(f"{db_path}: no scans yet: run `mldebt collect` first")
        data = portfolio(db)
    if fmt == "json":
        emit(render_json(data))
    elif fmt == "csv":
        emit_csv(portfolio_text.csv_text(data))
    else:
        out = page()
        portfolio_text.render(data, out)
        emit(out.text())


@click.command()
@click.argument("project")
@click.argument("check")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@db_option
def explain(project: str, check: str, as_json: bool, db_path: Path) -> None:
    """Show one check's result for a project, its reason and the condition that decided it, and every fact behind
    it, with file, line or URL.

    \b
    Example:
        mldebt explain reco-service deps-pinned
    """
    from mldebt.cli.terminal import emit, width
    from mldebt.readmodel.explain import explanation
    from mldebt.readmodel.explain import render as render_explanation
    from mldebt.readmodel.scorecard import render_json

    with existing_store(db_path) as db:
        data = explanation(db, project, check)
    emit(render_json(data) if as_json else render_explanation(data, width()))
