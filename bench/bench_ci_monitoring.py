"""Benchmark: parse every CI and monitoring file of the shared corpus and of the sample projects.

Two figures, each the median of several runs:

- corpus: every file under ``ci/``, ``monitoring/``, ``results/`` and
  ``validation/`` of the shared corpus (``MLDEBT_CORPUS`` or ../shared/corpus),
  read in place and parsed by the parser of its kind (pipelines, rule files,
  dashboards, Alertmanager configs, JUnit/coverage reports, monitoring configs);
- samples: the ``ci_config``, ``ci_results`` and ``monitoring`` collectors run
  over each sample project as built at HEAD (walk, discovery and parsing).

Run: ``python bench/bench_ci_monitoring.py`` (figures go to bench/NOTES.md by hand).
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # scripts/ and bench/ beside mldebt

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("MLDEBT_CORPUS") or ROOT.parent / "shared" / "corpus")
REPEATS = 7
PROVIDERS = {
    "github-actions": "github",
    "gitlab": "gitlab",
    "jenkins": "jenkins",
    "circleci": "circleci",
    "azure": "azure",
}


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def corpus_jobs() -> list[tuple[str, Path, Callable[[Path], object]]]:
    from mldebt.collectors.ci.config import read_pipeline
    from mldebt.collectors.ci.results import parse_report
    from mldebt.collectors.monitoring.alertmanager import parse_alertmanager
    from mldebt.collectors.monitoring.configs import parse_config
    from mldebt.collectors.monitoring.grafana import parse_dashboard
    from mldebt.collectors.monitoring.prometheus_rules import parse_rule_file
    from mldebt.collectors.repo.configfiles import decode

    skip = {"README.md", "SOURCES.md", "SHA256SUMS"}
    jobs = []
    for folder, parser in [
        *[
            (f"ci/{d}", lambda p, pv=pv: read_pipeline(decode(p.read_bytes()), p.name, pv))
            for d, pv in PROVIDERS.items()
        ],
        ("monitoring/prometheus-rules", lambda p: parse_rule_file(p.read_text())),
        ("monitoring/grafana", lambda p: parse_dashboard(p.read_text())),
        ("monitoring/alertmanager", lambda p: parse_alertmanager(p.read_text())),
        ("results", lambda p: parse_report(p.read_bytes(), p.name)),
        ("validation", lambda p: parse_config(p.name, p.read_text())),
    ]:
        for path in sorted((CORPUS / folder).rglob("*")):
            if path.is_file() and path.name not in skip:
                jobs.append((folder.split("/")[0], path, parser))
    return jobs


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    from mldebt.collectors.ci.config import CIConfigCollector
    from mldebt.collectors.ci.results import CIResultsCollector
    from mldebt.collectors.interface import Snapshot
    from mldebt.collectors.monitoring.collector import MonitoringCollector
    from scripts.samples import build_samples

    print(f"machine: {machine()}")
    if not (CORPUS / "SOURCES.md").is_file():
        sys.exit(f"the shared corpus is not at {CORPUS}")
    jobs = corpus_jobs()
    size = sum(p.stat().st_size for _, p, _ in jobs)
    per_folder: dict[str, list[float]] = {}
    totals = []
    for _ in range(REPEATS):
        run: dict[str, float] = {}
        for folder, path, parser in jobs:
            run[folder] = run.get(folder, 0.0) + timed(lambda parser=parser, path=path: parser(path))
        for folder, seconds in run.items():
            per_folder.setdefault(folder, []).append(seconds)
        totals.append(sum(run.values()))
    print(
        f"corpus: {len(jobs)} files, {size / 1024:.0f} KiB; median of {REPEATS} runs: "
        f"{statistics.median(totals) * 1000:.0f} ms in all"
    )
    for folder, times in sorted(per_folder.items()):
        count = sum(1 for f, _, _ in jobs if f == folder)
        print(f"  {folder:<12} {count:3d} files  {statistics.median(times) * 1000:7.1f} ms")

    collectors = [CIConfigCollector(), CIResultsCollector(), MonitoringCollector()]
    with tempfile.TemporaryDirectory() as tmp:
        build_samples(ROOT / "sample_projects", Path(tmp))
        repos = sorted((Path(tmp) / "repos").iterdir())
        per_project: dict[str, list[float]] = {}
        for _ in range(REPEATS):
            for repo in repos:
                snapshot = Snapshot(project=repo.name, root=repo)
                per_project.setdefault(repo.name, []).append(
                    timed(lambda snapshot=snapshot: [list(c.collect(snapshot)) for c in collectors])
                )
    total = sum(statistics.median(t) for t in per_project.values())
    print(
        f"samples: ci_config + ci_results + monitoring over {len(repos)} projects at HEAD; "
        f"median of {REPEATS} runs: {total * 1000:.0f} ms in all"
    )
    for name, times in sorted(per_project.items()):
        print(f"  {name:<18} {statistics.median(times) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
