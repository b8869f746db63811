"""Speed to the limit (issue 20): start-up, a small repository, and a full scan against the parse floor.

Every figure is a whole process, the median of --repeats runs (5 by default):

- ``mldebt --help``: wall time and peak memory (the resident set of the process);
- ``mldebt collect`` of a 15-file repository built here from this machine's
  Python standard library, with an empty cache (cold) and again on the same
  commit (unchanged);
- the parse floor: one process that reads every .py file of a corpus and
  ``ast.parse``s it once, against a full cold ``mldebt collect`` of the same
  corpus, run in turns (floor, scan, floor, scan, ...), and their ratio (of
  the medians, and the median of each turn's); for two corpora built here from the standard
  library: all of it (the stdlib corpus) and a ~300-file, ~100k-line slice
  (the scale of pytorch-image-models).

Corpora are git repositories under --work (outside the project), built once.
Goals (issue 20): --help under 0.2 s and 60 MB; the small repository under
0.5 s cold and 0.3 s unchanged; a full scan within 1.5x the parse floor; the
~100k-line slice under 3 s.

Usage: python bench/bench_speed.py [--work DIR] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

PARSE = """
import ast, pathlib, subprocess, sys, time
root = pathlib.Path(sys.argv[1])
files = subprocess.run(["git", "-C", str(root), "ls-files", "*.py"], capture_output=True, text=True).stdout.split()
start = time.perf_counter()
for name in files:
    try:
        ast.parse((root / name).read_bytes())
    except (SyntaxError, ValueError):
        pass
print(time.perf_counter() - start)
"""


def stdlib_files() -> list[Path]:
    """The standard library's own .py files (no tests, no site-packages), smallest path first."""
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = ("site-packages", "test", "tests", "idlelib", "lib2to3", "__pycache__")
    return sorted(p for p in root.rglob("*.py") if not any(part in skip for part in p.relative_to(root).parts))


def build(repo: Path, files: list[Path]) -> Path:
    if (repo / ".git").is_dir():
        return repo
    root = Path(sysconfig.get_paths()["stdlib"])
    for source in files:
        target = repo / "pkg" / source.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    env = dict(os.environ, GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "corpus"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)
    return repo


def lines(files: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in files)


def as_installed(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an installed tool: Python may keep its bytecode cache (a pip install compiles it).

    PYTHONDONTWRITEBYTECODE, set in some shells and containers, makes every run
    compile mldebt's own modules from source again, which is not what a user's
    installed copy pays; it is left out of every measured run.
    """
    found = dict(os.environ if env is None else env)
    found.pop("PYTHONDONTWRITEBYTECODE", None)
    return found


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=as_installed(env))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(command)}")
    return wall, usage.ru_maxrss / 1024


def median(values: list[float]) -> float:
    return statistics.median(values)


def collect(repo: Path, cache: Path, db: Path, fresh: bool) -> tuple[float, float]:
    if fresh:
        shutil.rmtree(cache, ignore_errors=True)
        db.unlink(missing_ok=True)
    env = dict(os.environ, MLDEBT_CACHE=str(cache))
    return run([sys.executable, "-m", "mldebt", "collect", str(repo), "--db", str(db)], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mldebt-bench-speed")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n = args.repeats
    everything = stdlib_files()
    small = build(args.work / "small", [p for p in everything if 2_000 < p.stat().st_size < 20_000][:15])
    picked, total = [], 0
    for path in sorted(everything, key=lambda p: p.stat().st_size):
        if total >= 100_000 or len(picked) >= 320:
            break
        if path.stat().st_size > 8_000:
            picked.append(path)
            total += path.read_bytes().count(b"\n")
    slice_ = build(args.work / "slice", picked)
    whole = build(args.work / "stdlib", everything)
    scratch = args.work / "scratch"
    scratch.mkdir(exist_ok=True)

    run([sys.executable, "-m", "mldebt", "--help"])  # a first run writes the bytecode cache, as installing does
    helps = [run([sys.executable, "-m", "mldebt", "--help"]) for _ in range(n)]
    print(f"mldebt --help: {median([w for w, _ in helps]):.3f} s, peak {median([m for _, m in helps]):.0f} MB")

    cold = [collect(small, scratch / "c-small", scratch / "small.db", fresh=True)[0] for _ in range(n)]
    warm = [collect(small, scratch / "c-small", scratch / "small.db", fresh=False)[0] for _ in range(n)]
    print(f"collect, 15-file repository: cold {median(cold):.3f} s, unchanged commit {median(warm):.3f} s")

    for name, repo, files in (("~100k-line slice", slice_, picked), ("standard library", whole, everything)):
        floor, scans = [], []
        for _ in range(n):  # in turns, so that a machine slowing down or speeding up weighs on both alike
            floor.append(parse_floor(repo))
            scans.append(collect(repo, scratch / f"c-{repo.name}", scratch / f"{repo.name}.db", fresh=True)[0])
        ratios = [scan / parsed for parsed, scan in zip(floor, scans, strict=True)]
        print(
            f"{name} ({len(files)} files, {lines(files):,} lines): parse floor {median(floor):.2f} s, "
            f"full cold scan {median(scans):.2f} s = {median(scans) / median(floor):.2f}x the floor "
            f"(turn by turn: median {median(ratios):.2f}x, each {', '.join(f'{r:.2f}' for r in ratios)})"
        )


def parse_floor(repo: Path) -> float:
    """Seconds one process takes to read and ``ast.parse`` every .py file of ``repo`` once (PARSE)."""
    done = subprocess.run([sys.executable, "-c", PARSE, str(repo)], capture_output=True, text=True, check=True)
    return float(done.stdout)


if __name__ == "__main__":
    main()
