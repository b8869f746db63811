"""A repository that lacks some git objects is scanned, not lost (issue 21, class j).

A partial clone whose source is gone, or a damaged or incomplete copy of
``.git``, lacks some blobs or trees. Each file or folder whose object cannot be
read becomes an error fact, everything else is scanned, the scan carries a
``scan.incomplete`` fact, and ``mldebt collect`` exits 0 saying so. Git never
fetches a missing object during a scan.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import zlib
from pathlib import Path

import pytest
import sqlite_utils

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.repo import tree as repo_tree
from mldebt.sources import gitobjects, gitrun, gitsource
from mldebt.sources.gitlocate import locate, shadow
from mldebt.sources.portfolio import single_repository

from .conftest import git

DATE = "2026-01-01T10:00:00+00:00"
FILES = {
    "train.py": "import numpy as np\nnp.random.seed(0)\n",
    "pkg/model.py": "def predict(x):\n    return x\n",
    "pkg/sub/util.py": "def helper():\n    return 1\n",
    "tests/test_train.py": "def test_x():\n    assert 1\n",
    "requirements.txt": "numpy==1.26.4\n",
}


def object_file(repo: Path, oid: str) -> Path:
    return repo / ".git" / "objects" / oid[:2] / oid[2:]


def remove_object(repo: Path, spec: str) -> str:
    oid = git(repo, "rev-parse", spec)
    object_file(repo, oid).unlink()
    return oid


def facts(db_path: Path, project: str) -> list[dict]:
    db = sqlite_utils.Database(db_path)
    try:
        return list(
            db.query(
                "select e.key, e.value, e.path, e.error from evidence e join scans s on s.id = e.scan_id "
                "where s.project_id = ?",
                [project],
            )
        )
    finally:
        db.close()


def error_count(db_path: Path, project: str) -> int:
    db = sqlite_utils.Database(db_path)
    try:
        return next(db.query("select error_count from scans where project_id = ?", [project]))["error_count"]
    finally:
        db.close()


def unreadable(found: list[dict]) -> dict[str, str]:
    return {f["path"]: f["error"] for f in found if (f["error"] or "").startswith("unreadable")}


def value(found: list[dict], key: str):
    return next((json.loads(f["value"]) for f in found if f["key"] == key and f["error"] is None), None)


def test_a_repository_missing_a_blob_is_scanned_with_an_error_fact_for_that_file(make_repo, run, db_path):
    repo = make_repo("r", [(DATE, FILES)])
    oid = remove_object(repo, "HEAD:pkg/model.py")

    result = run("collect", str(repo))

    assert result.exit_code == 0, result.output
    assert "incomplete scan: 1 file unreadable (git objects missing or damaged)" in result.output
    found = facts(db_path, "r")
    assert unreadable(found) == {
        "pkg/model.py": f"unreadable: git object {oid[:12]} is missing or damaged "
        "(a partial or damaged copy of the repository)"
    }
    assert value(found, "scan.incomplete") == {
        "unreadable_files": 1,
        "unreadable_folders": 0,
        "paths": ["pkg/model.py"],
        "why": "git objects missing or damaged (a partial or damaged copy of the repository)",
    }
    assert value(found, "repo.files.total") == 4  # everything else was scanned
    assert value(found, "repo.tests.files") == 1
    assert error_count(db_path, "r") >= 1


def test_a_missing_tree_makes_its_folder_one_error_fact_and_the_rest_is_scanned(make_repo, run, db_path):
    repo = make_repo("r", [(DATE, FILES)])
    oid = remove_object(repo, "HEAD:pkg")

    result = run("collect", str(repo))

    assert result.exit_code == 0, result.output
    assert "incomplete scan: 1 folder unreadable" in result.output
    found = facts(db_path, "r")
    assert unreadable(found) == {
        "pkg": f"unreadable folder: git tree {oid[:12]} is missing or damaged "
        "(a partial or damaged copy of the repository); nothing under it was scanned"
    }
    assert value(found, "repo.files.total") == 3  # train.py, the test and requirements.txt
    assert value(found, "scan.incomplete")["unreadable_folders"] == 1


def test_a_packed_repository_missing_a_blob_is_scanned(make_repo, run, db_path, tmp_path):
    repo = make_repo("r", [(DATE, FILES), ("2026-01-02T10:00:00+00:00", {"train.py": "print(1)\n"})])
    gone = git(repo, "rev-parse", "HEAD:requirements.txt")
    objects = git(repo, "rev-list", "--objects", "--all").splitlines()
    kept = "".join(f"{line}\n" for line in objects if not line.startswith(gone))
    packs = tmp_path / "packs"
    packs.mkdir()
    subprocess.run(["git", "-C", str(repo), "pack-objects", "-q", str(packs / "pack")], input=kept.encode(), check=True)
    store = repo / ".git" / "objects"
    for child in store.iterdir():
        if len(child.name) == 2 or child.name == "pack":
            shutil.rmtree(child)
    shutil.copytree(packs, store / "pack")
    assert subprocess.run(["git", "-C", str(repo), "cat-file", "-e", gone]).returncode != 0

    result = run("collect", str(repo))

    assert result.exit_code == 0, result.output
    found = facts(db_path, "r")
    assert list(unreadable(found)) == ["requirements.txt"]
    assert value(found, "repo.files.total") == 4


def test_a_damaged_object_costs_only_its_own_file(make_repo, run, db_path):
    repo = make_repo("r", [(DATE, FILES)])
    for damaged in ("pkg/model.py", "requirements.txt"):  # git stops at each: it starts again for the files after
        path = object_file(repo, git(repo, "rev-parse", f"HEAD:{damaged}"))
        whole = zlib.compress(zlib.decompress(path.read_bytes()))
        path.chmod(0o644)
        path.write_bytes(whole[:-8])  # the header reads, the content stops short: git gives up mid-object

    result = run("collect", str(repo))

    assert result.exit_code == 0, result.output
    found = facts(db_path, "r")
    assert sorted(unreadable(found)) == ["pkg/model.py", "requirements.txt"]
    assert value(found, "repo.files.total") == 3
    assert value(found, "repo.tests.files") == 1


@pytest.fixture
def partial_clone(make_repo, tmp_path):
    """A blob-less partial clone (``--filter=blob:none``, no checkout) of a local source; (clone, source)."""
    source = make_repo("source", [(DATE, FILES)])
    git(source, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--no-checkout", "--filter=blob:none", source.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    assert git(clone, "config", "remote.origin.promisor") == "true"
    return clone, source


def test_a_partial_clone_whose_source_is_gone_is_scanned_with_an_error_per_file(partial_clone, run, db_path):
    clone, source = partial_clone
    shutil.rmtree(source)

    result = run("collect", str(clone))

    assert result.exit_code == 0, result.output
    assert "incomplete scan: 5 files unreadable" in result.output
    found = facts(db_path, "clone")
    assert sorted(unreadable(found)) == sorted(FILES)
    assert value(found, "scan.incomplete")["unreadable_files"] == 5


def test_a_partial_clone_in_a_portfolio_is_scanned_and_the_run_exits_0(partial_clone, run, db_path, tmp_path):
    clone, source = partial_clone
    shutil.rmtree(source)
    portfolio = tmp_path / "portfolio.yaml"
    portfolio.write_text(
        "portfolio: damaged\nteams:\n  - name: Team A\n    id: a\n    projects:\n"
        f"      - name: partial\n        repo: {clone}\n"
    )

    result = run("collect", str(portfolio))

    assert result.exit_code == 0, result.output
    assert "scored partial" in result.output and "incomplete scan: 5 files unreadable" in result.output
    assert value(facts(db_path, "partial"), "scan.incomplete")["unreadable_files"] == 5


def test_a_scan_never_fetches_a_missing_object_from_the_promisor_remote(partial_clone, run, db_path):
    clone, _source = partial_clone  # the source is still there: git could fetch from it, and must not
    before = sorted(p.relative_to(clone) for p in (clone / ".git" / "objects").rglob("*"))

    result = run("collect", str(clone))

    assert result.exit_code == 0, result.output
    assert len(unreadable(facts(db_path, "clone"))) == 5
    assert sorted(p.relative_to(clone) for p in (clone / ".git" / "objects").rglob("*")) == before
    assert gitrun.environment()["GIT_NO_LAZY_FETCH"] == "1"  # refused outright by git 2.44 and later


def test_a_layout_with_unreadable_files_is_not_kept_for_the_tree(make_repo, tmp_path):
    repo = make_repo("r", [(DATE, FILES)])
    oid = git(repo, "rev-parse", "HEAD:pkg/model.py")
    saved = object_file(repo, oid).read_bytes()
    object_file(repo, oid).unlink()
    project = single_repository(repo).projects[0]

    with gitsource.checkout(project) as damaged:
        assert [p for p, why in damaged.skipped if why.startswith("unreadable")] == ["pkg/model.py"]
        assert (damaged.root / "train.py").is_file() and not (damaged.root / "pkg" / "model.py").exists()
        private = damaged.root.parent
    assert not private.exists()  # removed after the scan, never renamed under the tree's id
    assert not [p for p in (tmp_path / "cache" / "trees").iterdir() if not p.name.startswith(".")]

    object_file(repo, oid).write_bytes(saved)  # the object is back: the tree is laid out whole
    with gitsource.checkout(project) as repaired:
        assert not [p for p, why in repaired.skipped if why.startswith("unreadable")]
        assert (repaired.root / "pkg" / "model.py").read_text() == FILES["pkg/model.py"]


def test_a_repaired_repository_scans_whole_again(make_repo, run, db_path):
    repo = make_repo("r", [(DATE, FILES)])
    oid = git(repo, "rev-parse", "HEAD:pkg/model.py")
    saved = object_file(repo, oid).read_bytes()
    object_file(repo, oid).unlink()
    assert run("collect", str(repo)).exit_code == 0
    object_file(repo, oid).write_bytes(saved)

    result = run("collect", str(repo), "--project", "again")

    assert result.exit_code == 0 and "incomplete" not in result.output, result.output
    found = facts(db_path, "again")
    assert not unreadable(found) and value(found, "scan.incomplete") is None


def test_the_listing_of_a_tree_with_an_unreadable_folder_keeps_the_rest(make_repo):
    files = {**FILES, "listed.txt": "a tree of its own, never listed before in this process\n"}
    repo = make_repo("r", [(DATE, files)])
    remove_object(repo, "HEAD:pkg/sub")
    commit = git(repo, "rev-parse", "HEAD")
    with shadow(locate(repo)) as git_dir:
        snapshot = Snapshot(
            project="r",
            root=repo,
            commit=commit,
            git_dir=git_dir,
            skipped=(("pkg/sub", "unreadable folder: git tree ..."), ("link", "symbolic link not followed")),
        )
        listed = repo_tree.blob_ids(snapshot)
    assert listed is not None and sorted(listed) == sorted(p for p in files if not p.startswith("pkg/sub/"))
    assert repo_tree.unreadable(snapshot) == ["pkg/sub"]


def test_a_missing_root_tree_is_one_clear_error(make_repo, run):
    repo = make_repo("r", [(DATE, FILES)])
    oid = remove_object(repo, "HEAD^{tree}")

    result = run("collect", str(repo))

    assert result.exit_code == 2
    assert "cannot read the files of commit" in result.output
    assert f"git tree {oid[:12]} is missing or damaged (a partial or damaged copy of the repository)" in result.output


def test_a_subpath_under_an_unreadable_folder_says_so_not_that_it_does_not_exist(make_repo, run, tmp_path):
    repo = make_repo("r", [(DATE, FILES)])
    oid = remove_object(repo, "HEAD:pkg")
    portfolio = tmp_path / "portfolio.yaml"
    portfolio.write_text(
        "portfolio: damaged\nteams:\n  - name: Team A\n    id: a\n    projects:\n"
        f"      - name: sub\n        repo: {repo}\n        subpath: pkg/sub\n"
    )

    result = run("collect", str(portfolio))

    assert result.exit_code == 2
    assert "cannot read the folder 'pkg' of commit" in result.output
    assert f"git tree {oid[:12]} is missing" in result.output and "does not exist" not in result.output


def test_a_head_whose_commit_object_is_missing_says_so(make_repo, run):
    repo = make_repo("r", [(DATE, FILES)])
    oid = remove_object(repo, "HEAD")

    result = run("collect", str(repo))

    assert result.exit_code == 2
    assert f"cannot read HEAD: git object {oid[:12]} is missing or damaged" in result.output


def test_the_folder_by_folder_walk_lists_what_ls_tree_lists(make_repo, tmp_path):
    repo = make_repo("r", [(DATE, {**FILES, "bin/run.sh": "#!/bin/sh\n", "empty.txt": ""})])
    (repo / "bin" / "run.sh").chmod(0o755)
    (repo / "link").symlink_to("train.py")
    git(repo, "add", "-A")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{git(repo, 'rev-parse', 'HEAD')},vendor/lib")
    git(repo, "commit", "-q", "-m", "more", date=DATE)
    with shadow(locate(repo)) as git_dir:
        tree = git(repo, "rev-parse", "HEAD^{tree}")
        whole = gitobjects.listing(git_dir, tree)
        walked = gitobjects._walk(git_dir, tree)
    assert not whole.unreadable and not walked.unreadable
    assert {(e.mode, e.kind, e.oid, e.path) for e in walked.entries} == {
        (e.mode, e.kind, e.oid, e.path) for e in whole.entries
    }
    assert {e.mode for e in walked.entries} == {"100644", "100755", "120000", "160000"}


def test_a_sha256_repository_missing_a_folder_is_walked(tmp_path, run, db_path):
    repo = tmp_path / "r256"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main", "--object-format=sha256")
    for rel, text in FILES.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "c", date=DATE)
    oid = remove_object(repo, "HEAD:pkg/sub")
    assert len(oid) == 64

    result = run("collect", str(repo))

    assert result.exit_code == 0, result.output
    found = facts(db_path, "r256")
    assert list(unreadable(found)) == ["pkg/sub"]
    assert value(found, "repo.files.total") == 4


def test_reading_objects_can_stop_early_and_leaves_no_git_behind(make_repo):
    repo = make_repo("r", [(DATE, {f"f{i}.txt": f"{i}\n" * 2000 for i in range(300)})])
    oids = git(repo, "ls-tree", "-r", "--format=%(objectname)", "HEAD").splitlines()
    with shadow(locate(repo)) as git_dir:
        reader = gitobjects.read_objects(git_dir, oids * 20, 1 << 20)  # more than a pipe holds, either way
        first = [next(reader) for _ in range(3)]
        reader.close()
        everything = list(gitobjects.read_objects(git_dir, oids, 1 << 20))
    assert [kind for _, kind, _, _ in first] == ["blob"] * 3
    assert [oid for oid, _, _, _ in everything] == oids and all(data for _, _, _, data in everything)
    left = subprocess.run(["pgrep", "-f", f"cat-file --batch.*{git_dir}"], capture_output=True, text=True)
    assert not left.stdout.strip()


def test_reading_objects_past_the_deadline_is_a_timeout_not_an_unreadable_object(make_repo, monkeypatch):
    repo = make_repo("r", [(DATE, {f"f{i}.txt": f"{i}\n" * 5000 for i in range(50)})])  # a few fill git's pipe
    oids = git(repo, "ls-tree", "-r", "--format=%(objectname)", "HEAD").splitlines()
    monkeypatch.setenv("MLDEBT_GIT_TIMEOUT", "0.5")
    read = []
    with shadow(locate(repo)) as git_dir, pytest.raises(gitrun.GitError, match=r"git cat-file timed out after 0.5 s"):
        for _, kind, _, _ in gitobjects.read_objects(git_dir, oids * 20, 1 << 20):
            read.append(kind)
            time.sleep(0.005)  # a slow reader: git is stopped at the deadline while it still has objects to give
    assert None not in read  # nothing was said to be unreadable on the way


def test_history_survives_a_missing_blob_with_changed_files_only(make_repo, run, db_path):
    recent = "2026-11-20T10:00:00+00:00"
    repo = make_repo("h", [(recent, FILES), (recent, {**FILES, "pkg/model.py": "def predict(x):\n    return 2 * x\n"})])
    remove_object(repo, "HEAD~1:pkg/model.py")  # the old version the line counts of the second commit need

    result = run("collect", str(repo), "--as-of", "2026-12-01")

    assert result.exit_code == 0, result.output
    found = facts(db_path, "h")
    errors = {f["key"]: f["error"] for f in found if f["error"]}
    assert "git.error" not in errors, errors
    assert errors["git.churn.unread"].startswith("changed lines not counted, changed files only")
    assert value(found, "git.commits.365d") == 2
    assert value(found, "git.authors.365d") == 1
