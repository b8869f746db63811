"""`mldebt show` and `mldebt explain`: a project's scorecard, and the facts behind one of its checks."""

from __future__ import annotations

from pathlib import Path

import click

from mldebt.cli.options import db_option, existing_store
from mldebt.errors import InputError
from mldebt.readmodel.explain import explanation
from mldebt.readmodel.explain import render as render_explanation
from mldebt.readmodel.scorecard import render_json, render_text, scorecard
from mldebt.scanning.scans import scanned_projects


@click.command()
@click.argument("project", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON.")
@db_option
def show(project: str | None, as_json: bool, db_path: Path) -> None:
    """Print a project's scorecard: ML Test Score, grade, categories, checks and history.

    Without PROJECT, print the scorecard of every scanned project.

    \b
    Example:
        mldebt show reco-service
        mldebt show reco-service --json | jq .checks
    """
    with existing_store(db_path) as db:
        names = [project] if project else scanned_projects(db)
        if not names:
            raise InputError(f"{db_path}: no scans yet: run `mldebt collect` first")
        cards = [scorecard(db, name) for name in names]
    if as_json:
        click.echo(render_json(cards[0] if project else cards))
    else:
        click.echo("\n\n".join(render_text(card) for card in cards))


@click.command()
@click.argument("project")
@click.argument("check")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@db_option
def explain(project: str, check: str, as_json: bool, db_path: Path) -> None:
    """Show one check's result for a project and every fact behind it, with file, line or URL.

    \b
    Example:
        mldebt explain reco-service deps-pinned
    """
    with existing_store(db_path) as db:
        data = explanation(db, project, check)
    click.echo(render_json(data) if as_json else render_explanation(data))
