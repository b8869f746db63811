"""`mldebt show` and `mldebt explain`: a project's scorecard (or where every project stands), and the facts behind
one of its checks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from mldebt.cli.options import db_option, existing_store
from mldebt.errors import InputError
from mldebt.readmodel.explain import explanation
from mldebt.readmodel.explain import render as render_explanation
from mldebt.readmodel.scorecard import portfolio, render_json, render_portfolio, render_text, scorecard
from mldebt.scanning.scans import scanned_projects


def _width() -> int:
    """The terminal's width (COLUMNS when set), 100 when there is no terminal."""
    return shutil.get_terminal_size((100, 24)).columns


def _echo(text: str) -> None:
    """Print, in colour on a terminal unless NO_COLOR is set (https://no-color.org)."""
    click.echo(text, color=False if os.environ.get("NO_COLOR") else None)


@click.command()
@click.argument("project", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON (every project's without PROJECT).")
@db_option
def show(project: str | None, as_json: bool, db_path: Path) -> None:
    """Print a project's scorecard: tier, level, target and gap, ML Test Score, grade, category health, each
    check's result with its reason, and history.

    Without PROJECT, print where every scanned project stands: its tier, level,
    target and gap, largest gap first (with --json, every project's scorecard in
    that order).

    \b
    Example:
        mldebt show reco-service
        mldebt show reco-service --json | jq .checks
        mldebt show
    """
    with existing_store(db_path) as db:
        if project:
            card = scorecard(db, project)
            _echo(render_json(card) if as_json else render_text(card, _width()))
            return
        if not scanned_projects(db):
            raise InputError(f"{db_path}: no scans yet: run `mldebt collect` first")
        projects = portfolio(db)
        if as_json:
            _echo(render_json([scorecard(db, p["project"]) for p in projects]))
        else:
            _echo(render_portfolio(projects, _width()))


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
    with existing_store(db_path) as db:
        data = explanation(db, project, check)
    _echo(render_json(data) if as_json else render_explanation(data, _width()))
