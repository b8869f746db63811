"""Plain sentences about evidence: the words a result's reason is made of.

A rubric sentence may name facts in braces, ``{dvc.pipelines}``; each is
replaced by the fact's value in words (a list reads "a, b and c", a truth
value "yes" or "no", a missing fact "nothing recorded"). Nothing else in a
sentence is interpreted: no expressions, attributes or calls, so a rubric
sentence can never run anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\}")
SHOWN = 4  # items of a list named before "and N more"
# parentheses in a key's description that speak of storage, not of the project
NOTES = re.compile(r"\s*\((?:error facts?|where|null|absent|0:|none:|None:)[^)]*\)")


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


class Evidence:
    """What a reason may say about the facts of one scan: values, their meaning and where each was seen.

    ``describe`` gives each key's meaning in words (the collectors' declared keys);
    ``where`` the places (``path:line``) each key's evidence points at.
    """

    def __init__(
        self,
        facts: Mapping[str, Any],
        describe: Mapping[str, str] | None = None,
        where: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.facts = facts
        self.describe = describe or {}
        self.where = where or {}

    def meaning(self, key: str) -> str:
        """A key's meaning as a reader needs it: the collector's description without its notes for developers."""
        text = self.describe.get(key) or key.rsplit(".", 1)[-1].replace("_", " ")
        text = NOTES.sub(" ", text)
        text = text.split("; ", 1)[0]  # what follows a semicolon qualifies the value, for developers
        head, colon, rest = text.partition(": ")
        if colon and rest.count(",") >= 2:  # "model tests by kind: training, evaluation, ...": the values it takes
            text = head
        return re.sub(r"\s+", " ", text).strip().rstrip(",:")

    def value(self, key: str) -> Any:
        """A fact, or a field inside a fact (``code.plain_old_data.record_types``)."""
        if key in self.facts:
            return self.facts[key]
        head, _, field = key.rpartition(".")
        parent = self.facts.get(head) if head else None
        return parent.get(field) if isinstance(parent, Mapping) else None

    def phrase(self, key: str) -> str:
        """``meaning: value (at a.py:3, b.py:9)``; a missing fact reads "nothing recorded"."""
        places = list(dict.fromkeys(self.where.get(key, ())))
        at = f" (at {listing(places)})" if places else ""
        said = self.facts.get(f"{key}.reason")  # a collector's own sentence about this fact
        why = f", {said.rstrip('.')}" if isinstance(said, str) and said else ""
        return f"{self.meaning(key)}: {words(self.value(key))}{why}{at}"

    def missing(self, keys: Iterable[str]) -> list[str]:
        return [k for k in keys if self.value(k) is None]


def sentence(opening: str, evidence: Evidence, keys: Iterable[str]) -> str:
    """``opening`` followed by every key in words, one clause each."""
    clauses = [evidence.phrase(k) for k in dict.fromkeys(keys)]
    return f"{opening} {'; '.join(clauses)}." if clauses else f"{opening}."
