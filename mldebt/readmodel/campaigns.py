"""Campaigns: cleanup sprints over a set of checks (or paydown items) across chosen projects.

A campaign's burn-up is read from stored scans only. Its scope is every
(project, check) pair of the campaign that was unmet (failed, manual only,
or waived) at the start or became unmet later; on each day a scan of one of
its projects was taken, each pair in scope is *done* when the project's
scan then in force earns the check's automated point, *waived* when it is
waived, and *open* otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlite_utils

from mldebt.errors import NotFound
from mldebt.readmodel.quarters import Timeline, end_of_day, moment_of
from mldebt.readmodel.queries import statuses_for, timelines
from mldebt.rubric.paydown import item_id
from mldebt.store.db import from_json, rows
from mldebt.suggest import hint

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


def campaign_of_row(row: dict[str, Any]) -> Campaign:
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


def item_ids(campaign: Campaign) -> list[str]:
    """The ids of the paydown items named in the campaign, as `mldebt export backlog` shows them."""
    return [item_id(project, check) for project, check in campaign.items]


def list_campaigns(db: sqlite_utils.Database) -> list[Campaign]:
    return [campaign_of_row(r) for r in rows(db, "select * from campaigns order by start_on, name")]


def get_campaign(db: sqlite_utils.Database, name: str) -> Campaign:
    found = next(rows(db, "select * from campaigns where name = ?", [name]), None)
    if found is None:
        names = [c.name for c in list_campaigns(db)]
        raise NotFound(f"no campaign named {name!r}{hint(name, names, 'campaigns')}")
    return campaign_of_row(found)


def teams_led_by(db: sqlite_utils.Database, user: str) -> list[str]:
    """The teams whose owner in the portfolio is ``user`` (without regard to case): a lead may run campaigns."""
    found = rows(db, "select id from teams where lower(trim(owner)) = lower(?) order by id", [user.strip()])
    return [r["id"] for r in found]


def covering(db: sqlite_utils.Database, project: str) -> list[Campaign]:
    """The campaigns whose scope takes in ``project`` (by its checks or by a named item), earliest start first."""
    return [c for c in list_campaigns(db) if project in c.all_projects]


def campaigns_of_items(db: sqlite_utils.Database, items: Sequence[Any]) -> dict[str, list[str]]:
    """The names of the campaigns covering each paydown item, by item id.

    ``items`` have ``id``, ``project`` (or ``project_id``) and ``check_id``; an
    item whose fix clears several checks (``clears``) is covered when any of them is.
    """
    every = [(c.name, c.pairs()) for c in list_campaigns(db)]
    found: dict[str, list[str]] = {}
    for item in items:
        project = _attr(item, "project") or _attr(item, "project_id")
        checks = {_attr(item, "check_id"), *(_attr(item, "clears") or ())}
        names = [name for name, pairs in every if any((project, c) in pairs for c in checks)]
        if names:
            found[_attr(item, "id")] = names
    return found


def _attr(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


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
