"""Hostile repositories: every bad input becomes an error fact naming the file, and the scan goes on."""

from __future__ import annotations

import json
import os
from pathlib import Path

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.registry import collect
from mldebt.rubric.schema import load_rubric
from mldebt.scanning.scans import collect_project, facts_of, save_portfolio
from mldebt.sources import gitsource
from mldebt.sources.portfolio import single_repository

from .conftest import git

DEEP = "/".join(["d"] * 60)


def hostile_files(root: Path) -> None:
    """The hostile inputs the issue lists, written into ``root``."""
    files = {
        "ok.py": b"import numpy as np\nnp.random.seed(1)\n",
        "junk.py": os.urandom(64) + b"\x00" + os.urandom(512),
        "latin.py": "name = 'Jos\xe9'\n".encode("latin-1"),
        "broken.py": b"def f(:\n    pass\n",
        "nested.py": b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n",
        "notebook.ipynb": b"this is not JSON {",
        "deep.ipynb": b"[" * 100_000 + b"]" * 100_000,
        f"{DEEP}/bottom.py": b"y = 1\n",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    with open(os.path.join(os.fsencode(root), b"caf\xe9.py"), "wb") as out:  # a name that is not UTF-8
        out.write(b"z = 1\n")
    (root / "loop").symlink_to("loop")
    (root / "up").symlink_to("..")


def scan(db, repo: Path) -> list:
    """A full scan through the store, as `mldebt collect` does it."""
    portfolio = single_repository(repo)
    save_portfolio(db, portfolio)
    summary = collect_project(db, portfolio.projects[0], load_rubric())
    return facts_of(db, summary.scan_id)


def errors(facts) -> set[tuple]:
    return {
        (f.key, f.path, f.error) for f in facts if f.is_error and not f.key.startswith(("git.", "ci.", "monitoring."))
    }


EXPECTED = {
    ("repo.files.skipped", "junk.py", "binary content"),
    ("repo.files.skipped", "loop", "symbolic link not followed"),
    ("repo.files.skipped", "up", "symbolic link not followed"),
    ("repo.files.undecodable", "latin.py", "not UTF-8 (byte 0xe9 at offset 11); read with replacement characters"),
    ("repo.python.unparsed", "broken.py", "Python syntax error: invalid syntax"),
    ("repo.python.unparsed", "nested.py", "Python syntax error: too many nested parentheses"),
    ("repo.notebooks.unparsed", "notebook.ipynb", "not valid notebook JSON: Expecting value"),
    ("repo.notebooks.unparsed", "deep.ipynb", "not valid notebook JSON: nested too deeply"),
    ("repo.files.skipped", "/".join(["d"] * 49), "nested deeper than 48 folders"),
}


def test_a_hostile_repository_is_scanned_to_the_end(make_repo, db):
    repo = make_repo("hostile", [("2026-01-01T10:00:00+00:00", {"README.md": "# hostile\n"})])
    hostile_files(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hostile", date="2026-01-02T10:00:00+00:00")
    facts = scan(db, repo)
    assert errors(facts) >= EXPECTED
    found = {f.key: f.value for f in facts if not f.is_error}
    assert found["repo.python.files"] == 6  # ok, junk, latin, broken, nested, caf\xe9 (bottom.py is too deep)
    assert found["repo.files.total"] == 9  # and README.md, two notebooks
    assert found["code.seeds.set"] == ["numpy"]
    assert "caf\\xe9.py" in [c["path"] for c in found["git.churn.top"]]  # history shows the name escaped too
    assert found["git.commits.365d"] == 2


def test_a_hostile_folder_read_in_place(tmp_path):
    root = tmp_path / "folder"
    root.mkdir()
    hostile_files(root)
    with open(root / "huge.py", "wb") as out:  # several hundred MB, but sparse: no disk used, nothing read
        out.truncate(400 * 1024 * 1024)
    facts = collect(Snapshot(project="p", root=root), ["repo", "deps"])
    assert EXPECTED | {("repo.files.skipped", "huge.py", "larger than 1048576 bytes (419430400)")} <= errors(facts)
    found = {f.key: f.value for f in facts if not f.is_error}
    assert found["repo.files.total"] == 9  # bottom.py is below the depth limit
    assert not [f for f in facts if f.key.endswith(".error")]  # no collector crashed


def test_non_utf8_names_are_shown_escaped(tmp_path):
    root = tmp_path / "folder"
    root.mkdir()
    calls = ["dropna", "fillna", "drop_duplicates", "reset_index", "sort_index", "abs", "cumsum", "cummax"]
    body = "x = 'd\xe9j\xe0'\n" + "".join(
        f"def step_{i}(frame):\n    out = frame.{call}()\n    return out.{calls[i - 1]}()\n"
        for i, call in enumerate(calls)
    )
    for name in (b"caf\xe9.py", b"caf\xe9_old.py"):  # an edited copy: the later path is the experimental one
        with open(os.path.join(os.fsencode(root), name), "wb") as out:
            out.write(body.encode("latin-1"))
    facts = collect(Snapshot(project="p", root=root), ["repo"])
    undecodable = {("repo.files.undecodable", "caf\\xe9.py"), ("repo.files.undecodable", "caf\\xe9_old.py")}
    assert {(f.key, f.path) for f in facts if f.is_error} == undecodable
    assert {f.key: f.value for f in facts}["code.smells.experimental_files"] == ["caf\\xe9_old.py"]
    json.dumps([f.path for f in facts])  # every path is plain text for the store


def test_oversized_blobs_in_git_are_never_written(make_repo, db, monkeypatch):
    monkeypatch.setattr(gitsource, "MAX_BLOB_BYTES", 1000)
    repo = make_repo("big", [("2026-01-01T10:00:00+00:00", {"big.py": "x = 1\n" * 500, "small.py": "y = 2\n"})])
    facts = scan(db, repo)
    assert ("repo.files.skipped", "big.py", "larger than 1000 bytes (3000)") in errors(facts)
    assert {f.key: f.value for f in facts}["repo.files.total"] == 1
