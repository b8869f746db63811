"""Plain CSV: one row per item, every field, for spreadsheets and scripts (no cell runs as a formula)."""
from __future__ import annotations

import csv
import io
from typing import Sequence

from .backlog import BacklogItem

COLUMNS = ("id", "project", "team", "team_name", "owner", "check_id", "title", "status", "priority", "effort_hours", "gap",
           "scans_unmet", "opened_at", "section", "ml_test", "category", "fix", "link")


def render(items: Sequence[BacklogItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for item in items:
        data = item.as_dict()
        writer.writerow([_cell(data[c]) for c in COLUMNS])
    return out.getvalue()


def _cell(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else safe(str(value))


def safe(text: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
