"""The monitoring collector's per-file cache: what a file held is kept under its blob id.

Real git repositories, real layouts and the real SQLite cache; the only thing
watched is which files the collector reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.monitoring import cache as monitoring_cache
from mldebt.collectors.monitoring import collector as monitoring
from mldebt.collectors.monitoring.collector import MonitoringCollector
from mldebt.sources.gitsource import checkout
from mldebt.sources.portfolio import single_repository

from .conftest import git

RULES = """groups:
- name: model
  rules:
  - alert: PredictionDrift
    expr: model_prediction_drift > 0.3
    labels: {severity: page}
"""
FILES = {
    "alerts/model.rules.yml": RULES,
    "train.py": "import evidently\nx = 1\n",
    "serve.py": "import flask\n",
    "config/app.yaml": "name: app\nport: 8080\n",
    "data/schema.json": '{"fields": []}\n',
}


def collect(repo: Path) -> tuple[list[tuple], list[str]]:
    """The monitoring facts of the repository's HEAD, and the files the collector read."""
    read: list[str] = []
    real = monitoring.read_text

    def reading(root: Path, rel: str, *args):  # the real read, recorded
        read.append(rel)
        return real(root, rel, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(monitoring, "read_text", reading)
        with checkout(single_repository(repo).projects[0]) as tree:
            snapshot = Snapshot(project="p", root=tree.root, commit=tree.commit, git_dir=tree.git_dir)
            facts = [(f.key, repr(f.value), f.path, f.line, f.error) for f in MonitoringCollector().collect(snapshot)]
    return facts, sorted(read)


def test_an_unchanged_commit_reads_only_the_files_with_monitoring_evidence(make_repo):
    repo = make_repo("r", [("2026-01-01T10:00:00+00:00", FILES)])
    first, read_first = collect(repo)
    assert read_first == sorted(FILES)
    again, read_again = collect(repo)
    assert again == first
    assert read_again == ["alerts/model.rules.yml"]  # rules are parsed each time; the rest is known by blob id
    assert ("monitoring.libraries", repr({"evidently": ["train.py"]}), None, None, None) in again


def test_a_changed_file_is_read_again_and_an_unchanged_one_is_not(make_repo):
    repo = make_repo("r", [("2026-01-01T10:00:00+00:00", FILES)])
    collect(repo)
    (repo / "serve.py").write_text("import whylogs\n")
    (repo / "config" / "app.yaml").write_text(RULES.replace("PredictionDrift", "ScoreDrift"))
    git(repo, "commit", "-qam", "monitor serving", date="2026-01-02T10:00:00+00:00")
    facts, read = collect(repo)
    assert read == ["alerts/model.rules.yml", "config/app.yaml", "serve.py"]
    libraries = next(eval(value) for key, value, *_ in facts if key == "monitoring.libraries")
    assert libraries == {"evidently": ["train.py"], "whylogs": ["serve.py"]}
    assert [path for key, _, path, *_ in facts if key == "monitoring.rules"] == [
        "alerts/model.rules.yml",
        "config/app.yaml",
    ]


def test_a_cache_written_by_other_monitoring_code_is_ignored(make_repo, monkeypatch):
    repo = make_repo("r", [("2026-01-01T10:00:00+00:00", FILES)])
    first, _ = collect(repo)
    monkeypatch.setattr(monitoring_cache, "VERSION", "another-version")
    again, read = collect(repo)
    assert read == sorted(FILES) and again == first


def test_files_listed_in_the_portfolio_are_always_read(make_repo):
    repo = make_repo("r", [("2026-01-01T10:00:00+00:00", FILES)])
    collect(repo)
    with checkout(single_repository(repo).projects[0]) as tree:
        snapshot = Snapshot(
            project="p",
            root=tree.root,
            commit=tree.commit,
            git_dir=tree.git_dir,
            sources={"monitoring": {"rules": ["config/app.yaml"]}},
        )
        facts = list(MonitoringCollector().collect(snapshot))
    # listed as rules, the file is read and found to hold none: an empty rule file, not a cached "nothing here"
    assert [f.value for f in facts if f.key == "monitoring.rules" and f.path == "config/app.yaml"] == [
        {"alerts": 0, "records": 0, "groups": 0, "templated": False, "ml_alerts": 0}
    ]


def test_the_tree_listing_names_each_laid_out_file_by_its_blob_id(make_repo):
    from mldebt.collectors.repo.files import blob_id
    from mldebt.collectors.repo.tree import blob_ids

    repo = make_repo("r", [("2026-01-01T10:00:00+00:00", {**FILES, "deep/er/x.txt": b"\x00\x01binary"})])
    (repo / "link.yml").symlink_to("alerts/model.rules.yml")
    git(repo, "add", "link.yml")
    git(repo, "commit", "-qm", "link", date="2026-01-02T10:00:00+00:00")
    with checkout(single_repository(repo).projects[0]) as tree:
        snapshot = Snapshot(project="p", root=tree.root, commit=tree.commit, git_dir=tree.git_dir)
        listing = blob_ids(snapshot)
        on_disk = {
            p.relative_to(tree.root).as_posix(): blob_id(p.read_bytes()) for p in tree.root.rglob("*") if p.is_file()
        }
    assert listing == on_disk and "link.yml" not in listing and "deep/er/x.txt" in listing
    assert blob_ids(Snapshot(project="p", root=repo)) is None  # a plain folder has no listing
