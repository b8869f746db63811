"""The `mldebt` command line: a thin layer over the library.

Exit status: 0 success, 1 a gate failed, 2 bad input (one clear line per
problem on stderr), 3 an internal error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import click

from mldebt import __version__
from mldebt.cli.attest import in_option_words
from mldebt.collectors.registry import declared_keys
from mldebt.errors import InputError, MldebtError
from mldebt.push.client import Pusher
from mldebt.push.collect import collect_and_push
from mldebt.readmodel.explain import explanation
from mldebt.readmodel.explain import render as render_explanation
from mldebt.readmodel.scorecard import render_json, render_text, scorecard
from mldebt.rubric.schema import load_rubric
from mldebt.scanning.collecting import collect_to_store
from mldebt.scanning.parallel import default_jobs
from mldebt.scanning.scans import rescore, scanned_projects
from mldebt.sources.portfolio import Portfolio, load_portfolio, single_repository
from mldebt.store.db import open_db
from mldebt.waivers import list_waivers
from mldebt.writes import record_waiver


class Mldebt(click.Group):
    """Turns mldebt's own errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MldebtError as exc:
            problems = getattr(exc, "problems", [str(exc)])
            for problem in problems:
                click.echo(f"mldebt: error: {problem}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("MLDEBT_DEBUG"):
                raise
            click.echo(
                f"mldebt: internal error: {type(exc).__name__}: {exc} (set MLDEBT_DEBUG=1 to see the traceback)",
                err=True,
            )
            ctx.exit(3)


def db_option(func: Callable) -> Callable:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="MLDEBT_DB",
        default="mldebt.db",
        show_default=True,
        help="The SQLite store (or set MLDEBT_DB).",
    )(func)


def parse_as_of(value: str | None) -> datetime | None:
    """A date means the end of that day (UTC); a date-time is taken as given (UTC if naive)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(23, 59, 59), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of {value!r}: expected a date such as 2026-03-31 or 2026-03-31T18:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group(cls=Mldebt, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mldebt")
def cli() -> None:
    """Measure and pay down the technical debt of machine-learning projects.

    \b
    Example:
        mldebt collect portfolio.yaml
        mldebt show my-project
    """


@cli.command()
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--project", help="Collect only this project of the portfolio (or, for a repository path, the name to give it)."
)
@click.option(
    "--as-of", "as_of", metavar="DATE", help="Scan each project as it was at its last commit on or before DATE."
)
@click.option(
    "--rubric", "rubric_path", type=click.Path(path_type=Path), help="Rubric file (default: the built-in rubric)."
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    metavar="N",
    help="Projects collected at once, each in its own process (default: one per core).",
)
@click.option("--restart", is_flag=True, help="Start afresh instead of resuming an interrupted identical run.")
@click.option(
    "--push",
    "push_url",
    metavar="URL",
    help="Send each project's evidence to the mldebt server at URL (token in MLDEBT_PUSH_TOKEN) "
    "instead of the local store; the server scores it.",
)
@db_option
def collect(
    target: Path,
    project: str | None,
    as_of: str | None,
    rubric_path: Path | None,
    jobs: int | None,
    restart: bool,
    push_url: str | None,
    db_path: Path,
) -> None:
    """Collect evidence for a portfolio (a YAML file) or one repository (a folder), and score it.

    One scan per project is stored, all-or-nothing. Projects are collected in
    parallel; a run that was interrupted resumes where it stopped when the same
    command is given again (--restart redoes everything).

    \b
    Example:
        mldebt collect portfolio.yaml --as-of 2026-03-31 --jobs 4
        mldebt collect .
        MLDEBT_PUSH_TOKEN=... mldebt collect . --project reco-service --push https://mldebt.example.com
    """
    moment = parse_as_of(as_of)
    portfolio: Portfolio = single_repository(target, project) if target.is_dir() else load_portfolio(target)
    chosen = portfolio.select(project if not target.is_dir() else None)
    workers = jobs or default_jobs()
    if push_url is not None:
        if rubric_path is not None or restart:
            raise InputError(
                f"--push does not take {'--rubric' if rubric_path else '--restart'}: "
                "the server scores with its own rubric and keeps no local run"
            )
        sys.exit(collect_and_push(portfolio, chosen, moment, workers, Pusher(push_url)))
    rubric = load_rubric(rubric_path, declared_keys())
    db = open_db(db_path)
    selected = project if not target.is_dir() else None
    try:
        status = collect_to_store(db, target, portfolio, chosen, rubric, moment, as_of, selected, workers, restart)
    finally:
        db.close()
    sys.exit(status)


@cli.command()
@click.option(
    "--rubric", "rubric_path", type=click.Path(path_type=Path), help="Rubric file (default: the built-in rubric)."
)
@db_option
def score(rubric_path: Path | None, db_path: Path) -> None:
    """Apply a rubric again to every stored scan, replacing their results and scores.

    \b
    Example:
        mldebt score --rubric team-rubric.yaml
    """
    rubric = load_rubric(rubric_path, declared_keys())
    db = open_db(db_path)
    count = rescore(db, rubric)
    click.echo(f"scored {count} scans with rubric {rubric.name} {rubric.version} ({rubric.hash})")


@cli.command()
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
    db = _existing_db(db_path)
    names = [project] if project else scanned_projects(db)
    if not names:
        raise InputError(f"{db_path}: no scans yet: run `mldebt collect` first")
    cards = [scorecard(db, name) for name in names]
    if as_json:
        click.echo(render_json(cards[0] if project else cards))
    else:
        click.echo("\n\n".join(render_text(card) for card in cards))


@cli.command()
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
    db = _existing_db(db_path)
    data = explanation(db, project, check)
    click.echo(render_json(data) if as_json else render_explanation(data))


@cli.command()
@click.argument("project", required=False)
@click.argument("check", required=False)
@click.option("--reason", help="Why the debt is accepted for now.")
@click.option("--owner", help="Who answers for it.")
@click.option("--until", "until", metavar="DATE", help="The last day the waiver holds (YYYY-MM-DD).")
@click.option("--list", "list_only", is_flag=True, help="List waivers (of PROJECT, or all) instead of adding one.")
@db_option
def waive(
    project: str | None,
    check: str | None,
    reason: str | None,
    owner: str | None,
    until: str | None,
    list_only: bool,
    db_path: Path,
) -> None:
    """Accept a check's debt for a while: the check shows as waived, its effort is totalled apart.

    The waiver holds from the project's latest scan until the end date; the
    project's scores are recomputed at once.

    \b
    Example:
        mldebt waive reco-service monitor-1-dependency-updates \\
            --reason "bot blocked by proxy until Q1" --owner jonas@example.com --until 2027-03-31
        mldebt waive --list
    """
    db = _existing_db(db_path)
    if list_only:
        for w in list_waivers(db, project):
            click.echo(f"{w['project_id']}  {w['check_id']}  until {w['until']}  owner {w['owner']}  {w['reason']}")
        return
    missing = [
        name
        for name, value in (
            ("PROJECT", project),
            ("CHECK", check),
            ("--reason", reason),
            ("--owner", owner),
            ("--until", until),
        )
        if not value
    ]
    if missing:
        raise InputError(f"waive needs {', '.join(missing)} (see `mldebt waive --help`)")
    fields = {"check": check, "reason": reason, "owner": owner, "until": until}
    with in_option_words({"reason": "--reason", "owner": "--owner", "until": "--until"}):
        record = record_waiver(db, project, fields)  # type: ignore[arg-type]  # PROJECT was checked above
    click.echo(
        f"waived {record['check_id']} for {record['project_id']} from {record['starts_on']} "
        f"until {record['until']} (owner {record['owner']})"
    )


def _existing_db(db_path: Path) -> Any:
    if not db_path.exists():
        raise InputError(f"{db_path}: no database yet: run `mldebt collect` first")
    return open_db(db_path)


@cli.group()
def rubric() -> None:
    """Work with rubric files.

    \b
    Example:
        mldebt rubric validate my-rubric.yaml
    """


@rubric.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
def rubric_validate(file: Path) -> None:
    """Check a rubric file; print every problem with its file, line and key.

    \b
    Example:
        mldebt rubric validate rubric/default.yaml
    """
    loaded = load_rubric(file, declared_keys())
    click.echo(f"{file}: valid rubric {loaded.name} {loaded.version}, {len(loaded.checks)} checks (hash {loaded.hash})")


def main() -> None:
    cli(prog_name="mldebt")


from mldebt.cli.attest import attest  # noqa: E402 - commands kept in their own modules

cli.add_command(attest)
from mldebt.cli.web import serve, token, user  # noqa: E402 - the web scorecard's commands

cli.add_command(serve)
cli.add_command(token)
cli.add_command(user)
from mldebt.cli.report import campaign, check, export, report  # noqa: E402 - report, exports, campaigns, CI gate

cli.add_command(report)
cli.add_command(export)
cli.add_command(campaign)
cli.add_command(check)
