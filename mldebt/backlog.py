"""The paydown backlog: open items with everything a ticket needs, and the open effort they add up to.

Items come from the store's ``paydown_items`` (stable ids ``MLD-...``), joined
with their project's owner and team and the check's title and fix guidance
from the rubric the project's latest scan was scored with. ``BacklogItem`` is
the one row every surface shows: the web backlog and its CSV and JSON, the
team pages, the report, the campaigns and every export format.

Open effort is counted one way everywhere: the sum of the open items' effort,
each item counted once. At a project's latest scan that is the stored items;
at an earlier scan (a past quarter, a comparison) the items are derived again
with the same rule (``rubric.paydown``) from the stored results up to it.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import quote

import sqlite_utils

from .quarters import moment_of
from .readmodel import Headline, efforts, latest_scans, parsed_rubric, project_rows, statuses_for
from .rubric.paydown import Item, ScanResults, paydown
from .rubric.schema import Rubric
from .store import rows

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
SORTS = ("priority", "effort", "team", "category", "project", "opened")


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
    category: str  # the category's title
    category_id: str
    why: str
    fix: str
    link: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Effort:
    """What a project owes at one scan: its open items and their effort, and the effort it waived."""

    open_hours: float = 0.0
    open_items: int = 0
    waived_hours: float = 0.0


def base_url(given: str | None = None) -> str:
    """Where the web scorecard lives: the option, else MLDEBT_BASE_URL, else the local default."""
    return (given or os.environ.get("MLDEBT_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def check_link(base: str, project: str, check: str) -> str:
    """The scorecard page showing a check's result in a project and the evidence behind it."""
    return f"{base}/projects/{quote(project, safe='')}/checks/{quote(check, safe='')}"


def enrich(items: Iterable[Item | Mapping[str, Any]], projects: Mapping[str, Mapping[str, Any]],
           rubric_of: Mapping[str, Rubric], base: str) -> list[BacklogItem]:
    """Backlog items from paydown items, with owner, team, guidance and link; highest priority first."""
    found = []
    for raw in items:
        item = asdict(raw) if isinstance(raw, Item) else dict(raw)
        project = projects.get(item["project_id"], {})
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
            category_id=(check.category or "") if check else "",
            why=" ".join(check.why.split()) if check else "", fix=" ".join(check.fix.split()) if check else "",
            link=check_link(base, item["project_id"], item["check_id"]),
        ))
    return sorted(found, key=lambda i: (-i.priority, i.id))


def open_backlog(db: sqlite_utils.Database, *, team: str | None = None, project: str | None = None,
                 since: datetime | None = None, only: set[tuple[str, str]] | None = None,
                 base: str | None = None) -> list[BacklogItem]:
    """Open items now, highest priority first, filtered by team or project, by opening moment and by
    (project, check) pairs."""
    projects = {p["id"]: p for p in project_rows(db, team) if project is None or p["id"] == project}
    rubric_of = {name: parsed_rubric(db, scan["rubric_hash"]) for name, scan in latest_scans(db).items()
                 if name in projects}
    query, params = "select * from paydown_items where status = 'open'", []
    if project is not None:
        query, params = query + " and project_id = ?", [project]
    elif team is not None:
        query, params = query + " and project_id in (select id from projects where team_id = ?)", [team]
    items = [r for r in rows(db, query, params)
             if r["project_id"] in projects
             and (since is None or moment_of(r["opened_at"]) >= since)
             and (only is None or (r["project_id"], r["check_id"]) in only)]
    return enrich(items, projects, rubric_of, base_url(base))


def select(items: Sequence[BacklogItem], category: str | None = None, min_priority: float | None = None,
           max_effort: float | None = None, sort: str = "priority", descending: bool = True) -> list[BacklogItem]:
    """The items that pass the filters (``category`` is a category id), in the chosen order (ties by id)."""
    chosen = [i for i in items
              if (not category or i.category_id == category)
              and (min_priority is None or i.priority >= min_priority)
              and (max_effort is None or i.effort_hours <= max_effort)]
    keys: dict[str, Any] = {
        "priority": lambda i: i.priority, "effort": lambda i: i.effort_hours,
        "team": lambda i: i.team_name or i.team, "category": lambda i: i.category_id,
        "project": lambda i: i.project, "opened": lambda i: i.opened_at}
    chosen.sort(key=lambda i: i.id)  # a stable sort keeps ties in id order whichever the direction
    chosen.sort(key=keys[sort], reverse=descending)
    return chosen


def within_budget(items: Iterable[BacklogItem], hours: float) -> list[BacklogItem]:
    """A sprint's worth: items in priority order, each taken when its effort still fits the budget."""
    chosen, left = [], hours
    for item in items:
        if item.effort_hours <= left:
            chosen.append(item)
            left -= item.effort_hours
    return chosen


def _stored(db: sqlite_utils.Database, scans: Iterable[Headline]) -> dict[str, list[dict[str, Any]]]:
    """The stored items of each of ``scans`` that is its project's latest (the scan they were derived at)."""
    wanted = {s["id"]: s["project_id"] for s in scans}
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows(db, "select * from paydown_items where project_id in (select value from json_each(?))",
                    [_json(set(wanted.values()))]):
        if row["last_scan_id"] in wanted:
            found.setdefault(row["last_scan_id"], []).append(row)
    return found


def effort_in_force(db: sqlite_utils.Database, scans: Iterable[Headline]) -> dict[str, Effort]:
    """The open and waived effort at each of ``scans``, by scan id: stored items at a latest scan, else derived."""
    chosen = list({s["id"]: s for s in scans}.values())
    stored = _stored(db, chosen)
    found = {scan_id: _effort(items) for scan_id, items in stored.items()}
    earlier = [s for s in chosen if s["id"] not in stored]
    statuses = statuses_for(db, [s["id"] for s in earlier])
    decided = _last_decided(db, earlier, statuses)
    for scan in earlier:
        history = [ScanResults("", "", decided[scan["id"]]), ScanResults(scan["id"], scan["as_of"], statuses[scan["id"]])]
        items = paydown(scan["project_id"], history, efforts(db, scan["rubric_hash"]))
        found[scan["id"]] = _effort([asdict(i) for i in items])
    return found


def _effort(items: Iterable[Mapping[str, Any]]) -> Effort:
    chosen = [i for i in items if i["status"] in ("open", "waived")]
    opened = [float(i["effort_hours"] or 0.0) for i in chosen if i["status"] == "open"]
    waived = [float(i["effort_hours"] or 0.0) for i in chosen if i["status"] == "waived"]
    return Effort(round(float(sum(opened)), 1), len(opened), round(float(sum(waived)), 1))


def _last_decided(db: sqlite_utils.Database, scans: Sequence[Headline],
                  statuses: Mapping[str, Mapping[str, tuple[str, Any, Any]]]) -> dict[str, dict[str, tuple]]:
    """For each scan, the last result before it of each check it reads as unknown and was decided then.

    An item stays open while its check is unknown, until a later scan decides it:
    that earlier decision is all the paydown rule needs besides the scan itself.
    """
    found: dict[str, dict[str, tuple]] = {s["id"]: {} for s in scans}
    unknown = {s["id"]: {c for c, r in statuses[s["id"]].items() if r[0] == "unknown"} for s in scans}
    wanted = [s for s in scans if unknown[s["id"]]]
    if not wanted:
        return found
    earlier: dict[str, list[tuple[tuple[str, str], str, tuple]]] = {}
    for row in rows(db, "select s.project_id, s.as_of, s.collected_at, r.check_id, r.status, r.points, r.weight "
                        "from results r join scans s on s.id = r.scan_id where r.status != 'unknown' "
                        "and s.project_id in (select value from json_each(?)) "
                        "and r.check_id in (select value from json_each(?))",
                    [_json({s["project_id"] for s in wanted}), _json(set().union(*unknown.values()))]):
        earlier.setdefault(row["project_id"], []).append(
            ((row["as_of"], row["collected_at"] or ""), row["check_id"], (row["status"], row["points"], row["weight"])))
    for scan in wanted:
        moment = (scan["as_of"], scan["collected_at"] or "")  # the order the stored items were derived in
        for at, check, result in sorted(earlier.get(scan["project_id"], []), key=lambda e: e[0]):
            if at < moment and check in unknown[scan["id"]]:
                found[scan["id"]][check] = result
    return found


def items_in_force(db: sqlite_utils.Database, scans: Iterable[Headline], base: str | None = None
                   ) -> dict[str, list[BacklogItem]]:
    """The open items at each of ``scans``, by scan id: stored at a latest scan, else derived from the history."""
    chosen = list({s["id"]: s for s in scans}.values())
    projects = {p["id"]: p for p in project_rows(db)}
    stored = _stored(db, chosen)
    link = base_url(base)
    found = {}
    for scan in chosen:
        rubric = {scan["project_id"]: parsed_rubric(db, scan["rubric_hash"])}
        raw: list[Any] = [i for i in stored.get(scan["id"], []) if i["status"] == "open"]
        if scan["id"] not in stored:
            history = _history_upto(db, scan)
            statuses = statuses_for(db, [s["id"] for s in history])
            items = paydown(scan["project_id"], [ScanResults(s["id"], s["as_of"], statuses[s["id"]]) for s in history],
                            efforts(db, scan["rubric_hash"]))
            raw = [i for i in items if i.status == "open"]
        found[scan["id"]] = enrich(raw, projects, rubric, link)
    return found


def _history_upto(db: sqlite_utils.Database, scan: Headline) -> list[dict[str, Any]]:
    """The project's scans up to and including ``scan``, in the order its stored items are derived in."""
    found = list(rows(db, "select id, as_of from scans where project_id = ? order by as_of, collected_at",
                      [scan["project_id"]]))
    return found[:[s["id"] for s in found].index(scan["id"]) + 1]


def _json(values: Iterable[str]) -> str:
    return json.dumps(sorted(values))
