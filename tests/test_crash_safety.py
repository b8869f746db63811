"""SIGKILL during `mldebt collect`: the database stays consistent and nothing stored is lost."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlite_utils

from mldebt.rubric.schema import load_rubric

from .conftest import git, write_files

KILLS = 12


def build_portfolio(tmp_path: Path, projects: int = 6) -> Path:
    lines = ["portfolio: crash test", "teams:", "  - name: T", "    projects:"]
    for i in range(projects):
        repo = tmp_path / f"repo{i}"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        write_files(repo, {f"pkg/mod{j}.py": f"def f{j}():\n    return {j}  # TODO\n" * 20 for j in range(150)})
        write_files(repo, {"tests/test_a.py": "def test_a():\n    pass\n", "requirements.txt": "numpy\n"})
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "c", date="2026-01-01T00:00:00+00:00")
        lines += [f"      - name: p{i}", f"        repo: repo{i}"]
    path = tmp_path / "portfolio.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def collect_cmd(portfolio: Path, db: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("mldebt")), "collect", str(portfolio), "--db", str(db)]


def assert_consistent(db_path: Path, checks: int) -> int:
    db = sqlite_utils.Database(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    scans = list(db.query("select id, fact_count from scans"))
    for scan in scans:
        evidence = db.execute("select count(*) from evidence where scan_id = ?", [scan["id"]]).fetchone()[0]
        results = db.execute("select count(*) from results where scan_id = ?", [scan["id"]]).fetchone()[0]
        scores = db.execute("select count(*) from scores where scan_id = ?", [scan["id"]]).fetchone()[0]
        assert evidence == scan["fact_count"] and results == checks and scores > 0, scan
    for table in ("evidence", "results", "scores"):
        orphans = db.execute(f"select count(*) from {table} where scan_id not in (select id from scans)").fetchone()[0]
        assert orphans == 0, table
    db.close()
    return len(scans)


def test_sigkill_at_random_moments_leaves_no_half_scan(tmp_path):
    portfolio = build_portfolio(tmp_path)
    db_path = tmp_path / "crash.db"
    checks = len(load_rubric().checks)
    env = dict(os.environ, MLDEBT_CACHE=str(tmp_path / "cache"))

    started = time.monotonic()
    subprocess.run(collect_cmd(portfolio, db_path), check=True, env=env, capture_output=True)
    full_run = time.monotonic() - started
    stored = assert_consistent(db_path, checks)
    assert stored == 6

    rng = random.Random(20261122)
    killed_mid_run = 0
    for _ in range(KILLS):
        proc = subprocess.Popen(collect_cmd(portfolio, db_path), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, full_run))
        if proc.poll() is None:
            killed_mid_run += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now_stored = assert_consistent(db_path, checks)
        assert now_stored >= stored  # nothing already stored was lost
        stored = now_stored
    assert killed_mid_run >= KILLS // 2, "the kills should land while collect is running"
