"""CSV for Jira's CSV importer (External System Import).

The header names are the ones the importer maps to Jira fields without
configuration: Summary (required), Issue Type, Priority, Description,
Assignee, Labels (one column per label: the importer joins repeated
columns of the same name), Original Estimate (in seconds), and the stable
item id under "External ID", to map to a text custom field so a later
import can find and update the issue it made before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mldebt.exports.csvsafe import render as render_csv
from mldebt.exports.ticket import description, summary_line

if TYPE_CHECKING:  # the read model loads only when items are made
    from mldebt.readmodel.backlog import BacklogItem

HEADER = (
    "Summary",
    "Issue Type",
    "Priority",
    "Description",
    "Assignee",
    "External ID",
    "Original Estimate",
    "Labels",
    "Labels",
    "Labels",
    "Labels",
)
PRIORITIES = ((2.0, "Highest"), (1.0, "High"), (0.4, "Medium"), (0.1, "Low"), (0.0, "Lowest"))


def jira_priority(priority: float) -> str:
    """Jira's default priority names, from the paydown priority (weighted shortest job first, in
    ``rubric.paydown.PRIORITY_UNIT``); the Description says how that priority was worked out."""
    return next(name for bound, name in PRIORITIES if priority >= bound)


def label(text: str) -> str:
    """Jira labels may not contain spaces."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "none"


def render(items: Sequence[BacklogItem]) -> str:
    rows = []
    for item in items:
        labels = ["mldebt", label(f"team-{item.team}"), label(f"project-{item.project}"), label(item.check_id)]
        rows.append(
            [
                summary_line(item),
                "Task",
                jira_priority(item.priority),
                description(item),
                item.owner,
                item.id,
                str(round(item.effort_hours * 3600)),
                *labels,
            ]
        )
    return render_csv(HEADER, rows)
