"""The `report`, `export`, `campaign` and `check` commands: views of the store for people and pipelines."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from mldebt.atomicfile import write_text
from mldebt.errors import InputError
from mldebt.exports.backlog import FORMATS, render
from mldebt.exports.badge import grade_badge
from mldebt.exports.sarif import render as render_sarif
from mldebt.gate.check import evaluate, parse_grade, parse_score
from mldebt.gate.summary import markdown
from mldebt.readmodel.backlog import base_url as resolve_base_url
from mldebt.readmodel.backlog import open_backlog, within_budget
from mldebt.readmodel.campaigns import Burnup, burnup, create_campaign, get_campaign, list_campaigns
from mldebt.readmodel.quarters import BadValue, Quarter, parse_day, parse_since
from mldebt.readmodel.queries import find_team
from mldebt.store.db import open_db

T = TypeVar("T")


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


def base_url_option(func: Callable) -> Callable:
    return click.option(
        "--base-url",
        metavar="URL",
        help="Where the web scorecard is served, for links (or set MLDEBT_BASE_URL; default http://127.0.0.1:5000).",
    )(func)


def existing_db(db_path: Path) -> Any:
    if not db_path.exists():
        raise InputError(f"{db_path}: no database yet: run `mldebt collect` first")
    return open_db(db_path)


@contextmanager
def option_names(options: Mapping[str, str]) -> Iterator[None]:
    """Reword a BadValue for the command line: the value goes by its option (``--quarter '2026Q5': ...``)."""
    try:
        yield
    except BadValue as exc:
        raise InputError(exc.named(options.get(exc.what, exc.what))) from None


def parsed(name: str, parse: Callable[[str], T], text: str) -> T:
    """``parse(text)``; a value it cannot read is reported under the option's name (``--quarter '2026Q5': ...``)."""
    try:
        return parse(text)
    except BadValue as exc:
        raise InputError(exc.named(name)) from None


def team_id(db: Any, team: str | None) -> str | None:
    """A team named by id or by name, as its id."""
    return parsed("--team", lambda text: find_team(db, text), team) if team is not None else None


def _write(path: Path, text: str, option: str) -> None:
    """Write an output whole or not at all; a failure says that nothing was written."""
    write_text(path, text, option)


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
    from mldebt.report.pdf import write_report

    chosen = parsed("--quarter", Quarter.parse, quarter) if quarter is not None else None
    db = existing_db(db_path)
    done = write_report(db, output, chosen, team_id(db, team), title, base_url)
    click.echo(f"wrote {output}: {done.quarter}, {done.teams} team(s), {done.projects} project(s), {done.pages} pages")


@click.group()
def export() -> None:
    """Export data for other tools.

    \b
    Example:
        mldebt export backlog --format jira -o backlog.csv
    """


@export.command("backlog")
@click.option("--format", "fmt", required=True, metavar="|".join(FORMATS), help="The output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file, not stdout.")
@click.option("--team", metavar="TEAM", help="Only this team's items (its id or name).")
@click.option(
    "--since", metavar="DATE|QUARTER", help="Only items opened on or after a date (2026-07-01) or quarter (2026Q3)."
)
@click.option(
    "--limit", metavar="HOURS", help="A sprint's worth: the highest-priority items that fit this effort budget."
)
@click.option("--campaign", metavar="NAME", help="Only the items of this campaign.")
@base_url_option
@db_option
def export_backlog(
    fmt: str,
    output: Path | None,
    team: str | None,
    since: str | None,
    limit: str | None,
    campaign: str | None,
    base_url: str | None,
    db_path: Path,
) -> None:
    """Export open paydown items, highest priority first, with stable ids, owner, effort and fix guidance.

    Formats: csv, jira (CSV for Jira's importer), github (issue bodies for the
    REST API or gh), markdown and json. Ids are stable per project and check,
    so importing a later export updates tickets instead of duplicating them.

    \b
    Example:
        mldebt export backlog --format jira --team search -o backlog.csv
        mldebt export backlog --format markdown --limit 40 --since 2026Q3
        mldebt export backlog --format github --campaign pin-deps | jq -c '.[]'
    """
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    hours = _hours(limit)
    moment = parsed("--since", parse_since, since) if since is not None else None
    db = existing_db(db_path)
    pairs = get_campaign(db, campaign).pairs() if campaign else None
    items = open_backlog(db, team=team_id(db, team), since=moment, only=pairs, base=base_url)
    if hours is not None:
        items = within_budget(items, hours)
    text = render(items, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, text, "-o")
    click.echo(f"wrote {len(items)} item(s), {sum(i.effort_hours for i in items):g} h of effort, to {output}")


def _hours(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise InputError(f"--limit {text!r}: expected an effort budget in hours, such as 40")
    return value


@click.group()
def campaign() -> None:
    """Plan and follow cleanup campaigns: checks to fix across chosen projects by a target date.

    \b
    Example:
        mldebt campaign create pin-deps --owner ana@example.com --checks deps-pinned \\
            --start 2026-10-01 --target 2026-12-31
        mldebt campaign show pin-deps
    """


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


@campaign.command("create")
@click.argument("name")
@click.option("--owner", required=True, help="Who runs the campaign.")
@click.option("--checks", metavar="A,B", help="The checks to fix (comma-separated ids).")
@click.option("--projects", metavar="X,Y", help="The projects it covers (default: every scanned project).")
@click.option("--items", metavar="MLD-..,MLD-..", help="Paydown items to include besides the checks.")
@click.option("--start", required=True, metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--target", required=True, metavar="DATE", help="Target day for everything to be done.")
@db_option
def campaign_create(
    name: str,
    owner: str,
    checks: str | None,
    projects: str | None,
    items: str | None,
    start: str,
    target: str,
    db_path: Path,
) -> None:
    """Create a campaign over checks (or paydown items) across chosen projects.

    \b
    Example:
        mldebt campaign create "Q4 monitoring" --owner lead@example.com \\
            --checks monitor-1-dependency-updates,deps-pinned --projects reco-service,fraud-kaggle \\
            --start 2026-10-01 --target 2026-12-31
    """
    start_on, target_on = parsed("--start", parse_day, start), parsed("--target", parse_day, target)
    db = existing_db(db_path)
    with option_names(
        {"owner": "--owner", "target": "--target", "projects": "--projects", "checks": "--checks", "items": "--items"}
    ):
        made = create_campaign(db, name, owner, _split(checks), _split(projects), start_on, target_on, _split(items))
    progress = burnup(db, made)
    last = progress.last
    click.echo(
        f"created campaign {made.name}: {len(made.pairs())} project-check pair(s), "
        f"{last.scope if last else 0} item(s) in scope, {made.start_on} to {made.target_on}"
    )


@campaign.command("list")
@db_option
def campaign_list(db_path: Path) -> None:
    """List campaigns with their progress.

    \b
    Example:
        mldebt campaign list
    """
    db = existing_db(db_path)
    found = list_campaigns(db)
    if not found:
        click.echo("no campaigns yet: create one with `mldebt campaign create`")
    for c in found:
        click.echo(f"{c.name}  owner {c.owner}  {c.start_on} to {c.target_on}  {_progress(burnup(db, c))}")


def _progress(progress: Burnup) -> str:
    last = progress.last
    if last is None or not last.scope:
        return "nothing to do"
    return (
        f"{last.done} of {last.scope} done ({progress.percent_done:g}%), {last.open} open"
        + (f", {last.waived} waived" if last.waived else "")
        + f": {progress.state}"
    )


@campaign.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the campaign and its burn-up as JSON.")
@db_option
def campaign_show(name: str, as_json: bool, db_path: Path) -> None:
    """Show a campaign and its burn-up: items in scope, done and open on each day a project was scanned.

    \b
    Example:
        mldebt campaign show pin-deps
    """
    db = existing_db(db_path)
    c = get_campaign(db, name)
    progress = burnup(db, c)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "name": c.name,
                    "owner": c.owner,
                    "checks": list(c.checks),
                    "projects": list(c.projects),
                    "items": [list(p) for p in c.items],
                    "start": c.start_on.isoformat(),
                    "target": c.target_on.isoformat(),
                    "state": progress.state,
                    "percent_done": progress.percent_done,
                    "burnup": [
                        {"day": p.day.isoformat(), "scope": p.scope, "done": p.done, "open": p.open, "waived": p.waived}
                        for p in progress.points
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo(click.style(c.name, bold=True) + f"  owner {c.owner}, {c.start_on} to {c.target_on}")
    click.echo(f"checks: {', '.join(c.checks) or '-'}; projects: {', '.join(c.all_projects) or '-'}")
    click.echo(_progress(progress))
    click.echo("")
    click.echo("day         scope  done  open  waived")
    for p in progress.points:
        click.echo(
            f"{p.day.isoformat()}  {p.scope:5d} {p.done:5d} {p.open:5d} {p.waived:7d}  "
            + "#" * p.done
            + "." * p.open
            + "~" * p.waived
        )


@click.command("check")
@click.argument("project")
@click.option("--fail-under-grade", metavar="X", help="Fail when the grade is below X (A-F).")
@click.option("--fail-under-score", metavar="N", help="Fail when the ML Test Score is below N (0-7).")
@click.option(
    "--baseline",
    default="previous",
    show_default=True,
    metavar="SCAN|previous|none",
    help="Fail when a check earns fewer points than in this scan (an id or its first characters).",
)
@click.option(
    "--sarif",
    "sarif_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write SARIF 2.1.0 findings (file and line) for unmet checks.",
)
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a Markdown summary (for a CI step summary or a pull-request comment).",
)
@click.option(
    "--badge",
    "badge_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an SVG badge with the grade and ML Test Score.",
)
@base_url_option
@db_option
def check(
    project: str,
    fail_under_grade: str | None,
    fail_under_score: str | None,
    baseline: str,
    sarif_path: Path | None,
    markdown_path: Path | None,
    badge_path: Path | None,
    base_url: str | None,
    db_path: Path,
) -> None:
    """Gate a pipeline on a project's latest scan: exit 1 when it falls below a bar or a check regresses.

    Exit status 0 when the gate passes, 1 when it fails, 2 on bad input. The
    outputs are written either way.

    \b
    Example:
        mldebt collect . --project ranker
        mldebt check ranker --fail-under-grade C --sarif mldebt.exports.sarif \\
            --markdown mldebt.md --badge mldebt.svg; status=$?
        cat mldebt.md >> "$GITHUB_STEP_SUMMARY"; exit $status
    """
    grade = parsed("--fail-under-grade", parse_grade, fail_under_grade) if fail_under_grade is not None else None
    score = parsed("--fail-under-score", parse_score, fail_under_score) if fail_under_score is not None else None
    db = existing_db(db_path)
    result = parsed(
        "--baseline",
        lambda text: evaluate(db, project, fail_under_grade=grade, fail_under_score=score, baseline=text),
        baseline,
    )
    link = _base(base_url)
    if sarif_path:
        _write(sarif_path, render_sarif(db, result, link), "--sarif")
    if markdown_path:
        _write(markdown_path, markdown(result, link), "--markdown")
    if badge_path:
        _write(badge_path, grade_badge(result.scan["grade"], result.scan["ml_test_score"]), "--badge")
    scan = result.scan
    overall = "n/a" if scan["overall"] is None else f"{scan['overall']:g}"
    click.echo(
        f"{project}: grade {scan['grade']} ({overall}), ML Test Score {scan['ml_test_score']:g}/7 "
        f"at {scan['as_of'][:10]}: {'passed' if result.passed else 'FAILED'}"
    )
    for reason in result.failures:
        click.echo(f"  fail: {reason}")
    for note in result.notes:
        click.echo(f"  note: {note}")
    if not result.passed:
        sys.exit(1)


def _base(given: str | None) -> str:
    return resolve_base_url(given)
