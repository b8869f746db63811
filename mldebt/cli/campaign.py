"""`mldebt campaign ...`: cleanup campaigns, checks to fix across chosen projects by a target date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mldebt.cli.options import day_option, db_option, existing_store, in_option_words
from mldebt.errors import InputError

if TYPE_CHECKING:
    from mldebt.readmodel.campaigns import Burnup, Campaign

CREATE_OPTIONS = {
    "owner": "--owner",
    "start": "--start",
    "target": "--target",
    "projects": "--projects",
    "checks": "--checks",
    "items": "--items",
}


@click.group()
def campaign() -> None:
    """Plan and follow cleanup campaigns: checks to fix across chosen projects by a target date.

    \b
    Example:
        mldebt campaign create pin-deps --owner ana@example.com --checks deps-pinned \\
            --start 2026-10-01 --target 2026-12-31
        mldebt campaign edit pin-deps --target 2027-01-31
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
    from mldebt.readmodel.campaign_writes import create_campaign
    from mldebt.readmodel.campaigns import burnup

    start_on, target_on = day_option("--start", start), day_option("--target", target)
    with existing_store(db_path) as db:
        with in_option_words(CREATE_OPTIONS):
            made = create_campaign(
                db, name, owner, _split(checks), _split(projects), start_on, target_on, _split(items)
            )
        click.echo(_summary("created", made, burnup(db, made)))


def _summary(done: str, made: Campaign, progress: Burnup) -> str:
    last = progress.last
    return (
        f"{done} campaign {made.name}: {len(made.pairs())} project-check pair(s), "
        f"{last.scope if last else 0} item(s) in scope, {made.start_on} to {made.target_on}"
    )


@campaign.command("edit")
@click.argument("name")
@click.option("--owner", help="Who runs the campaign now.")
@click.option("--checks", metavar="A,B", help="The checks to fix, replacing the campaign's list.")
@click.option("--projects", metavar="X,Y", help="The projects it covers, replacing the campaign's list.")
@click.option("--items", metavar="MLD-..,MLD-..", help="The paydown items it names, replacing its list ('' for none).")
@click.option("--start", metavar="DATE", help="A new first day (YYYY-MM-DD).")
@click.option("--target", metavar="DATE", help="A new target day (YYYY-MM-DD).")
@db_option
def campaign_edit(
    name: str,
    owner: str | None,
    checks: str | None,
    projects: str | None,
    items: str | None,
    start: str | None,
    target: str | None,
    db_path: Path,
) -> None:
    """Change a campaign: only the options given change; lists given replace the campaign's lists.

    The same change as the campaign's edit form on the web scorecard.

    \b
    Example:
        mldebt campaign edit "Q4 monitoring" --target 2027-01-31 --projects reco-service,fraud-kaggle
    """
    from mldebt.readmodel.campaign_writes import update_campaign
    from mldebt.readmodel.campaigns import burnup

    if all(v is None for v in (owner, checks, projects, items, start, target)):
        raise InputError(
            "nothing to change: give at least one of --owner, --checks, --projects, --items, --start, --target"
        )
    start_on = day_option("--start", start) if start is not None else None
    target_on = day_option("--target", target) if target is not None else None
    with existing_store(db_path) as db:
        with in_option_words(CREATE_OPTIONS):
            changed = update_campaign(
                db,
                name,
                owner=owner,
                checks=None if checks is None else _split(checks),
                projects=None if projects is None else _split(projects),
                items=None if items is None else _split(items),
                start_on=start_on,
                target_on=target_on,
            )
        click.echo(_summary("updated", changed, burnup(db, changed)))


@campaign.command("list")
@db_option
def campaign_list(db_path: Path) -> None:
    """List campaigns with their progress.

    \b
    Example:
        mldebt campaign list
    """
    from mldebt.readmodel.campaigns import burnup, list_campaigns

    with existing_store(db_path) as db:
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
    from mldebt.readmodel.campaigns import burnup, get_campaign

    with existing_store(db_path) as db:
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
