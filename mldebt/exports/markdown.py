"""Markdown: a checklist by team, for a sprint planning page, a wiki or a pull request.

It opens with what priority means (``rubric.paydown.PRIORITY_HELP``); each item
gives its priority with the unit, and under it the basis of its effort (one
effort for a fix that clears several checks) and its priority worked out.

Every text in it goes through ``markdown_inline``: a team or owner named
``@org/everyone`` mentions nobody, and a name with ``](javascript:...)`` or
``<img>`` stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from mldebt.exports.ticket import markdown_inline as _escape
from mldebt.rubric.paydown import PRIORITY_HELP, PRIORITY_UNIT

if TYPE_CHECKING:  # the read model loads only when items are made
    from mldebt.readmodel.backlog import BacklogItem


def render(items: Sequence[BacklogItem]) -> str:
    total = sum(i.effort_hours for i in items)
    lines = [
        "# Paydown backlog",
        "",
        f"{len(items)} item{'s' if len(items) != 1 else ''}, {total:g} h of estimated effort, "
        "highest priority first within each team.",
        "",
        _escape(PRIORITY_HELP),
        "",
    ]
    for team, group in groupby(
        sorted(items, key=lambda i: (i.team_name, -i.priority, i.id)), key=lambda i: i.team_name
    ):
        chosen = list(group)
        lines += [f"## {_escape(team or 'No team')} ({sum(i.effort_hours for i in chosen):g} h)", ""]
        for item in chosen:
            manual = " (manual only: automate it)" if item.gap < 1 else ""
            lines.append(
                f"- [ ] **{item.id}** {_escape(item.project)}: {_escape(item.title)}{manual} — "
                f"{item.effort_hours:g} h, priority {item.priority:g} {PRIORITY_UNIT}, "
                f"owner {_escape(item.owner or '-')}, [evidence]({item.link})"
            )
            lines.append(f"  - Fix: {_escape(item.fix)}")
            lines.append(f"  - Code: {_code(item)}")
            lines.append(f"  - Effort: {_escape(item.effort_basis)}. Priority: {_escape(item.priority_basis)}.")
        lines.append("")
    if not items:
        lines.append("Nothing to pay down.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _code(item: BacklogItem) -> str:
    """The evidence's place as a link to the file at the scanned commit, or why there is none."""
    if not item.location:
        return _escape(item.location_note or "no file evidence")
    if item.code_link:
        return f"[{_escape(item.location)}](<{item.code_link}>) at {item.commit[:12]}"
    return f"{_escape(item.location)} ({_escape(item.location_note)})"
