"""The ticket text the Jira and GitHub formats share: a searchable title and a self-contained body."""
from __future__ import annotations

from .backlog import BacklogItem


def summary_line(item: BacklogItem) -> str:
    """The one-line title every ticket format shares: stable id first, so it can be searched for."""
    return f"[{item.id}] {item.project}: {item.title}"


def description(item: BacklogItem) -> str:
    """The ticket body shared by the Jira and GitHub formats, in plain Markdown-friendly text."""
    where = ", ".join(x for x in (item.ml_test and f"ML Test Score {item.ml_test}",
                                  item.category and f"debt family: {item.category}") if x)
    state = "only manual credit so far: automate it" if item.gap < 1 else "not met"
    return "\n".join([
        f"Check {item.check_id} in project {item.project} is {state}" + (f" ({where})." if where else "."),
        "",
        f"Why it matters: {item.why}",
        "",
        f"How to fix it: {item.fix}",
        "",
        f"Evidence on the scorecard: {item.link}",
        "",
        f"Team: {item.team_name or '-'} · owner: {item.owner or '-'} · estimated effort: {item.effort_hours:g} h · "
        f"priority {item.priority:g} · open since {item.opened_at[:10]} · unmet for {item.scans_unmet} scan(s)",
        "",
        f"mldebt item {item.id} (stable: a re-export updates this ticket rather than adding another).",
    ])
