"""Benchmark: score 1,000 scans against the default rubric.

The evidence is real: the four sample projects are built and collected once
(at each quarter end and at HEAD, 20 scans), and their fact sets are cycled to
1,000 scans. Two figures, each the median of several runs:

- engine: `rubric.engine.score` over the 1,000 fact sets (no database);
- store: `mldebt score` re-scoring 1,000 stored scans (reads evidence, writes
  results, scores and paydown items in one transaction).

Goal (issue 3): under 5 s for the 1,000 scans on the 2-core machine.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANS = 1000
REPEATS = 5


def main() -> None:
    from mldebt.collectors.registry import declared_keys
    from mldebt.portfolio import load_portfolio
    from mldebt.rubric.engine import score
    from mldebt.rubric.schema import load_rubric
    from mldebt.samples import build_samples
    from mldebt.scans import collect_project, facts_of, readable, rescore, save_portfolio
    from mldebt.store import open_db

    rubric = load_rubric(None, declared_keys())
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        portfolio = load_portfolio(build_samples(ROOT / "sample_projects", tmp_path / "samples"))
        db = open_db(tmp_path / "bench.db")
        save_portfolio(db, portfolio)
        moments = [datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone.utc), datetime(2026, 3, 31, 23, 59, 59, tzinfo=timezone.utc),
                   datetime(2026, 6, 30, 23, 59, 59, tzinfo=timezone.utc), datetime(2026, 9, 30, 23, 59, 59, tzinfo=timezone.utc), None]
        scan_ids = []
        while len(scan_ids) < SCANS:
            for moment in moments:
                for project in portfolio.projects:
                    if len(scan_ids) < SCANS:
                        scan_ids.append(collect_project(db, project, rubric, moment).scan_id)
        fact_sets = [readable(facts_of(db, scan_id)) for scan_id in scan_ids]

        engine_times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            for facts in fact_sets:
                score(rubric, facts)
            engine_times.append(time.perf_counter() - started)
        store_times = []
        for _ in range(3):
            started = time.perf_counter()
            count = rescore(db, rubric)
            store_times.append(time.perf_counter() - started)
        assert count == SCANS

    engine, store = statistics.median(engine_times), statistics.median(store_times)
    print(f"rubric {rubric.name} {rubric.version}: {len(rubric.checks)} checks, {len(declared_keys())} declared evidence keys")
    print(f"engine: {SCANS} scans scored in {engine:.3f} s (median of {REPEATS}; {engine / SCANS * 1000:.2f} ms per scan)")
    print(f"store:  {SCANS} stored scans re-scored in {store:.3f} s (median of 3; {store / SCANS * 1000:.2f} ms per scan)")
    print(f"goal 5 s: engine {engine / 5:.1%} of budget, store {store / 5:.1%} of budget")


if __name__ == "__main__":
    sys.exit(main())
