"""Campaigns: cleanup sprints over a set of checks (or paydown items) across chosen projects.

A campaign's burn-up is read from stored scans only. Its scope is every
(project, check) pair of the campaign that was unmet (failed, manual only,
or waived) at the start or became unmet later; on each day a scan of one of
its projects was taken, each pair in scope is *done* when the project's
scan then in force earns the check's automated point, *waived* when it is
waived, and *open* otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlite_utils

from mldebt.errors import InputError, NotFound
from mldebt.readmodel.quarters import BadValue, Timeline, end_of_day, moment_of
from mldebt.readmodel.queries import latest_scans, parsed_rubric, statuses_for, timelines
from mldebt.scanning.scans import now
from mldebt.store.db import from_json, rows, to_json

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$")
UNMET = {"fail", "manual", "waived"}


@dataclass(frozen=True)
class Campaign:
    name: str
    owner: str
    checks: tuple[str, ...]
    projects: tuple[str, ...]
    items: tuple[tuple[str, str], ...]  # (project, check) of the paydown items named at creation
    start_on: date
    target_on: date
    created_at: str

    def pairs(self) -> set[tuple[str, str]]:
        """Every (project, check) the campaign covers."""
        return {(p, c) for p in self.projects for c in self.checks} | set(self.items)

    @property
    def all_projects(self) -> list[str]:
        return sorted(set(self.projects) | {p for p, _ in self.items})


@dataclass(frozen=True)
class Point:
    day: date
    scope: int
    done: int
    open: int
    waived: int


@dataclass
class Burnup:
    campaign: Campaign
    points: list[Point] = field(default_factory=list)

    @property
    def last(self) -> Point | None:
        return self.points[-1] if self.points else None

    @property
    def percent_done(self) -> float | None:
        last = self.last
        return None if not last or not last.scope else round(100.0 * last.done / last.scope, 1)

    def expected_percent(self, on: date) -> float:
        """Where a straight line from start to target says the campaign should be on ``on``."""
        c = self.campaign
        span = (c.target_on - c.start_on).days or 1
        return round(100.0 * min(max((on - c.start_on).days / span, 0.0), 1.0), 1)

    @property
    def state(self) -> str:
        last = self.last
        if last is None or not last.scope:
            return "nothing to do"
        if last.open == 0:
            return "done"
        done = self.percent_done or 0.0
        return "on track" if done >= self.expected_percent(last.day) else "behind"


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
    """Validate and store a new campaign; a bad value raises BadValue naming the value (``what``: owner, target,
    projects, checks, items), any other problem InputError."""
    name = name.strip()
    if not NAME.match(name):
        raise InputError(f"campaign name {name!r}: use letters, digits, spaces, '.', '_' or '-' (at most 80)")
    if next(rows(db, "select 1 from campaigns where name = ?", [name]), None):
        raise InputError(f"campaign {name!r} already exists")
    if not owner or not owner.strip():
        raise BadValue("owner", owner, "a campaign needs an owner")
    if target_on <= start_on:
        raise BadValue("target", target_on.isoformat(), f"must be after the start, {start_on}")
    check_ids, project_ids, item_ids = _unique(checks), _unique(projects), _unique(items)
    if not check_ids and not item_ids:
        raise InputError("a campaign needs checks or paydown items to fix")
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
            f"no scanned project of that name (projects: {', '.join(known) or 'none yet'})",
        )
    project_ids = project_ids or ([] if item_ids and not check_ids else known)
    if check_ids:
        _check_checks(db, check_ids, project_ids or known)
    pairs = []
    for item_id in item_ids:
        found = next(rows(db, "select project_id, check_id from paydown_items where id = ?", [item_id]), None)
        if found is None:
            raise BadValue("items", item_id, "no paydown item of that id (see `mldebt export backlog`)")
        pairs.append((found["project_id"], found["check_id"]))
    record = {
        "name": name,
        "owner": owner.strip(),
        "checks": to_json(check_ids),
        "projects": to_json(project_ids),
        "items": to_json([list(p) for p in pairs]),
        "start_on": start_on.isoformat(),
        "target_on": target_on.isoformat(),
        "created_at": now().isoformat(),
    }
    db.table("campaigns").insert(record)
    return _campaign(record)


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
        raise BadValue("checks", ",".join(unknown), f"not in the projects' rubric (checks: {', '.join(sorted(known))})")


def _campaign(row: dict[str, Any]) -> Campaign:
    return Campaign(
        name=row["name"],
        owner=row["owner"],
        checks=tuple(from_json(row["checks"]) or ()),
        projects=tuple(from_json(row["projects"]) or ()),
        items=tuple(tuple(p) for p in from_json(row["items"]) or ()),
        start_on=date.fromisoformat(row["start_on"]),
        target_on=date.fromisoformat(row["target_on"]),
        created_at=row["created_at"],
    )


def list_campaigns(db: sqlite_utils.Database) -> list[Campaign]:
    return [_campaign(r) for r in rows(db, "select * from campaigns order by start_on, name")]


def get_campaign(db: sqlite_utils.Database, name: str) -> Campaign:
    found = next(rows(db, "select * from campaigns where name = ?", [name]), None)
    if found is None:
        names = ", ".join(c.name for c in list_campaigns(db)) or "none yet"
        raise NotFound(f"no campaign named {name!r} (campaigns: {names})")
    return _campaign(found)


def burnup(db: sqlite_utils.Database, campaign: Campaign, until: datetime | None = None) -> Burnup:
    """Scope, done, open and waived counts at the start and on each later day a campaign project was scanned."""
    pairs = campaign.pairs()
    lines = {p: timelines(db, project=p).get(p, Timeline([])) for p in campaign.all_projects}
    limit = until or moment_of("9999-12-31")
    start = end_of_day(campaign.start_on)
    days = sorted(
        {
            moment_of(s["as_of"]).date()
            for t in lines.values()
            for s in t.scans
            if start < moment_of(s["as_of"]) <= limit
        }
    )
    wanted = {s["id"] for t in lines.values() for s in t.upto(limit)}
    results = statuses_for(db, wanted)
    result = Burnup(campaign)
    scope: set[tuple[str, str]] = set()
    for day in [campaign.start_on, *days]:
        moment = end_of_day(day)
        status = {}
        for project, check in pairs:
            scan = lines[project].at(moment)
            found = results.get(scan["id"], {}).get(check) if scan else None
            if found:
                status[(project, check)] = found[0]
        scope |= {pair for pair, s in status.items() if s in UNMET}
        done = sum(status.get(pair) == "automated" for pair in scope)
        waived = sum(status.get(pair) == "waived" for pair in scope)
        result.points.append(Point(day, len(scope), done, len(scope) - done - waived, waived))
    return result
