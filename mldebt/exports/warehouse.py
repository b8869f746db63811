"""The rows of the warehouse export, quarter by quarter and a batch of scans at a time.

The Parquet writer (``exports.parquet``) gives each dataset its schema and
files; here the rows are read from the store through the read model, so the
export says what every other surface says: the scans' headline figures
(``readmodel.queries.headlines``), their open effort (``readmodel.effort``)
and the paydown items (``readmodel.backlog``: ``open_backlog`` for the
projects' latest scans, exactly as ``mldebt export backlog`` lists them, and
``items_in_force`` for their last scan of an earlier quarter, as the report
of that quarter shows them). Memory is bounded by a batch of scans, not by
the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from mldebt.readmodel.backlog import BacklogItem, items_in_force, open_backlog
from mldebt.readmodel.effort import effort_in_force
from mldebt.readmodel.quarters import Quarter, moment_of
from mldebt.readmodel.queries import Headline, headlines, latest_scans, project_rows
from mldebt.scanning.scans import project_row
from mldebt.store.db import rows

DATASETS = ("scans", "results", "scores", "paydown_items")
BATCH_SCANS = 2000  # scans read, and written as one row group, at a time
Columns = dict[str, list[Any]]
Batch = dict[str, Columns]  # dataset -> column -> values

_RESULTS = """
    select r.scan_id, s.project_id as project, r.check_id, r.status, r.points, r.weight, r.reason
    from results r join scans s on s.id = r.scan_id
    where r.scan_id in (select value from json_each(?))
    order by s.project_id, s.as_of, r.scan_id, r.check_id"""

_SCORES = """
    select c.scan_id, s.project_id as project, c.scope, c.name, c.value, c.max, c.label
    from scores c join scans s on s.id = c.scan_id
    where c.scan_id in (select value from json_each(?))
    order by s.project_id, s.as_of, c.scan_id, c.scope, c.name"""


@dataclass(frozen=True)
class Planned:
    """A scan to export: enough to place it in its quarter and find each project's last scan there."""

    id: str
    project: str
    as_of: datetime
    collected_at: str


def plan(
    db: sqlite_utils.Database, *, since: Quarter | None = None, project: str | None = None
) -> dict[Quarter, list[Planned]]:
    """The scans to export by quarter (of ``as_of`` in UTC), oldest quarter first, each in time order.

    NotFound when ``project`` is named but not in the store."""
    where, params = ("where project_id = ?", [project]) if project else ("", [])
    if project is not None:
        project_row(db, project)
    found: dict[Quarter, list[Planned]] = {}
    for row in rows(db, f"select id, project_id, as_of, collected_at from scans {where}", params):
        moment = moment_of(row["as_of"])
        quarter = Quarter.of(moment)
        if since is None or quarter >= since:
            found.setdefault(quarter, []).append(
                Planned(row["id"], row["project_id"], moment, row["collected_at"] or "")
            )
    for scans in found.values():
        scans.sort(key=lambda s: (s.project, s.as_of, s.collected_at, s.id))
    return dict(sorted(found.items()))


def quarter_batches(
    db: sqlite_utils.Database, quarters: Mapping[Quarter, Sequence[Planned]], *, project: str | None = None
) -> Iterator[tuple[Quarter, Iterator[Batch]]]:
    """For each quarter, its rows of every dataset, a batch of scans at a time."""
    projects = {p["id"]: p for p in project_rows(db)}
    latest = {name: scan["id"] for name, scan in latest_scans(db).items()}
    backlog: dict[str, list[BacklogItem]] = {}
    for item in open_backlog(db, project=project):
        backlog.setdefault(item.project, []).append(item)
    for quarter, scans in quarters.items():
        last = {s.project: s.id for s in scans}  # each project's last scan of the quarter (scans are in time order)
        yield quarter, _batches(db, scans, set(last.values()), projects, latest, backlog)


def _batches(
    db: sqlite_utils.Database,
    scans: Sequence[Planned],
    last: set[str],
    projects: Mapping[str, Mapping[str, Any]],
    latest: Mapping[str, str],
    backlog: Mapping[str, list[BacklogItem]],
) -> Iterator[Batch]:
    for start in range(0, len(scans), BATCH_SCANS):
        ids = [s.id for s in scans[start : start + BATCH_SCANS]]
        heads = headlines(db, "where s.id in (select value from json_each(?))", [json.dumps(ids)])
        yield {
            "scans": _scan_columns(db, heads, projects),
            "results": _columns(db, _RESULTS, ids),
            "scores": _columns(db, _SCORES, ids),
            "paydown_items": _item_columns(db, [h for h in heads if h["id"] in last], latest, backlog),
        }


def _scan_columns(
    db: sqlite_utils.Database, heads: Sequence[Headline], projects: Mapping[str, Mapping[str, Any]]
) -> Columns:
    owed = effort_in_force(db, heads)
    ordered = sorted(heads, key=lambda h: (h["project_id"], moment_of(h["as_of"]), h["collected_at"] or "", h["id"]))
    table: Columns = {}
    for head in ordered:
        about = projects.get(head["project_id"], {})
        effort = owed[head["id"]]
        _append(
            table,
            scan_id=head["id"],
            project=head["project_id"],
            team=about.get("team_id"),
            tier=head["tier"] or about.get("tier"),
            as_of=_moment(head["as_of"]),
            collected_at=_moment(head["collected_at"]),
            commit=head["commit_sha"],
            commit_date=_moment(head["commit_date"]),
            tool_version=head["tool_version"],
            rubric_hash=head["rubric_hash"],
            facts=head["fact_count"],
            errors=head["error_count"],
            overall=head["overall"],
            grade=head["grade"],
            ml_test_score=head["ml_test_score"],
            band=head["band"],
            level=head["level"],
            target_level=head["target_level"],
            gap=head["gap"],
            effort_hours=effort.open_hours,
            open_items=effort.open_items,
        )
    return table


def _columns(db: sqlite_utils.Database, sql: str, ids: Sequence[str]) -> Columns:
    cursor = db.execute(sql, [json.dumps(list(ids))])
    names = [d[0] for d in cursor.description]
    values = list(zip(*cursor.fetchall(), strict=False)) or [() for _ in names]
    return {name: list(column) for name, column in zip(names, values, strict=True)}


def _item_columns(
    db: sqlite_utils.Database,
    heads: Sequence[Headline],
    latest: Mapping[str, str],
    backlog: Mapping[str, list[BacklogItem]],
) -> Columns:
    """The open items at each of ``heads``: today's backlog at a project's latest scan, else derived then."""
    current = {h["id"] for h in heads if latest.get(h["project_id"]) == h["id"]}
    earlier = items_in_force(db, [h for h in heads if h["id"] not in current])
    table: Columns = {}
    for head in sorted(heads, key=lambda h: (h["project_id"], h["id"])):
        now = head["id"] in current
        for item in backlog.get(head["project_id"], []) if now else earlier[head["id"]]:
            _append(
                table,
                scan_id=head["id"],
                as_of=_moment(head["as_of"]),
                current=now,
                item_id=item.id,
                project=item.project,
                team=item.team,
                owner=item.owner,
                check_id=item.check_id,
                title=item.title,
                status=item.status,
                section=item.section,
                ml_test=item.ml_test,
                category_id=item.category_id,
                effort_hours=item.effort_hours,
                priority=item.priority,
                gap=item.gap,
                weight=item.weight,
                scans_unmet=item.scans_unmet,
                opened_at=_moment(item.opened_at),
                clears=list(item.clears),
                location=item.location,
            )
    return table


def _append(table: Columns, **values: Any) -> None:
    for name, value in values.items():
        table.setdefault(name, []).append(value)


def _moment(text: str | None) -> datetime | None:
    return moment_of(text) if text else None
