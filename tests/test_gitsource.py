"""Scanning a commit: --as-of picks the right one and the user's tree is never touched."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mldebt.errors import InputError
from mldebt.sources import gitsource
from mldebt.sources.gitsource import NoCommitYet, cache_dir, checkout
from mldebt.sources.portfolio import single_repository

from .conftest import git

HISTORY = [
    ("2025-11-01T10:00:00+00:00", {"a.py": "x = 1\n", "README.md": "# r\n"}),
    ("2026-02-01T10:00:00+00:00", {"tests/test_a.py": "def test_a():\n    pass\n"}),
    ("2026-05-01T10:00:00+00:00", {"tests/test_a.py": None, "b.py": "y = 2\n"}),
]


def project_of(folder: Path, **changes):
    project = single_repository(folder).projects[0]
    return project.__class__(**{**project.__dict__, **changes})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_as_of_picks_the_last_commit_before_the_date(make_repo):
    repo = make_repo("r", HISTORY)
    shas = git(repo, "log", "--format=%H", "--reverse").split()
    project = project_of(repo)
    with checkout(project, at("2026-03-31T23:59:59")) as tree:
        assert tree.commit == shas[1]
        assert files(tree.root) == {"a.py", "README.md", "tests/test_a.py"}
        assert tree.commit_date == "2026-02-01T10:00:00+00:00"
    with checkout(project) as tree:
        assert tree.commit == shas[2]
        assert files(tree.root) == {"a.py", "README.md", "b.py"}
    with pytest.raises(NoCommitYet, match="no commit before 2025-10-01"), checkout(project, at("2025-10-01T00:00:00")):
        pass


def test_the_working_tree_is_never_read_or_touched(make_repo):
    repo = make_repo("r", HISTORY)
    (repo / "uncommitted.py").write_text("secret = 1\n")
    (repo / "a.py").write_text("x = 'edited but not committed'\n")
    status_before = git(repo, "status", "--porcelain")
    listing_before = sorted(os.listdir(repo))
    with checkout(project_of(repo), at("2026-01-01T00:00:00")) as tree:
        assert "uncommitted.py" not in files(tree.root)
        assert (tree.root / "a.py").read_text() == "x = 1\n"
        assert not str(tree.root).startswith(str(repo))
        assert tree.root.is_relative_to(cache_dir() / "trees")  # laid out in the cache, never in the repo
    assert git(repo, "status", "--porcelain") == status_before
    assert sorted(os.listdir(repo)) == listing_before
    assert git(repo, "worktree", "list").count("\n") == 0


def test_subpath_scans_one_project_of_a_monorepo(make_repo):
    repo = make_repo(
        "mono", [("2026-01-01T10:00:00+00:00", {"svc/a/train.py": "a = 1\n", "svc/b/train.py": "b = 1\n"})]
    )
    with checkout(project_of(repo, subpath="svc/a")) as tree:
        assert files(tree.root) == {"train.py"}
    with (
        pytest.raises(InputError, match="sub-path 'svc/zzz' does not exist at commit"),
        checkout(project_of(repo, subpath="svc/zzz")),
    ):
        pass


def test_symlinks_in_a_commit_are_not_followed(make_repo, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    repo = make_repo("links", [("2026-01-01T10:00:00+00:00", {"a.py": "a = 1\n"})])
    (repo / "leak.txt").symlink_to(outside)
    (repo / "loop").symlink_to(repo / "loop")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links", date="2026-01-02T10:00:00+00:00")
    with checkout(project_of(repo)) as tree:
        assert files(tree.root) == {"a.py"}
        assert sorted(tree.skipped) == [
            ("leak.txt", "symbolic link not followed"),
            ("loop", "symbolic link not followed"),
        ]


def test_a_git_url_is_cloned_into_the_cache(make_repo, tmp_path):
    origin = make_repo("origin", HISTORY)
    url = f"file://{origin}"
    project = project_of(origin, repo=url, is_url=True)
    with checkout(project) as tree:
        assert files(tree.root) == {"a.py", "README.md", "b.py"}
    cached = list((tmp_path / "cache" / "repos").iterdir())
    assert len(cached) == 1 and (cached[0] / "HEAD").exists()
    with checkout(project, at("2026-01-01T00:00:00")) as tree:  # second time: fetch, not clone
        assert files(tree.root) == {"a.py", "README.md"}


def test_an_unsafe_url_is_refused_before_git_runs(tmp_path):
    project = project_of(tmp_path, repo="--upload-pack=touch x", is_url=True)
    with pytest.raises(InputError, match="must not start with '-'"), checkout(project):
        pass
    assert not (tmp_path / "cache").exists()


def test_a_plain_folder_is_read_in_place(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "x.py").write_text("x = 1\n")
    with checkout(project_of(tmp_path / "p")) as tree:
        assert tree.commit is None and files(tree.root) == {"x.py"}
    with (
        pytest.raises(InputError, match="not a git repository, so it has no history to read at an earlier moment"),
        checkout(project_of(tmp_path / "p"), at("2026-01-01T00:00:00")),
    ):
        pass


def test_a_tree_is_laid_out_once_and_reused_by_later_scans(make_repo, monkeypatch):
    repo = make_repo("r", HISTORY)
    with checkout(project_of(repo)) as first:
        tree_id, root = first.tree, first.root
    assert tree_id == git(repo, "rev-parse", "HEAD^{tree}")
    monkeypatch.setattr(gitsource, "_write_tree", lambda *a: pytest.fail("the tree was written again"))
    with checkout(project_of(repo)) as again:
        assert (again.tree, again.root) == (tree_id, root)
        assert files(again.root) == {"a.py", "README.md", "b.py"}


def test_a_subpath_is_laid_out_as_its_own_tree(make_repo):
    repo = make_repo("mono", [("2026-01-01T10:00:00+00:00", {"svc/a/x.py": "a = 1\n", "svc/b/x.py": "a = 1\n"})])
    with checkout(project_of(repo, subpath="svc/a")) as a, checkout(project_of(repo, subpath="svc/b")) as b:
        assert a.tree == b.tree == git(repo, "rev-parse", "HEAD:svc/a")  # same content, same layout
        assert a.root == b.root


def test_gitattributes_cannot_hide_or_rewrite_files(make_repo):
    repo = make_repo(
        "attrs",
        [
            (
                "2026-01-01T10:00:00+00:00",
                {
                    ".gitattributes": "hidden.py export-ignore\nsubst.py export-subst\n",
                    "hidden.py": "h = 1\n",
                    "subst.py": "v = '$Format:%H$'\n",
                },
            )
        ],
    )
    with checkout(project_of(repo)) as tree:
        assert files(tree.root) == {".gitattributes", "hidden.py", "subst.py"}
        assert (tree.root / "subst.py").read_text() == "v = '$Format:%H$'\n"


def test_oversized_blobs_are_listed_not_written(make_repo, monkeypatch):
    monkeypatch.setattr(gitsource, "MAX_BLOB_BYTES", 100)
    repo = make_repo("big", [("2026-01-01T10:00:00+00:00", {"big.csv": "x" * 101, "small.py": "s = 1\n"})])
    with checkout(project_of(repo)) as tree:
        assert files(tree.root) == {"small.py"}
        assert tree.skipped == [("big.csv", "larger than 100 bytes (101)")]


def test_old_layouts_are_evicted_least_recently_used_first(make_repo, monkeypatch):
    monkeypatch.setattr(gitsource, "MAX_CACHED_TREES", 2)
    repo = make_repo("r", HISTORY)
    roots = []
    for moment in ("2025-12-01T00:00:00", "2026-03-01T00:00:00", "2026-06-01T00:00:00"):
        with checkout(project_of(repo), at(moment)) as tree:
            roots.append(tree.root)
    assert [r.exists() for r in roots] == [False, True, True]
