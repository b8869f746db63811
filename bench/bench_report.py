"""Report benchmark (issue 8): render the leadership PDF for 50 teams and 200 projects.

Builds the sample projects, collects them at the four quarter ends and at HEAD
(20 real scans), then lets `bench/report_portfolio.py` generate a portfolio of
--teams x --per-team projects from those scans and time `mldebt report` on it
in a child process (wall time, CPU time, peak memory, pages), --repeats times.
Goal: under 30 s and under 500 MB.

Usage: python bench/bench_report.py [--teams 50] [--per-team 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # scripts/ and bench/ beside mldebt

ROOT = Path(__file__).resolve().parents[1]
QUARTER_ENDS = [(2025, 12, 31), (2026, 3, 31), (2026, 6, 30), (2026, 9, 30)]


def sample_scans(folder: Path) -> Path:
    """A database of the sample portfolio's real scans: four quarter ends and HEAD."""
    from mldebt.rubric.schema import load_rubric
    from mldebt.scanning.scans import collect_project, save_portfolio
    from mldebt.sources.portfolio import load_portfolio
    from mldebt.store.db import open_db
    from scripts.samples import build_samples

    portfolio = load_portfolio(build_samples(ROOT / "sample_projects", folder / "samples"))
    db = open_db(folder / "samples.db")
    rubric = load_rubric()
    save_portfolio(db, portfolio)
    moments = [datetime(*day, 23, 59, 59, tzinfo=UTC) for day in QUARTER_ENDS] + [None]
    for moment in moments:
        for project in portfolio.projects:
            collect_project(db, project, rubric, moment)
    db.close()
    return folder / "samples.db"


def main() -> None:
    from bench.report_portfolio import GOAL_MB, GOAL_SECONDS, run

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--per-team", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLDEBT_CACHE"] = str(Path(tmp) / "cache")
        source = sample_scans(Path(tmp))
        runs = [run(source, Path(tmp) / f"run{i}", args.teams, args.per_team) for i in range(args.repeats)]
    for measured in runs:
        print(measured.line())
    seconds = statistics.median(m.seconds for m in runs)
    peak = statistics.median(m.peak_mb for m in runs)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print(
        f"median of {len(runs)}: {seconds:.1f} s ({seconds / GOAL_SECONDS:.0%} of the {GOAL_SECONDS:.0f} s goal), "
        f"peak {peak:.0f} MB ({peak / GOAL_MB:.0%} of {GOAL_MB:.0f} MB), {runs[0].pages} pages"
    )


if __name__ == "__main__":
    main()
