"""Repository scan benchmark: full scan against the floor of reading every file, re-scan, memory, cores.

Builds (once) a corpus from real Python projects: source distributions from
PyPI, unpacked and committed into a local git repository under --work (never
inside this project). Then, over --repeats runs each, prints medians of:

- the floor: ``git ls-files -z | xargs -0 cat >/dev/null`` in the corpus;
- a parse floor: every Python file read and decoded in one process and
  ``ast.parse``d in the scan's own process pool, chunked as the scan chunks
  them (what any AST-based scan pays before it looks at a tree);
- a full scan (``collect_project`` with every collector) with an empty cache,
  its CPU time and its ratio to both floors;
- a re-scan of the same commit with the cache the full scan left, and each
  collector's share of it;
- peak memory (largest resident set of the scan process and of one worker);
- CPU time over wall time (above 1: more than one core was busy).

Usage: python bench/bench_repo_scan.py [--work DIR] [--repeats N] [--packages SPEC ...]
"""

from __future__ import annotations

import argparse
import ast
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PACKAGES = ["sympy==1.13.3", "networkx==3.4.2"]


def build_corpus(work: Path, packages: list[str]) -> Path:
    repo = work / "repo"
    if (repo / ".git").is_dir():
        return repo
    downloads = work / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(downloads),
            *packages,
        ],
        check=True,
    )
    repo.mkdir(parents=True)
    for archive in sorted(downloads.glob("*.tar.gz")):
        with tarfile.open(archive) as tar:
            tar.extractall(repo, filter="data")
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
    )
    for args in (["init", "-q", "-b", "main"], ["add", "-A", "-f"], ["commit", "-q", "-m", "corpus"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)
    return repo


def floor(repo: Path) -> float:
    started = time.perf_counter()
    subprocess.run("git ls-files -z | xargs -0 cat >/dev/null", shell=True, cwd=repo, check=True)
    return time.perf_counter() - started


def one_scan(repo: Path, db_path: Path) -> dict:
    """Run in a child process: one collect_project, with this process's resource use."""
    from mldebt.rubric.schema import load_rubric
    from mldebt.scanning.scans import collect_project, save_portfolio
    from mldebt.sources.portfolio import single_repository
    from mldebt.store.db import open_db

    db = open_db(db_path)
    portfolio = single_repository(repo)
    save_portfolio(db, portfolio)
    rubric = load_rubric()
    started = time.perf_counter()
    summary = collect_project(db, portfolio.projects[0], rubric)
    wall = time.perf_counter() - started
    self_use, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    facts = db.execute("select count(*) from evidence where scan_id = ?", [summary.scan_id]).fetchone()[0]
    return {
        "scan_s": wall,
        "facts": facts,
        "errors": summary.errors,
        "cpu_s": self_use.ru_utime + self_use.ru_stime + children.ru_utime + children.ru_stime,
        "rss_mb": self_use.ru_maxrss / 1024,
        "worker_rss_mb": children.ru_maxrss / 1024,
    }


def repo_part(repo: Path) -> dict:
    """Run in a child process: the checkout and each registered collector alone, timed (a re-scan's parts)."""
    from mldebt.collectors import registry
    from mldebt.collectors.interface import Snapshot
    from mldebt.sources.gitsource import checkout
    from mldebt.sources.portfolio import single_repository

    times = {}
    started = time.perf_counter()
    with checkout(single_repository(repo).projects[0]) as tree:
        times["checkout"] = time.perf_counter() - started
        snapshot = Snapshot(
            project="bench", root=tree.root, commit=tree.commit, git_dir=tree.git_dir, skipped=tuple(tree.skipped)
        )
        for name in registry.COLLECTORS:
            started = time.perf_counter()
            registry.collect(snapshot, [name])
            times[name] = time.perf_counter() - started
    return times


def _parse_chunk(chunk: list[tuple[str, str]]) -> list[tuple[str, bool]]:
    out = []
    for rel, text in chunk:
        try:
            ast.parse(text, filename=rel)
            out.append((rel, True))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            out.append((rel, False))
    return out


def parse_floor(repo: Path) -> dict:
    """Run in a child process: read and decode every Python file, parse them in the scan's pool; nothing else."""
    from mldebt.collectors.code import batch as code_batch

    started = time.perf_counter()
    names = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], stdout=subprocess.PIPE, check=True).stdout
    texts = []
    for raw in names.split(b"\0"):
        if raw.endswith(b".py"):
            texts.append((os.fsdecode(raw), (repo / os.fsdecode(raw)).read_bytes().decode("utf-8", "replace")))
    chunks = code_batch.chunked(texts, lambda item: len(item[1]), code_batch.workers())  # as the scan chunks them
    context = multiprocessing.get_context("fork")  # as code_batch's pool: forked workers, one per core
    with ProcessPoolExecutor(max_workers=min(code_batch.workers(), len(chunks)), mp_context=context) as pool:
        parsed = sum(ok for results in pool.map(_parse_chunk, chunks) for _, ok in results)
    wall = time.perf_counter() - started
    self_use, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "parse_s": wall,
        "files": len(texts),
        "parsed": parsed,
        "cpu_s": self_use.ru_utime + self_use.ru_stime + children.ru_utime + children.ru_stime,
    }


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in meminfo if line.startswith("MemTotal")), 0)
    return f"nproc {os.cpu_count()}, {model}, {memory} GB RAM, Python {sys.version.split()[0]}"


def load() -> str:
    return open("/proc/loadavg").read().split()[0]


def child(repo: Path, cache: Path, db: Path, mode: str = "--one-scan") -> dict:
    env = dict(os.environ, MLDEBT_CACHE=str(cache))
    out = subprocess.run(
        [sys.executable, __file__, mode, str(repo), str(db)], env=env, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mldebt-bench")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--packages", nargs="+", default=PACKAGES)
    parser.add_argument("--one-scan", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--repo-part", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--parse-floor", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_scan:
        print(json.dumps(one_scan(*args.one_scan)))
        return
    if args.repo_part:
        print(json.dumps(repo_part(args.repo_part[0])))
        return
    if args.parse_floor:
        print(json.dumps(parse_floor(args.parse_floor[0])))
        return
    repo = build_corpus(args.work, args.packages)
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files"], stdout=subprocess.PIPE, text=True, check=True
    ).stdout.split("\n")
    py = sum(1 for name in listed if name.endswith(".py"))
    size = sum((repo / name).stat().st_size for name in listed if name and (repo / name).is_file())
    print(f"machine: {machine()}")
    print(f"corpus: {', '.join(args.packages)}: {len(listed) - 1} files, {py} Python, {size / 1e6:.1f} MB")
    loads = [load()]
    floor(repo)  # warm the page cache
    floors = [floor(repo) for _ in range(max(5, args.repeats))]
    full, again, parts, parses = [], [], [], []
    for run in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="mldebt-bench-") as tmp:
            parses.append(child(repo, Path(tmp) / "cache", Path(tmp) / "unused.db", "--parse-floor"))
            full.append(child(repo, Path(tmp) / "cache", Path(tmp) / f"full{run}.db"))
            loads.append(load())
            again.append(child(repo, Path(tmp) / "cache", Path(tmp) / f"again{run}.db"))
            parts.append(child(repo, Path(tmp) / "cache", Path(tmp) / "unused.db", "--repo-part"))
            loads.append(load())
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    floor_s, parse_s, full_s = statistics.median(floors), med(parses, "parse_s"), med(full, "scan_s")
    print(f"medians of {args.repeats} runs")
    print(f"floor (git ls-files | xargs cat): {floor_s:.3f} s")
    print(
        f"parse floor (read, ast.parse in the pool): {parse_s:.2f} s, CPU {med(parses, 'cpu_s'):.2f} s"
        f"  ({parses[0]['parsed']} of {parses[0]['files']} files parse)"
    )
    print(
        f"full scan, empty cache:           {full_s:.2f} s  = {full_s / floor_s:.0f}x the floor,"
        f" {full_s / parse_s:.1f}x the parse floor  ({full[0]['facts']} facts, {full[0]['errors']} error facts)"
    )
    print(
        f"  CPU time:                       {med(full, 'cpu_s'):.2f} s = "
        f"{med(full, 'cpu_s') / med(parses, 'cpu_s'):.1f}x the parse floor's"
    )
    print(
        f"  CPU time / wall time:           {statistics.median(r['cpu_s'] / r['scan_s'] for r in full):.2f}"
        f" (cores: {os.cpu_count()})"
    )
    print(f"  peak RSS: scan process {med(full, 'rss_mb'):.0f} MB, largest worker {med(full, 'worker_rss_mb'):.0f} MB")
    print(f"re-scan of the same commit:       {med(again, 'scan_s'):.3f} s")
    print(f"  peak RSS: scan process {med(again, 'rss_mb'):.0f} MB")
    print(
        "  checkout and each collector alone: "
        + ", ".join(f"{k} {med(parts, k):.3f}" for k in parts[0])
        + f" = {sum(med(parts, k) for k in parts[0]):.3f} s"
    )
    print(f"load average (1 min) before and during the runs: {', '.join(loads)} (the machine is shared)")


if __name__ == "__main__":
    main()
