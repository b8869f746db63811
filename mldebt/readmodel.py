"""Read the store for the views (terminal scorecard, web pages, report): no collecting, no scoring.

Shared here: the rubric a scan was scored with (cached by its content hash,
which never changes), calendar quarters, every scan's headline figures, and
the portfolio as it stood at the end of a quarter. A scan stands for the
quarter of its ``as_of`` day; a project's figure for a quarter is that of its
last scan on or before the quarter's last day.
"""
from __future__ import annotations

import calendar
import json
import re
import threading
from collections import OrderedDict
from typing import Any, Iterable

import sqlite_utils

from .errors import InputError, NotFound
from .store import rows

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_RUBRICS: OrderedDict[str, dict[str, Any]] = OrderedDict()
_RUBRICS_LOCK = threading.Lock()


def rubric_data(db: sqlite_utils.Database, rubric_hash: str) -> dict[str, Any]:
    """The resolved rubric (as stored JSON) for ``rubric_hash``; ``{}`` when the store lacks it."""
    with _RUBRICS_LOCK:
        if rubric_hash in _RUBRICS:
            _RUBRICS.move_to_end(rubric_hash)
            return _RUBRICS[rubric_hash]
    found = next(rows(db, "select content from rubrics where hash = ?", [rubric_hash]), None)
    if found is None:
        return {}
    data = json.loads(found["content"])
    with _RUBRICS_LOCK:
        _RUBRICS[rubric_hash] = data
        while len(_RUBRICS) > 32:
            _RUBRICS.popitem(last=False)
    return data


def quarter_of(day: str) -> str:
    """``2026-02-14...`` -> ``2026-Q1``."""
    return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}"


def parse_quarter(text: str, what: str = "quarter") -> str:
    if not QUARTER.match(text or ""):
        raise InputError(f"{what} {text!r}: expected a quarter such as 2026-Q1")
    return text


def quarter_end(quarter: str) -> str:
    """The last day of ``quarter`` as ``YYYY-MM-DD``."""
    year, number = int(quarter[:4]), int(quarter[-1])
    month = number * 3
    return f"{year:04d}-{month:02d}-{calendar.monthrange(max(year, 1), month)[1]:02d}"  # year 0: before any scan


def previous_quarter(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[-1])
    return f"{max(year - 1, 0):04d}-Q4" if number == 1 else f"{year:04d}-Q{number - 1}"


HEADLINE_SQL = """
    select s.id, s.project_id, s.as_of, s.collected_at, s.commit_sha, s.rubric_hash,
           f.value as ml_test_score, f.label as band, g.value as overall, g.label as grade,
           e.value as effort_hours
    from scans s
    left join scores f on f.scan_id = s.id and f.scope = 'mltest' and f.name = 'final'
    left join scores g on g.scan_id = s.id and g.scope = 'overall' and g.name = 'grade'
    left join scores e on e.scan_id = s.id and e.scope = 'effort' and e.name = 'hours'
"""


def headlines(db: sqlite_utils.Database, project: str | None = None,
              team: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every scan's headline figures by project, oldest first (one project's, or one team's, when named)."""
    where, params = ("where s.project_id = ?", [project]) if project else (
        ("where s.project_id in (select id from projects where team_id = ?)", [team]) if team else ("", []))
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows(db, f"{HEADLINE_SQL} {where} order by s.project_id, s.as_of, s.collected_at", params):
        row["day"] = row["as_of"][:10]
        found.setdefault(row["project_id"], []).append(row)
    return found


def quarterly_headlines(db: sqlite_utils.Database, team: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Each project's last scan of every quarter it was scanned in, with headline figures, oldest first.

    Enough for any view "as of the end of a quarter", and bounded by projects x
    quarters however often a project is scanned.
    """
    where, params = ("where s.project_id in (select id from projects where team_id = ?)", [team]) if team else ("", [])
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows(db, f"""
            with last as (
                select id from (
                    select s.id, row_number() over (
                        partition by s.project_id, substr(s.as_of, 1, 4), (cast(substr(s.as_of, 6, 2) as integer) + 2) / 3
                        order by s.as_of desc, s.collected_at desc) as n
                    from scans s {where})
                where n = 1)
            {HEADLINE_SQL} where s.id in (select id from last) order by s.project_id, s.as_of, s.collected_at""", params):
        row["day"] = row["as_of"][:10]
        found.setdefault(row["project_id"], []).append(row)
    return found


def last_by(scans: list[dict[str, Any]], day: str) -> dict[str, Any] | None:
    """The last of ``scans`` (oldest first) made on or before ``day``."""
    chosen = None
    for scan in scans:
        if scan["day"] > day:
            break
        chosen = scan
    return chosen


def quarters_of(history: Iterable[list[dict[str, Any]]]) -> list[str]:
    """Every quarter from the first scanned one to the last, with no gaps."""
    present = {quarter_of(s["day"]) for scans in history for s in scans}
    if not present:
        return []
    out, current, last = [], min(present), max(present)
    while True:
        out.append(current)
        if current == last:
            return out
        year, number = int(current[:4]), int(current[-1])
        current = f"{year + 1}-Q1" if number == 4 else f"{year}-Q{number + 1}"


def scores_by_scope(db: sqlite_utils.Database, scan_ids: list[str], scope: str) -> dict[str, dict[str, Any]]:
    """``{scan id: {name: value}}`` for one scope of scores over many scans."""
    found: dict[str, dict[str, Any]] = {s: {} for s in scan_ids}
    for row in rows(db, "select scan_id, name, value from scores where scope = ? and scan_id in "
                        "(select value from json_each(?))", [scope, json.dumps(scan_ids)]):
        found[row["scan_id"]][row["name"]] = row["value"]
    return found


def ordered_union(lists: Iterable[Iterable[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Items (each with an ``id``) of several rubrics, first occurrence first."""
    seen: dict[str, dict[str, Any]] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item["id"], item)
    return list(seen.values())


def project_rows(db: sqlite_utils.Database, team: str | None = None) -> list[dict[str, Any]]:
    where, params = ("where p.team_id = ?", [team]) if team else ("", [])
    return list(rows(db, f"select p.*, t.name as team_name from projects p left join teams t on t.id = p.team_id "
                         f"{where} order by p.team_id, p.id", params))


def team_row(db: sqlite_utils.Database, team: str) -> dict[str, Any]:
    found = next(rows(db, "select * from teams where id = ?", [team]), None)
    if found is None:
        known = ", ".join(r["id"] for r in rows(db, "select id from teams order by id")) or "none yet"
        raise NotFound(f"no team {team!r} in the database (teams: {known})")
    return found


def portfolio(db: sqlite_utils.Database, quarter: str | None = None, team: str | None = None) -> dict[str, Any]:
    """Every project (of ``team``, if given) as it stood at the end of ``quarter`` (default: the latest).

    Each row has the scan's headline figures, category scores, the change
    since the end of the previous quarter (None, with a note, when there is
    nothing comparable) and the quarterly trend of the overall score.
    """
    history = quarterly_headlines(db, team)
    quarters = quarters_of(history.values())
    if quarter is None:
        quarter = quarters[-1] if quarters else None
    elif quarter not in quarters:
        raise NotFound(f"no scans in quarter {quarter} (quarters: {', '.join(quarters) or 'none yet'})")
    end = quarter_end(quarter) if quarter else ""
    before = quarter_end(previous_quarter(quarter)) if quarter else ""
    shown = [q for q in quarters if not quarter or q <= quarter]
    ends = [(q, quarter_end(q)) for q in shown]
    projects = []
    for proj in project_rows(db, team):
        scans = history.get(proj["id"], [])
        current = last_by(scans, end) if quarter else None
        if current is None:
            continue
        previous = last_by(scans, before)
        change, note = None, "new this quarter"
        if previous is not None and previous["rubric_hash"] != current["rubric_hash"]:
            note = "rubric changed: not compared"
        elif previous is not None:
            note = None
            change = {"overall": _delta(current["overall"], previous["overall"]),
                      "ml_test_score": _delta(current["ml_test_score"], previous["ml_test_score"]),
                      "effort_hours": _delta(current["effort_hours"], previous["effort_hours"])}
        trend = []
        for q, q_end in ends:
            scan = last_by(scans, q_end)
            trend.append({"quarter": q, "overall": scan["overall"] if scan else None,
                          "ml_test_score": scan["ml_test_score"] if scan else None,
                          "rubric_hash": scan["rubric_hash"] if scan else None})
        projects.append({
            "project": proj["id"], "team": proj["team_id"], "team_name": proj["team_name"], "owner": proj["owner"],
            "scan": {k: current[k] for k in ("id", "as_of", "commit_sha", "rubric_hash")},
            **{k: current[k] for k in ("ml_test_score", "band", "overall", "grade", "effort_hours")},
            "previous_scan": previous["id"] if previous else None,
            "change": change, "change_note": note, "trend": trend,
        })
    categories = scores_by_scope(db, [p["scan"]["id"] for p in projects], "category")
    for row in projects:
        row["categories"] = categories[row["scan"]["id"]]
    rubrics = [rubric_data(db, h) for h in dict.fromkeys(p["scan"]["rubric_hash"] for p in reversed(projects))]
    return {
        "quarter": quarter, "previous_quarter": previous_quarter(quarter) if quarter else None,
        "quarters": quarters, "team": team,
        "categories": [{"id": c["id"], "title": c["title"]}
                       for c in ordered_union(r.get("categories", []) for r in rubrics)],
        "rubrics": [{"name": r.get("rubric"), "version": r.get("version")} for r in rubrics],
        "teams": _team_summaries(db, projects, team),
        "projects": projects,
    }


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 2)


def _team_summaries(db: sqlite_utils.Database, projects: list[dict[str, Any]], team: str | None) -> list[dict[str, Any]]:
    teams = [team_row(db, team)] if team else list(rows(db, "select * from teams order by name, id"))
    out = []
    for t in teams:
        mine = [p for p in projects if p["team"] == t["id"]]
        overall = [p["overall"] for p in mine if p["overall"] is not None]
        ml = [p["ml_test_score"] for p in mine if p["ml_test_score"] is not None]
        changes = [p["change"]["overall"] for p in mine if p["change"] and p["change"]["overall"] is not None]
        out.append({"id": t["id"], "name": t["name"], "owner": t["owner"], "projects": len(mine),
                    "mean_overall": round(sum(overall) / len(overall), 1) if overall else None,
                    "lowest_ml_test_score": min(ml) if ml else None,
                    "effort_hours": round(sum(p["effort_hours"] or 0 for p in mine), 1),
                    "mean_change": round(sum(changes) / len(changes), 1) if changes else None})
    return out


def check_index(db: sqlite_utils.Database, rubric_hash: str) -> dict[str, dict[str, Any]]:
    """The checks of a stored rubric by id."""
    return {c["id"]: c for c in rubric_data(db, rubric_hash).get("checks", [])}


def ml_test_order(check: dict[str, Any]) -> tuple[int, str]:
    """ML Test Score tests in the paper's order (``Infra 2`` before ``Infra 10``), other checks after."""
    test = check.get("ml_test") or ""
    return (int(test.split()[-1]) if test else 10_000, check["id"])


def check_groups(rubric: dict[str, Any]) -> list[dict[str, Any]]:
    """The rubric's checks grouped for a table: by ML Test Score section, then the rest by debt category."""
    groups = []
    for section in rubric.get("sections", []):
        mine = sorted((c for c in rubric.get("checks", []) if c.get("section") == section["id"]), key=ml_test_order)
        if mine:
            groups.append({"kind": "section", "id": section["id"], "title": section["title"], "checks": mine})
    for category in rubric.get("categories", []):
        mine = [c for c in rubric.get("checks", []) if not c.get("section") and c.get("category") == category["id"]]
        if mine:
            groups.append({"kind": "category", "id": category["id"], "title": category["title"], "checks": mine})
    return groups


def results_for(db: sqlite_utils.Database, scan_ids: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{scan id: {check id: result row}}`` for many scans in one query."""
    found: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in scan_ids}
    for row in rows(db, "select scan_id, check_id, status, points, weight, detail from results "
                        "where scan_id in (select value from json_each(?))", [json.dumps(scan_ids)]):
        found[row["scan_id"]][row["check_id"]] = row
    return found


def latest_scans(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Each scanned project's latest scan with its headline figures."""
    found = {}
    for row in rows(db, f"""{HEADLINE_SQL} where s.id in (select (select s2.id from scans s2 where s2.project_id = p.id
                                order by s2.as_of desc, s2.collected_at desc limit 1) from projects p)"""):
        row["day"] = row["as_of"][:10]
        found[row["project_id"]] = row
    return found


BACKLOG_SORTS = ("priority", "effort", "team", "category", "project", "opened")


def open_items(db: sqlite_utils.Database, team: str | None = None) -> list[dict[str, Any]]:
    """Open paydown items (of one team, if named), each with its check's title, category and section.

    The check's definition comes from the rubric of the project's latest scan.
    Most items are open, so the table is read straight through and joined to
    its few projects here rather than row by row in SQL.
    """
    projects = {r["id"]: r for r in rows(db, """
        select p.id, p.team_id, t.name as team_name, (select s.rubric_hash from scans s where s.project_id = p.id
               order by s.as_of desc, s.collected_at desc limit 1) as rubric_hash
        from projects p left join teams t on t.id = p.team_id""" + (" where p.team_id = ?" if team else ""),
        [team] if team else [])}
    indexes = {h: check_index(db, h) for h in {p["rubric_hash"] for p in projects.values() if p["rubric_hash"]}}
    items = []
    columns = "id, project_id, check_id, status, gap, weight, effort_hours, interest, churn, priority, opened_at"
    query = (f"select {columns} from paydown_items where project_id in (select id from projects where team_id = ?) "
             "and status = 'open'", [team]) if team else (f"select {columns} from paydown_items where +status = 'open'", [])
    for row in rows(db, *query):
        project = projects.get(row["project_id"])
        if project is None:
            continue
        check = indexes.get(project["rubric_hash"], {}).get(row["check_id"], {})
        row.update(team=project["team_id"], team_name=project["team_name"], title=check.get("title", row["check_id"]),
                   category=check.get("category"), section=check.get("section"), ml_test=check.get("ml_test"))
        items.append(row)
    return items


def select_items(items: list[dict[str, Any]], category: str | None = None, min_priority: float | None = None,
                 max_effort: float | None = None, sort: str = "priority", descending: bool = True) -> list[dict[str, Any]]:
    """The items that pass the filters, in the chosen order (ties by project and check)."""
    chosen = [i for i in items
              if (not category or i["category"] == category)
              and (min_priority is None or (i["priority"] or 0) >= min_priority)
              and (max_effort is None or (i["effort_hours"] or 0) <= max_effort)]
    keys = {"priority": lambda i: (i["priority"] or 0), "effort": lambda i: (i["effort_hours"] or 0),
            "team": lambda i: (i["team_name"] or i["team"] or ""), "category": lambda i: i["category"] or "",
            "project": lambda i: i["project_id"], "opened": lambda i: i["opened_at"] or ""}
    chosen.sort(key=lambda i: (i["project_id"], i["check_id"]))
    chosen.sort(key=keys[sort], reverse=descending)
    return chosen


def backlog(db: sqlite_utils.Database, team: str | None = None, category: str | None = None,
            min_priority: float | None = None, max_effort: float | None = None,
            sort: str = "priority", descending: bool = True) -> list[dict[str, Any]]:
    """Open paydown items across the portfolio, filtered and sorted."""
    return select_items(open_items(db, team), category, min_priority, max_effort, sort, descending)
