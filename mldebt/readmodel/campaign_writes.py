"""The one write path of campaigns: create and edit, for `mldebt campaign create|edit` and the web form alike.

Both check every value against the store (scanned projects, the checks of
their rubrics, stored paydown items) and write in one write transaction
(``BEGIN IMMEDIATE``), so two writers cannot both take a name. A bad value
raises FieldError or BadValue naming its field (``name``, ``owner``,
``checks``, ``projects``, ``items``, ``start``, ``target``): the CLI words it
with its option, the web form shows it beside the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlite_utils

from mldebt.errors import FieldError
from mldebt.readmodel.campaigns import Campaign, campaign_of_row, get_campaign, item_ids
from mldebt.readmodel.quarters import BadValue, parse_day
from mldebt.readmodel.queries import latest_scans, parsed_rubric
from mldebt.scanning.scans import now
from mldebt.store.db import rows, to_json
from mldebt.suggest import hint

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$")
RESERVED = {"new"}  # /campaigns/new is the web form that creates one
MAX_OWNER = 300
FIELDS = ("name", "owner", "checks", "projects", "items", "start", "target")


def create_campaign(
    db: sqlite_utils.Database,
    name: str,
    owner: str,
    checks: Iterable[str],
    projects: Iterable[str],
    start_on: date,
    target_on: date,
    items: Iterable[str] = (),
) -> Campaign:
    """Validate and store a new campaign (``mldebt campaign create`` and the web form).

    A bad value raises FieldError or BadValue naming its field (name, owner,
    checks, projects, items, start, target), so the CLI can call it by its
    option and the web form can show it beside its field.
    """
    name = _name(name)
    with db.atomic():  # the name is checked and taken under the write lock: two creators cannot both win
        if next(rows(db, "select 1 from campaigns where name = ?", [name]), None):
            raise FieldError("name", "already exists", sentence=lambda _: f"campaign {name!r} already exists")
        record = _record(db, name, owner, checks, projects, start_on, target_on, items)
        record["created_at"] = now().isoformat()
        db.table("campaigns").insert(record)
    return campaign_of_row(record)


def update_campaign(
    db: sqlite_utils.Database,
    name: str,
    *,
    owner: str | None = None,
    checks: Iterable[str] | None = None,
    projects: Iterable[str] | None = None,
    start_on: date | None = None,
    target_on: date | None = None,
    items: Iterable[str] | None = None,
) -> Campaign:
    """Change a stored campaign (``mldebt campaign edit`` and the web form); a value left None stays as it was.

    The campaign is read, checked and written in one write transaction, with
    the same rules as ``create_campaign``; its name and creation time stay.
    """
    with db.atomic():
        old = get_campaign(db, name)
        record = _record(
            db,
            old.name,
            old.owner if owner is None else owner,
            old.checks if checks is None else checks,
            old.projects if projects is None else projects,
            old.start_on if start_on is None else start_on,
            old.target_on if target_on is None else target_on,
            item_ids(old) if items is None else items,
            every_project=False,
        )
        db.table("campaigns").update(old.name, record)
    return campaign_of_row({**record, "created_at": old.created_at})


def _name(name: str) -> str:
    name = (name or "").strip()
    if not NAME.match(name) or name in RESERVED:
        problem = (
            f"{name!r} is kept for the web page that creates campaigns; choose another"
            if name in RESERVED
            else "use letters, digits, spaces, '.', '_' or '-' (at most 80)"
        )
        raise FieldError("name", problem, sentence=lambda _: f"campaign name {name!r}: {problem}")
    return name


def _record(
    db: sqlite_utils.Database,
    name: str,
    owner: str,
    checks: Iterable[str],
    projects: Iterable[str],
    start_on: date,
    target_on: date,
    items: Iterable[str],
    every_project: bool = True,
) -> dict[str, Any]:
    """The campaigns row for these values, each checked against the store.

    With no projects named, a campaign of checks covers every scanned project
    (``every_project``; an edit that empties the list is refused instead).
    """
    if not owner or not owner.strip():
        raise FieldError("owner", "a campaign needs an owner")
    if len(owner.strip()) > MAX_OWNER:
        raise BadValue("owner", owner.strip()[:20] + "...", f"at most {MAX_OWNER} characters")
    if target_on <= start_on:
        raise BadValue("target", target_on.isoformat(), f"must be after the start, {start_on}")
    check_ids, project_ids, wanted_items = _unique(checks), _unique(projects), _unique(items)
    if not check_ids and not wanted_items:
        raise FieldError(
            "checks",
            "name checks or paydown items to fix",
            sentence=lambda _: "a campaign needs checks or paydown items to fix",
        )
    known = [
        r["id"]
        for r in rows(
            db, "select id from projects p where exists (select 1 from scans s where s.project_id = p.id) order by id"
        )
    ]
    unknown = [p for p in project_ids if p not in known]
    if unknown:
        raise BadValue(
            "projects",
            ",".join(unknown),
            "no scanned project of that name"
            + (
                hint(unknown[0], known, "projects")
                if len(unknown) == 1
                else f" (projects: {', '.join(known) or 'none yet'})"
            ),
        )
    if check_ids and not project_ids:
        if not every_project:
            raise BadValue("projects", "", "name the projects whose checks the campaign covers")
        project_ids = list(known)
    if check_ids:
        _check_checks(db, check_ids, project_ids)
    pairs = []
    for wanted in wanted_items:
        found = next(rows(db, "select project_id, check_id from paydown_items where id = ?", [wanted]), None)
        if found is None:
            raise BadValue("items", wanted, "no paydown item of that id (see `mldebt export backlog`)")
        pairs.append([found["project_id"], found["check_id"]])
    return {
        "name": name,
        "owner": owner.strip(),
        "checks": to_json(check_ids),
        "projects": to_json(project_ids),
        "items": to_json(pairs),
        "start_on": start_on.isoformat(),
        "target_on": target_on.isoformat(),
    }


def _unique(values: Iterable[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        value = value.strip()
        if value and value not in found:
            found.append(value)
    return found


def _check_checks(db: sqlite_utils.Database, check_ids: list[str], project_ids: list[str]) -> None:
    """Every named check must be in the rubric of some chosen project's latest scan."""
    latest = latest_scans(db)
    known: set[str] = set()
    for project in project_ids:
        if project in latest:
            known |= {c.id for c in parsed_rubric(db, latest[project]["rubric_hash"]).checks}
    unknown = [c for c in check_ids if c not in known]
    if unknown:
        listed = hint(unknown[0], known, "checks") if len(unknown) == 1 else f" (checks: {', '.join(sorted(known))})"
        raise BadValue("checks", ",".join(unknown), f"not in the projects' rubric{listed}")


def form_values(fields: Mapping[str, Any], *, new: bool) -> dict[str, Any]:
    """The keyword arguments of ``create_campaign`` (``new``) or ``update_campaign`` from a web form or JSON body.

    Lists may come as lists or as comma-separated text; dates as ``YYYY-MM-DD``.
    A value that cannot be read raises BadValue naming its field.
    """
    values: dict[str, Any] = {
        "owner": _text(fields, "owner"),
        "checks": _listed(fields, "checks"),
        "projects": _listed(fields, "projects"),
        "items": _listed(fields, "items"),
    }
    for day, key in (("start", "start_on"), ("target", "target_on")):
        text = _text(fields, day)
        if not text:
            raise FieldError(day, "give a date such as 2026-03-31")
        values[key] = parse_day(text, day)
    if new:
        values["name"] = _text(fields, "name")
    return values


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else ",".join(map(str, value))
    if value is not None and not isinstance(value, str):
        raise BadValue(name, repr(value)[:40], "expected text")
    return (value or "").strip()


def _listed(fields: Mapping[str, Any], name: str) -> list[str]:
    value = fields.get(name)
    parts = value if isinstance(value, list) else [value]
    if not all(p is None or isinstance(p, str) for p in parts):
        raise BadValue(name, repr(value)[:40], "expected names separated by commas")
    return [piece.strip() for part in parts for piece in (part or "").split(",") if piece.strip()]
