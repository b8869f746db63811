"""History facts from real git repositories with backdated commits by several authors."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.repo.history import HistoryCollector
from mldebt.sources.gitsource import checkout
from mldebt.sources.portfolio import single_repository

from .conftest import GIT_ENV, write_files

SERVE = (
    "def route(x, y):\n    if x:\n        return 1\n    for i in y:\n        if i and x:\n"
    "            return i\n    return 0\n"
)
HISTORY = [
    ("2024-01-10T10:00:00+00:00", "alice", {"train.py": "a = 1\n" * 10, "README.md": "# r\n"}),
    ("2025-09-01T10:00:00+00:00", "bob", {"train.py": "a = 1\n" * 13 + "b = 2\n" * 2, "util.py": "u = 1\n"}),
    ("2026-04-15T10:00:00+00:00", "alice", {"util.py": "u = 2\n"}),
    ("2026-06-20T10:00:00+00:00", "carol", {"serve.py": SERVE}),
    ("2026-08-01T10:00:00+00:00", "bob", {"serve.py": SERVE + "z = 1\n"}),
]
AS_OF = datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)


def build(root: Path, history=HISTORY) -> Path:
    root.mkdir()
    env = dict(os.environ, **GIT_ENV)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    for date, author, files in history:
        write_files(root, files)
        who = {
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": f"{author}@example.com",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": f"{author}@example.com",
            "GIT_COMMITTER_DATE": date,
        }
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
        subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", f"by {author}"], check=True, env={**env, **who})
    return root


def history_of(repo: Path, as_of: datetime | None = AS_OF, subpath: str | None = None) -> dict:
    project = single_repository(repo).projects[0]
    project = project.__class__(**{**project.__dict__, "subpath": subpath})
    with checkout(project, as_of) as tree:
        snapshot = Snapshot(
            project="p", root=tree.root, commit=tree.commit, git_dir=tree.git_dir, subpath=subpath, as_of=as_of
        )
        facts = list(HistoryCollector().collect(snapshot))
    assert not [f for f in facts if f.is_error], facts
    return {f.key: f.value for f in facts if not f.key.endswith(".at")}


def test_history_relative_to_the_scanned_commit_and_moment(tmp_path):
    found = history_of(build(tmp_path / "r"))
    assert (found["git.commits.90d"], found["git.commits.365d"]) == (2, 3)
    assert (found["git.authors.90d"], found["git.authors.365d"]) == (2, 3)
    assert (found["git.files.single_author"], found["git.files.single_author_share"]) == (2, 0.67)
    assert found["git.churn.top"] == [
        {"path": "serve.py", "churn": 7, "commits": 1},
        {"path": "train.py", "churn": 5, "commits": 1},
        {"path": "util.py", "churn": 3, "commits": 2},
    ]
    assert found["git.hotspots"] == [
        {"path": "serve.py", "churn": 7, "complexity": 5, "score": 35},
        {"path": "train.py", "churn": 5, "complexity": 1, "score": 5},
        {"path": "util.py", "churn": 3, "complexity": 1, "score": 3},
    ]
    assert found["git.training_code.last_change_days"] == 302  # train.py, 2025-09-01
    assert found["git.history.window"] == {
        "since": "2024-06-30",
        "until": "2026-06-30T23:59:59+00:00",
        "commits": 3,
        "truncated": False,
    }


def test_a_training_file_untouched_in_the_window_is_dated_from_its_own_history(tmp_path):
    repo = build(tmp_path / "r", HISTORY[:1] + [("2026-05-01T10:00:00+00:00", "bob", {"README.md": "# new\n"})])
    found = history_of(repo)
    assert found["git.training_code.last_change_days"] == (AS_OF - datetime(2024, 1, 10, 10, tzinfo=UTC)).days
    assert found["git.files.single_author"] == 1  # README.md, by bob in the window


def test_a_subpath_has_its_own_history(tmp_path):
    repo = build(
        tmp_path / "mono",
        [
            ("2026-06-01T10:00:00+00:00", "alice", {"svc/a/model.py": "m = 1\n", "svc/b/x.py": "x = 1\n"}),
            ("2026-06-02T10:00:00+00:00", "bob", {"svc/b/x.py": "x = 2\n"}),
        ],
    )
    found = history_of(repo, subpath="svc/a")
    assert (found["git.commits.90d"], found["git.authors.90d"]) == (1, 1)
    assert found["git.churn.top"] == [{"path": "model.py", "churn": 1, "commits": 1}]
    assert found["git.training_code.last_change_days"] == 29


def test_a_plain_folder_has_no_history(tmp_path):
    facts = list(HistoryCollector().collect(Snapshot(project="p", root=tmp_path)))
    assert [(f.key, f.error) for f in facts] == [("git.error", "not a git repository: no history to read")]


def test_hotspot_candidates_are_read_by_git_while_the_caller_works_and_joined_when_asked(tmp_path, monkeypatch):
    import threading

    from mldebt.collectors.repo import history
    from mldebt.collectors.repo.cache import Cache

    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))
    repo = build(tmp_path / "repo")
    project = single_repository(repo).projects[0]
    with checkout(project, AS_OF) as tree:
        snapshot = Snapshot(project="p", root=tree.root, commit=tree.commit, git_dir=tree.git_dir, as_of=AS_OF)
        cache = Cache()
        try:
            asked = history.hotspot_candidates(snapshot, cache)
            found = asked()
            assert not [t for t in threading.enumerate() if t.name == "mldebt-git-log"]  # joined: a pool may fork
            assert found == {"serve.py", "train.py", "util.py"}  # the Python files changed in the year before the scan
            again = history.hotspot_candidates(snapshot, cache)  # the log is kept now: no git, no thread
            assert threading.active_count() == 1 and again() == found
        finally:
            cache.close()
        broken = Snapshot(project="p", root=tree.root, commit="0" * 40, git_dir=tree.git_dir, as_of=AS_OF)
        cache = Cache()
        try:
            assert history.hotspot_candidates(broken, cache)() == set()  # a history git cannot read: none
        finally:
            cache.close()


def test_the_log_is_read_while_the_files_are_laid_out_and_taken_not_read_again(tmp_path, monkeypatch):
    import threading

    from mldebt.collectors.repo import history
    from mldebt.collectors.repo.cache import Cache

    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))
    repo = build(tmp_path / "repo")
    expected = history_of(repo)  # read the usual way (and kept, in that cache)
    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "another-cache"))
    reads = []
    real_log = history._log

    def counted(snapshot, since, line_counts=True):
        reads.append((threading.current_thread().name, line_counts))
        return real_log(snapshot, since, line_counts)

    monkeypatch.setattr(history, "_log", counted)
    project = single_repository(repo).projects[0]
    with history.read_early("p", None, AS_OF) as start, checkout(project, AS_OF, start) as tree:
        assert len(history._EARLY.get() or {}) == 1  # started before the files were laid out, not taken yet
        snapshot = Snapshot(project="p", root=tree.root, commit=tree.commit, git_dir=tree.git_dir, as_of=AS_OF)
        cache = Cache()
        try:
            assert history.hotspot_candidates(snapshot, cache)() == {"serve.py", "train.py", "util.py"}
        finally:
            cache.close()
        assert not [t for t in threading.enumerate() if t.name == "mldebt-git-log"]  # joined: a pool may fork
        facts = list(history.HistoryCollector().collect(snapshot))
    assert reads == [("mldebt-git-log", True)]  # once, early; the candidates and the collector took that read
    assert {f.key: f.value for f in facts if not f.key.endswith(".at")} == expected


def test_an_early_read_no_collector_takes_is_joined_and_kept_and_a_kept_log_is_not_read(tmp_path, monkeypatch):
    import threading

    from mldebt.collectors.repo import history

    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))
    repo = build(tmp_path / "repo")
    project = single_repository(repo).projects[0]
    reads = []
    real_log = history._log
    monkeypatch.setattr(history, "_log", lambda *args, **kw: reads.append(1) or real_log(*args, **kw))
    with history.read_early("p", None, AS_OF) as start, checkout(project, AS_OF, start):
        pass  # no collector asked for the log
    assert reads == [1] and not [t for t in threading.enumerate() if t.name == "mldebt-git-log"]
    history_of(repo)  # the log read early was kept when the block ended: not read again
    assert reads == [1]
    reads.clear()
    with history.read_early("p", None, AS_OF) as start, checkout(project, AS_OF, start):
        assert threading.active_count() == 1  # kept: no thread, no git
    assert reads == []


def test_an_early_read_that_fails_is_reported_by_the_collector_that_takes_it(tmp_path, monkeypatch):
    from mldebt.collectors.repo import history

    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))
    repo = build(tmp_path / "repo")
    project = single_repository(repo).projects[0]

    def failing(snapshot, since, line_counts=True):
        if line_counts:
            raise ValueError("missing blob 1234")
        return []

    monkeypatch.setattr(history, "_log", failing)
    with history.read_early("p", None, AS_OF) as start, checkout(project, AS_OF, start) as tree:
        snapshot = Snapshot(project="p", root=tree.root, commit=tree.commit, git_dir=tree.git_dir, as_of=AS_OF)
        facts = list(history.HistoryCollector().collect(snapshot))
    assert [(f.key, f.error) for f in facts if f.is_error] == [
        ("git.churn.unread", "changed lines not counted, changed files only: missing blob 1234")
    ]


def test_a_complexity_kept_by_git_s_blob_id_is_taken_without_reading_the_file(tmp_path, monkeypatch):
    from mldebt.collectors.repo import files as repo_files
    from mldebt.collectors.repo import history

    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))
    repo = build(tmp_path / "r")
    first = history_of(repo)["git.hotspots"]  # measures and keeps each candidate's complexity
    read: list[str] = []
    plain = repo_files.read

    def reading(entry, limit=repo_files.MAX_READ_BYTES):  # type: ignore[no-untyped-def]
        read.append(entry.rel)
        return plain(entry, limit)

    monkeypatch.setattr(repo_files, "read", reading)
    assert history_of(repo)["git.hotspots"] == first
    assert read == []  # each complexity found by git's id of the file, none read again
    monkeypatch.setattr(history, "complexity_key", lambda blob: f"elsewhere:{blob}")  # none kept under these keys
    assert history_of(repo)["git.hotspots"] == first
    assert sorted(read) == ["serve.py", "train.py", "util.py"]  # read and measured again
