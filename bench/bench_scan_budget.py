"""Where a full cold scan's time goes, against the parse floor: the CPU budget of issue 20's 1.5x goal.

A scan can be no faster than its CPU time spread over every core. This prints,
for the standard-library corpus that bench_speed.py builds (medians of
--repeats whole processes):

- the parse floor (one process: read and ``ast.parse`` every .py file once);
- a full cold ``mldebt collect``: wall time, the CPU of the collecting process
  and of everything it waited for (the file workers and git), and the least
  wall time that CPU allows on this machine's cores (CPU / cores), each as a
  multiple of the floor;
- the per-file analysis stage by stage, serial in one process (best of
  --repeats): what the file workers spend, and what is left once the parse
  itself is taken out;
- the CPU a scan within 1.5x the floor may spend at most on these cores.

The stages are timed by wrapping the analyser's functions in this process
only (the scan itself is never changed). Usage:
python bench/bench_scan_budget.py [--work DIR] [--repeats N]
"""

from __future__ import annotations

import argparse
import ast
import collections
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import bench_speed  # the corpus and the floor, built and measured as bench_speed does

GOAL = 1.5


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def whole_collect(repo: Path, scratch: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and everything it waited for) of one cold collect."""
    cache, db = scratch / "budget-cache", scratch / "budget.db"
    shutil.rmtree(cache, ignore_errors=True)
    db.unlink(missing_ok=True)
    env = bench_speed.as_installed(dict(os.environ, MLDEBT_CACHE=str(cache)))
    command = [sys.executable, "-m", "mldebt", "collect", str(repo), "--db", str(db)]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)  # the child's usage includes what it waited for
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(command)}")
    return wall, usage.ru_utime + usage.ru_stime


def floor(repo: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", bench_speed.PARSE, str(repo)],
        capture_output=True,
        text=True,
        check=True,
        env=bench_speed.as_installed(),
    )
    return float(out.stdout)


def stages(repo: Path, repeats: int) -> dict[str, float]:
    """Seconds per stage of summarising every file of ``repo`` in this process (best total of ``repeats``)."""
    from mldebt.collectors.code import scan
    from mldebt.collectors.repo.cache import encode

    spent: collections.Counter[str] = collections.Counter()

    def timed(module: Any, name: str, label: str) -> None:
        wrapped: Callable[..., Any] = getattr(module, name)

        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return wrapped(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start

        setattr(module, name, run)

    parse = ast.parse
    timed(ast, "parse", "parse")  # the module the analyser calls it from
    timed(scan, "measured_complexity", "complexity (radon, hotspot candidates)")
    timed(scan, "file_state", "dead code (vulture's per-file pass)")
    timed(scan, "_markers", "debt markers")
    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "*.py"], capture_output=True, text=True, check=True)
    texts = [(name, (repo / name).read_text(errors="replace")) for name in listed.stdout.split()]
    by_size = sorted((len(text.splitlines()), name) for name, text in texts if len(text) <= 256 * 1024)
    candidates = {name for _, name in by_size[-20:]}  # in a one-commit corpus the most churned are the longest
    best: dict[str, float] | None = None
    for _ in range(repeats):
        spent.clear()
        start = time.perf_counter()
        for name, text in texts:
            summary = scan.summarise(name, text, complexity=name in candidates)
            began = time.perf_counter()
            encode(summary)
            spent["cache encoding"] += time.perf_counter() - began
        total = time.perf_counter() - start
        if best is None or total < best["total"]:
            best = {**spent, "total": total}
    ast.parse = parse
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mldebt-bench-speed")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    repo = bench_speed.build(args.work / "stdlib", bench_speed.stdlib_files())
    scratch = args.work / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    n = cores()
    whole_collect(repo, scratch)  # a first run writes the bytecode cache, as installing does
    floors = [floor(repo) for _ in range(args.repeats)]
    runs = [whole_collect(repo, scratch) for _ in range(args.repeats)]
    base = statistics.median(floors)
    wall = statistics.median(w for w, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    print(f"parse floor: {base:.2f} s (one process)")
    print(f"full cold scan: {wall:.2f} s wall = {wall / base:.2f}x the floor")
    print(f"  CPU, the scan and what it waited for: {cpu:.2f} s = {cpu / base:.2f}x the floor")
    print(f"  least wall that CPU allows on {n} cores: {cpu / n:.2f} s = {cpu / n / base:.2f}x the floor")
    print(f"  within {GOAL}x the floor: at most {GOAL * base:.2f} s wall, so at most {GOAL * base * n:.2f} s of CPU")
    found = stages(repo, args.repeats)
    total = found.pop("total")
    print(f"per-file analysis, serial in one process: {total:.2f} s ({total / base:.2f}x the floor)")
    for label, seconds in sorted(found.items(), key=lambda item: -item[1]):
        print(f"  {label}: {seconds:.3f} s")
    rest = total - sum(found.values())
    print(f"  the rest (shared index, our visitor, shapes, test functions, the summary): {rest:.3f} s")


if __name__ == "__main__":
    main()
