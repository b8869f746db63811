"""One project's page, and the evidence behind one of its check results."""

from __future__ import annotations

from typing import Any

import sqlite_utils
from flask import Blueprint, render_template

from mldebt import charts
from mldebt.push.intake import pushed_by
from mldebt.readmodel.explain import explanation
from mldebt.readmodel.quarters import Quarter, Timeline, quarters_between
from mldebt.readmodel.queries import (
    Headline,
    attestation_rows,
    check_groups,
    paydown_rows,
    rubric_data,
    scan_history,
    scores_by_scope,
)
from mldebt.readmodel.scorecard import scorecard
from mldebt.scanning.scans import project_row
from mldebt.store.db import from_json
from mldebt.waivers import list_waivers
from mldebt.webapp import params
from mldebt.webapp.cache import cached
from mldebt.webapp.db import get_db

bp = Blueprint("projects", __name__)


def project_view(db: sqlite_utils.Database, project: str) -> dict[str, Any]:
    """The terminal scorecard's data plus what a page adds: groups, history by quarter, paydown, answers."""
    card = scorecard(db, project)
    proj = project_row(db, project)
    rubric = rubric_data(db, card["rubric"]["hash"])
    scans = scan_history(db, project)
    line = Timeline(scans)
    quarterly: list[tuple[Quarter, Headline]] = []
    for q in quarters_between(Quarter.of(scans[0]["as_of"]), Quarter.of(scans[-1]["as_of"])):
        scan = line.at(q.end)
        if scan is not None:
            quarterly.append((q, scan))
    section_history = scores_by_scope(db, [scan["id"] for _, scan in quarterly], "section")
    latest_id = card["scan"]["id"]
    totals = scores_by_scope(db, [latest_id], "total")[latest_id]
    by_id = {c["id"]: c for c in card["checks"]}
    pushers = pushed_by(db, [latest_id, *(s["id"] for s in scans)])  # which token pushed each scan, if one did
    groups = [
        {
            **g,
            "checks": [
                {
                    "id": c["id"],
                    "title": c["title"],
                    "ml_test": c.get("ml_test"),
                    "category": c.get("category"),
                    "weight": c.get("weight"),
                    "effort_hours": c.get("effort_hours"),
                    "status": by_id.get(c["id"], {}).get("status"),
                    "points": by_id.get(c["id"], {}).get("points"),
                    "detail": by_id.get(c["id"], {}).get("detail"),
                }
                for c in g["checks"]
            ],
        }
        for g in check_groups(rubric)
    ]
    return {
        **card,
        "scan": {**card["scan"], "pushed_by": pushers.get(latest_id)},
        "repo": proj["repo"],
        "subpath": proj["subpath"],
        "description": proj["description"],
        "tags": from_json(proj["tags"]) or [],
        "team_id": proj["team_id"],
        "section_list": [
            {"id": s["id"], "title": s["title"], "score": card["sections"].get(s["id"])}
            for s in rubric.get("sections", [])
        ],
        "totals": [
            {"id": t["id"], "title": t["title"], "score": totals.get(t["id"])} for t in rubric.get("totals", [])
        ],
        "levels": [{"id": lv["id"], "title": lv["title"]} for lv in rubric.get("levels", [])],
        "groups": groups,
        "quarterly": [
            {
                "quarter": str(q),
                "scan_id": scan["id"],
                "as_of": scan["as_of"],
                "overall": scan["overall"],
                "ml_test_score": scan["ml_test_score"],
                "rubric_hash": scan["rubric_hash"],
                "sections": section_history[scan["id"]],
            }
            for q, scan in quarterly
        ],
        "scans": [
            {
                "id": s["id"],
                "as_of": s["as_of"],
                "quarter": str(Quarter.of(s["as_of"])),
                "commit": s["commit_sha"],
                "ml_test_score": s["ml_test_score"],
                "overall": s["overall"],
                "grade": s["grade"],
                "rubric_hash": s["rubric_hash"],
                "pushed_by": pushers.get(s["id"]),
            }
            for s in reversed(scans)
        ],
        "paydown_all": paydown_rows(db, project),
        "attestations": attestation_rows(db, project),
        "waivers": list_waivers(db, project),
    }


def history_charts(data: dict[str, Any]) -> list[charts.Chart]:
    """Overall and ML Test Score (with its sections) by quarter; a change of rubric is marked."""
    points = data["quarterly"]
    labels = [q["quarter"] for q in points]
    marks = [
        (i, "rubric changed") for i in range(1, len(points)) if points[i]["rubric_hash"] != points[i - 1]["rubric_hash"]
    ]
    overall = charts.lines(
        "Overall score by quarter",
        labels,
        [charts.Series("Overall (0-100)", [q["overall"] for q in points])],
        100,
        marks,
    )
    series = [charts.Series("ML Test Score", [q["ml_test_score"] for q in points])]
    series += [charts.Series(s["title"], [q["sections"].get(s["id"]) for q in points]) for s in data["section_list"]]
    return [overall, charts.lines("ML Test Score and its sections by quarter", labels, series, 7, marks)]


@bp.route("/projects/<project>")
@cached
def project(project: str) -> Any:
    params.only()
    data = project_view(get_db(), project)
    section_bars = charts.bars("ML Test Score by section", [(s["title"], s["score"]) for s in data["section_list"]], 7)
    category_bars = charts.bars("Debt category scores", [(c["title"], c["score"]) for c in data["categories"]], 100)
    return render_template(
        "project.html", data=data, history=history_charts(data), section_bars=section_bars, category_bars=category_bars
    )


def evidence_view(db: sqlite_utils.Database, project: str, check_id: str) -> dict[str, Any]:
    """`mldebt explain`'s data plus the recorded answers and waivers that bear on the check."""
    data = explanation(db, project, check_id)
    question = data["check"].get("attestation")
    data["attestations"] = attestation_rows(db, project, question) if question else []
    data["waivers"] = [w for w in list_waivers(db, project) if w["check_id"] == check_id]
    return data


@bp.route("/projects/<project>/checks/<check_id>")
@cached
def evidence(project: str, check_id: str) -> Any:
    params.only()
    return render_template("evidence.html", data=evidence_view(get_db(), project, check_id))
