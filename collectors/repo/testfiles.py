"""Test facts: how many tests, with what framework, and which exercise data or models.

A test exercises data validation when it refers to a validation library, or
to something from a project module that imports one (``validate_raw`` from
``credit.schema``, which imports ``pandera``). A test
exercises a model when it trains, evaluates or predicts, or says it checks
overfitting, sanity or a baseline.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code.scan import FoundTest
from mldebt.collectors.interface import Fact

TEST_FILE = re.compile(r"^(test_.*|.*_test)\.py$")

KEYS = {
    "repo.tests.files": "Python test files (test_*.py, *_test.py)",
    "repo.tests.functions": "test functions and methods in those files",
    "repo.tests.frameworks": "test frameworks the test files import (pytest, unittest, hypothesis, ...)",
    "repo.tests.data": "test functions that exercise data validation (schemas, expectations, pydantic records)",
    "repo.tests.data_libraries": "validation libraries the data tests reach",
    "repo.tests.model": "test functions that exercise a model (training, evaluation, prediction, ...)",
    "repo.tests.model_kinds": "model tests by kind: training, evaluation, prediction, overfit, sanity, baseline",
    "repo.tests.unparsed": "(error facts) test files that do not parse",
}
_KIND_WORDS = {
    "overfit": {"overfit", "overfitting", "memorize", "memorise"},
    "sanity": {"sanity", "smoke", "invariance", "directional", "reproducible", "reproducibility", "deterministic"},
    "baseline": {"baseline", "dummy", "chance"},
}


def is_test_file(name: str) -> bool:
    return bool(TEST_FILE.match(name))


def facts(summaries: dict[str, dict[str, Any]], tests: set[str]) -> Iterator[Fact]:
    functions: list[tuple[str, FoundTest]] = []
    frameworks: set[str] = set()
    for rel in sorted(tests):
        summary = summaries.get(rel, {})
        if "error" in summary:
            error = summary["error"]
            yield Fact.failure("repo.tests.unparsed", error["message"], path=rel, line=error["line"])
            continue
        frameworks |= {P.TEST_FRAMEWORKS[r] for r in summary.get("roots", ()) if r in P.TEST_FRAMEWORKS}
        functions.extend((rel, f) for f in summary.get("tests", ()))
    reach = _validation_reach(summaries)
    data_tests, model_tests = 0, 0
    libs: set[str] = set()
    kinds: Counter[str] = Counter()
    for _, func in functions:
        hit = {lib for ref in func["refs"] for lib in reach(ref)}
        if hit or {"schema", "validation", "validate", "expectation", "expectations"} & set(func["words"]):
            data_tests += 1
            libs |= hit
        found = _model_kinds(func)
        if found:
            model_tests += 1
            kinds.update(found)
    yield Fact("repo.tests.files", len(tests))
    yield Fact("repo.tests.functions", len(functions))
    yield Fact("repo.tests.frameworks", sorted(frameworks))
    yield Fact("repo.tests.data", data_tests)
    yield Fact("repo.tests.data_libraries", sorted(libs))
    yield Fact("repo.tests.model", model_tests)
    yield Fact("repo.tests.model_kinds", dict(sorted(kinds.items())))


def _model_kinds(func: FoundTest) -> set[str]:
    calls = {c.lower() for c in func["calls"]} - {"train_test_split"}
    words = set(func["words"])
    kinds = set()
    if calls & P.TRAIN_CALLS or any(c.startswith(("train", "fit")) for c in calls):
        kinds.add("training")
    if calls & P.EVAL_CALLS or any(c.startswith("evaluat") or c.endswith("_score") for c in calls):
        kinds.add("evaluation")
    if calls & P.PREDICT_CALLS or any(c.startswith("predict") for c in calls):
        kinds.add("prediction")
    touches_model = bool(kinds) or "model" in words
    for kind, hints in _KIND_WORDS.items():
        if (words & hints or (kind == "baseline" and any(c.startswith("dummy") for c in calls))) and (
            touches_model or kind != "sanity"
        ):
            kinds.add(kind)
    return kinds


def _validation_reach(summaries: dict[str, dict[str, Any]]) -> Callable[[str], set[str]]:
    """A function: imported dotted name -> validation libraries it leads to."""
    modules: dict[str, str] = {}
    for rel in summaries:
        if rel.endswith(".py"):
            parts = rel[:-3].split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            for start in range(len(parts)):
                modules.setdefault(".".join(parts[start:]), rel)
    memo: dict[str, set[str]] = {}
    by_ref: dict[str, set[str]] = {}  # test code names the same few modules again and again

    def reach(ref: str) -> set[str]:
        if ref in by_ref:
            return by_ref[ref]
        root = ref.split(".", 1)[0]
        if root in P.VALIDATION_LIBRARIES:
            return {P.VALIDATION_LIBRARIES[root]}
        target = _module_file(ref, modules)
        if target not in memo:
            roots = summaries.get(target, {}).get("roots", ()) if target else ()
            memo[target or ""] = {P.VALIDATION_LIBRARIES[r] for r in roots if r in P.VALIDATION_LIBRARIES}
        by_ref[ref] = memo[target or ""]
        return by_ref[ref]

    return reach


def _module_file(name: str, modules: dict[str, str]) -> str | None:
    """The project file a dotted name refers to (``credit.schema.validate_raw`` -> src/credit/schema.py)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        found = modules.get(".".join(parts[:end]))
        if found:
            return found
    return None
