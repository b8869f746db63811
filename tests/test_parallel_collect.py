"""`mldebt collect --jobs N`: a pool of collecting workers, the parent the single writer, and runs that resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from mldebt.collectors.code import batch as code_batch
from mldebt.rubric.schema import load_rubric
from mldebt.sources import gitsource
from mldebt.sources.gitsource import checkout
from mldebt.sources.portfolio import single_repository

from .builders import SCALE_RUBRIC, build_portfolio, evidence, scan_counts
from .conftest import git, write_files

pytestmark = [pytest.mark.slow]

MLDEBT = str(Path(sys.executable).with_name("mldebt"))


def test_a_pool_of_two_stores_the_same_scans_as_one_process(run, tmp_path, db_path):
    portfolio = build_portfolio(tmp_path, 4, modules=5)
    pooled = run("collect", str(portfolio), "--jobs", "2", "--rubric", str(SCALE_RUBRIC), "--as-of", "2026-06-30")
    assert pooled.exit_code == 0, pooled.output
    lines = sorted(line for line in pooled.output.splitlines() if line.startswith("scored"))
    assert [line.split(" at ")[0] for line in lines] == ["scored p0", "scored p1", "scored p2", "scored p3"]
    assert scan_counts(db_path) == {"p0": 1, "p1": 1, "p2": 1, "p3": 1}

    single_db = tmp_path / "single.db"
    result = subprocess.run(
        [
            MLDEBT,
            "collect",
            str(portfolio),
            "--jobs",
            "1",
            "--rubric",
            str(SCALE_RUBRIC),
            "--as-of",
            "2026-06-30",
            "--db",
            str(single_db),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert evidence(single_db) == evidence(db_path)
    db = sqlite_utils.Database(db_path)
    assert {r["rubric_hash"] for r in db.query("select rubric_hash from scans")} == {load_rubric(SCALE_RUBRIC).hash}
    assert [r["status"] for r in db.query("select status from collect_runs")] == ["finished"]


def test_an_interrupted_run_resumes_and_restart_redoes_everything(run, tmp_path, db_path):
    """A project that fails leaves its run unfinished: the same command again does only what is left."""
    portfolio = build_portfolio(tmp_path, 3, modules=3, broken={1})
    first = run("collect", str(portfolio), "--jobs", "2", "--rubric", str(SCALE_RUBRIC))
    assert first.exit_code == 2
    assert "mldebt: error: p1: p1: sub-path 'uncommitted' does not exist at commit " in first.output
    assert scan_counts(db_path) == {"p0": 1, "p2": 1}

    again = run("collect", str(portfolio), "--jobs", "2", "--rubric", str(SCALE_RUBRIC))
    assert again.exit_code == 2
    assert "resuming an interrupted run: skipped 2 of 3 projects already done (--restart redoes them)" in again.output
    assert scan_counts(db_path) == {"p0": 1, "p2": 1}

    # fix the project: commit its folder; the resumed run finishes with it alone
    write_files(tmp_path / "repo1", {"uncommitted/train.py": "def train():\n    return 1\n"})
    git(tmp_path / "repo1", "add", "-A")
    git(tmp_path / "repo1", "commit", "-q", "-m", "folder", date="2026-01-02T00:00:00+00:00")
    fixed = run("collect", str(portfolio), "--jobs", "2", "--rubric", str(SCALE_RUBRIC))
    assert fixed.exit_code == 0, fixed.output
    assert scan_counts(db_path) == {"p0": 1, "p1": 1, "p2": 1}

    # that run is finished: the same command starts a new one, and so does --restart
    fresh = run("collect", str(portfolio), "--jobs", "2", "--rubric", str(SCALE_RUBRIC))
    assert "resuming" not in fresh.output and fresh.exit_code == 0
    assert scan_counts(db_path) == {"p0": 2, "p1": 2, "p2": 2}
    (tmp_path / "repo1" / "uncommitted" / "train.py").unlink()
    git(tmp_path / "repo1", "rm", "-q", "-r", "uncommitted")
    git(tmp_path / "repo1", "commit", "-q", "-m", "gone", date="2026-01-03T00:00:00+00:00")
    (tmp_path / "repo1" / "uncommitted").mkdir()
    run("collect", str(portfolio), "--jobs", "2", "--rubric", str(SCALE_RUBRIC))  # p1 fails again: unfinished
    restarted = run("collect", str(portfolio), "--jobs", "2", "--rubric", str(SCALE_RUBRIC), "--restart")
    assert "resuming" not in restarted.output
    assert scan_counts(db_path) == {"p0": 4, "p1": 2, "p2": 4}
    db = sqlite_utils.Database(db_path)
    assert [r["status"] for r in db.query("select status from collect_runs order by id")] == [
        "finished",
        "finished",
        "abandoned",
        "running",
    ]


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_sigkill_halfway_then_the_same_command_does_only_the_rest(tmp_path):
    projects = 8
    portfolio = build_portfolio(tmp_path, projects, modules=120)
    db_path = tmp_path / "killed.db"
    cmd = [MLDEBT, "collect", str(portfolio), "--jobs", "2", "--rubric", str(SCALE_RUBRIC), "--db", str(db_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        stored: dict[str, int] = {}
        while not stored and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
            if db_path.exists():
                try:
                    stored = scan_counts(db_path)
                except sqlite_utils.db.OperationalError:  # the schema is being made
                    stored = {}
        workers = children_of(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert stored, "the first project was never stored"
        at_kill = scan_counts(db_path)
        assert len(at_kill) < projects, "the run finished before it could be killed"
        assert len(workers) == 2, workers
        deadline = time.monotonic() + 10  # the orphaned workers notice and exit
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in workers), "pool workers outlived the killed parent"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert (
        f"resuming an interrupted run: skipped {len(at_kill)} of {projects} projects already done "
        "(--restart redoes them)"
    ) in rerun.stdout
    redone = {line.split()[1] for line in rerun.stdout.splitlines() if line.startswith("scored ")}
    assert redone == {f"p{i}" for i in range(projects)} - set(at_kill)
    assert scan_counts(db_path) == {f"p{i}": 1 for i in range(projects)}


def test_the_per_file_pool_is_capped_inside_portfolio_workers(monkeypatch):
    monkeypatch.delenv("MLDEBT_FILE_WORKERS", raising=False)
    cores = code_batch.workers()
    assert cores == len(os.sched_getaffinity(0))
    monkeypatch.setenv("MLDEBT_FILE_WORKERS", "1")
    assert code_batch.workers() == 1
    monkeypatch.setenv("MLDEBT_FILE_WORKERS", "not a number")
    assert code_batch.workers() == cores


def test_jobs_must_be_a_positive_number(run, tmp_path):
    portfolio = build_portfolio(tmp_path, 1, modules=1)
    result = run("collect", str(portfolio), "--jobs", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--jobs' / '-j': 0 is not in the range 1<=x<=256." in result.output


def test_monorepo_projects_sharing_one_git_url_are_collected_at_once(run, make_repo, tmp_path, db_path):
    """Four workers want the same clone at the same moment: one clones, the others wait and reuse it."""
    repo = make_repo(
        "mono",
        [("2026-01-01T00:00:00+00:00", {f"svc/{n}/train.py": f"def train():\n    return '{n}'\n" for n in "abcd"})],
    )
    lines = ["portfolio: monorepo", "teams:", "  - name: Team M", "    projects:"]
    for n in "abcd":
        lines += [f"      - name: svc-{n}", f"        repo: file://{repo}", f"        subpath: svc/{n}"]
    portfolio = tmp_path / "mono.yaml"
    portfolio.write_text("\n".join(lines) + "\n")
    result = run("collect", str(portfolio), "--jobs", "4", "--rubric", str(SCALE_RUBRIC))
    assert result.exit_code == 0, result.output
    assert scan_counts(db_path) == {f"svc-{n}": 1 for n in "abcd"}


def test_a_layout_in_use_is_not_evicted_by_another_scan(make_repo, monkeypatch):
    monkeypatch.setattr(gitsource, "MAX_CACHED_TREES", 2)
    repos = [make_repo(f"r{i}", [("2026-01-01T00:00:00+00:00", {"a.py": f"x = {i}\n"})]) for i in range(4)]
    with checkout(single_repository(repos[0]).projects[0]) as held:
        for other in repos[1:]:
            with checkout(single_repository(other).projects[0]) as tree:
                assert (tree.root / "a.py").is_file()
        assert (held.root / "a.py").read_text() == "x = 0\n"
    layouts = [p for p in (gitsource.cache_dir() / "trees").iterdir() if not p.name.startswith(".")]
    assert len(layouts) == 3  # the two newest, and the one that was in use; the next eviction takes it
