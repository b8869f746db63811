"""How scores are made: one page every score links to (its "?" links), drawn from the rubric in use.

The rubric is the one the newest scan was scored with (the built-in one before
any scan), so a team's own categories, levels, tiers and targets are the ones
explained. The ML Test Score's bands and the grade letters are the engine's;
the priority formula is the paydown rule's own wording.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils
from flask import Blueprint, render_template

from mldebt.readmodel.queries import latest_scans, rubric_data
from mldebt.rubric.engine import BANDS, GRADES
from mldebt.rubric.paydown import PRIORITY_FORMULA, PRIORITY_UNIT
from mldebt.rubric.schema import load_rubric
from mldebt.webapp import params
from mldebt.webapp.cache import cached
from mldebt.webapp.db import get_db
from mldebt.webapp.filters import health

bp = Blueprint("help", __name__)


def current_rubric(db: sqlite_utils.Database) -> dict[str, Any]:
    """The rubric of the newest scan, as stored; the built-in rubric when nothing is scanned yet."""
    latest = sorted(latest_scans(db).values(), key=lambda s: (s["as_of"], s["collected_at"] or ""))
    found = rubric_data(db, latest[-1]["rubric_hash"]) if latest else {}
    return found or dict(json.loads(load_rubric().content))


def target_words(target: dict[str, Any], levels: dict[str, str]) -> str:
    """A tier's target in words: ``Silver and ML Test Score 2``; ``nothing required`` for an empty one."""
    parts = []
    if target.get("level"):
        parts.append(f"level {levels.get(target['level'], target['level'])}")
    if target.get("ml_test_score"):
        parts.append(f"ML Test Score {target['ml_test_score']:g}")
    return " and ".join(parts) or "no level or ML Test Score required"


def band_rows() -> list[dict[str, str]]:
    """The 2017 bands with the range of final scores each covers, bounds spelled out."""
    found, lower = [], None
    for bound, words in BANDS:
        if lower is None:
            span = f"{bound:g}"
        elif bound == float("inf"):
            span = f"above {lower:g}"
        else:
            span = f"above {lower:g}, up to {bound:g}"
        found.append({"range": span, "words": words})
        lower = bound
    return found


def help_view(db: sqlite_utils.Database) -> dict[str, Any]:
    rubric = current_rubric(db)
    levels = {lv["id"]: lv["title"] for lv in rubric.get("levels", [])}
    checks = rubric.get("checks", [])
    return {
        "rubric": {"name": rubric.get("rubric"), "version": rubric.get("version")},
        "sections": [
            {
                **s,
                "tests": sum(1 for c in checks if c.get("ml_test") and c.get("section") == s["id"]),
            }
            for s in rubric.get("sections", [])
        ],
        "ml_tests": sum(1 for c in checks if c.get("ml_test")),
        "checks": len(checks),
        "categories": [{**c, "health": health(c["title"])} for c in rubric.get("categories", [])],
        "levels": [
            {**lv, "checks": sum(1 for c in checks if c.get("level") == lv["id"])} for lv in rubric.get("levels", [])
        ],
        "tiers": [{**t, "target_words": target_words(t.get("target") or {}, levels)} for t in rubric.get("tiers", [])],
        "bands": band_rows(),
        "grades": [{"letter": letter, "from": bound} for bound, letter in GRADES],
        "priority": {"unit": PRIORITY_UNIT, "formula": PRIORITY_FORMULA},
    }


@bp.route("/help")
@cached
def index() -> Any:
    params.only()
    return render_template("help.html", data=help_view(get_db()))
