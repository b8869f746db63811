"""Duplicate and variant functions (shapes.functions) are what their plain definition finds.

The definition copies each body once per statement, without that statement,
and groups the copies; shapes.functions numbers prefixes and suffixes instead.
Bodies are drawn from few shapes and many are made from one another by one
change, addition or removal, so that groups, ties and chains are common.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from mldebt.collectors.code import shapes

Place = shapes.Place


def _defined(summaries: dict[str, dict[str, Any]]) -> tuple[list[tuple[Place, Place]], list[tuple[Place, Place]]]:
    """(duplicates, variants) as defined: every body without each of its statements, grouped by what is left."""
    bodies = []
    for rel, summary in sorted(summaries.items()):
        for line, name, body in summary["shapes"]["functions"]:
            if sum(lines for _, lines in body) >= shapes.MIN_FUNCTION_LINES:
                bodies.append(((rel, line, name), tuple(shape for shape, _ in body)))
    first_of: dict[tuple[int, ...], Place] = {}
    duplicates = []
    for place, body in bodies:
        original = first_of.setdefault(body, place)
        if original is not place:
            duplicates.append((place, original))
    changed: dict[tuple[int, ...], list[int]] = defaultdict(list)
    shorter: dict[tuple[int, ...], list[int]] = defaultdict(list)
    distinct = [(place, body) for place, body in bodies if first_of[body] == place]
    for n, (_, body) in enumerate(distinct):
        if not shapes.MIN_VARIANT_STATEMENTS - 1 <= len(body) <= shapes.MAX_VARIANT_STATEMENTS:
            continue
        for k in range(len(body)):
            if len(body) >= shapes.MIN_VARIANT_STATEMENTS:
                changed[(k, *body[:k], *body[k + 1 :])].append(n)
            shorter[body[:k] + body[k + 1 :]].append(n)
    related: dict[int, int] = {}
    for group in changed.values():
        for n in group[1:]:
            related.setdefault(n, group[0])
    for n, (_, body) in enumerate(distinct):
        for m in shorter.get(body, ()):
            if m != n and len(distinct[m][1]) >= shapes.MIN_VARIANT_STATEMENTS:
                related.setdefault(max(m, n), min(m, n))
    return duplicates, [(distinct[n][0], distinct[m][0]) for n, m in sorted(related.items())]


def _drawn(seed: int) -> dict[str, dict[str, Any]]:
    """A few files of functions over a few shapes (and a few far-off ones), many made from an earlier one."""
    rng = random.Random(seed)
    few = rng.choice([2, 3, 5, 50])

    def shape() -> int:
        return rng.randrange(few) if rng.random() < 0.95 else rng.choice([-1, 2**47, 2**63])

    made: list[list[list[int]]] = []
    summaries = {}
    for f in range(rng.randint(1, 6)):
        functions = []
        for j in range(rng.randint(0, 10)):
            size = rng.choice([1, 2, 3, 39, 40, 41, 45]) if rng.random() < 0.2 else rng.randint(1, 6)
            rows = [[shape(), rng.randint(1, 4)] for _ in range(size)]
            if made and rng.random() < 0.4:  # one statement changed, added or removed in an earlier body
                rows = [list(row) for row in rng.choice(made)]
                edit(rows, rng, shape)
            made.append(rows)
            functions.append([rng.randint(1, 99), f"f{j}", rows])
        summaries[f"m{f}.py"] = {"shapes": {"functions": functions, "statements": []}}
    return summaries


def test_duplicates_and_variants_are_what_the_definition_finds() -> None:
    found = 0
    for seed in range(400):
        summaries = _drawn(seed)
        expected = _defined(summaries)
        assert shapes.functions(summaries) == expected, seed
        found += len(expected[1])
    assert found > 1000  # the drawn bodies are near copies of one another often enough to test something


def test_a_body_one_statement_away_from_two_is_the_variant_of_the_first() -> None:
    rows = [[s, 2] for s in (1, 2, 3, 4)]
    summaries = {
        "a.py": {"shapes": {"functions": [[1, "f", rows], [9, "g", [[5, 2], *rows[1:]]]], "statements": []}},
        "b.py": {"shapes": {"functions": [[1, "h", [*rows, [6, 2]]], [5, "k", list(rows)]], "statements": []}},
    }
    duplicates, variants = shapes.functions(summaries)
    assert duplicates == [(("b.py", 5, "k"), ("a.py", 1, "f"))]
    assert variants == [(("a.py", 9, "g"), ("a.py", 1, "f")), (("b.py", 1, "h"), ("a.py", 1, "f"))]
    assert (duplicates, variants) == _defined(summaries)


def edit(rows: list[list[int]], rng: random.Random, shape: Callable[[], int]) -> None:
    """One statement of a body's ``rows`` changed, added or removed, where ``rng`` picks (a new one of ``shape``)."""
    kind, at = rng.choice(["change", "add", "remove"]), rng.randint(0, len(rows))
    if kind == "add" or not rows:
        rows.insert(at, [shape(), 2])
    elif kind == "change":
        rows[at % len(rows)][0] = shape()
    else:
        del rows[at % len(rows)]
