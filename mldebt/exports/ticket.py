"""The ticket text the Jira and GitHub formats share: a searchable title and a self-contained body.

Names in it (project, team, owner) come from the portfolio, which mldebt does
not control. Where the text is read as Markdown (GitHub issues, the Markdown
export), ``markdown_inline`` makes each name plain text: no link, image, HTML,
emphasis or table cell can start inside it, and ``@name`` mentions nobody.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from mldebt.rubric.paydown import PRIORITY_FORMULA

if TYPE_CHECKING:  # the read model loads only when items are made
    from mldebt.readmodel.backlog import BacklogItem

ZERO_WIDTH_JOINER = "\u200d"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}|~])")
_MENTION = re.compile(r"(?<![\w.+-])@(?=\w)")  # as GitHub finds mentions: not inside an e-mail address


def markdown_inline(text: str) -> str:
    """``text`` as inert inline Markdown (GitHub-flavoured): one line, metacharacters escaped, mentions broken.

    Line breaks become spaces (a name cannot start a heading, list or table
    row); ``&``, ``<`` and ``>`` become entities (no HTML, no autolink);
    backslash, backtick, ``*``, ``_``, brackets, braces, ``|`` and ``~`` get a
    backslash (no emphasis, code, link, image, table cell or strikethrough);
    an ``@`` that would mention a user or team gets a zero-width joiner after
    it, which shows nothing but keeps GitHub from notifying anyone.
    """
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _MENTION.sub("@" + ZERO_WIDTH_JOINER, text)


def summary_line(item: BacklogItem) -> str:
    """The one-line title every ticket format shares: stable id first, so it can be searched for."""
    return f"[{item.id}] {item.project}: {item.title}"


def code_place(item: BacklogItem, name: Callable[[str], str] = str) -> str:
    """Where the item's evidence is in the code, at which commit, and its link; or why it is not known.

    The file's path comes from the scanned repository: ``name`` makes it inert where the text is Markdown."""
    if not item.location:
        return item.location_note or "no file evidence"
    at = f" at commit {item.commit[:12]}" if item.commit else ""
    return f"{name(item.location)}{at}" + (f": {item.code_link}" if item.code_link else f" ({item.location_note})")


def description(item: BacklogItem, name: Callable[[str], str] = str) -> str:
    """The ticket body shared by the Jira and GitHub formats, in plain Markdown-friendly text.

    ``name`` is applied to every text from the portfolio (project, team, owner):
    ``markdown_inline`` where the body is read as Markdown.
    """
    where = ", ".join(
        x
        for x in (item.ml_test and f"ML Test Score {item.ml_test}", item.category and f"debt family: {item.category}")
        if x
    )
    state = "only manual credit so far: automate it" if item.gap < 1 else "not met"
    also = [c for c in item.clears if c != item.check_id]
    which = "which is" if len(also) == 1 else "which are"
    together = [f"The same fix clears {', '.join(also)}, {which} not met either: one item, one effort."]
    return "\n".join(
        [
            f"Check {item.check_id} in project {name(item.project)} is {state}" + (f" ({where})." if where else "."),
            *(together if also else []),
            "",
            f"Why it matters: {item.why}",
            "",
            f"How to fix it: {item.fix}",
            "",
            f"Evidence on the scorecard: {item.link}",
            f"In the code: {code_place(item, name)}",
            "",
            f"Team: {name(item.team_name or '-')} · owner: {name(item.owner or '-')} · "
            f"open since {item.opened_at[:10]} · unmet for {item.scans_unmet} scan(s)",
            "",
            f"Estimated effort: {item.effort_basis or f'{item.effort_hours:g} h'}.",
            f"Priority: {item.priority_basis or f'{item.priority:g}'}, from {PRIORITY_FORMULA}.",
            "",
            f"mldebt item {item.id} (stable: a re-export updates this ticket rather than adding another).",
        ]
    )
