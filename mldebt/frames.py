"""The store as pandas DataFrames, for notebooks and ad-hoc analysis.

Each function takes a store (a path, or a database from ``mldebt.store.db.open_db``)
and returns one tidy table, a row per observation, with real dtypes: dates as
UTC timestamps, scores as floats, the quarter of each scan as ``2026Q3``. Only
``import pandas`` needs this module; nothing else of mldebt imports it.

    >>> from mldebt import frames
    >>> scans = frames.scans("mldebt.db")
    >>> scans.groupby(["team", "quarter"])["overall"].mean().unstack()

Frames: :func:`scans` (one row per scan, with its headline scores),
:func:`results` (one row per check per scan), :func:`categories` (one row per
debt category per scan) and :func:`paydown` (one row per paydown item). Join
them on ``scan_id`` or ``project``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlite_utils

from mldebt.readmodel.effort import effort_in_force
from mldebt.readmodel.queries import HEADLINE_SQL, headlines
from mldebt.store.db import open_db

Store = str | Path | sqlite_utils.Database

# The read model's headline query, with each scan's team beside it (effort is added from the paydown items).
_SCANS = f"""
    select h.id as scan_id, h.project_id as project, p.team_id as team, h.as_of, h.collected_at,
           h.commit_sha as "commit", h.rubric_hash, h.fact_count as facts, h.error_count as errors,
           h.overall, h.grade, h.ml_test_score, h.band, h.level, h.tier, h.gap
    from ({HEADLINE_SQL}) h
    join projects p on p.id = h.project_id
    order by h.project_id, h.as_of"""

_RESULTS = """
    select r.scan_id, s.project_id as project, s.as_of, r.check_id, r.status, r.points, r.weight
    from results r join scans s on s.id = r.scan_id
    order by s.project_id, s.as_of, r.check_id"""

_CATEGORIES = """
    select c.scan_id, s.project_id as project, s.as_of, c.name as category, c.value as health
    from scores c join scans s on s.id = c.scan_id
    where c.scope = 'category'
    order by s.project_id, s.as_of, c.name"""

_PAYDOWN = """
    select i.id as item, i.project_id as project, p.team_id as team, i.check_id, i.status, i.gap, i.weight,
           i.effort_hours, i.interest, i.churn, i.priority, i.opened_at, i.closed_at
    from paydown_items i join projects p on p.id = i.project_id
    order by i.priority desc, i.id"""


@contextmanager
def _opened(store: Store) -> Iterator[sqlite_utils.Database]:
    if isinstance(store, sqlite_utils.Database):
        yield store
        return
    db = open_db(store)
    try:
        yield db
    finally:
        db.close()


def _frame(store: Store, sql: str, dates: tuple[str, ...]) -> pd.DataFrame:
    with _opened(store) as db:
        cursor = db.execute(sql)
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=[d[0] for d in cursor.description])
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def _with_quarter(frame: pd.DataFrame) -> pd.DataFrame:
    quarters = frame["as_of"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("Q").astype(str)
    frame.insert(frame.columns.get_loc("as_of") + 1, "quarter", quarters)
    return frame


def scans(store: Store) -> pd.DataFrame:
    """One row per scan: project, team, when, commit, its headline figures, tier and gap, and the open effort
    of its paydown items then (the same figure as every other surface)."""
    with _opened(store) as db:
        frame = _frame(db, _SCANS, ("as_of", "collected_at"))
        owed = effort_in_force(db, headlines(db))
    frame["effort_hours"] = [owed[i].open_hours if i in owed else 0.0 for i in frame["scan_id"]]
    return _with_quarter(frame)


def results(store: Store) -> pd.DataFrame:
    """One row per check per scan: status (automated, manual, fail, unknown), points and weight."""
    return _with_quarter(_frame(store, _RESULTS, ("as_of",)))


def categories(store: Store) -> pd.DataFrame:
    """One row per debt category per scan: its health from 0 to 100 (higher is better)."""
    return _with_quarter(_frame(store, _CATEGORIES, ("as_of",)))


def paydown(store: Store) -> pd.DataFrame:
    """One row per paydown item, open or closed, highest priority first."""
    return _frame(store, _PAYDOWN, ("opened_at", "closed_at"))
