"""Benchmark: score 1,000 scans against the default rubric.

The evidence is real: the four sample projects are built and collected once
(at each quarter end and at HEAD, 20 scans), and those scans are copied in the
store, evidence and all, under new ids until there are 1,000. Two figures, each the median of several runs:

- engine: `rubric.engine.score` over the 1,000 fact sets (no database);
- store: `mldebt score` re-scoring 1,000 stored scans (reads evidence, writes
  results, scores and paydown items in one transaction).

Goal (issue 3): under 5 s for the 1,000 scans on the 2-core machine.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # scripts/ and bench/ beside mldebt

ROOT = Path(__file__).resolve().parents[1]
SCANS = 1000
REPEATS = 5


def clone_scans(db, real: list[str], wanted: int) -> list[str]:
    """Copy the real scans (with their evidence) under new ids until there are ``wanted``."""
    ids = list(real)
    columns = ["id"] + [c.name for c in db["scans"].columns if c.name != "id"]
    with db.atomic():
        copy = 0
        while len(ids) < wanted:
            source = real[copy % len(real)]
            new_id = f"{source}-copy{copy}"
            db.execute(
                f"insert into scans ({', '.join(columns)}) select ?, {', '.join(columns[1:])} from scans where id = ?",
                [new_id, source],
            )
            db.execute(
                "insert into evidence (scan_id, key, value, type, collector, path, line, url, error)"
                " select ?, key, value, type, collector, path, line, url, error from evidence where scan_id = ?",
                [new_id, source],
            )
            ids.append(new_id)
            copy += 1
    return ids


def main() -> None:
    from mldebt.collectors.registry import declared_keys
    from mldebt.rubric.engine import score
    from mldebt.rubric.schema import load_rubric
    from mldebt.scanning.scans import (
        collect_project,
        facts_of,
        readable,
        rescore,
        save_portfolio,
    )
    from mldebt.sources.portfolio import load_portfolio
    from mldebt.store.db import open_db
    from scripts.samples import build_samples

    rubric = load_rubric(None, declared_keys())
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        portfolio = load_portfolio(build_samples(ROOT / "sample_projects", tmp_path / "samples"))
        db = open_db(tmp_path / "bench.db")
        save_portfolio(db, portfolio)
        moments = [
            datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
            datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC),
            datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC),
            datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC),
            None,
        ]
        real = [
            collect_project(db, project, rubric, moment).scan_id for moment in moments for project in portfolio.projects
        ]
        scan_ids = clone_scans(db, real, SCANS)
        fact_sets = [readable(facts_of(db, scan_id)) for scan_id in scan_ids]

        engine_times, engine_cpu = [], []
        for _ in range(REPEATS):
            started, cpu = time.perf_counter(), time.process_time()
            for facts in fact_sets:
                score(rubric, facts)
            engine_times.append(time.perf_counter() - started)
            engine_cpu.append(time.process_time() - cpu)
        store_times, store_cpu = [], []
        for _ in range(REPEATS):
            started, cpu = time.perf_counter(), time.process_time()
            count = rescore(db, rubric)
            store_times.append(time.perf_counter() - started)
            store_cpu.append(time.process_time() - cpu)
        assert count == SCANS

    engine, store = statistics.median(engine_times), statistics.median(store_times)
    print(
        f"rubric {rubric.name} {rubric.version}: {len(rubric.checks)} checks, "
        f"{len(declared_keys())} declared evidence keys"
    )
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print(
        f"engine: {SCANS} scans scored in {engine:.3f} s wall, {statistics.median(engine_cpu):.3f} s CPU "
        f"(medians of {REPEATS}; {engine / SCANS * 1000:.2f} ms per scan)"
    )
    print(
        f"store:  {SCANS} stored scans re-scored in {store:.3f} s wall, {statistics.median(store_cpu):.3f} s CPU "
        f"(medians of {REPEATS}; {store / SCANS * 1000:.2f} ms per scan)"
    )
    print(f"goal 5 s: engine {engine / 5:.1%} of budget, store {store / 5:.1%} of budget")


if __name__ == "__main__":
    sys.exit(main())
