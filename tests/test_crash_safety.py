"""SIGKILL during `mldebt collect`: the database stays consistent and nothing stored is lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from mldebt.rubric.schema import load_rubric

from .builders import assert_consistent
from .conftest import git, write_files

pytestmark = [pytest.mark.slow]

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
    # --restart: each run collects every project again instead of resuming the killed one,
    # so every kill can land in the middle of real work
    return [str(Path(sys.executable).with_name("mldebt")), "collect", str(portfolio), "--db", str(db), "--restart"]


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
        proc = subprocess.Popen(
            collect_cmd(portfolio, db_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, full_run))
        if proc.poll() is None:
            killed_mid_run += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now_stored = assert_consistent(db_path, checks)
        assert now_stored >= stored  # nothing already stored was lost
        stored = now_stored
    assert killed_mid_run >= KILLS // 2, "the kills should land while collect is running"


SCORE_KILLS = 10
RUBRIC = Path(__file__).parent / "data" / "rubric-report.yaml"
SCAN_COPIES = 50  # 6 collected scans become 306: `mldebt score` then writes for about a second


def multiply_scans(db_path: Path, copies: int) -> None:
    """Copy each stored scan (with its evidence, results and scores) under new ids, so re-scoring takes a while."""
    db = sqlite_utils.Database(db_path)
    originals = list(db.query("select * from scans"))
    with db.conn:
        for k in range(copies):
            for scan in originals:
                new_id = f"{scan['id'][:20]}{k:012d}"
                db.execute(
                    "insert into scans select ?, project_id, ?, collected_at, commit_sha, commit_date, "
                    "tool_version, rubric_hash, duration_s, fact_count, error_count from scans where id = ?",
                    [new_id, f"2025-{k % 12 + 1:02d}-{k % 28 + 1:02d}T00:00:{k % 60:02d}+00:00", scan["id"]],
                )
                for table in ("evidence", "results", "scores"):
                    columns = [c.name for c in db[table].columns if c.name not in {"scan_id", "id"}]
                    db.execute(
                        f"insert into {table} (scan_id, {', '.join(columns)}) "
                        f"select ?, {', '.join(columns)} from {table} where scan_id = ?",
                        [new_id, scan["id"]],
                    )
    db.close()


def stored_results(db_path: Path) -> tuple[set[str], dict[str, frozenset]]:
    """The rubric hashes the scans carry, and each scan's results."""
    db = sqlite_utils.Database(db_path)
    hashes = {r["rubric_hash"] for r in db.query("select rubric_hash from scans")}
    results: dict[str, set] = {}
    for r in db.query("select scan_id, check_id, status, points from results"):
        results.setdefault(r["scan_id"], set()).add((r["check_id"], r["status"], r["points"]))
    db.close()
    return hashes, {k: frozenset(v) for k, v in results.items()}


def writing(db_path: Path) -> bool:
    """Whether another connection holds the store's write lock (a write transaction is open): SQLite's own answer,
    taken by asking for the lock without waiting (and giving it back at once when it is free)."""
    probe = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            return True
        raise
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def test_sigkill_during_score_leaves_every_scan_scored_by_one_rubric(tmp_path):
    """`mldebt score` replaces results in one transaction: after a kill, all scans carry the old or the new rubric."""
    portfolio = build_portfolio(tmp_path)
    db_path = tmp_path / "crash.db"
    env = dict(os.environ, MLDEBT_CACHE=str(tmp_path / "cache"))
    first = load_rubric(RUBRIC)
    other_path = tmp_path / "rubric-v2.yaml"
    other_path.write_text(RUBRIC.read_text().replace('version: "1"', 'version: "2"', 1))
    second = load_rubric(other_path)
    assert first.hash != second.hash and len(first.checks) == len(second.checks)
    checks = len(first.checks)
    subprocess.run(
        [*collect_cmd(portfolio, db_path), "--rubric", str(RUBRIC)], check=True, env=env, capture_output=True
    )
    multiply_scans(db_path, SCAN_COPIES)
    scan_count = assert_consistent(db_path, checks)
    assert scan_count == 6 * (SCAN_COPIES + 1)
    _, expected = stored_results(db_path)

    def score_cmd(rubric: Path) -> list[str]:
        return [str(Path(sys.executable).with_name("mldebt")), "score", "--rubric", str(rubric), "--db", str(db_path)]

    started = time.monotonic()
    subprocess.run(score_cmd(other_path), check=True, env=env, capture_output=True)
    full_run = time.monotonic() - started
    assert stored_results(db_path) == ({second.hash}, expected)

    rng = random.Random(20261201)
    current, killed_while_writing, changed = second, 0, 0
    for attempt in range(SCORE_KILLS):
        target = first if current is second else second
        proc = subprocess.Popen(
            score_cmd(RUBRIC if target is first else other_path),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if attempt % 2:  # a moment anywhere in the run, start-up included
            time.sleep(rng.uniform(0.05, full_run))
        else:  # a moment inside the rescore's write transaction
            deadline = time.monotonic() + 60
            while not writing(db_path) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.02))
            killed_while_writing += writing(db_path)  # still inside it as it is killed
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert assert_consistent(db_path, checks) == scan_count  # no scan lost, none half-scored
        hashes, results = stored_results(db_path)
        assert hashes in ({first.hash}, {second.hash}), "a rescore was half applied"
        assert results == expected  # every scan still has all its results
        if hashes == {target.hash}:
            current, changed = target, changed + 1
    assert killed_while_writing >= SCORE_KILLS // 4, "the kills should land while score is writing"
    assert changed < SCORE_KILLS, "some kills should land before the commit"
