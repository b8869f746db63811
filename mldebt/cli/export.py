"""`mldebt export backlog`: open paydown items for issue trackers, spreadsheets and scripts."""

from __future__ import annotations

from pathlib import Path

import click

from mldebt.cli.export_parquet import export_parquet
from mldebt.cli.options import (
    base_url_option,
    db_option,
    existing_store,
    in_option_words,
    parsed,
    since_moment,
    team_id,
    write_output,
)
from mldebt.exports.backlog import FORMATS
from mldebt.readmodel.quarters import BadValue
from mldebt.settings import GITHUB_API_URL


@click.group()
def export() -> None:
    """Export data for other tools.

    \b
    Example:
        mldebt export backlog --format jira -o backlog.csv
    """


export.add_command(export_parquet)


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
    from mldebt.exports.backlog import exporter
    from mldebt.readmodel.backlog import open_backlog, within_budget
    from mldebt.readmodel.campaigns import get_campaign

    with in_option_words({"format": "--format"}):
        to_text = exporter(fmt)
    hours = parsed("--limit", effort_budget, limit)
    moment = since_moment(since)
    with existing_store(db_path) as db:
        pairs = get_campaign(db, campaign).pairs() if campaign else None
        items = open_backlog(db, team=team_id(db, team), since=moment, only=pairs, base=base_url)
    if hours is not None:
        items = within_budget(items, hours)
    text = to_text(items)
    if output is None:
        click.echo(text, nl=False)
        return
    write_output(output, text, "-o")
    click.echo(f"wrote {len(items)} item(s), {sum(i.effort_hours for i in items):g} h of effort, to {output}")


@export.command("github")
@click.option("--repo", "repository", required=True, metavar="OWNER/NAME", help="The GitHub repository to sync.")
@click.option("--team", metavar="TEAM", help="Only this team's items (its id or name); only its issues are closed.")
@click.option("--dry-run", is_flag=True, help="List what would be created, updated and closed; send nothing.")
@click.option(
    "--api-url",
    default=GITHUB_API_URL,
    show_default=True,
    metavar="URL",
    help="The GitHub REST API (GitHub Enterprise: https://HOST/api/v3).",
)
@base_url_option
@db_option
def export_github(
    repository: str, team: str | None, dry_run: bool, api_url: str, base_url: str | None, db_path: Path
) -> None:
    """Sync open paydown items to a repository's GitHub issues: create, update, and close paid-down ones.

    Issues are found by the item id hidden in their body and the label
    mldebt, so a later sync updates them instead of opening duplicates. The
    token comes from GITHUB_TOKEN or GH_TOKEN. --dry-run only reads the
    issues and lists what it would create, update and close.

    \b
    Example:
        mldebt export github --repo acme/ranker --team search --dry-run
        GITHUB_TOKEN=... mldebt export github --repo acme/ranker --team search
    """
    from mldebt.exports.github_sync import GitHub, describe, plan
    from mldebt.readmodel.backlog import open_backlog

    with existing_store(db_path) as db:
        chosen = team_id(db, team)
        items = open_backlog(db, team=chosen, base=base_url)
    github = GitHub(repository, api_url)
    changes = plan(github.issues(), items, chosen)
    if not dry_run:
        github.apply(changes)
    click.echo(describe(changes, repository, dry_run), nl=False)


def effort_budget(text: str) -> float:
    """A positive number of hours."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise BadValue("effort budget", text, "expected an effort budget in hours, such as 40")
    return value
