"""The paydown backlog: open items with everything a ticket needs.

Items come from the store's ``paydown_items`` (stable ids ``MLD-...``), joined
with their project's owner and team and the check's title and fix guidance
from the rubric the project's latest scan was scored with. ``BacklogItem`` is
the one row every surface shows: the web backlog and its CSV and JSON, the
team pages, the report, the campaigns and every export format. For a past
moment (the report of an earlier quarter) the items are derived again with
the paydown rule (``rubric.paydown``) from the stored results up to then.

One fix, one item: the item of a check whose fix is another open item's
(``fixed_with`` in the rubric, state ``merged``) is folded into that item,
which lists every check it clears (``clears``) and carries one effort, the
estimate of the check the fix is named for. Every item says where its effort
comes from (``effort_basis``) and how its priority is worked out
(``priority_basis``, in ``rubric.paydown.PRIORITY_UNIT``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

import sqlite_utils

from mldebt.readmodel.codelinks import first_place, places
from mldebt.readmodel.quarters import moment_of
from mldebt.readmodel.queries import Headline, efforts, latest_scans, parsed_rubric, project_rows, statuses_for
from mldebt.rubric.paydown import MERGED, Item, ScanResults, effort_basis, item_id, paydown, priority_basis
from mldebt.rubric.schema import Rubric
from mldebt.settings import base_url
from mldebt.store.db import rows

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
    clears: tuple[str, ...] = ()  # every check the item's fix clears, its own first
    effort_basis: str = ""  # "8 h: rubric estimate for A, also clears B"
    priority_basis: str = ""  # the priority worked out, with its unit
    commit: str = ""  # the scanned commit the item stands at ("" for a folder without git)
    location: str = ""  # its evidence's file and line ("src/train.py:42"), from the top of the repository
    code_link: str = ""  # that file at the scanned commit on its forge
    location_note: str = ""  # why there is no location or no link ("" when there are both)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_link(base: str, project: str, check: str) -> str:
    """The scorecard page showing a check's result in a project and the evidence behind it."""
    return f"{base}/projects/{quote(project, safe='')}/checks/{quote(check, safe='')}"


def enrich(
    items: Iterable[Item | Mapping[str, Any]],
    projects: Mapping[str, Mapping[str, Any]],
    rubric_of: Mapping[str, Rubric],
    base: str,
) -> list[BacklogItem]:
    """Backlog items from paydown items, with owner, team, guidance and link; highest priority first.

    A ``merged`` item among ``items`` is folded into the item whose fix clears it (and left out when that
    item is not among them)."""
    about: dict[str, tuple[dict[str, str], str]] = {}  # what every item of a project says alike, its link
    checks: dict[tuple[int, str], tuple[dict[str, str], str]] = {}  # and every item of a check in one rubric
    given = [asdict(raw) if isinstance(raw, Item) else raw for raw in items]
    folded = _folded(given, rubric_of)
    found = []
    for item in given:
        if item["status"] == MERGED:
            continue
        name, check_id = item["project_id"], item["check_id"]
        if name not in about:
            about[name] = _project_fields(projects.get(name, {}), name), check_link(base, name, "")
        rubric = rubric_of.get(name)
        if (id(rubric), check_id) not in checks:
            checks[id(rubric), check_id] = _check_fields(rubric, check_id), quote(check_id, safe="")
        (project, page), (check, anchor) = about[name], checks[id(rubric), check_id]
        cleared = [item, *folded.get(item["id"], [])]
        hours, result = float(item["effort_hours"] or 0.0), float(item["priority"] or 0.0)
        clears = tuple(c["check_id"] for c in cleared)
        found.append(
            BacklogItem(
                id=item["id"],
                status=item["status"],
                priority=float(item["priority"] or 0.0),
                effort_hours=float(item["effort_hours"] or 0.0),
                gap=float(item["gap"] or 0.0),
                weight=float(item["weight"] or 0.0),
                scans_unmet=int(item["interest"] or 0),
                opened_at=item["opened_at"] or "",
                check_id=check_id,
                link=page + anchor,
                clears=clears,
                effort_basis=effort_basis(check_id, hours, clears),
                priority_basis=priority_basis([_terms(c) for c in cleared], hours, result),
                **project,
                **check,
            )
        )
    return sorted(found, key=lambda i: (-i.priority, i.id))


def _folded(items: Sequence[Mapping[str, Any]], rubric_of: Mapping[str, Rubric]) -> dict[str, list[Mapping[str, Any]]]:
    """The merged items by the id of the item whose fix clears them (the rubric's ``fixed_with``)."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        rubric = rubric_of.get(item["project_id"])
        check = rubric.check(item["check_id"]) if rubric and item["status"] == MERGED else None
        if check is not None and check.fixed_with:
            found.setdefault(item_id(item["project_id"], check.fixed_with), []).append(item)
    for merged_items in found.values():
        merged_items.sort(key=lambda i: i["check_id"])
    return found


def _terms(item: Mapping[str, Any]) -> tuple[float, float, float, float]:
    """What a check adds to its item's priority: weight, gap, scans unmet in a row, churn."""
    return (
        float(item.get("weight") or 0.0),
        float(item.get("gap") or 0.0),
        float(item.get("interest") or 0.0),
        float(item.get("churn") or 0.0),
    )


def _project_fields(project: Mapping[str, Any], name: str) -> dict[str, str]:
    return {
        "project": name,
        "team": project.get("team_id") or "",
        "team_name": project.get("team_name") or project.get("team_id") or "",
        "owner": project.get("owner") or project.get("team_owner") or "",
    }


def _check_fields(rubric: Rubric | None, check_id: str) -> dict[str, str]:
    check = rubric.check(check_id) if rubric else None
    if rubric is None or check is None:
        return dict(title=check_id, section="", ml_test="", category="", category_id="", why="", fix="")
    return {
        "title": check.title,
        "section": check.section or "",
        "ml_test": check.ml_test or "",
        "category": rubric.category_title(check.category) if check.category else "",
        "category_id": check.category or "",
        "why": " ".join(check.why.split()),
        "fix": " ".join(check.fix.split()),
    }


def open_backlog(
    db: sqlite_utils.Database,
    *,
    team: str | None = None,
    project: str | None = None,
    since: datetime | None = None,
    only: set[tuple[str, str]] | None = None,
    base: str | None = None,
) -> list[BacklogItem]:
    """Open items now, highest priority first, filtered by team or project, by opening moment and by
    (project, check) pairs."""
    projects = {p["id"]: p for p in project_rows(db, team) if project is None or p["id"] == project}
    rubric_of = {
        name: parsed_rubric(db, scan["rubric_hash"]) for name, scan in latest_scans(db).items() if name in projects
    }
    query, params = (
        (
            "select id, project_id, check_id, status, priority, effort_hours, gap, weight, interest, churn, "
            f"opened_at from paydown_items where status in ('open', '{MERGED}')"
        ),
        [],
    )
    if project is not None:
        query, params = query + " and project_id = ?", [project]
    elif team is not None:
        query, params = query + " and project_id in (select id from projects where team_id = ?)", [team]
    items = [r for r in rows(db, query, params) if r["project_id"] in projects]
    chosen = [
        i
        for i in enrich(items, projects, rubric_of, base_url(base))
        if (since is None or moment_of(i.opened_at) >= since)
        and (only is None or any((i.project, c) in only for c in i.clears))
    ]
    return located(db, chosen, latest_scans(db), projects)


def located(
    db: sqlite_utils.Database,
    items: Sequence[BacklogItem],
    scans: Mapping[str, Mapping[str, Any]],
    projects: Mapping[str, Mapping[str, Any]],
) -> list[BacklogItem]:
    """``items`` with the commit, evidence location and code link of their project's scan in ``scans``."""
    checks: dict[str, set[str]] = {}
    for item in items:
        checks.setdefault(item.project, set()).update(item.clears)
    found = {
        name: places(db, scans[name], projects[name], wanted)
        for name, wanted in checks.items()
        if name in scans and name in projects
    }
    done = []
    for item in items:
        scan = scans.get(item.project)
        place = first_place(found.get(item.project, {}), item.clears)
        done.append(
            replace(
                item,
                commit=(scan or {}).get("commit_sha") or "",
                location=place.location,
                code_link=place.code_link,
                location_note=place.note if scan else "no file evidence: the project has no scan",
            )
        )
    return done


def clearing(db: sqlite_utils.Database, project: str, check: str) -> BacklogItem | None:
    """The open item whose fix clears ``check`` in ``project``: its own, or the one its item is merged into
    (what a check's page shows beside a merged item); None when the check owes nothing open."""
    return next((i for i in open_backlog(db, project=project) if check in i.clears), None)


def select(
    items: Sequence[BacklogItem],
    category: str | None = None,
    min_priority: float | None = None,
    max_effort: float | None = None,
    sort: str = "priority",
    descending: bool = True,
) -> list[BacklogItem]:
    """The items that pass the filters (``category`` is a category id), in the chosen order (ties by id)."""
    chosen = [
        i
        for i in items
        if (not category or i.category_id == category)
        and (min_priority is None or i.priority >= min_priority)
        and (max_effort is None or i.effort_hours <= max_effort)
    ]
    keys: dict[str, Any] = {
        "priority": lambda i: i.priority,
        "effort": lambda i: i.effort_hours,
        "team": lambda i: i.team_name or i.team,
        "category": lambda i: i.category_id,
        "project": lambda i: i.project,
        "opened": lambda i: i.opened_at,
    }
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
    for row in rows(
        db,
        "select * from paydown_items where project_id in (select value from json_each(?))",
        [_json(set(wanted.values()))],
    ):
        if row["last_scan_id"] in wanted:
            found.setdefault(row["last_scan_id"], []).append(row)
    return found


def items_in_force(
    db: sqlite_utils.Database, scans: Iterable[Headline], base: str | None = None
) -> dict[str, list[BacklogItem]]:
    """The open items at each of ``scans``, by scan id: stored at a latest scan, else derived from the history."""
    chosen = list({s["id"]: s for s in scans}.values())
    projects = {p["id"]: p for p in project_rows(db)}
    stored = _stored(db, chosen)
    link = base_url(base)
    found = {}
    for scan in chosen:
        rubric = {scan["project_id"]: parsed_rubric(db, scan["rubric_hash"])}
        raw: list[Any] = [i for i in stored.get(scan["id"], []) if i["status"] in ("open", MERGED)]
        if scan["id"] not in stored:
            history = _history_upto(db, scan)
            statuses = statuses_for(db, [s["id"] for s in history])
            items = paydown(
                scan["project_id"],
                [ScanResults(s["id"], s["as_of"], statuses[s["id"]]) for s in history],
                efforts(db, scan["rubric_hash"]),
                {c.id: c.fixed_with for c in rubric[scan["project_id"]].checks if c.fixed_with},
            )
            raw = [i for i in items if i.status in ("open", MERGED)]
        found[scan["id"]] = located(db, enrich(raw, projects, rubric, link), {scan["project_id"]: scan}, projects)
    return found


def _history_upto(db: sqlite_utils.Database, scan: Headline) -> list[dict[str, Any]]:
    """The project's scans up to and including ``scan``, in the order its stored items are derived in."""
    found = list(
        rows(db, "select id, as_of from scans where project_id = ? order by as_of, collected_at", [scan["project_id"]])
    )
    return found[: [s["id"] for s in found].index(scan["id"]) + 1]


def _json(values: Iterable[str]) -> str:
    return json.dumps(sorted(values))
