"""The SQLite store: pragmas, migrations, and refusing files that are not ours."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from mldebt.errors import StoreError
from mldebt.store.db import migrations, open_db, schema_version

TABLES = {
    "teams",
    "projects",
    "scans",
    "evidence",
    "results",
    "scores",
    "rubrics",
    "paydown_items",
    "attestations",
    "waivers",
}


def test_new_database_has_every_table_wal_and_a_busy_timeout(db):
    assert set(db.table_names()) >= TABLES
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert schema_version(db) == "0010_waiver_locations"


def test_opening_twice_applies_nothing_new(db_path):
    open_db(db_path).close()
    db = open_db(db_path)
    assert [m.name for m in migrations.applied(db)] == [
        "0001_core",
        "0002_scoring",
        "0003_paydown_churn",
        "0004_web_access",
        "0005_campaigns",
        "0006_collect_runs",
        "0007_security",
        "0008_reasons",
        "0009_tiers",
        "0010_waiver_locations",
    ]


def test_an_older_database_upgrades_without_loss(db_path):
    old = sqlite_utils.Database(db_path)
    migrations.apply(old, stop_before="0002_scoring")
    assert "scores" not in old.table_names()
    old["teams"].insert({"id": "t", "name": "Team", "owner": None})
    old["projects"].insert({"id": "p", "team_id": "t", "name": "p", "repo": "/r"})
    old["scans"].insert({"id": "s1", "project_id": "p", "as_of": "2026-01-01T00:00:00+00:00"})
    old["evidence"].insert({"scan_id": "s1", "key": "repo.files.total", "value": "3", "type": "int"})
    old.close()

    db = open_db(db_path)
    assert schema_version(db) == "0010_waiver_locations"
    assert set(db.table_names()) >= TABLES
    assert [r["key"] for r in db["evidence"].rows] == ["repo.files.total"]
    assert db["scans"].get("s1")["as_of"] == "2026-01-01T00:00:00+00:00"


def test_a_database_from_a_newer_mldebt_is_refused(db_path):
    db = open_db(db_path)
    db["_sqlite_migrations"].insert({"migration_set": "mldebt", "name": "0099_future", "applied_at": "x"})
    db.close()
    with pytest.raises(StoreError, match="made by a newer mldebt"):
        open_db(db_path)


def test_a_file_that_is_not_sqlite_is_left_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 10)
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        open_db(path)
    assert str(info.value) == f"{path}: not an SQLite database (refusing to touch it)"
    assert path.read_bytes() == before


def test_someone_elses_sqlite_database_is_left_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("create table customers (id integer)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="an SQLite database that mldebt did not make"):
        open_db(path)
    assert path.read_bytes() == before


def test_a_truncated_database_gives_a_clear_error_and_stays_as_it_was(tmp_path, db_path):
    db = open_db(db_path)
    db["teams"].insert_all({"id": f"t{i}", "name": "x" * 500, "owner": None} for i in range(200))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = db_path.read_bytes()
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(data[: len(data) // 3])
    before = damaged.read_bytes()
    with pytest.raises(StoreError) as info:
        open_db(damaged)
    assert str(info.value).startswith(f"{damaged}: database is damaged or unreadable")
    assert damaged.read_bytes() == before


def test_missing_folder(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_db(tmp_path / "no" / "such" / "x.db")
