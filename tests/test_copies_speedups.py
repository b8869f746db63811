"""Copied code over a project (shapes.functions, shapes.variant_files) is what the plain definitions find, on the
summaries of real files (the checkout's own, several times over, as copies of one another) and on drawn ones.

shapes.functions keys each body without one statement by the statements before and after it, and finds the
shorter body that pair makes by looking it up; variant_files counts only the shapes found in two files or more,
each file's shapes taken once by a dictionary built in one go."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from mldebt.collectors.code import shapes
from mldebt.collectors.code.scan import summarise

from .builders import python_sources
from .test_shapes_variants import _defined as defined_functions


def defined_files(summaries: dict[str, dict[str, Any]]) -> list[tuple[str, str, float]]:
    """variant_files as defined: every statement's lines (a shape's first statement in each file), every pair of
    files a shape is found in (if it is in COMMON_STATEMENT files or fewer), each copy's best original."""
    mass: dict[str, int] = {}
    holders: dict[int, dict[str, int]] = defaultdict(dict)
    for rel, summary in summaries.items():
        found = summary.get("shapes", {})
        rows = list(found.get("statements", ()))
        for _, _, body in found.get("functions", ()):
            rows.extend(body)
        mass[rel] = sum(size for _, size in rows)
        for shape, size in rows:
            if rel not in holders[shape]:
                holders[shape][rel] = size
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for files in holders.values():
        if 2 <= len(files) <= shapes.COMMON_STATEMENT:
            for a in files:
                for b in files:
                    if a < b:
                        shared[(a, b)] += min(files[a], files[b])
    found_for: dict[str, tuple[str, float]] = {}
    for (original, copy), common in sorted(shared.items()):
        share = common / mass[copy] if mass[copy] else 0.0
        better = copy not in found_for or share > found_for[copy][1]
        if common >= shapes.MIN_FILE_SHARED and share >= shapes.FILE_SHARE and better:
            found_for[copy] = (original, round(share, 2))
    return [(copy, original, share) for copy, (original, share) in sorted(found_for.items())]


def _dropped(text: str) -> str:
    """``text`` without every fifth line that looks like a whole statement among others of its block: a line
    indented as the lines around it, none of which goes on to the next one."""
    lines = text.splitlines()

    def indent(line: str) -> int:
        return len(line) - len(line.lstrip())

    def whole(line: str) -> bool:
        return bool(line.strip()) and not line.rstrip().endswith((":", "(", "[", "{", ",", "\\", '"""'))

    kept, seen = [], 0
    for n, line in enumerate(lines):
        around = lines[n - 1 : n + 2] if n else []
        if len(around) == 3 and all(map(whole, around)) and len(set(map(indent, around))) == 1:
            seen += 1
            if seen % 5 == 0:
                continue
        kept.append(line)
    return "\n".join(kept)


def _real() -> dict[str, dict[str, Any]]:
    """The checkout's own files as a scan's summaries hold them, each also copied into a second folder as it is
    and into a third with some of its statements dropped (when what is left still parses)."""
    summaries = {}
    for rel, text in python_sources("collectors", "mldebt", "sample_projects"):
        summaries[rel] = summarise(rel, text)
        summaries[f"copy/{rel}"] = summarise(f"copy/{rel}", text)
        summaries[f"edit/{rel}"] = summarise(f"edit/{rel}", _dropped(text))
    return {rel: s for rel, s in summaries.items() if "error" not in s}


REAL = _real()


def test_duplicate_and_variant_functions_of_real_files_are_the_definition_s() -> None:
    duplicates, variants = shapes.functions(REAL)
    assert (duplicates, variants) == defined_functions(REAL)
    assert len(duplicates) > 1000 and len(variants) > 100  # the copies hold both, and many


def test_variant_files_of_real_files_are_the_definition_s() -> None:
    found = shapes.variant_files(REAL)
    assert found == defined_files(REAL)
    assert len(found) > 200


def _drawn(seed: int) -> dict[str, dict[str, Any]]:
    """Files over few shapes: statements repeated in a file with other sizes, files made from an earlier one."""
    rng = random.Random(seed)
    few = rng.choice([3, 12, 40, 200])
    made: list[list[list[int]]] = []
    summaries: dict[str, dict[str, Any]] = {}
    for _ in range(rng.randint(1, 14)):
        if made and rng.random() < 0.5:
            rows = [list(row) for row in rng.choice(made) if rng.random() < 0.9]
        else:
            rows = [[rng.randrange(few), rng.randint(1, 5)] for _ in range(rng.randint(0, 30))]
        made.append(rows)
        cut = rng.randint(0, len(rows))
        functions = [[1, "f", rows[cut:]]] if rng.random() < 0.5 else []
        kept = rows[:cut] if functions else rows
        summaries[f"m{rng.randrange(30):02d}.py"] = {"shapes": {"functions": functions, "statements": kept}}
    if rng.random() < 0.2:
        summaries["none.py"] = {}
    return summaries


def test_variant_files_of_drawn_files_are_the_definition_s() -> None:
    found = 0
    for seed in range(400):
        summaries = _drawn(seed)
        expected = defined_files(summaries)
        assert shapes.variant_files(summaries) == expected, seed
        found += len(expected)
    assert found > 300
