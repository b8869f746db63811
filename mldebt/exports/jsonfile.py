"""JSON: every field of every item, for scripts and warehouses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the read model loads only when items are made
    from mldebt.readmodel.backlog import BacklogItem


def render(items: Sequence[BacklogItem]) -> str:
    return json.dumps([i.as_dict() for i in items], indent=2, ensure_ascii=False, sort_keys=True) + "\n"
