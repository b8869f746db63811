"""The checks of the rubric: their list, and one check's definition with every project's result."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlite_utils
from flask import Blueprint, render_template

from mldebt.errors import NotFound
from mldebt.readmodel.queries import (
    Headline,
    check_groups,
    latest_scans,
    ordered_union,
    project_rows,
    results_for,
    rubric_data,
)
from mldebt.suggest import hint
from mldebt.webapp import params
from mldebt.webapp.cache import cached
from mldebt.webapp.db import get_db

bp = Blueprint("checks", __name__)
STATUSES = ("automated", "manual", "fail", "unknown", "waived", "n/a")


def _current(db: sqlite_utils.Database) -> tuple[dict[str, Headline], list[dict[str, Any]]]:
    """Each project's latest scan, and the rubrics they were scored with (newest scan's first)."""
    latest = latest_scans(db)
    newest_first = sorted(latest.values(), key=lambda s: s["as_of"], reverse=True)
    rubrics = [rubric_data(db, h) for h in dict.fromkeys(s["rubric_hash"] for s in newest_first)]
    return latest, rubrics


def checks_view(db: sqlite_utils.Database) -> dict[str, Any]:
    """Every check in the rubrics of the projects' latest scans, with how many projects stand where."""
    latest, rubrics = _current(db)
    results = results_for(db, [s["id"] for s in latest.values()])
    counts: dict[str, Counter[str]] = {}
    for by_check in results.values():
        for check_id, result in by_check.items():
            counts.setdefault(check_id, Counter())[result["status"]] += 1
    merged = {key: ordered_union(r.get(key, []) for r in rubrics) for key in ("sections", "categories", "checks")}
    return {
        "statuses": list(STATUSES),
        "projects": len(latest),
        "groups": [
            {
                **g,
                "checks": [
                    {
                        "id": c["id"],
                        "title": c["title"],
                        "ml_test": c.get("ml_test"),
                        "weight": c.get("weight"),
                        "effort_hours": c.get("effort_hours"),
                        "counts": dict(counts.get(c["id"], {})),
                    }
                    for c in g["checks"]
                ],
            }
            for g in check_groups(merged)
        ],
    }


def check_view(db: sqlite_utils.Database, check_id: str) -> dict[str, Any]:
    """One check: its definition (from the newest rubric that has it) and each project's latest result."""
    latest, rubrics = _current(db)
    rubric = next((r for r in rubrics if any(c["id"] == check_id for c in r.get("checks", []))), None)
    if rubric is None:
        known = {c["id"] for r in rubrics for c in r.get("checks", [])}
        raise NotFound(f"no check {check_id!r} in the rubrics of the latest scans{hint(check_id, known, 'checks')}")
    check = next(c for c in rubric["checks"] if c["id"] == check_id)
    results = results_for(db, [s["id"] for s in latest.values()])
    projects = []
    for proj in project_rows(db):
        scan = latest.get(proj["id"])
        if scan is None:
            continue
        result = results[scan["id"]].get(check_id)
        in_rubric = any(c["id"] == check_id for c in rubric_data(db, scan["rubric_hash"]).get("checks", []))
        projects.append(
            {
                "project": proj["id"],
                "team": proj["team_id"],
                "team_name": proj["team_name"],
                "as_of": scan["as_of"],
                "status": result["status"] if result else None,
                "points": result["points"] if result else None,
                "reason": result["reason"]
                if result
                else ("Not scored: out of this project's scope." if in_rubric else "Not in this project's rubric."),
                "detail": result["detail"] if result else None,  # the condition that decided
            }
        )
    return {
        "check": check,
        "section_title": next(
            (s["title"] for s in rubric.get("sections", []) if s["id"] == check.get("section")), None
        ),
        "category_title": next(
            (c["title"] for c in rubric.get("categories", []) if c["id"] == check.get("category")), None
        ),
        "rubric": {"name": rubric.get("rubric"), "version": rubric.get("version")},
        "counts": dict(Counter(p["status"] for p in projects if p["status"])),
        "questions": [q for q in rubric.get("questions", []) if check_id in q.get("proxies", [])],
        "projects": projects,
    }


@bp.route("/checks")
@cached
def index() -> Any:
    params.only()
    return render_template("checks.html", data=checks_view(get_db()))


@bp.route("/checks/<check_id>")
@cached
def check(check_id: str) -> Any:
    params.only("result")
    result = params.choice("result", STATUSES)
    data = check_view(get_db(), check_id)
    shown = [p for p in data["projects"] if result is None or p["status"] == result]
    return render_template("check.html", data=data, shown=shown, result=result)
