"""Benchmark: render the leadership report for a generated portfolio and report its time and peak memory.

The portfolio is made from a database of real scans (the demo's, or the
tests' sample database): every generated project copies, quarter by
quarter, the stored scans of one sample project, shifted by a quarter or two
so that the trajectories differ. Scans, results and scores are copied as
stored; paydown items are derived from them by the same rule a collection
uses. The report is then rendered in a child process, whose peak resident
memory and wall time are measured.

    python bench/report_portfolio.py demo/mldebt.db --teams 50 --per-team 4 --out /tmp/bench

Goal (issue 8): 50 teams and 200 projects in under 30 s and 500 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from mldebt.scanning.scans import stored_rubric, update_paydown
from mldebt.store.db import open_db, rows

GOAL_SECONDS, GOAL_MB = 30.0, 500.0
CHILD = """
import json, resource, sys, time
from mldebt.cli.main import cli
started, cpu = time.perf_counter(), time.process_time()
try:
    cli(sys.argv[2:], prog_name="mldebt")
except SystemExit as exc:
    code = exc.code or 0
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
# VmHWM: the peak of this program's own memory. ru_maxrss would also count the memory of the process that
# started it (Linux carries it over fork and exec), so a report started from a large test run read as large.
try:
    peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
open(sys.argv[1], "w").write(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak, "code": code}))
"""


@dataclass(frozen=True)
class Measured:
    teams: int
    projects: int
    scans: int
    pages: int
    seconds: float
    cpu_seconds: float
    peak_mb: float

    def line(self) -> str:
        verdict = "within" if self.seconds < GOAL_SECONDS and self.peak_mb < GOAL_MB else "OUTSIDE"
        return (
            f"report of {self.teams} teams, {self.projects} projects, {self.scans} scans: {self.pages} pages "
            f"in {self.seconds:.1f} s ({self.cpu_seconds:.1f} s of CPU), peak memory {self.peak_mb:.0f} MB "
            f"({verdict} the goal of {GOAL_SECONDS:g} s and {GOAL_MB:g} MB)"
        )


def generate(source: sqlite_utils.Database, target: sqlite_utils.Database, teams: int, per_team: int) -> int:
    """Fill ``target`` with ``teams`` x ``per_team`` projects copied from ``source``'s scans; return the scan count."""
    samples = [
        r["id"]
        for r in rows(
            source,
            "select id from projects p where exists (select 1 from scans s where s.project_id = p.id) order by id",
        )
    ]
    if not samples:
        raise SystemExit("the source database has no scans: run `bash scripts/demo.sh` first")
    history = {
        p: list(rows(source, "select * from scans where project_id = ? order by as_of, collected_at", [p]))
        for p in samples
    }
    for rubric in rows(source, "select * from rubrics"):
        target["rubrics"].insert(rubric, pk="hash", ignore=True)
    count = 0
    with target.atomic():
        for t in range(teams):
            team = f"team-{t:03d}"
            target["teams"].insert({"id": team, "name": f"Unit {t:03d}", "owner": f"lead-{t:03d}@example.com"})
            for k in range(per_team):
                n = t * per_team + k
                sample, shift = samples[n % len(samples)], (n // len(samples)) % 3
                project = f"project-{n:04d}"
                target["projects"].insert(
                    {
                        "id": project,
                        "team_id": team,
                        "name": project,
                        "repo": f"/repos/{project}",
                        "owner": f"owner-{n:04d}@example.com",
                        "tags": "[]",
                        "sources": "{}",
                    }
                )
                scans = history[sample]
                for q, original in enumerate(scans):
                    copy = scans[min(q + shift, len(scans) - 1)]
                    count += _copy_scan(source, target, copy, project, as_of=original["as_of"])
        for project in [r["id"] for r in rows(target, "select id from projects")]:
            latest = next(
                rows(
                    target, "select rubric_hash from scans where project_id = ? order by as_of desc limit 1", [project]
                )
            )
            update_paydown(target, project, stored_rubric(target, latest["rubric_hash"]))
    return count


def _copy_scan(
    source: sqlite_utils.Database, target: sqlite_utils.Database, scan: dict, project: str, as_of: str
) -> int:
    new_id = uuid.uuid4().hex
    target["scans"].insert({**scan, "id": new_id, "project_id": project, "as_of": as_of})
    target["results"].insert_all(
        {**r, "scan_id": new_id} for r in rows(source, "select * from results where scan_id = ?", [scan["id"]])
    )
    target["scores"].insert_all(
        {**r, "scan_id": new_id} for r in rows(source, "select * from scores where scan_id = ?", [scan["id"]])
    )
    target["evidence"].insert_all(
        {**{k: v for k, v in r.items() if k != "id"}, "scan_id": new_id}
        for r in rows(source, "select * from evidence where scan_id = ? and key like 'attest.%'", [scan["id"]])
    )
    return 1


def measure(db_path: Path, pdf: Path) -> tuple[float, float, float, int]:
    """Render the report in a child process: (wall seconds, CPU seconds, peak MB, pages)."""
    stats = pdf.with_suffix(".json")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(stats), "report", "-o", str(pdf), "--db", str(db_path)],
        capture_output=True,
        text=True,
    )
    result = json.loads(stats.read_text())
    if done.returncode or result["code"]:
        raise SystemExit(f"the report failed: {done.stdout}{done.stderr}")
    pages = int(done.stdout.rsplit(",", 1)[-1].split()[0])
    return result["seconds"], result["cpu"], result["peak_mb"], pages


def run(source: Path, folder: Path, teams: int, per_team: int) -> Measured:
    folder.mkdir(parents=True, exist_ok=True)
    target_path = folder / "bench.db"
    for stale in (target_path, Path(f"{target_path}-wal"), Path(f"{target_path}-shm")):
        stale.unlink(missing_ok=True)
    src, target = open_db(source), open_db(target_path)
    scans = generate(src, target, teams, per_team)
    src.close()
    target.close()
    seconds, cpu, peak, pages = measure(target_path, folder / "bench.pdf")
    return Measured(teams, teams * per_team, scans, pages, seconds, cpu, peak)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python bench/report_portfolio.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a database of real scans (e.g. demo/mldebt.db)")
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--per-team", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("bench"), help="folder for bench.db and bench.pdf")
    args = parser.parse_args(argv)
    print(run(args.source, args.out, args.teams, args.per_team).line())


if __name__ == "__main__":
    main()
