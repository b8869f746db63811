"""The paydown backlog as views and exports read it: open items with everything a ticket needs.

Items come from the store's ``paydown_items`` (stable ids ``MLD-...``), joined
with their project's owner and team and the check's title and fix guidance
from the rubric the project's latest scan was scored with. For a past moment
the items are derived again, with the same rule, from the stored results of
the scans up to that moment.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping
from urllib.parse import quote

import sqlite_utils

from .quarters import Timeline, moment_of
from .rubric.paydown import Item, ScanResults, paydown
from .rubric.schema import Rubric
from .scans import stored_rubric
from .store import rows

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class BacklogItem:
    id: str
    project: str
    team: str
    team_name: str
    owner: str
    check_id: str
    title: str
    status: str
    priority: float
    effort_hours: float
    gap: float
    weight: float
    scans_unmet: int
    opened_at: str
    section: str
    ml_test: str
    category: str
    why: str
    fix: str
    link: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def base_url(given: str | None = None) -> str:
    """Where the web scorecard lives: the option, else MLDEBT_BASE_URL, else the local default."""
    return (given or os.environ.get("MLDEBT_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def check_link(base: str, project: str, check: str) -> str:
    """The scorecard page showing a check's result in a project and the evidence behind it."""
    return f"{base}/projects/{quote(project, safe='')}/checks/{quote(check, safe='')}"


class RubricCache:
    """Stored rubrics by hash, each parsed once."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._found: dict[str, Rubric] = {}

    def __call__(self, rubric_hash: str) -> Rubric:
        if rubric_hash not in self._found:
            self._found[rubric_hash] = stored_rubric(self.db, rubric_hash)
        return self._found[rubric_hash]


def projects(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Every project with its team's name and owner, by project id."""
    return {r["id"]: r for r in rows(db, "select p.*, t.name as team_name, t.owner as team_owner "
                                         "from projects p left join teams t on t.id = p.team_id order by p.id")}


def enrich(items: Iterable[Item | Mapping[str, Any]], project_rows: Mapping[str, Mapping[str, Any]],
           rubric_of: Mapping[str, Rubric], base: str) -> list[BacklogItem]:
    """Backlog items from paydown items, with owner, team, guidance and link; highest priority first."""
    found = []
    for raw in items:
        item = asdict(raw) if isinstance(raw, Item) else dict(raw)
        project = project_rows.get(item["project_id"], {})
        rubric = rubric_of.get(item["project_id"])
        check = rubric.check(item["check_id"]) if rubric else None
        found.append(BacklogItem(
            id=item["id"], project=item["project_id"], team=project.get("team_id") or "",
            team_name=project.get("team_name") or project.get("team_id") or "",
            owner=project.get("owner") or project.get("team_owner") or "",
            check_id=item["check_id"], title=check.title if check else item["check_id"],
            status=item["status"], priority=float(item["priority"] or 0.0),
            effort_hours=float(item["effort_hours"] or 0.0), gap=float(item["gap"] or 0.0),
            weight=float(item["weight"] or 0.0), scans_unmet=int(item["interest"] or 0),
            opened_at=item["opened_at"] or "",
            section=(check.section or "") if check else "", ml_test=(check.ml_test or "") if check else "",
            category=(rubric.category_title(check.category) if check and check.category and rubric else ""),
            why=" ".join(check.why.split()) if check else "", fix=" ".join(check.fix.split()) if check else "",
            link=check_link(base, item["project_id"], item["check_id"]),
        ))
    return sorted(found, key=lambda i: (-i.priority, i.id))


def open_backlog(db: sqlite_utils.Database, *, team: str | None = None, since: datetime | None = None,
                 only: set[tuple[str, str]] | None = None, base: str | None = None) -> list[BacklogItem]:
    """Open items now, filtered by team, by opening moment and by (project, check) pairs."""
    project_rows = projects(db)
    latest = {r["project_id"]: r["rubric_hash"] for r in rows(
        db, "select project_id, rubric_hash from scans s where as_of = "
            "(select max(as_of) from scans t where t.project_id = s.project_id)")}
    cache = RubricCache(db)
    rubric_of = {project: cache(rubric_hash) for project, rubric_hash in latest.items()}
    items = [r for r in rows(db, "select * from paydown_items where status = 'open'")
             if (team is None or project_rows.get(r["project_id"], {}).get("team_id") == team)
             and (since is None or moment_of(r["opened_at"]) >= since)
             and (only is None or (r["project_id"], r["check_id"]) in only)]
    return enrich(items, project_rows, rubric_of, base_url(base))


def within_budget(items: list[BacklogItem], hours: float) -> list[BacklogItem]:
    """A sprint's worth: items in priority order, each taken when its effort still fits the budget."""
    chosen, left = [], hours
    for item in items:
        if item.effort_hours <= left:
            chosen.append(item)
            left -= item.effort_hours
    return chosen


def results_history(db: sqlite_utils.Database, scan_ids: Iterable[str]) -> dict[str, dict[str, tuple]]:
    """Each scan's check results as the paydown rule reads them: check -> (status, points, weight)."""
    ids = list(scan_ids)
    found: dict[str, dict[str, tuple]] = {i: {} for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for r in rows(db, f"select scan_id, check_id, status, points, weight from results "
                          f"where scan_id in ({marks})", chunk):
            found[r["scan_id"]][r["check_id"]] = (r["status"], r["points"], r["weight"])
    return found


def items_at(timeline: Timeline, moment: datetime, results: Mapping[str, Mapping[str, tuple]],
             rubric: Rubric, project: str) -> list[Item]:
    """A project's paydown items as they stood at ``moment``, from its scans up to then."""
    history = [ScanResults(scan_id=s["id"], as_of=s["as_of"], statuses=results.get(s["id"], {}))
               for s in timeline.upto(moment)]
    return paydown(project, history, {c.id: c.effort_hours for c in rubric.checks})
