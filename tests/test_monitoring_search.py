"""The monitoring collector's search of the tree: code files that name no monitoring library are not read.

Real git repositories, layouts and caches. The facts must be those of reading
every file; what is watched is which files the collector reads, and that git
(asked through the stand-in git directory) runs no program the scanned
repository names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.monitoring import collector as monitoring
from mldebt.collectors.monitoring import search
from mldebt.collectors.monitoring.collector import MonitoringCollector
from mldebt.collectors.monitoring.pycode import NAMES
from mldebt.sources import gitrun
from mldebt.sources.gitsource import checkout
from mldebt.sources.portfolio import single_repository

from .test_hostile_git import plant

DATE = "2026-01-01T10:00:00+00:00"
NOTEBOOK = '{"cells": [{"cell_type": "code", "source": ["import whylogs\\n"]}], "metadata": {}, "nbformat": 4}\n'
NAMING: dict[str, str | bytes] = {
    "serve.py": "import prometheus_client\nREQUESTS = prometheus_client.Counter('requests_total', 'r')\n",
    "check.py": "import pandera as pa\n",
    "notes.py": "# pandera is named here, imported nowhere\n",
    "almost.py": "x = 'sodastream'  # a name inside a longer word\n",
    "job.py": "from google.cloud import aiplatform\naiplatform.ModelDeploymentMonitoringJob.create()\n",
    "tests/test_drift.py": "import evidently\n",
    "LEGACY.PY": "import nannyml\n",
    "latin.py": b"# caf\xe9\nimport deepchecks\n",
    "explore.ipynb": NOTEBOOK,
    "node_modules/pkg/vendored.py": "import frouros\n",
}
PLAIN = {f"pkg/module_{n:03}.py": f"def f{n}(x):\n    return x + {n}\n" for n in range(80)}
# committed after the files they would hide from a search that honoured them
HIDING = {".gitignore": "*.py\n*.ipynb\n", ".gitattributes": "*.py binary -text\n*.ipynb -diff\n"}
LATER = "2026-01-02T10:00:00+00:00"


def collect(repo: Path, searching: bool = True) -> tuple[list[tuple], list[str]]:
    """The monitoring facts of the repository's HEAD (cache emptied first), and the files the collector read."""
    read: list[str] = []
    real = monitoring.read_text

    def reading(root: Path, rel: str, *args):  # the real read, recorded
        read.append(rel)
        return real(root, rel, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(monitoring, "read_text", reading)
        if not searching:
            patch.setattr(search, "silent", lambda snapshot, code, unknown: set())
        with checkout(single_repository(repo).projects[0]) as tree:
            snapshot = Snapshot(project="p", root=tree.root, commit=tree.commit, git_dir=tree.git_dir, tree=tree.tree)
            facts = [(f.key, repr(f.value), f.path, f.line, f.error) for f in MonitoringCollector().collect(snapshot)]
    return facts, sorted(read)


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """A cache folder of its own for each collect, so that no file is known from an earlier one."""
    count = iter(range(100))
    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))

    def fresh() -> None:
        monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / f"cache-{next(count)}"))

    return fresh


def test_the_facts_are_those_of_reading_every_file_and_only_files_naming_a_library_are_read(make_repo, fresh_cache):
    repo = make_repo("r", [(DATE, {**PLAIN, **NAMING}), (LATER, HIDING)])
    fresh_cache()
    searched, read = collect(repo)
    fresh_cache()
    every, read_all = collect(repo, searching=False)
    assert searched == every
    assert len(read_all) == len(PLAIN) + len(NAMING) - 1  # all but the vendored file, which is never walked
    assert read == sorted(rel for rel in NAMING if not rel.startswith("node_modules/"))
    found = {key: eval(value) for key, value, *_ in searched if key.startswith("monitoring.libraries")}
    assert found["monitoring.libraries"] == {
        "nannyml": ["LEGACY.PY"],
        "deepchecks": ["latin.py"],
        "pandera": ["check.py"],
    }
    assert found["monitoring.libraries.set_aside"] == {
        "evidently": {"tests/test_drift.py": "tests"},
        "whylogs": {"explore.ipynb": "notebook"},
    }
    assert ("monitoring.exported_metrics.count", "1", None, None, None) in searched


def test_a_later_scan_knows_the_files_git_set_aside(make_repo, fresh_cache):
    repo = make_repo("r", [(DATE, {**PLAIN, **NAMING})])
    fresh_cache()
    first, _ = collect(repo)
    again, read = collect(repo)
    assert again == first
    assert read == []  # nothing with evidence but code: every file is known by its blob id


def test_git_is_not_asked_about_a_few_files(make_repo, fresh_cache, monkeypatch):
    repo = make_repo("r", [(DATE, {**dict(list(PLAIN.items())[:10]), **NAMING})])
    asked: list[list[str]] = []
    real = search.run
    monkeypatch.setattr(
        search, "run", lambda args, *rest, **named: asked.append(list(args)) or real(args, *rest, **named)
    )
    fresh_cache()
    _, read = collect(repo)
    assert asked == []
    assert len(read) == 10 + len(NAMING) - 1


def test_when_git_fails_every_file_is_read(make_repo, fresh_cache, monkeypatch):
    repo = make_repo("r", [(DATE, {**PLAIN, **NAMING})])
    fresh_cache()
    every, _ = collect(repo, searching=False)

    def failing(args, *rest, **named):
        raise gitrun.GitError("git grep timed out")

    monkeypatch.setattr(search, "run", failing)
    fresh_cache()
    facts, read = collect(repo)
    assert facts == every
    assert len(read) == len(PLAIN) + len(NAMING) - 1


def test_the_search_runs_no_program_the_repository_names(make_repo, fresh_cache, tmp_path):
    files = {**PLAIN, **NAMING, ".gitattributes": "* filter=evil diff=evil merge=evil\n*.py diff=evil\n"}
    repo = make_repo("hostile", [(DATE, files)])
    sentinel = plant(repo, tmp_path, fifo=False)
    fresh_cache()
    _, read = collect(repo)
    assert not sentinel.exists(), f"a program of the scanned repository ran: {sentinel.read_text()}"
    assert read == sorted(rel for rel in NAMING if not rel.startswith("node_modules/"))  # git answered


def test_the_names_are_ascii_words_so_they_are_in_the_bytes_exactly_when_in_the_text():
    assert all(name.isascii() and name.isidentifier() for name in NAMES)  # in the bytes exactly when in the text
