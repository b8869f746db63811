"""Evidence accuracy benchmark: the collectors against hand labels of whole real repositories.

Clones every bundle of ../shared/realrepos/ into a temporary folder, collects
each one with `mldebt collect` (a fresh store and a fresh cache per repository,
as a new user would), reads the evidence the scan stored and compares it with
every label of labels.yaml. Prints, per label and overall, how many agree; every
disagreement with the evidence on both sides (the label's paths and note, the
facts and locations the scan stored); and the time each collection took.

How a label is read from the evidence is written once, in READERS below: each
reader turns facts into the label's own vocabulary (yes / no, a count, a
pinning class), so a reader is also the plain statement of what mldebt claims
to measure. A label of "partial" agrees with a reader that finds the thing
present (labels.yaml, conventions.partial).

Usage: python bench/bench_accuracy.py [--realrepos DIR] [--only ID ...] [--json FILE]
Exit status: 0 always when it ran (this is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_REALREPOS = ROOT.parent / "shared" / "realrepos"


@dataclass
class Facts:
    """The evidence of one scan: values by key, and where each was seen."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    where: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        found = self.values.get(key)
        return found[0] if found else default

    def all(self, key: str) -> list[Any]:
        return self.values.get(key, [])

    def cite(self, *keys: str) -> str:
        parts = []
        for key in keys:
            vals = self.values.get(key)
            if vals is None:
                parts.append(f"{key}: (absent)")
                continue
            shown = vals[0] if len(vals) == 1 else vals
            text = json.dumps(shown, sort_keys=True)
            if len(text) > 160:
                text = text[:157] + "..."
            locs = [w for w in self.where.get(key, []) if w][:4]
            parts.append(f"{key}={text}" + (f" @ {', '.join(locs)}" if locs else ""))
        return "; ".join(parts)


Reader = Callable[[Facts], tuple[Any, str]]


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def has_ci(f: Facts) -> tuple[Any, str]:
    return yes(bool(f.get("ci.providers"))), f.cite("ci.providers", "repo.ci.configs")


def ci_runs_tests(f: Facts) -> tuple[Any, str]:
    # Credit only tests that can fail the build (issue 21, class a).
    runs = bool(f.get("ci.runs_tests")) and bool(f.get("ci.tests_gate_build"))
    return yes(runs), f.cite("ci.runs_tests", "ci.tests_gate_build", "ci.tests.via")


def has_unit_tests(f: Facts) -> tuple[Any, str]:
    return yes((f.get("repo.tests.files") or 0) > 0), f.cite("repo.tests.files", "repo.tests.functions")


def test_file_count(f: Facts) -> tuple[Any, str]:
    return f.get("repo.tests.files") or 0, f.cite("repo.tests.files", "repo.tests.paths")


def tests_for_data(f: Facts) -> tuple[Any, str]:
    return yes((f.get("repo.tests.data") or 0) > 0), f.cite("repo.tests.data", "repo.tests.data.at")


def tests_for_model(f: Facts) -> tuple[Any, str]:
    return yes((f.get("repo.tests.model") or 0) > 0), f.cite("repo.tests.model", "repo.tests.model_kinds")


def deps_pinned(f: Facts) -> tuple[Any, str]:
    """The pinning class: all, most (3 in 4 or more), partial, none, or lockfile-only."""
    ratio = f.get("deps.pinned_ratio")
    locks = f.get("deps.lockfiles") or []
    cite = f.cite("deps.pinned_ratio", "deps.lockfiles", "deps.declared")
    if ratio is None:
        return ("lockfile-only" if locks else "none"), cite
    if ratio >= 0.999:
        return "all", cite
    if locks:
        return "lockfile-only", cite
    if ratio >= 0.75:
        return "most", cite
    return ("partial" if ratio > 0 else "none"), cite


def has_lockfile(f: Facts) -> tuple[Any, str]:
    return yes(bool(f.get("deps.lockfiles"))), f.cite("deps.lockfiles")


def data_versioning(f: Facts) -> tuple[Any, str]:
    found = bool(f.get("dvc.files")) or bool(f.get("dvc.pipelines")) or bool(f.get("repo.data.lfs_patterns"))
    return yes(found), f.cite("dvc.files", "dvc.pipelines", "repo.data.lfs_patterns")


def experiment_tracking(f: Facts) -> tuple[Any, str]:
    found = (
        bool(f.get("code.tracking.libraries"))
        or bool(f.get("code.tracking.configured"))
        or bool(f.get("dvc.metrics"))
        or bool(f.get("dvc.experiments"))
    )
    keys = ("code.tracking.libraries", "code.tracking.configured", "code.tracking.calls.at", "dvc.metrics")
    return yes(found), f.cite(*keys)


def model_registry_usage(f: Facts) -> tuple[Any, str]:
    found = (
        (f.get("code.registry.calls") or 0) > 0
        or bool(f.get("registry.mlflow.source"))
        or bool(f.get("registry.gto.artifacts"))
    )
    return yes(found), f.cite("code.registry.calls", "code.registry.calls.at", "registry.gto.artifacts")


def config_centralized(f: Facts) -> tuple[Any, str]:
    found = bool(f.get("code.config.centralized"))
    return yes(found), f.cite("code.config.centralized", "code.config.files", "code.config.readers")


def seeds_set(f: Facts) -> tuple[Any, str]:
    found = bool(f.get("code.seeds.set")) or bool(f.get("dvc.params.seeded"))
    return yes(found), f.cite("code.seeds.set", "code.seeds.set.at", "dvc.params.seeded")


def notebooks(f: Facts) -> tuple[Any, str]:
    return f.get("repo.notebooks.count") or 0, f.cite("repo.notebooks.count")


def todo_count(f: Facts) -> tuple[Any, str]:
    """Markers in tracked .py files, as the label counts them."""
    by_kind = f.get("repo.debt_markers.python")
    if by_kind is None:
        by_kind = f.get("repo.debt_markers.count") or 0
    return by_kind, f.cite("repo.debt_markers.python", "repo.debt_markers.count", "repo.debt_markers.at")


def monitoring_config(f: Facts) -> tuple[Any, str]:
    found = (
        (f.get("monitoring.alerts.count") or 0) > 0
        or (f.get("monitoring.dashboards.count") or 0) > 0
        or bool(f.get("monitoring.libraries"))
        or bool(f.get("monitoring.configs"))
    )
    keys = ("monitoring.alerts.count", "monitoring.libraries", "monitoring.configs", "monitoring.exported_metrics")
    return yes(found), f.cite(*keys)


def dockerfile(f: Facts) -> tuple[Any, str]:
    return yes(bool(f.get("repo.hygiene.dockerfiles"))), f.cite("repo.hygiene.dockerfiles")


def linters(f: Facts) -> tuple[Any, str]:
    found = (
        bool(f.get("repo.hygiene.precommit"))
        or bool(f.get("repo.hygiene.linters"))
        or bool(f.get("repo.hygiene.type_checkers"))
    )
    return yes(found), f.cite("repo.hygiene.precommit", "repo.hygiene.linters", "repo.hygiene.type_checkers")


def multiple_languages(f: Facts) -> tuple[Any, str]:
    program = f.get("repo.languages.program")
    count = (f.get("repo.languages.count") or 0) if program is None else len(program)
    return yes(count > 1), f.cite("repo.languages.program", "repo.languages")


def readme_quality(f: Facts) -> tuple[Any, str]:
    score = f.get("repo.readme.setup_quality")
    if score is None:
        steps = bool(f.get("repo.readme.install_steps")) + bool(f.get("repo.readme.run_steps"))
        score = 1 + (steps == 2)
    return score, f.cite("repo.readme.setup_quality", "repo.readme.install_steps", "repo.readme.run_steps")


READERS: dict[str, Reader] = {
    "has_ci": has_ci,
    "ci_runs_tests": ci_runs_tests,
    "has_unit_tests": has_unit_tests,
    "test_file_count": test_file_count,
    "tests_for_data": tests_for_data,
    "tests_for_model": tests_for_model,
    "deps_pinned": deps_pinned,
    "has_lockfile": has_lockfile,
    "data_versioning": data_versioning,
    "experiment_tracking": experiment_tracking,
    "model_registry_usage": model_registry_usage,
    "config_centralized": config_centralized,
    "seeds_set": seeds_set,
    "notebooks": notebooks,
    "todo_fixme_hack_count": todo_count,
    "monitoring_config": monitoring_config,
    "dockerfile": dockerfile,
    "precommit_or_linters": linters,
    "multiple_languages": multiple_languages,
    "readme_setup_quality": readme_quality,
}


def agrees(label: Any, ours: Any) -> bool:
    if label == "partial":
        return ours in ("yes", "partial")
    if isinstance(label, int) or isinstance(ours, int):
        try:
            return int(label) == int(ours)
        except (TypeError, ValueError):
            return False
    return str(label) == str(ours)


def collect(bundle: Path, work: Path, repo_id: str) -> tuple[Facts, float, str]:
    checkout = work / repo_id
    subprocess.run(["git", "clone", "-q", str(bundle), str(checkout)], check=True)
    env = dict(os.environ, MLDEBT_CACHE=str(work / f"cache-{repo_id}"), NO_COLOR="1")
    db = work / f"{repo_id}.db"
    mldebt = [sys.executable, "-m", "mldebt"]
    started = time.perf_counter()
    run = subprocess.run([*mldebt, "collect", str(checkout), "--db", str(db)], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    facts = Facts()
    if run.returncode != 0:
        return facts, elapsed, (run.stderr or run.stdout).strip()
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT key, value, path, line FROM evidence WHERE scan_id = "
            "(SELECT id FROM scans ORDER BY collected_at DESC LIMIT 1) ORDER BY id"
        ).fetchall()
    for key, value, path, line in rows:
        try:
            decoded = json.loads(value) if value is not None else None
        except ValueError:
            decoded = value
        facts.values.setdefault(key, []).append(decoded)
        facts.where.setdefault(key, []).append(f"{path}:{line}" if path and line else (path or ""))
    return facts, elapsed, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realrepos", type=Path, default=DEFAULT_REALREPOS)
    parser.add_argument("--only", nargs="*", default=[], help="repository ids to measure (default: all)")
    parser.add_argument("--json", type=Path, help="also write every comparison to this file")
    args = parser.parse_args(argv)

    labels = yaml.safe_load((args.realrepos / "labels.yaml").read_text())
    repos = [r for r in labels["repos"] if not args.only or r["id"] in args.only]
    per_label: dict[str, list[bool]] = {}
    misses: list[tuple[str, str, Any, Any, str, dict[str, Any]]] = []
    times: dict[str, float] = {}
    records = []
    with tempfile.TemporaryDirectory(prefix="mldebt-accuracy-") as tmp:
        for repo in repos:
            facts, elapsed, error = collect(args.realrepos / repo["bundle"], Path(tmp), repo["id"])
            times[repo["id"]] = elapsed
            if error:
                print(f"{repo['id']}: collect failed: {error}")
            for name, label in repo["labels"].items():
                reader = READERS[name]
                ours, cite = reader(facts)
                ok = agrees(label["value"], ours)
                per_label.setdefault(name, []).append(ok)
                record = {"repo": repo["id"], "label": name, "expected": label["value"], "ours": ours, "agree": ok}
                records.append(record)
                if not ok:
                    misses.append((repo["id"], name, label["value"], ours, cite, label))

    total = sum(len(v) for v in per_label.values())
    agreed = sum(sum(v) for v in per_label.values())
    print(f"Agreement per label ({len(repos)} repositories):")
    for name, oks in per_label.items():
        print(f"  {name:<24} {sum(oks):>2}/{len(oks):<2} {100 * sum(oks) / len(oks):5.1f}%")
    print(f"Overall: {agreed}/{total} = {100 * agreed / total:.1f}%")
    print()
    print(f"Disagreements ({len(misses)}):")
    for repo_id, name, expected, ours, cite, label in misses:
        print(f"- {repo_id} / {name}: label {expected!r}, mldebt {ours!r}")
        lab = ", ".join(str(e) for e in label.get("evidence", []))
        if lab or label.get("note"):
            print(f"    label: {lab}{' — ' if lab and label.get('note') else ''}{label.get('note', '')}")
        print(f"    mldebt: {cite}")
    print()
    print("Collect time per repository (s, one cold run each):")
    for repo_id, elapsed in times.items():
        print(f"  {repo_id:<32} {elapsed:6.2f}")
    print(f"  median {statistics.median(times.values()):.2f} s")
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
