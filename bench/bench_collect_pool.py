"""Portfolio collect benchmark: `mldebt collect` of 100 sample-sized repositories, one process against the pool.

Builds (once, under --work, never inside this project) the four sample
projects with ``scripts/samples.py`` and replicates each into --copies git
repositories with distinct names. Every copy gets one more commit that adds a
comment to each of its Python files, so no two copies share a file's blob and
the scan cache cannot serve one copy's parse to another: each copy is a
repository of its own, as in a real portfolio. Then, --repeats times each,
alternating so both modes see the same load, runs

    mldebt collect portfolio.yaml --jobs 1        (one process)
    mldebt collect portfolio.yaml                 (the default pool: one worker per core)

each into a fresh store with an empty scan cache (MLDEBT_CACHE set to a new
folder), and prints the median wall time of each mode, projects per second,
and the speed-up. The machine (cores, CPU model, load average) is printed too.

Usage: python bench/bench_collect_pool.py [--work DIR] [--copies N] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # scripts/ and bench/ beside mldebt

ROOT = Path(__file__).resolve().parents[1]
MLDEBT = str(Path(sys.executable).with_name("mldebt"))
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2026-06-01T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-06-01T12:00:00+00:00",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        env=dict(os.environ, **GIT_ENV),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def build_portfolio(work: Path, copies: int) -> tuple[Path, int]:
    """The replicated portfolio file and its number of projects (built once per --work and --copies)."""
    from scripts.samples import build_samples

    portfolio = work / f"portfolio-{copies}.yaml"
    if portfolio.is_file():
        return portfolio, sum(len(t["projects"]) for t in yaml.safe_load(portfolio.read_text())["teams"])
    samples = build_samples(ROOT / "sample_projects", work / "samples")
    spec = yaml.safe_load(samples.read_text())
    count = 0
    for team in spec["teams"]:
        replicated = []
        for project in team["projects"]:
            source = samples.parent / project["repo"]
            for n in range(copies):
                name = f"{project['name']}-{n:02d}"
                target = work / "repos" / name
                if target.exists():
                    shutil.rmtree(target)
                subprocess.run(
                    ["git", "clone", "-q", "--no-hardlinks", str(source), str(target)],
                    check=True,
                    env=dict(os.environ, **GIT_ENV),
                )
                for path in sorted(target.rglob("*.py")):
                    if ".git" not in path.parts:
                        with path.open("a", encoding="utf-8") as fh:
                            fh.write(f"\n# portfolio copy {name}\n")
                git(target, "commit", "-q", "-a", "-m", f"copy {name}", "--allow-empty")
                replicated.append({**project, "name": name, "repo": str(target)})
                count += 1
        team["projects"] = replicated
    spec["portfolio"] = f"Benchmark portfolio ({count} projects)"
    portfolio.write_text(yaml.safe_dump(spec, sort_keys=False))
    return portfolio, count


def one_run(portfolio: Path, work: Path, jobs: int | None) -> tuple[float, float]:
    """Wall and CPU seconds (the whole process tree: workers and git) of one `mldebt collect`
    into a fresh store, with an empty cache."""
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    env = dict(os.environ, **GIT_ENV, MLDEBT_CACHE=str(scratch / "cache"))
    cmd = [MLDEBT, "collect", str(portfolio), "--db", str(scratch / "bench.db")]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"collect failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
    shutil.rmtree(scratch, ignore_errors=True)
    return wall, cpu


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    cores = len(os.sched_getaffinity(0))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{cores} cores ({os.cpu_count()} online), {model}, load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mldebt-bench-collect-pool")
    parser.add_argument("--copies", type=int, default=25, help="copies of each of the four sample projects")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = args.work.resolve()
    if work == ROOT or ROOT in work.parents:
        sys.exit("--work must be outside the project")
    work.mkdir(parents=True, exist_ok=True)
    portfolio, count = build_portfolio(work, args.copies)
    from mldebt.scanning.parallel import default_jobs

    print(f"machine: {machine()}")
    print(f"portfolio: {count} projects ({args.copies} copies of each sample project), {portfolio}")
    times: dict[str, list[float]] = {"1 process": [], f"pool ({default_jobs()} workers)": []}
    cpus: dict[str, list[float]] = {label: [] for label in times}
    for _ in range(args.repeats):
        for label, jobs in zip(times, (1, None)):
            wall, cpu = one_run(portfolio, work, jobs)
            times[label].append(wall)
            cpus[label].append(cpu)
            print(f"  {label}: {wall:.2f} s wall, {cpu:.2f} s CPU, load average {os.getloadavg()[0]:.2f}", flush=True)
    medians = {label: statistics.median(values) for label, values in times.items()}
    for label, median in medians.items():
        print(
            f"{label:>20}: median {median:6.2f} s over {args.repeats} runs, {count / median:5.2f} projects/s, "
            f"median CPU {statistics.median(cpus[label]):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times[label])})"
        )
    single, pooled = medians.values()
    print(
        f"{'speed-up':>20}: {single / pooled:.2f}x (median of each); "
        f"{min(times['1 process']) / min(times[list(times)[1]]):.2f}x (fastest of each)"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
