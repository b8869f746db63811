"""Plain CSV of the backlog: one row per item, for spreadsheets and scripts (no cell runs as a formula).

The one backlog CSV: ``mldebt export backlog --format csv`` and the web
scorecard's ``/backlog.csv`` both write it, from the same rows
(``backlog.BacklogItem``) through the same writer (``csvsafe.render``).
"""

from __future__ import annotations

from collections.abc import Iterable

from mldebt.exports.csvsafe import render as render_csv
from mldebt.readmodel.backlog import BacklogItem

COLUMNS = (
    "id",
    "project",
    "team",
    "team_name",
    "owner",
    "check_id",
    "title",
    "status",
    "priority",
    "effort_hours",
    "gap",
    "weight",
    "scans_unmet",
    "opened_at",
    "section",
    "ml_test",
    "category",
    "fix",
    "link",
)


def render(items: Iterable[BacklogItem]) -> str:
    rows = ([_value(getattr(item, c)) for c in COLUMNS] for item in items)
    return render_csv(COLUMNS, rows)


def _value(value: object) -> object:
    return f"{value:g}" if isinstance(value, float) else value
