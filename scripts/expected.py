"""Refresh the sample projects' expected.yaml from a fresh scan, and say what changed.

The sample projects' golden expectations (sample_projects/*/expected.yaml) are
checked by tests/test_sample_projects.py. When a collector or the default rubric
changes on purpose, run this to rewrite the facts the file lists, every check's
result and the headline scores at HEAD, keeping the file's comments and layout;
it prints one line per changed value (and per changed grade) so that the commit
can say why each moved.

Usage: python scripts/expected.py [--check]   (--check: print the changes, write nothing; exit 1 if any)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mldebt.readmodel.queries import scan_history  # noqa: E402
from mldebt.rubric.schema import load_rubric  # noqa: E402
from mldebt.scanning.scans import facts_of, readable, save_portfolio  # noqa: E402
from mldebt.sources.portfolio import load_portfolio  # noqa: E402
from mldebt.store.db import open_db  # noqa: E402
from scripts.samples import build_samples, collect_at, quarter_end_moments  # noqa: E402

SAMPLES = ROOT / "sample_projects"
HEAD_AS_OF = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # as tests/test_sample_projects.py


def flow(value: Any) -> str:
    """A value as one line of YAML (flow style), as expected.yaml writes it."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return text.removesuffix("...").strip()


def scan_all(dest: Path) -> Any:
    """Every sample built in ``dest``, collected at each quarter end and at HEAD, into one database there."""
    portfolio = load_portfolio(build_samples(SAMPLES, dest))
    db = open_db(dest / "mldebt.db")
    rubric = load_rubric()
    save_portfolio(db, portfolio)
    for moment in [*quarter_end_moments(), HEAD_AS_OF]:
        collect_at(db, portfolio, rubric, moment)
    return db


def observed(db: Any, name: str, wanted_facts: list[str]) -> dict[str, Any]:
    head = scan_history(db, name)[-1]
    facts = readable(facts_of(db, head["id"]))
    scores = {(r["scope"], r["name"]): r for r in db.query("select * from scores where scan_id = ?", [head["id"]])}
    return {
        "facts": {key: facts.get(key, "<absent>") for key in wanted_facts},
        "checks": {
            r["check_id"]: r["status"]
            for r in db.query("select check_id, status from results where scan_id = ? order by check_id", [head["id"]])
        },
        "scores": {
            "ml_test_score": scores["mltest", "final"]["value"],
            "sections": {s: scores["section", s]["value"] for s in ("data", "infra", "model", "monitor")},
            "overall": scores["overall", "grade"]["value"],
            "grade": scores["overall", "grade"]["label"],
            "level": scores["level", "held"]["label"] or None,
            "effort_hours": scores["effort", "hours"]["value"],
        },
    }


def rewrite(text: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    for key, value in new["facts"].items():
        text = re.sub(rf"(?m)^(  {re.escape(key)}: ).*$", lambda m, v=value: m.group(1) + flow(v), text, count=1)
    for key, value in new["scores"].items():
        text = re.sub(rf"(?m)^(  {key}: ).*$", lambda m, v=value: m.group(1) + flow(v), text, count=1)
    head, _, _ = text.partition("\nchecks:\n")
    body = "".join(f"  {check}: {status}\n" for check, status in new["checks"].items())
    return f"{head}\nchecks:\n{body}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    changed = 0
    with tempfile.TemporaryDirectory(prefix="mldebt-expected-") as tmp:
        os.environ["MLDEBT_CACHE"] = str(Path(tmp) / "cache")
        db = scan_all(Path(tmp))
        for path in sorted(SAMPLES.glob("*/expected.yaml")):
            name = path.parent.name
            text = path.read_text()
            old = yaml.safe_load(text)
            new = observed(db, name, list(old["facts"]))
            for part in ("facts", "checks", "scores"):
                for key in sorted(set(old[part]) | set(new[part])):
                    before, after = old[part].get(key, "<absent>"), new[part].get(key, "<absent>")
                    if before != after:
                        changed += 1
                        print(f"{name}: {part}.{key}: {flow(before)} -> {flow(after)}")
            if not args.check:
                path.write_text(rewrite(text, old, new))
        db.close()
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
