"""Benchmark: one store under a busy organisation's load, for minutes.

A real server (`mldebt serve`, or gunicorn with two worker processes) takes
evidence pushes from three CI-like clients and page reads from three readers,
while another process runs `mldebt collect` of a portfolio and `mldebt score`
in a loop on the same SQLite file. At the end, every push the server answered
with 2xx is looked up in the store and SQLite's integrity check is run.

Goal (issue 15): lost writes 0, integrity ok, no 5xx; report pushes per
second held and the p50/p99 of reads. The driver is tests/soak.py, the same one
the soak tests run for a minute.

    python bench/bench_soak.py [--seconds 300] [--server serve|gunicorn|both] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.soak import prepare, soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--server", choices=("serve", "gunicorn", "both"), default="both")
    parser.add_argument("--keep", type=Path, help="keep the stores and server logs in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="mldebt-soak-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    failed = False
    try:
        for server in ("serve", "gunicorn") if args.server == "both" else (args.server,):
            setup = prepare(root / server)
            outcome = soak(setup, args.seconds, server=server)
            p50 = statistics.median(outcome.read_ms) if outcome.read_ms else float("nan")
            print(
                f"{server:9} {outcome.seconds:5.0f} s | pushes stored {len(outcome.accepted):5d} "
                f"({outcome.pushes_per_second:.2f}/s), refused {len(outcome.push_failures)} | reads "
                f"{len(outcome.read_ms):6d}, p50 {p50:.0f} ms, p99 {outcome.read_percentile(0.99):.0f} ms, "
                f"failed {len(outcome.read_failures)} | CLI collect+score rounds {outcome.cli_runs}, "
                f"failed {len(outcome.cli_failures)} | lost {len(outcome.lost)} | integrity {outcome.integrity}"
            )
            for problem in (outcome.push_failures + outcome.read_failures + outcome.cli_failures)[:5]:
                print("   ", problem[:200])
            failed |= bool(
                outcome.lost
                or outcome.integrity != "ok"
                or outcome.push_failures
                or outcome.read_failures
                or outcome.cli_failures
            )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
