"""Speed work must not change what is found: every fact of fixed inputs, against a recorded copy.

The inputs never change: the four sample projects (built with fixed commit
dates), each public repository of ../shared/realrepos (git bundles), and the
configuration corpus of ../shared/corpus committed as one repository. Each is
collected at a fixed moment with an empty cache, and its facts (key, value,
path, line, sorted) must equal tests/data/facts/<name>.json.

When a collector changes what it finds on purpose, refresh the copies with
``MLDEBT_UPDATE_GOLDENS=1 pytest tests/test_facts_unchanged.py`` and say in the
commit which facts moved and why (``git diff --stat tests/data/facts``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mldebt.scanning.scans import collect_evidence
from mldebt.sources.portfolio import load_portfolio, single_repository
from scripts.samples import build_samples

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("MLDEBT_CORPUS") or ROOT.parent / "shared" / "corpus")
REALREPOS = Path(os.environ.get("MLDEBT_REALREPOS") or ROOT.parent / "shared" / "realrepos")
GOLDEN = ROOT / "tests" / "data" / "facts"
AS_OF = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BUNDLES = sorted(REALREPOS.glob("*.bundle"))
GIT_ENV = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
pytestmark = pytest.mark.slow


def facts_of(project: Any, root: Path) -> list[list[Any]]:
    """The project's facts as sorted [key, value, path, line] rows, with the temporary folder written <tmp>."""
    bundle = collect_evidence(project, AS_OF)
    rows = []
    for fact in bundle.facts:
        value = json.dumps(fact.value, sort_keys=True).replace(str(root), "<tmp>")
        rows.append([fact.key, value, fact.path, fact.line])
    return sorted(rows, key=lambda row: json.dumps(row))


def compare(name: str, rows: list[list[Any]]) -> None:
    path = GOLDEN / f"{name}.json"
    if os.environ.get("MLDEBT_UPDATE_GOLDENS"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rows, indent=0, sort_keys=True) + "\n")
    want = json.loads(path.read_text())
    if rows != want:
        gone = [row for row in want if row not in rows]
        new = [row for row in rows if row not in want]
        raise AssertionError(
            f"{name}: {len(gone)} fact(s) gone, {len(new)} new\n"
            + "\n".join(f"- {row}" for row in gone[:15])
            + "\n"
            + "\n".join(f"+ {row}" for row in new[:15])
        )


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))


def test_the_sample_projects_facts_are_unchanged(tmp_path: Path) -> None:
    portfolio = load_portfolio(build_samples(ROOT / "sample_projects", tmp_path / "samples"))
    for project in portfolio.projects:
        compare(f"sample-{project.name}", facts_of(project, tmp_path))


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.stem for b in BUNDLES])
def test_a_real_repositorys_facts_are_unchanged(bundle: Path, tmp_path: Path) -> None:
    checkout = tmp_path / bundle.stem
    subprocess.run(["git", "clone", "-q", str(bundle), str(checkout)], check=True)
    (project,) = single_repository(checkout, bundle.stem).projects
    compare(f"repo-{bundle.stem}", facts_of(project, tmp_path))


def test_the_configuration_corpus_facts_are_unchanged(tmp_path: Path) -> None:
    checkout = tmp_path / "corpus"
    shutil.copytree(CORPUS, checkout)
    env = {**os.environ, **GIT_ENV}
    commit = ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "corpus"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], commit):
        subprocess.run(["git", "-C", str(checkout), *args], check=True, env=env)
    (project,) = single_repository(checkout, "corpus").projects
    compare("corpus", facts_of(project, tmp_path))


def test_there_are_inputs_to_compare() -> None:
    assert len(BUNDLES) >= 10 and CORPUS.is_dir()
