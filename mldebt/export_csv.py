"""Plain CSV: one row per item, every field, for spreadsheets and scripts (no cell runs as a formula)."""
from __future__ import annotations

from typing import Sequence

from .backlog import BacklogItem
from .csvsafe import render as render_csv

COLUMNS = ("id", "project", "team", "team_name", "owner", "check_id", "title", "status", "priority", "effort_hours", "gap",
           "scans_unmet", "opened_at", "section", "ml_test", "category", "fix", "link")


def render(items: Sequence[BacklogItem]) -> str:
    rows = ([_value(item.as_dict()[c]) for c in COLUMNS] for item in items)
    return render_csv(COLUMNS, rows)


def _value(value: object) -> object:
    return f"{value:g}" if isinstance(value, float) else value
