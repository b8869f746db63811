"""Eight `mldebt collect` processes write to one database while `mldebt serve` answers reads.

No "database is locked" (nor any other error) reaches a user: every collect
exits 0 with a clean stderr, every page answers 200, and every scan lands.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlite_utils

from mldebt.rubric.schema import load_rubric

from .builders import REPORT_RUBRIC as RUBRIC
from .builders import assert_consistent, small_portfolio
from .servers import free_port, get, wait_until_serving

pytestmark = [pytest.mark.slow, pytest.mark.server]

COLLECTORS = 8
PROJECTS_EACH = 2
BAD_WORDS = ("locked", "busy", "error", "traceback", "exception")


def mldebt(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("mldebt")), *args]


def test_eight_collectors_and_a_reading_server_lose_nothing_and_show_no_error(tmp_path):
    env = dict(os.environ, MLDEBT_CACHE=str(tmp_path / "cache"), MLDEBT_PAGE_CACHE="0")
    db_path = tmp_path / "shared.db"
    portfolios = [small_portfolio(tmp_path, i, PROJECTS_EACH) for i in range(COLLECTORS)]
    first = subprocess.run(
        mldebt("collect", str(portfolios[0]), "--project", "c0-0", "--rubric", str(RUBRIC), "--db", str(db_path)),
        env=env,
        capture_output=True,
        text=True,
    )
    assert first.returncode == 0, first.stderr

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        mldebt("serve", "--port", str(port), "--db", str(db_path)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_serving(base, server)
        answers: list[tuple[str, int, str]] = []
        stop = threading.Event()

        def read_in_a_loop() -> None:
            pages = [
                "/",
                "/projects/c0-0",
                "/backlog",
                "/checks",
                "/api/v1/projects",
                "/api/v1/projects/c0-0/scans",
                "/api/v1/backlog",
                "/teams/t0",
            ]
            while not stop.is_set():
                for page in pages:
                    try:
                        status, body = get(base + page)
                    except OSError as exc:
                        status, body = -1, repr(exc)
                    answers.append((page, status, body))

        readers = [threading.Thread(target=read_in_a_loop) for _ in range(2)]
        for reader in readers:
            reader.start()
        collectors = [
            subprocess.Popen(
                mldebt("collect", str(p), "--rubric", str(RUBRIC), "--db", str(db_path)),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for p in portfolios
        ]
        outputs = [proc.communicate(timeout=300) for proc in collectors]
        stop.set()
        for reader in readers:
            reader.join(timeout=120)
    finally:
        server.terminate()
        _, server_err = server.communicate(timeout=60)

    for proc, (out, err) in zip(collectors, outputs):
        assert proc.returncode == 0, err
        assert not [w for w in BAD_WORDS if w in err.lower()], err
        assert out.count("scored c") == PROJECTS_EACH, out
    assert len(answers) >= 16, "the server should have answered reads while the collectors ran"
    failures = [(page, status, body[:300]) for page, status, body in answers if status != 200]
    assert failures == [], server_err[-3000:]
    assert not [w for w in ("locked", "traceback") if w in server_err.lower()], server_err
    assert assert_consistent(db_path, len(load_rubric(RUBRIC).checks)) == 1 + COLLECTORS * PROJECTS_EACH
    db = sqlite_utils.Database(db_path)
    per_project = dict(db.execute("select project_id, count(*) from scans group by project_id").fetchall())
    db.close()
    assert per_project == {
        "c0-0": 2,
        **{f"c{i}-{j}": 1 for i in range(COLLECTORS) for j in range(PROJECTS_EACH) if (i, j) != (0, 0)},
    }
