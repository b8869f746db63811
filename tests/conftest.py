"""Shared fixtures: a fresh database, a CLI runner, and real git repositories."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mldebt.cli.main import cli
from mldebt.store.db import open_db

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's git config, database or cache."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MLDEBT_DB", raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "mldebt.db"


@pytest.fixture
def db(db_path: Path):
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def run(db_path: Path) -> Callable[..., Result]:
    """Invoke the CLI in-process with the test database; returns click's Result."""

    def invoke(*args: str) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, [*args, "--db", str(db_path)] if _takes_db(args) else list(args), catch_exceptions=False
        )

    return invoke


def _takes_db(args: tuple[str, ...]) -> bool:
    return bool(args) and args[0] in {"collect", "score", "show", "explain", "waive", "attest"} and "--help" not in args


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = dict(
        os.environ,
        **GIT_ENV,
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.com",
        GIT_COMMITTER_NAME="Test Author",
        GIT_COMMITTER_EMAIL="author@example.com",
    )
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(
        ["git", "-C", str(repo), *args], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def write_files(root: Path, files: dict[str, str | bytes | None]) -> None:
    for rel, content in files.items():
        path = root / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def backup(source: Path, copy: Path) -> Path:
    """``copy``, a copy of the store ``source`` made by SQLite's backup (never a raw file copy)."""
    origin, target = sqlite3.connect(source), sqlite3.connect(copy)
    try:
        origin.backup(target)
    finally:
        target.close()
        origin.close()
    return copy


def copy_checkout(dest: Path, skip: tuple[str, ...] = ()) -> Path:
    """The files git knows of this checkout (tracked, or new and not ignored), copied into ``dest``."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        if (ROOT / rel).is_file() and not rel.startswith(skip):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    return dest


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Create a git repository from a list of (date, {path: content}) commits."""

    def make(name: str, commits: list[tuple[str, dict[str, str | bytes | None]]]) -> Path:
        repo = tmp_path / name
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        for index, (date, files) in enumerate(commits):
            write_files(repo, files)
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", f"commit {index}", date=date)
        return repo

    return make


CORPUS = Path(os.environ.get("MLDEBT_CORPUS") or ROOT.parent / "shared" / "corpus")


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus of real configuration files, read in place, never copied.

    Absent on a developer's machine: the test skips with that reason. Absent
    under CI (CI=true): the test fails, because every parser must be proven
    against every real file of its kind.
    """
    if not (CORPUS / "SOURCES.md").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the shared corpus is missing at {CORPUS} (CI=true requires it)")
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return CORPUS


def corpus_files(corpus: Path, folder: str) -> list[Path]:
    """Every corpus file under ``folder`` (the bookkeeping files left out)."""
    skip = {"README.md", "SOURCES.md", "SHA256SUMS"}
    return sorted(p for p in (corpus / folder).rglob("*") if p.is_file() and p.name not in skip)


@pytest.fixture(scope="session")
def samples_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample portfolio scanned over five quarters (tests/sample_store.py), built once per session."""
    from .sample_store import build_sample_store

    return build_sample_store(tmp_path_factory.mktemp("report-samples"))


@pytest.fixture
def sample_db(samples_db: Path, tmp_path: Path) -> Path:
    """A private copy of the sample store for one test (made by SQLite's backup, never a raw file copy)."""
    return backup(samples_db, tmp_path / "samples.db")


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample portfolio under the default rubric, for the web tests (tests/browser.py), built once per session."""
    from .browser import build_sample_store

    return build_sample_store(tmp_path_factory.getbasetemp())


@pytest.fixture
def store_path(sample_store: Path, tmp_path: Path) -> Path:
    """A fresh copy of the web sample store for one test."""
    return backup(sample_store, tmp_path / "web.db")


@pytest.fixture
def app(store_path: Path):
    """The web app over a fresh copy of the web sample store."""
    from mldebt.webapp import create_app

    return create_app({"DATABASE": str(store_path), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
