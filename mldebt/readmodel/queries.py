"""The read model: how every view reads the store. No collecting, no scoring.

Every view (web pages and JSON API, PDF report, ``mldebt show``, exports,
gate, badge) reads scans, results, scores and rubrics through this module
and its companions: ``standing`` (the portfolio at the end of a quarter),
``backlog`` (paydown items and open effort) and ``quarters`` (which scan
stands for a project at a moment). Here:

- ``Headline``: a scan with its headline figures, read by the one query that
  joins scans to their scores (``HEADLINE_SQL``);
- the rubric a scan was scored with, as stored JSON or parsed, each cached by
  its content hash (which never changes);
- projects, teams, scores and results, many scans at a time.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, TypedDict

import sqlite_utils

from mldebt.errors import NotFound
from mldebt.readmodel.quarters import BadValue, Timeline
from mldebt.rubric.schema import Rubric
from mldebt.scanning.scans import stored_rubric
from mldebt.store.db import rows
from mldebt.suggest import did_you_mean, hint

RUBRIC_CACHE = 32
Outcome = tuple[str, Any, Any]  # a check's result as the paydown rule reads it: (status, points, weight)


class Headline(TypedDict):
    """One scan and its headline figures (None where the scan was not scored)."""

    id: str
    project_id: str
    as_of: str
    collected_at: str | None
    commit_sha: str | None
    commit_date: str | None
    rubric_hash: str
    tool_version: str | None
    fact_count: int | None
    error_count: int | None
    ml_test_score: float | None
    band: str | None
    overall: float | None
    grade: str | None
    level: str | None  # the maturity level held (None: none)
    tier: str | None  # the tier the scan was scored for (None: scored before tiers existed)
    gap: str | None  # the gap to the tier's target in words ("on target", "1 level short of Bronze")
    gap_size: float | None  # levels short + ML Test Score points short: what the portfolio sorts by
    target_level: str | None
    target_ml_test_score: float | None


HEADLINE_SQL = """
    select s.id, s.project_id, s.as_of, s.collected_at, s.commit_sha, s.commit_date, s.rubric_hash,
           s.tool_version, s.fact_count, s.error_count,
           f.value as ml_test_score, f.label as band, g.value as overall, g.label as grade,
           lv.label as level, t.name as tier, t.label as gap, t.value as gap_size,
           tl.label as target_level, tm.value as target_ml_test_score
    from scans s
    left join scores f on f.scan_id = s.id and f.scope = 'mltest' and f.name = 'final'
    left join scores g on g.scan_id = s.id and g.scope = 'overall' and g.name = 'grade'
    left join scores lv on lv.scan_id = s.id and lv.scope = 'level' and lv.name = 'held'
    left join scores t on t.scan_id = s.id and t.scope = 'tier'
    left join scores tl on tl.scan_id = s.id and tl.scope = 'target' and tl.name = 'level'
    left join scores tm on tm.scan_id = s.id and tm.scope = 'target' and tm.name = 'ml_test_score'
"""

# The last scan of each project in each calendar quarter (UTC: SQLite's date functions read the offset),
# which is all a view "as of the end of a quarter" needs, however often a project is scanned.
_QUARTER_LAST = """
    select id from (
        select s.id, row_number() over (
            partition by s.project_id, strftime('%Y', s.as_of), (cast(strftime('%m', s.as_of) as integer) + 2) / 3
            order by julianday(s.as_of) desc, s.collected_at desc) as n
        from scans s {where})
    where n = 1
"""


def headlines(db: sqlite_utils.Database, where: str = "", params: Iterable[Any] = ()) -> list[Headline]:
    """Scans with their headline figures; ``where`` filters on ``s`` (scans) with ``params``."""
    cursor = db.execute(f"{HEADLINE_SQL} {where}", list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]  # type: ignore[misc]  # the columns are Headline's keys


def scan_history(db: sqlite_utils.Database, project: str) -> list[Headline]:
    """The project's scans, oldest first (the order of ``quarters.Timeline``)."""
    return Timeline(headlines(db, "where s.project_id = ?", [project])).scans


def timelines(
    db: sqlite_utils.Database, *, team: str | None = None, project: str | None = None, quarterly: bool = False
) -> dict[str, Timeline[Headline]]:
    """Each project's scans (one project's, or one team's, when named) as a timeline.

    ``quarterly`` keeps only each project's last scan of every quarter: enough for
    any view as of the end of a quarter, and bounded by projects x quarters.
    """
    where, params = "", []
    if project is not None:
        where, params = "where s.project_id = ?", [project]
    elif team is not None:
        where, params = "where s.project_id in (select id from projects where team_id = ?)", [team]
    if quarterly:
        where = f"where s.id in ({_QUARTER_LAST.format(where=where)})"
    found: dict[str, list[Headline]] = {}
    for scan in headlines(db, where, params):
        found.setdefault(scan["project_id"], []).append(scan)
    return {name: Timeline(scans) for name, scans in found.items()}


def latest_scans(db: sqlite_utils.Database) -> dict[str, Headline]:
    """Each scanned project's latest scan (the one its stored paydown items were derived at)."""
    return {
        s["project_id"]: s
        for s in headlines(
            db,
            """
        where s.id in (select (select s2.id from scans s2 where s2.project_id = p.id
                               order by s2.as_of desc, s2.collected_at desc limit 1) from projects p)""",
        )
    }


_RUBRICS: OrderedDict[tuple[str, str], Any] = OrderedDict()
_RUBRICS_LOCK = threading.Lock()


def _cached(kind: str, rubric_hash: str, load: Any) -> Any:
    """A stored rubric, kept by its content hash (it never changes) for the last few used."""
    key = (kind, rubric_hash)
    with _RUBRICS_LOCK:
        if key in _RUBRICS:
            _RUBRICS.move_to_end(key)
            return _RUBRICS[key]
    value = load()
    with _RUBRICS_LOCK:
        _RUBRICS[key] = value
        while len(_RUBRICS) > RUBRIC_CACHE:
            _RUBRICS.popitem(last=False)
    return value


def rubric_data(db: sqlite_utils.Database, rubric_hash: str) -> dict[str, Any]:
    """The resolved rubric as stored JSON (what the pages show and the API returns); ``{}`` when absent."""

    def load() -> dict[str, Any]:
        found = next(rows(db, "select content from rubrics where hash = ?", [rubric_hash]), None)
        return json.loads(found["content"]) if found else {}

    data: dict[str, Any] = _cached("data", rubric_hash, load)
    return data


def parsed_rubric(db: sqlite_utils.Database, rubric_hash: str) -> Rubric:
    """The rubric a scan was scored with, parsed; NotFound when the store lacks it."""
    found: Rubric = _cached("parsed", rubric_hash, lambda: stored_rubric(db, rubric_hash))
    return found


def efforts(db: sqlite_utils.Database, rubric_hash: str) -> dict[str, float]:
    """Each check's remediation effort in hours, by check id, in a stored rubric."""
    return {c["id"]: float(c.get("effort_hours") or 0.0) for c in rubric_data(db, rubric_hash).get("checks", [])}


def check_index(db: sqlite_utils.Database, rubric_hash: str) -> dict[str, dict[str, Any]]:
    """The checks of a stored rubric by id."""
    return {c["id"]: c for c in rubric_data(db, rubric_hash).get("checks", [])}


def ordered_union(lists: Iterable[Iterable[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Items (each with an ``id``) of several rubrics, first occurrence first."""
    seen: dict[str, dict[str, Any]] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item["id"], item)
    return list(seen.values())


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


def project_rows(db: sqlite_utils.Database, team: str | None = None) -> list[dict[str, Any]]:
    """Projects (of ``team``, if named) with their team's name and owner, by team then id."""
    where, params = ("where p.team_id = ?", [team]) if team else ("", [])
    return list(
        rows(
            db,
            "select p.*, t.name as team_name, t.owner as team_owner from projects p "
            f"left join teams t on t.id = p.team_id {where} order by p.team_id, p.id",
            params,
        )
    )


def team_rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every team, by name then id."""
    return list(rows(db, "select * from teams order by name, id"))


def team_row(db: sqlite_utils.Database, team: str) -> dict[str, Any]:
    """The team with id ``team``; NotFound, naming the teams there are, otherwise."""
    found = next(rows(db, "select * from teams where id = ?", [team]), None)
    if found is None:
        known = [r["id"] for r in rows(db, "select id from teams order by id")]
        raise NotFound(f"no team {team!r} in the database{hint(team, known, 'teams')}")
    return found


def find_team(db: sqlite_utils.Database, team: str) -> str:
    """A team named by its id or by its name, as its id; BadValue, with the closest or all teams, otherwise."""
    known = list(rows(db, "select id, name from teams order by id"))
    for row in known:
        if team in (row["id"], row["name"]):
            return str(row["id"])
    close = did_you_mean(team, [n for r in known for n in (r["id"], r["name"])])
    listed = ", ".join(r["id"] for r in known) or "none yet"
    raise BadValue("team", team, f"no such team ({close or 'teams: ' + listed})")


def scores_by_scope(db: sqlite_utils.Database, scan_ids: Iterable[str], scope: str) -> dict[str, dict[str, Any]]:
    """``{scan id: {name: value}}`` for one scope of scores over many scans."""
    ids = list(dict.fromkeys(scan_ids))
    found: dict[str, dict[str, Any]] = {s: {} for s in ids}
    for row in rows(
        db,
        "select scan_id, name, value from scores where scope = ? and scan_id in (select value from json_each(?))",
        [scope, json.dumps(ids)],
    ):
        found[row["scan_id"]][row["name"]] = row["value"]
    return found


def scores_of(db: sqlite_utils.Database, scan_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Every score of one scan: ``{scope: {name: {"value": ..., "label": ...}}}``."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows(db, "select scope, name, value, label from scores where scan_id = ?", [scan_id]):
        found.setdefault(row["scope"], {})[row["name"]] = {"value": row["value"], "label": row["label"]}
    return found


def reasons_for(db: sqlite_utils.Database, scan_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{scan id: {check id: reason}}``: each result's plain sentence, for many scans in one query."""
    return {
        scan: {check: str(row["reason"] or "") for check, row in results.items()}
        for scan, results in results_for(db, scan_ids).items()
    }


def sections_for(db: sqlite_utils.Database, scan_ids: Iterable[str]) -> dict[str, dict[str, tuple[Any, Any]]]:
    """``{scan id: {section: (points, most points)}}``; most points counts the section's applicable tests."""
    ids = list(dict.fromkeys(scan_ids))
    found: dict[str, dict[str, tuple[Any, Any]]] = {s: {} for s in ids}
    for row in rows(
        db,
        "select scan_id, name, value, max from scores where scope = 'section' "
        "and scan_id in (select value from json_each(?))",
        [json.dumps(ids)],
    ):
        found[row["scan_id"]][row["name"]] = (row["value"], row["max"])
    return found


def results_for(db: sqlite_utils.Database, scan_ids: Iterable[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{scan id: {check id: result row}}`` for many scans in one query (``evidence_keys`` left as JSON).

    A row's ``reason`` is the plain sentence every surface shows; ``detail`` (the condition) is for the check's page.
    """
    ids = list(dict.fromkeys(scan_ids))
    found: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in ids}
    for row in rows(
        db,
        "select scan_id, check_id, status, points, weight, detail, reason, evidence_keys from results "
        "where scan_id in (select value from json_each(?))",
        [json.dumps(ids)],
    ):
        found[row["scan_id"]][row["check_id"]] = row
    return found


def statuses_for(
    db: sqlite_utils.Database, scan_ids: Iterable[str], *, unmet: bool = False
) -> dict[str, dict[str, Outcome]]:
    """Each scan's check results as the paydown rule reads them: check -> (status, points, weight).

    ``unmet`` leaves out the checks that earned their automated point (they owe nothing).
    """
    ids = list(dict.fromkeys(scan_ids))
    found: dict[str, dict[str, Outcome]] = {i: {} for i in ids}
    for scan_id, check_id, status, points, weight in db.execute(
        "select scan_id, check_id, status, points, weight from results "
        "where scan_id in (select value from json_each(?))" + (" and status != 'automated'" if unmet else ""),
        [json.dumps(ids)],
    ):
        found[scan_id][check_id] = (status, points, weight)
    return found


def paydown_rows(db: sqlite_utils.Database, project: str, check_id: str | None = None) -> list[dict[str, Any]]:
    """A project's stored paydown items (of one check), whatever their state: open, waived, then the rest."""
    where, params = ("and check_id = ?", [project, check_id]) if check_id else ("", [project])
    return list(
        rows(
            db,
            f"select * from paydown_items where project_id = ? {where} order by "
            "case status when 'open' then 0 when 'waived' then 1 else 2 end, priority desc, check_id",
            params,
        )
    )


def attestation_rows(db: sqlite_utils.Database, project: str, question: str | None = None) -> list[dict[str, Any]]:
    """The answers recorded with `mldebt attest` or the web form for a project (to one question), newest first."""
    where, params = ("and question = ?", [project, question]) if question else ("", [project])
    return list(
        rows(db, f"select * from attestations where project_id = ? {where} order by attested_on desc, id desc", params)
    )


def evidence_rows(db: sqlite_utils.Database, scan_id: str) -> list[dict[str, Any]]:
    """Every fact of a scan as stored (value as JSON), in the order it was collected."""
    return list(rows(db, "select * from evidence where scan_id = ? order by id", [scan_id]))
