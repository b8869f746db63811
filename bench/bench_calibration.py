"""Calibration on real repositories: what the default rubric says of each, beside what a reviewer would say.

Clones every bundle of ../shared/realrepos/ into a temporary folder, writes a
portfolio giving each repository the tier a reviewer would give it (TIERS
below, with the reason), collects and scores them all with the default rubric
into a fresh store, and writes docs/CALIBRATION.md: per repository its tier,
grade, level, ML Test Score, the gap to its tier's target, the three unmet
results that weigh most (with their reasons), and the reviewer's verdict
(REVIEW below, written by reading each repository; the script checks that the
verdict was written for the figures it sees, and says so when they moved).

It also checks the one property the issue asks of the grades: repositories with
tests that gate CI, versioned data and a model registry must grade above those
with none of the three. The script prints that comparison and exits 1 when it
fails.

Usage: python bench/bench_calibration.py [--realrepos DIR] [--out docs/CALIBRATION.md] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REALREPOS = ROOT.parent / "shared" / "realrepos"
DEFAULT_OUT = ROOT / "docs" / "CALIBRATION.md"
GRADES = "ABCDF"

# The tier a reviewer gives each repository, and why (what it is for, not how good it is).
TIERS: dict[str, tuple[str, str]] = {
    "lightning-hydra-template": ("research", "a template for research code; nothing is served"),
    "deep-learning-project-template": ("research", "a small research-code template with MNIST examples"),
    "mlops-template": ("production", "a template for a served model: FastAPI, Prometheus metrics, MLflow models"),
    "example-pokemon-classifier": ("prototype", "a DVC pipeline demo others are meant to build on"),
    "mlflow-example": ("research", "a one-script MLflow project example"),
    "testing-ml": ("prototype", "a tested reference implementation others copy from"),
    "data-science-template": ("prototype", "a project template with ClearML, Hydra and a serving step"),
    "demo-bank-customer-churn": ("production", "trains, registers (GTO) and deploys a model from CI"),
    "mlops-with-vertex-ai": ("production", "an end-to-end Vertex AI pipeline that deploys an endpoint"),
    "WorldModels": ("research", "research code reproducing a paper"),
    "pytorch-template": ("research", "a PyTorch project template"),
}

# What a reviewer reading the repository says of the result (written for the grade and level shown).
REVIEW: dict[str, tuple[str, str, str]] = {  # id -> (grade, level or "-", verdict)
    "lightning-hydra-template": (
        "C",
        "-",
        "Yes. Tests run on three systems and gate CI, Hydra holds every setting, pre-commit runs the linters; "
        "what keeps it from B is real: 3 of 25 requirements pinned, no lock file, no baseline model test.",
    ),
    "deep-learning-project-template": (
        "D",
        "-",
        "Yes. CI runs its one test, but that test cannot pass as committed (it imports a module that is not in "
        "the tree, which no static reader can know); settings are argparse defaults repeated per script.",
    ),
    "mlops-template": (
        "F",
        "-",
        "Yes, for a production template: the serving side is thoughtful (Prometheus metrics, MLflow models), "
        "but no CI runs its 38 unit tests and nothing tests data or the model.",
    ),
    "example-pokemon-classifier": (
        "F",
        "-",
        "Mostly. The DVC pipeline with params and dvc.lock is good practice a prototype is credited for, but it has "
        "no test and no CI at all; a reviewer might say D, and the score (38) is at the edge of D.",
    ),
    "mlflow-example": (
        "F",
        "-",
        "Yes: a one-script example with no test, no CI and unpinned dependencies; its MLflow tracking is credited.",
    ),
    "testing-ml": (
        "D",
        "-",
        "Partly. Its tests are the best of the eleven (data and model tests gating CI through make) and it grades "
        "first of the prototypes, but D reads harsh to a reviewer: what it lacks (schema validation, versioned "
        "data, a config file) matters less for a small reference implementation.",
    ),
    "data-science-template": (
        "F",
        "-",
        "Partly. Its one test only checks its own fixture and nothing validates or versions the data, which "
        "justify a low grade, but F understates the Hydra configuration, ClearML tracking and full pinning.",
    ),
    "demo-bank-customer-churn": (
        "F",
        "-",
        "Yes, for production: a registry (GTO), DVC and a deploy workflow, but CI trains and deploys without a "
        "single test, and the served model has no monitoring.",
    ),
    "mlops-with-vertex-ai": (
        "F",
        "-",
        "Partly. Tests gate Cloud Build, TFDV validates data inside the pipeline and models are registered; "
        "nothing is seeded or locked and data is not versioned, which fail fairly. One miss: its Cloud Build "
        "step that runs the whole pipeline locally is a pipeline integration test, not read as one.",
    ),
    "WorldModels": (
        "F",
        "-",
        "Yes: research code with no test, no CI, no configuration file and seeds in one place only.",
    ),
    "pytorch-template": (
        "F",
        "-",
        "Yes: a clean template (JSON config, TensorBoard, seeds) with no test and no CI; F is the missing tests.",
    ),
}

WELL_EQUIPPED = "tests gate CI, data is versioned and a model registry is used"


def clone_all(realrepos: Path, work: Path, repos: list[dict[str, Any]]) -> Path:
    teams: dict[str, list[dict[str, Any]]] = {}
    for repo in repos:
        checkout = work / "repos" / repo["id"]
        subprocess.run(["git", "clone", "-q", str(realrepos / repo["bundle"]), str(checkout)], check=True)
        tier = TIERS.get(repo["id"], ("prototype", ""))[0]
        teams.setdefault(tier, []).append({"name": repo["id"].lower(), "repo": str(checkout), "tier": tier})
    portfolio = {
        "portfolio": "Real public ML repositories",
        "teams": [{"name": f"{tier.title()} repositories", "id": tier, "projects": p} for tier, p in teams.items()],
    }
    path = work / "portfolio.yaml"
    path.write_text(yaml.safe_dump(portfolio, sort_keys=False))
    return path


def measure(realrepos: Path) -> list[dict[str, Any]]:
    labels = yaml.safe_load((realrepos / "labels.yaml").read_text())
    repos = labels["repos"]
    with tempfile.TemporaryDirectory(prefix="mldebt-calibration-") as tmp:
        work = Path(tmp)
        portfolio = clone_all(realrepos, work, repos)
        db = work / "mldebt.db"
        env = dict(os.environ, MLDEBT_CACHE=str(work / "cache"), NO_COLOR="1")
        run = subprocess.run(
            [sys.executable, "-m", "mldebt", "collect", str(portfolio), "--db", str(db)],
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise SystemExit(f"collect failed:\n{run.stdout}\n{run.stderr}")
        rows = [dict(row, labels=_labels(repo)) for repo, row in zip(repos, _rows(db, repos), strict=True)]
        # the same evidence held to one standard: every repository scored as production
        with sqlite3.connect(db) as conn:
            conn.execute("update projects set tier = 'production'")
        score = [sys.executable, "-m", "mldebt", "score", "--db", str(db)]
        subprocess.run(score, env=env, capture_output=True, text=True, check=True)
        for row, production in zip(rows, _rows(db, repos), strict=True):
            row["as_production"] = {k: production[k] for k in ("grade", "overall", "level", "ml_test_score")}
        return rows


def _labels(repo: dict[str, Any]) -> dict[str, Any]:
    return {k: v["value"] for k, v in repo["labels"].items()}


def _rows(db_path: Path, repos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        for repo in repos:
            project = repo["id"].lower()
            scan = db.execute(
                "select id from scans where project_id = ? order by as_of desc, collected_at desc limit 1", [project]
            ).fetchone()
            scores = {
                (r["scope"], r["name"]): (r["value"], r["label"])
                for r in db.execute("select * from scores where scan_id = ?", [scan["id"]])
            }
            tier = next(name for scope, name in scores if scope == "tier")
            unmet = db.execute(
                "select r.check_id, r.status, r.points, r.weight, r.reason from results r "
                "where r.scan_id = ? and r.status in ('fail', 'manual') "
                "order by r.weight * (1 - coalesce(r.points, 0)) desc, r.check_id limit 3",
                [scan["id"]],
            ).fetchall()
            statuses = dict(
                db.execute("select status, count(*) from results where scan_id = ? group by 1", [scan["id"]])
            )
            found.append(
                {
                    "id": repo["id"],
                    "tier": tier,
                    "grade": scores[("overall", "grade")][1],
                    "overall": scores[("overall", "grade")][0],
                    "level": scores[("level", "held")][1],
                    "ml_test_score": scores[("mltest", "final")][0],
                    "gap": scores[("tier", tier)][1],
                    "statuses": statuses,
                    "weighs_most": [dict(r) for r in unmet],
                }
            )
    return found


def equipment(labels: dict[str, Any]) -> int:
    """How many of the three a reviewer found: tests that gate CI, versioned data, a model registry."""
    return sum(labels[k] == "yes" for k in ("ci_runs_tests", "data_versioning", "model_registry_usage"))


def separation(rows: list[dict[str, Any]]) -> tuple[bool, str]:
    """Scored to one standard (production), do repositories with more of the three grade above those with none?"""
    most = max(equipment(r["labels"]) for r in rows)
    good = [r for r in rows if equipment(r["labels"]) == most]
    bare = [r for r in rows if equipment(r["labels"]) == 0]
    if not most or not bare:
        return True, "nothing to compare"

    def names(group: list[dict[str, Any]]) -> str:
        shown = [(r["id"], r["as_production"]) for r in group]
        return ", ".join(f"{name} {p['grade']} ({p['overall']:.0f})" for name, p in shown)

    worst_good = min(r["as_production"]["overall"] for r in good)
    best_bare = max(r["as_production"]["overall"] for r in bare)
    text = f"with {most} of the three: {names(good)}; with none: {names(bare)}"
    return worst_good > best_bare, text


def document(rows: list[dict[str, Any]]) -> str:
    ok, text = separation(rows)
    lines = [
        "# Calibration on real repositories",
        "",
        "What the default rubric says of eleven public ML repositories (../shared/realrepos/, hand-labelled),",
        "beside what a reviewer reading each repository would say. Made by `python bench/bench_calibration.py`,",
        "which clones each bundle, collects it with every collector and the default rubric, and writes this file;",
        "the reviewer's verdicts and the tiers are written in that script (TIERS, REVIEW) by reading the",
        "repositories, and the script says when a figure moves away from the one a verdict was written for.",
        "",
        "Each repository is measured against its tier's target (rubric/default.yaml `tiers:`): research",
        "against no level and ML Test Score 0, prototype against Bronze and 1, production against Silver and 2.",
        "",
        "| repository | tier | grade | level | ML Test Score | gap to target | reviewer agrees? |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        grade, level, verdict = REVIEW.get(r["id"], ("", "", "not reviewed yet"))
        moved = grade and (grade != r["grade"] or level != (r["level"] or "-"))
        if moved:
            verdict = f"(written for {grade}/{level}; figures moved, review again) {verdict}"
        lines.append(
            f"| {r['id']} | {r['tier']} | {r['grade']} ({r['overall']:.0f}) | {r['level'] or '-'} | "
            f"{r['ml_test_score']:g} | {r['gap']} | {verdict} |"
        )
    lines += [
        "",
        f"Do grades separate the well-equipped from the bare? Of three things ({WELL_EQUIPPED}), no repository",
        "here has all three; held to one standard (every repository scored as production), those with the most",
        f"must grade above those with none: {'yes' if ok else 'NO'}; {text}.",
        "",
        "| repository | of the three | grade as production | level | ML Test Score |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in sorted(rows, key=lambda r: (-equipment(r["labels"]), -r["as_production"]["overall"])):
        p = r["as_production"]
        lines.append(
            f"| {r['id']} | {equipment(r['labels'])} | {p['grade']} ({p['overall']:.0f}) | {p['level'] or '-'} | "
            f"{p['ml_test_score']:g} |"
        )
    lines += [
        "",
        "What this says. The grades order the repositories as a reviewer would, but the margins between the",
        "well-equipped and the bare are narrow (a few points of 100), and nothing here holds Bronze: each misses",
        "at least one basic (a lock file, a test of the data, owners). The ML Test Score is 0 for ten of eleven",
        "because it is the lowest section, and none of these repositories tests its features and data in a way",
        "the data section credits; by the 2017 paper's bands that is the honest reading of research and template",
        "code. Research repositories are on target by construction (their tier expects no level): their grade is",
        "what tells them apart.",
        "",
        "## The three unmet results that weigh most, per repository",
        "",
    ]
    for r in rows:
        reason_tier = TIERS.get(r["id"], ("", ""))[1]
        lines += [f"### {r['id']} ({r['tier']}: {reason_tier})", ""]
        counts = ", ".join(f"{n} {s}" for s, n in sorted(r["statuses"].items()))
        lines += [f"Results: {counts}.", ""]
        for item in r["weighs_most"]:
            lines.append(f"- `{item['check_id']}` ({item['status']}, weight {item['weight']:g}): {item['reason']}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realrepos", type=Path, default=DEFAULT_REALREPOS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    rows = measure(args.realrepos)
    text = document(rows)
    args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    print(text)
    ok, said = separation(rows)
    print(f"separation ({WELL_EQUIPPED} vs none): {'ok' if ok else 'FAILED'}: {said}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
