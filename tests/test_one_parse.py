"""One parse per Python file: every analysis of a scan (our visitor, tests, dead code, smells and the history's
complexity of its hotspots) reads the same syntax tree, and a second scan of the same files parses none."""

from __future__ import annotations

import ast
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from radon.visitors import ComplexityVisitor

from mldebt.scanning.scans import collect_evidence
from mldebt.sources.portfolio import single_repository

from .builders import SMALL_PROJECT

FILES = {
    **SMALL_PROJECT,
    "model.py": "def fit(x):\n    if x:\n        return 1\n    for i in x:\n        x += i\n    return x\n",
}


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each source text was parsed in this process (the scan of a small project stays in it)."""
    counted: Counter[str] = Counter()
    real = ast.parse

    def counting(source: Any, *args: Any, **kwargs: Any) -> Any:
        counted[source if isinstance(source, str) else source.decode()] += 1
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    return counted


def test_each_python_file_is_parsed_once_and_its_hotspot_measured_on_that_parse(
    make_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: Counter[str]
) -> None:
    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))
    changed = {"model.py": FILES["model.py"] + "\n\ndef again(y):\n    return y or 0\n"}
    repo = make_repo("small", [("2026-05-01T10:00:00+00:00", FILES), ("2026-06-01T10:00:00+00:00", changed)])
    (project,) = single_repository(repo, "small").projects
    moment = datetime(2026, 7, 1, tzinfo=UTC)

    facts = collect_evidence(project, moment).facts
    hotspots = next(f.value for f in facts if f.key == "git.hotspots")
    assert {spot["path"] for spot in hotspots} == {"model.py", "train.py", "tests/test_train.py"}
    python = {rel: (repo / rel).read_text() for rel in ("model.py", "train.py", "tests/test_train.py")}
    assert {rel: parses[text] for rel, text in python.items()} == {rel: 1 for rel in python}
    radon = {rel: ComplexityVisitor.from_code(text).total_complexity for rel, text in python.items()}
    assert {s["path"]: s["complexity"] for s in hotspots} == radon  # radon's own count, on its own parse

    parses.clear()
    again = collect_evidence(project, moment).facts  # the same tree: its facts and measures come from the cache
    assert next(f for f in again if f.key == "git.hotspots").value == hotspots
    assert not [text for text in python.values() if parses[text]]
