"""Caching by git ids: an unchanged tree is not read again, a new commit re-reads only changed files."""

from __future__ import annotations

import pytest

from mldebt.collectors.code import batch as code_batch
from mldebt.collectors.repo import collector as repo
from mldebt.collectors.repo.cache import Cache
from mldebt.rubric.schema import load_rubric
from mldebt.scanning.scans import collect_project, facts_of, save_portfolio
from mldebt.sources import gitsource
from mldebt.sources.portfolio import single_repository

from .conftest import git

FILES = {
    "train.py": "import numpy as np\nnp.random.seed(0)\n",
    "serve.py": "def f(proba):\n    return proba > 0.5\n",
    "tests/test_train.py": "def test_x():\n    assert 1\n",
    "README.md": "# r\n",
}


def scan(db, repo_path):
    portfolio = single_repository(repo_path)
    save_portfolio(db, portfolio)
    summary = collect_project(db, portfolio.projects[0], load_rubric())
    return sorted((f.key, repr(f.value), f.path, f.line, f.error) for f in facts_of(db, summary.scan_id))


def test_an_unchanged_commit_is_neither_laid_out_nor_read_again(make_repo, db, monkeypatch):
    path = make_repo("r", [("2026-01-01T10:00:00+00:00", FILES)])
    first = scan(db, path)
    monkeypatch.setattr(gitsource, "_write_tree", lambda *a: pytest.fail("the tree was laid out again"))
    monkeypatch.setattr(repo, "_collect", lambda *a: pytest.fail("the files were read again"))
    moment = "git.history.window"  # says when the scan stood; the rest must be identical
    assert [f for f in scan(db, path) if f[0] != moment] == [f for f in first if f[0] != moment]


def test_a_new_commit_re_reads_only_the_files_that_changed(make_repo, db, monkeypatch):
    path = make_repo("r", [("2026-01-01T10:00:00+00:00", FILES)])
    scan(db, path)
    git(path, "mv", "README.md", "README.rst")
    (path / "serve.py").write_text("def f(proba):\n    return proba > 0.6\n")
    git(path, "commit", "-qam", "tune", date="2026-01-02T10:00:00+00:00")
    seen = []
    real = code_batch._run
    monkeypatch.setattr(code_batch, "_run", lambda jobs: (seen.extend(j.rel for j in jobs), real(jobs))[1])
    facts = dict((k, v) for k, v, *_ in scan(db, path))
    assert seen == ["serve.py"]
    assert facts["code.smells.thresholds"] == "1"


def test_the_cache_is_json_and_survives_a_broken_file(tmp_path):
    cache = Cache(tmp_path / "c.sqlite")
    cache.put("k", {"a": [1, 2]})
    assert cache.get("k") == {"a": [1, 2]} and cache.get("missing") is None
    cache.close()
    (tmp_path / "c.sqlite").write_bytes(b"not a database")
    broken = Cache(tmp_path / "c.sqlite")
    broken.put("k", 1)  # a cache that cannot be used misses; it never fails the scan
    assert broken.get("k") is None


def test_a_cache_write_does_not_wait_for_the_disk_but_stays_readable(tmp_path):
    cache = Cache(tmp_path / "c.sqlite")
    assert cache._db is not None
    assert cache._db.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL: no sync at each commit (WAL)
    cache.put_many({f"k{i}": {"i": i} for i in range(50)})
    cache.close()
    again = Cache(tmp_path / "c.sqlite")
    assert again.get_many(["k0", "k49"]) == {"k0": {"i": 0}, "k49": {"i": 49}}
