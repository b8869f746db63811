"""One project's page, and the evidence behind one of its check results."""

from __future__ import annotations

from typing import Any

import sqlite_utils
from flask import Blueprint, render_template

from mldebt import charts
from mldebt.push.intake import pushed_by
from mldebt.readmodel.campaigns import campaigns_of_items, covering
from mldebt.readmodel.explain import explanation
from mldebt.readmodel.quarters import Quarter, Timeline, quarters_between
from mldebt.readmodel.queries import (
    Headline,
    attestation_rows,
    check_groups,
    paydown_rows,
    results_for,
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
from mldebt.webapp.filters import family
from mldebt.webapp.portfolio import target_data

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
                    "reason": by_id.get(c["id"], {}).get("reason"),
                    "detail": by_id.get(c["id"], {}).get("detail"),
                }
                for c in g["checks"]
            ],
        }
        for g in check_groups(rubric)
    ]
    gaps = scores_by_scope(db, [s["id"] for s in scans], "gap")
    return {
        **card,
        **target_data(scans[-1], rubric, gaps[scans[-1]["id"]]),
        "scan": {**card["scan"], "pushed_by": pushers.get(latest_id)},
        "repo": proj["repo"],
        "subpath": proj["subpath"],
        "description": proj["description"],
        "tags": from_json(proj["tags"]) or [],
        "team_id": proj["team_id"],
        "section_list": [
            {
                "id": s["id"],
                "title": s["title"],
                "score": card["sections"].get(s["id"]),
                "max": card.get("section_max", {}).get(s["id"]),
            }
            for s in rubric.get("sections", [])
        ],
        "ml_test_max": min((m for m in card.get("section_max", {}).values() if m), default=None),
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
                **{
                    k: v
                    for k, v in target_data(s, rubric_data(db, s["rubric_hash"]), gaps[s["id"]]).items()
                    if k in ("tier", "level", "level_title", "target", "gap")
                },
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


RESULT_FILTERS = {  # the project page's ?result=: which results its checks table lists
    "automated": ("automated",),
    "manual": ("manual",),
    "fail": ("fail",),
    "unknown": ("unknown",),
    "waived": ("waived",),
    "n/a": ("n/a",),
    "applies": ("automated", "manual", "fail", "unknown", "waived"),
    "unmet": ("fail", "manual"),
}


def filter_groups(groups: list[dict[str, Any]], result: str | None) -> list[dict[str, Any]]:
    """The groups with only the checks ``result`` (a key of RESULT_FILTERS) selects; empty groups left out."""
    if result is None:
        return groups
    wanted = RESULT_FILTERS[result]
    chosen = [{**g, "checks": [c for c in g["checks"] if c["status"] in wanted]} for g in groups]
    return [g for g in chosen if g["checks"]]


def result_counts(groups: list[dict[str, Any]]) -> dict[str, int]:
    """How many checks each result filter would list (the filter links' counts)."""
    statuses = [c["status"] for g in groups for c in g["checks"]]
    return {key: sum(1 for s in statuses if s in wanted) for key, wanted in RESULT_FILTERS.items()}


@bp.route("/projects/<project>")
@cached
def project(project: str) -> Any:
    params.only("result")
    result = params.choice("result", RESULT_FILTERS)
    db = get_db()
    data = project_view(db, project)
    most = max((s["max"] for s in data["section_list"] if s["max"]), default=7.0)  # n/a tests lower a section's most
    section_bars = charts.bars(
        "ML Test Score by section, points of its applicable tests",
        [(f"{s['title']} (of {s['max'] if s['max'] is not None else 7:g})", s["score"]) for s in data["section_list"]],
        most,
    )
    decided = [(family(c["title"]), c["score"]) for c in data["categories"] if c["score"] is not None]
    category_bars = charts.bars("Category health, higher is better", decided, 100)
    return render_template(
        "project.html",
        data=data,
        shown_groups=filter_groups(data["groups"], result),
        result=result,
        counts=result_counts(data["groups"]),
        every=sum(len(g["checks"]) for g in data["groups"]),
        history=history_charts(data),
        section_bars=section_bars,
        category_bars=category_bars,
        undecided=[c["title"] for c in data["categories"] if c["score"] is None],
        campaigns=covering(db, project),
        item_campaigns=campaigns_of_items(db, data["paydown_all"]),
    )


def evidence_view(db: sqlite_utils.Database, project: str, check_id: str) -> dict[str, Any]:
    """`mldebt explain`'s data plus the recorded answers and waivers that bear on the check."""
    data = explanation(db, project, check_id)
    if data["result"] is not None:
        row = results_for(db, [data["scan"]["id"]])[data["scan"]["id"]].get(check_id) or {}
        data["result"]["reason"] = row.get("reason")
    question = data["check"].get("attestation")
    data["attestations"] = attestation_rows(db, project, question) if question else []
    data["waivers"] = [w for w in list_waivers(db, project) if w["check_id"] == check_id]
    return data


@bp.route("/projects/<project>/checks/<check_id>")
@cached
def evidence(project: str, check_id: str) -> Any:
    params.only()
    return render_template("evidence.html", data=evidence_view(get_db(), project, check_id))
