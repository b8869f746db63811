"""Plain sentences about evidence: the words a result's reason is made of.

A rubric sentence may name facts in braces, ``{dvc.pipelines}``; each is
replaced by the fact's value in words (a list reads "a, b and c", a truth
value "yes" or "no", a missing fact "nothing recorded"). Nothing else in a
sentence is interpreted: no expressions, attributes or calls, so a rubric
sentence can never run anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\}")
SHOWN = 4  # items of a list named before "and N more"


def placeholders(template: str) -> list[str]:
    """The fact keys a sentence names."""
    return PLACEHOLDER.findall(template)


def render(template: str, facts: Mapping[str, Any]) -> str:
    """``template`` with every ``{key}`` replaced by that fact in words."""
    return PLACEHOLDER.sub(lambda m: words(facts.get(m.group(1))), template).strip()


def words(value: Any) -> str:
    """One fact's value as a reader would say it."""
    if value is None:
        return "nothing recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, Mapping):
        return listing([str(k) for k in value]) if value else "none"
    if isinstance(value, (list, tuple, set)):
        return listing([words(v) if not isinstance(v, str) else v for v in value]) if value else "none"
    return str(value)


def listing(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``, ``a, b, c, d and 3 more``."""
    if len(items) > SHOWN + 1:
        return ", ".join(items[:SHOWN]) + f" and {len(items) - SHOWN} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
