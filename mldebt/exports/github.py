"""GitHub issues: a JSON array of request bodies for ``POST /repos/{owner}/{repo}/issues``.

Each object has the REST API's ``title``, ``body`` and ``labels``; feed one
at a time to ``gh api repos/OWNER/REPO/issues --input -``. The stable id
leads the title and sits in a hidden marker in the body, so a sync script can
find an issue made earlier (``gh issue list --search "MLD-... in:title"``)
and update it with ``PATCH`` instead of opening a duplicate. Names from the
portfolio in the body are inert Markdown (``markdown_inline``): they can
mention nobody and inject no link, image or HTML.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mldebt.exports.ticket import description, markdown_inline, summary_line

if TYPE_CHECKING:  # the read model loads only when items are made
    from mldebt.readmodel.backlog import BacklogItem


def issue(item: BacklogItem) -> dict[str, object]:
    body = description(item, markdown_inline) + f"\n\n<!-- mldebt-item: {item.id} -->\n"
    labels = ["mldebt", f"team:{item.team}", f"check:{item.check_id}"]
    return {"title": summary_line(item), "body": body, "labels": labels}


def render(items: Sequence[BacklogItem]) -> str:
    return json.dumps([issue(i) for i in items], indent=2, ensure_ascii=False) + "\n"
