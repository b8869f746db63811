"""The SQLite store: one file, opened through sqlite-utils.

Tables are plain on purpose, so that Datasette or pandas can read them:
``teams``, ``projects``, ``scans``, ``evidence`` (one row per fact),
``results`` (one row per check per scan), ``scores`` (section, category and
overall figures per scan), ``rubrics``, ``paydown_items``, ``attestations``
and ``waivers``. Values that are not scalars are stored as JSON text.

Writes go through ``db.table(name)``, which is always a table (``db[name]``
may be a view, which has no insert or update).

The schema evolves through forward migrations (sqlite-utils' Migrations);
a database made by an older mldebt upgrades when opened. A scan and
everything derived from it are written in one transaction.

Many processes may write at once (collectors, the web app): a write
transaction takes the write lock when it begins (BEGIN IMMEDIATE), so a
writer that read first waits for the busy timeout instead of failing with
"database is locked" when it comes to write.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from mldebt.errors import StoreError
from mldebt.store import health as store_health

BUSY_TIMEOUT_S = 30.0

# Files (device, inode) this process has checked or connected to; see _check_header.
_headers_checked: set[tuple[int, int]] = set()
_first_open = threading.Lock()

migrations = Migrations("mldebt")


class Database(sqlite_utils.Database):
    """sqlite-utils' Database whose outermost ``atomic()`` is BEGIN IMMEDIATE."""

    @contextlib.contextmanager
    def atomic(self) -> Generator[Database, None, None]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


@migrations(name="0001_core")
def _core(db: sqlite_utils.Database) -> None:
    db.table("teams").create({"id": str, "name": str, "owner": str}, pk="id")
    db.table("projects").create(
        {
            "id": str,
            "team_id": str,
            "name": str,
            "repo": str,
            "subpath": str,
            "owner": str,
            "description": str,
            "tags": str,
            "sources": str,
        },
        pk="id",
        foreign_keys=[("team_id", "teams", "id")],
    )
    db.table("scans").create(
        {
            "id": str,
            "project_id": str,
            "as_of": str,
            "collected_at": str,
            "commit_sha": str,
            "commit_date": str,
            "tool_version": str,
            "rubric_hash": str,
            "duration_s": float,
            "fact_count": int,
            "error_count": int,
        },
        pk="id",
        foreign_keys=[("project_id", "projects", "id")],
    )
    db.table("scans").create_index(["project_id", "as_of"])
    db.table("evidence").create(
        {
            "id": int,
            "scan_id": str,
            "key": str,
            "value": str,
            "type": str,
            "collector": str,
            "path": str,
            "line": int,
            "url": str,
            "error": str,
        },
        pk="id",
        foreign_keys=[("scan_id", "scans", "id")],
    )
    db.table("evidence").create_index(["scan_id", "key"])
    db.table("results").create(
        {
            "scan_id": str,
            "check_id": str,
            "status": str,
            "points": float,
            "weight": float,
            "detail": str,
            "evidence_keys": str,
        },
        pk=("scan_id", "check_id"),
        foreign_keys=[("scan_id", "scans", "id")],
    )


@migrations(name="0002_scoring")
def _scoring(db: sqlite_utils.Database) -> None:
    db.table("rubrics").create(
        {"hash": str, "name": str, "version": str, "source": str, "content": str, "loaded_at": str},
        pk="hash",
    )
    db.table("scores").create(
        {"scan_id": str, "scope": str, "name": str, "value": float, "max": float, "label": str},
        pk=("scan_id", "scope", "name"),
        foreign_keys=[("scan_id", "scans", "id")],
    )
    db.table("paydown_items").create(
        {
            "id": str,
            "project_id": str,
            "check_id": str,
            "status": str,
            "opened_scan_id": str,
            "opened_at": str,
            "closed_scan_id": str,
            "closed_at": str,
            "last_scan_id": str,
            "gap": float,
            "weight": float,
            "effort_hours": float,
            "interest": float,
            "priority": float,
        },
        pk="id",
        foreign_keys=[("project_id", "projects", "id")],
    )
    db.table("attestations").create(
        {
            "id": int,
            "project_id": str,
            "question": str,
            "answer": str,
            "link": str,
            "attested_by": str,
            "attested_on": str,
            "expires_on": str,
            "source": str,
            "recorded_at": str,
        },
        pk="id",
        foreign_keys=[("project_id", "projects", "id")],
    )
    db.table("waivers").create(
        {"id": int, "project_id": str, "check_id": str, "reason": str, "owner": str, "until": str, "created_at": str},
        pk="id",
        foreign_keys=[("project_id", "projects", "id")],
    )


@migrations(name="0003_paydown_churn")
def _paydown_churn(db: sqlite_utils.Database) -> None:
    db.table("paydown_items").add_column("churn", float)
    db.table("waivers").add_column("starts_on", str)
    db.table("paydown_items").create_index(["project_id", "status"])
    db.table("waivers").create_index(["project_id", "check_id"])
    db.table("attestations").create_index(["project_id", "question"])


def open_db(path: Path | str, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the store at ``path`` and bring it up to date.

    A file that is not an SQLite database, a damaged one, or one that another
    program or a newer mldebt made raises StoreError and is left untouched.
    """
    path = Path(path)
    _check_header(path)
    _check_writable(path)
    if migrate and path.exists():  # before anything writes to it; per-request opens skip it
        store_health.check_pages(path, BUSY_TIMEOUT_S)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open database: {exc}") from None
    conn.isolation_level = "IMMEDIATE"  # statements outside atomic() too
    db = Database(conn, execute_plugins=False)  # the store needs no sqlite-utils plugin; finding them costs ~10 ms
    try:
        _check_contents(db, path, made=not migrate)
        with db.ensure_autocommit_on():
            db.execute("PRAGMA journal_mode=WAL")
        _remember(path)  # the file exists now, and this process holds a connection to it
        db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        db.execute("PRAGMA foreign_keys=ON")
        if migrate:
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if "readonly" in str(exc):
            raise StoreError(
                f"{path}: is read-only here ({exc}); mldebt writes the store and its -wal and -shm "
                "files beside it, so it needs write permission on both the file and its folder"
            ) from None
        raise StoreError(f"{path}: database is damaged or unreadable: {exc}") from None
    except StoreError:
        conn.close()
        raise
    return db


def _check_header(path: Path) -> None:
    """Read the file's header with plain file I/O, at most once per file per process.

    Closing any descriptor of a file drops every POSIX lock this process holds on it,
    SQLite's included: another process would then believe no one else has the store
    open, checkpoint it and delete its -wal and -shm files under our feet. So the raw
    read happens only before this process's first connection to the file (held under a
    lock, so no thread opens a connection meanwhile); every later open relies on
    SQLite, which reports damage through its own errors.
    """
    with _first_open:
        try:
            found = path.stat()
        except FileNotFoundError:
            if not path.parent.is_dir():
                raise StoreError(f"{path}: folder {path.parent} does not exist") from None
            return
        if path.is_dir():
            raise StoreError(f"{path}: is a directory, not a database file")
        if (found.st_dev, found.st_ino) in _headers_checked:
            return
        store_health.check_header(path)
        _headers_checked.add((found.st_dev, found.st_ino))


def _check_writable(path: Path) -> None:
    """A store mldebt cannot write is refused as read-only, not reported as damaged.

    SQLite in WAL mode writes even to read: the -shm index beside the file, and the
    -wal file on the first write. ``os.access`` answers for a read-only file system too.
    """
    folder = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(
            f"{path}: is read-only (no write permission on the file, or a read-only file system); "
            "mldebt needs to write the store: copy it somewhere writable or fix its permissions"
        )
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"{path}: its folder {folder} is read-only; mldebt needs to create the -wal and -shm "
            "files beside the store: move it somewhere writable or fix the folder's permissions"
        )


def _remember(path: Path) -> None:
    """A file this process now holds a connection to: its header must never be read raw again."""
    with _first_open:
        try:
            found = path.stat()
        except OSError:
            return
        _headers_checked.add((found.st_dev, found.st_ino))


def _check_contents(db: sqlite_utils.Database, path: Path, *, made: bool = False) -> None:
    tables = set(db.table_names())
    if made and not tables:  # the file was emptied or replaced after this process made it
        raise StoreError(
            f"{path}: database is damaged or unreadable: it holds no mldebt tables any more "
            "(the file was left untouched)"
        )
    if tables and Migrations.migrations_table not in tables:
        raise StoreError(f"{path}: an SQLite database that mldebt did not make (refusing to touch it)")
    known = {m.name for m in migrations._migrations}
    unknown = [m.name for m in migrations.applied(db) if m.name not in known]
    if unknown:
        raise StoreError(f"{path}: made by a newer mldebt (schema {unknown[-1]}); upgrade mldebt to use it")


def schema_version(db: sqlite_utils.Database) -> str:
    applied = migrations.applied(db)
    return applied[-1].name if applied else ""


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def inserted_id(key: int | None) -> int:
    """The integer key of the row an insert just made (a table's ``last_pk``, a cursor's ``lastrowid``)."""
    if key is None:  # only a statement that inserted nothing leaves it unset
        raise StoreError("the insert made no row")
    return int(key)


def rows(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> Iterator[dict[str, Any]]:
    cursor = db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row))


@migrations(name="0004_web_access")
def _web_access(db: sqlite_utils.Database) -> None:
    """Who may write through the web scorecard: users and API tokens, kept only as hashes."""
    db.table("users").create({"name": str, "password_hash": str, "created_at": str}, pk="name")
    db.table("api_tokens").create(
        {
            "id": int,
            "name": str,
            "token_hash": str,
            "prefix": str,
            "scopes": str,
            "created_at": str,
            "expires_on": str,
            "revoked_at": str,
            "last_used_at": str,
        },
        pk="id",
    )
    db.table("api_tokens").create_index(["token_hash"], unique=True)
    db.table("web_settings").create({"key": str, "value": str}, pk="key")


@migrations(name="0005_campaigns")
def _campaigns(db: sqlite_utils.Database) -> None:
    """Cleanup sprints: a set of checks (or paydown items) across chosen projects, with dates."""
    db.table("campaigns").create(
        {
            "name": str,
            "owner": str,
            "checks": str,
            "projects": str,
            "items": str,
            "start_on": str,
            "target_on": str,
            "created_at": str,
        },
        pk="name",
    )


@migrations(name="0006_collect_runs")
def _collect_runs(db: sqlite_utils.Database) -> None:
    """Portfolio runs and the projects each has finished (so a killed run resumes), and pushed scans (idempotency)."""
    db.table("collect_runs").create(
        {
            "id": int,
            "key": str,
            "target_hash": str,
            "as_of": str,
            "rubric_hash": str,
            "projects": int,
            "started_at": str,
            "finished_at": str,
            "status": str,
        },
        pk="id",
    )
    db.table("collect_runs").create_index(["key", "status"])
    db.table("collect_run_projects").create(
        {"run_id": int, "project_id": str, "scan_id": str, "outcome": str, "finished_at": str},
        pk=("run_id", "project_id"),
        foreign_keys=[("run_id", "collect_runs", "id")],
    )
    db.table("pushed_scans").create(
        {"scan_id": str, "digest": str, "token": str, "received_at": str},
        pk="scan_id",
        foreign_keys=[("scan_id", "scans", "id")],
    )


@migrations(name="0007_security")
def _security(db: sqlite_utils.Database) -> None:
    """Push tokens bound to one project or team; server-side sign-in sessions; sign-in attempts."""
    db.table("api_tokens").add_column("project_id", str)
    db.table("api_tokens").add_column("team_id", str)
    db.table("pushed_scans").add_column("token_id", int)
    db.table("web_sessions").create(
        {"id": str, "user": str, "created_at": str, "last_seen_at": str, "revoked_at": str},
        pk="id",
    )
    db.table("web_sessions").create_index(["user"])
    db.table("signin_attempts").create({"id": int, "name": str, "address": str, "at": str, "ok": int}, pk="id")
    db.table("signin_attempts").create_index(["name", "at"])
    db.table("signin_attempts").create_index(["address", "at"])


@migrations(name="0008_reasons")
def _reasons(db: sqlite_utils.Database) -> None:
    """Each result's plain reason, a sentence made from its evidence (the condition stays in detail)."""
    db.table("results").add_column("reason", str)


@migrations(name="0009_tiers")
def _tiers(db: sqlite_utils.Database) -> None:
    """Each project's tier (research, prototype, production): what it is expected to hold."""
    db.table("projects").add_column("tier", str)


@migrations(name="0010_waiver_locations")
def _waiver_locations(db: sqlite_utils.Database) -> None:
    """A waiver may name one place of a check's evidence (``path:line``) instead of the whole check."""
    db.table("waivers").add_column("location", str)
