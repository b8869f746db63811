"""Every write the store accepted is kept, whatever else opens it at the same time.

Opening the store file with plain file I/O in a process that holds an SQLite
connection to it, then closing that descriptor, drops SQLite's POSIX locks: a
second process then believes it is alone, checkpoints and deletes the -wal and
-shm files, and the first process's writes are lost or the file is damaged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mldebt.store.db import open_db

from .soak import prepare, soak

pytestmark = [pytest.mark.slow, pytest.mark.server]

SOAK_SECONDS = 60

ANOTHER_PROCESS = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=30)
conn.execute("insert into web_settings (key, value) values ('from-b', 'b')")
conn.commit()
conn.close()  # the last connection it knows of: SQLite checkpoints and deletes the WAL if it can
"""


def test_opening_the_store_again_keeps_the_locks_of_the_connections_already_open(tmp_path):
    path = tmp_path / "store.db"
    first = open_db(path)
    first["web_settings"].insert({"key": "from-a", "value": "a"})
    assert first.execute("select count(*) from web_settings").fetchone()[0] == 1  # holds the file open in WAL mode
    for _ in range(3):  # as every web request did: open, check, close
        open_db(path, migrate=False).close()
    done = subprocess.run([sys.executable, "-c", ANOTHER_PROCESS, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert path.with_name("store.db-wal").exists(), "another process deleted the WAL of an open connection"
    first["web_settings"].insert({"key": "from-a-again", "value": "a"})
    assert {r[0] for r in first.execute("select key from web_settings")} >= {"from-a", "from-b", "from-a-again"}
    first.close()
    reopened = open_db(path)
    assert reopened.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert {r[0] for r in reopened.execute("select key from web_settings")} >= {"from-a", "from-b", "from-a-again"}
    reopened.close()


def _assert_nothing_lost(outcome, what: str) -> None:
    assert outcome.accepted, f"{what}: no push was accepted: {outcome.push_failures[:3]}"
    assert outcome.read_ms, f"{what}: no read succeeded: {outcome.read_failures[:3]}"
    assert outcome.cli_runs >= 1, what
    assert outcome.lost == [], f"{what}: {len(outcome.lost)} pushes answered 2xx are not in the store"
    assert outcome.integrity == "ok", outcome.integrity
    assert outcome.push_failures == [], outcome.push_failures[:5]
    assert outcome.read_failures == [], outcome.read_failures[:5]
    assert outcome.cli_failures == [], outcome.cli_failures[:3]
    assert "Traceback" not in outcome.server_log, outcome.server_log[-3000:]


def test_mldebt_serve_under_pushes_reads_and_a_cli_writer_loses_nothing(tmp_path: Path):
    setup = prepare(tmp_path / "serve")
    outcome = soak(setup, SOAK_SECONDS, server="serve")
    print(outcome.summary())
    _assert_nothing_lost(outcome, "mldebt serve")


def test_gunicorn_with_two_workers_under_the_same_load_loses_nothing(tmp_path: Path):
    setup = prepare(tmp_path / "gunicorn")
    outcome = soak(setup, SOAK_SECONDS, server="gunicorn")
    print(outcome.summary())
    _assert_nothing_lost(outcome, "gunicorn")
