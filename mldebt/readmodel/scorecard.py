"""Read one project's latest scan (or every project's) from the store and render it for a terminal or as JSON.

Beside the scores, a scorecard always says where the project stands: its tier,
the level it holds, its tier's target and the gap to it (``standing``). The
2017 paper's band sentence is printed only for a project on target; one short
of its target gets the band's range and the gap, never praise its target calls
short (``band_text``). A result is shown with its plain reason; the condition
that decided it belongs to the check's own page (`mldebt explain`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from mldebt.errors import NotFound
from mldebt.readmodel.backlog import open_backlog
from mldebt.readmodel.effort import effort_in_force
from mldebt.readmodel.queries import (
    Headline,
    project_rows,
    reasons_for,
    results_for,
    rubric_data,
    scan_history,
    scores_by_scope,
    scores_of,
    sections_for,
)
from mldebt.readmodel.standing import PortfolioState, ProjectState
from mldebt.readmodel.standing import standing as state_at
from mldebt.rubric.engine import BANDS
from mldebt.rubric.schema import SECTION_IDS
from mldebt.scanning.scans import project_row
from mldebt.store.db import from_json

SYMBOLS = {
    "automated": ("✔", "green"),
    "manual": ("½", "yellow"),
    "fail": ("✘", "red"),
    "unknown": ("?", "blue"),
    "waived": ("~", "magenta"),
    "n/a": ("–", "white"),
}
STATUS_ORDER = {"fail": 0, "unknown": 1, "manual": 2, "waived": 3, "automated": 4, "n/a": 5}
STATUS_WORDS = {"fail": "not met", "unknown": "unknown", "manual": "half met", "waived": "waived", "automated": "met"}
NOT_APPLICABLE = "n/a"
WIDTH = 100  # the terminal width when none is given
HEALTH = "Category health (0-100, higher is better: 100 = no debt found in the category)"


# Where a project stands: tier, level, target and gap --------------------------------------------------------------


def standing(scan: Mapping[str, Any], rubric: Mapping[str, Any]) -> dict[str, Any]:
    """A scan's tier, the level it holds, its tier's target and the gap to it, with the rubric's titles.

    ``scan`` is a headline (``queries.headlines``). A scan scored before tiers
    existed has no tier: its ``tier`` is None and its gap unknown.
    """
    levels = {lv["id"]: lv["title"] for lv in rubric.get("levels", [])}
    tiers = {t["id"]: t["title"] for t in rubric.get("tiers", [])}
    tier, size = scan.get("tier"), scan.get("gap_size")
    target_level = scan.get("target_level")
    return {
        "tier": tier,
        "tier_title": tiers.get(tier or "", (tier or "").capitalize() or None),
        "level": scan.get("level"),
        "level_title": levels.get(scan.get("level") or "", scan.get("level")),
        "target": {
            "level": target_level,
            "level_title": levels.get(target_level or "", target_level),
            "ml_test_score": scan.get("target_ml_test_score"),
        },
        "gap": {
            "text": scan.get("gap"),
            "size": size,
            "on_target": None if tier is None or size is None else size == 0,
        },
    }


def target_text(place: Mapping[str, Any]) -> str:
    """``level Silver and ML Test Score 2``, or ``no level or ML Test Score required``."""
    target = place["target"]
    parts = []
    if target["level"]:
        parts.append(f"level {target['level_title']}")
    if target["ml_test_score"]:
        parts.append(f"ML Test Score {target['ml_test_score']:g}")
    return " and ".join(parts) or "no level or ML Test Score required"


def gap_text(place: Mapping[str, Any]) -> str:
    """The gap in words: ``on target``, ``1 level short of Silver``, or why it is unknown."""
    if place["tier"] is None or place["gap"]["text"] is None:
        return "no target: the scan was scored before tiers existed (run `mldebt score`)"
    return str(place["gap"]["text"])


def standing_lines(place: Mapping[str, Any]) -> list[str]:
    """Where a project stands in two short lines: ``tier Production (target: level Silver and ML Test Score 2),
    level Bronze held`` and ``gap: 1 level short of Silver``."""
    tier = "no tier" if place["tier"] is None else f"tier {place['tier_title']} (target: {target_text(place)})"
    return [f"{tier}, level {place['level_title'] or 'none'} held", f"gap: {gap_text(place)}"]


def band_range(score: float) -> str:
    """The 2017 paper's band a score falls in, as a range of scores: ``0``, ``up to 1``, ``3-5``, ``above 5``."""
    lower = 0.0
    for bound, _ in BANDS:
        if score <= bound:
            if bound == 0.0:
                return "0"
            if bound == float("inf"):
                return f"above {lower:g}"
            return f"up to {bound:g}" if lower == 0.0 else f"{lower:g}-{bound:g}"
        lower = bound
    return f"above {lower:g}"


def band_text(score: float | None, band: str | None, place: Mapping[str, Any]) -> str:
    """The band sentence for a project on target; for one short of its target (or of unknown target), the band's
    range and the gap, so no praise stands beside a project its target calls short."""
    if score is None:
        return "not scored"
    if place["gap"]["on_target"]:
        return band or ""
    if place["tier"] is None:
        return f"band {band_range(score)} of the 2017 paper (no tier target to judge it by)"
    return f"band {band_range(score)} of the 2017 paper, but short of its {place['tier_title']} target"


# One project's scorecard ------------------------------------------------------------------------------------------


def reasons_of(db: sqlite_utils.Database, scan_id: str) -> dict[str, str]:
    """Each result's plain reason in one scan, by check id."""
    return reasons_for(db, [scan_id])[scan_id]


def section_scores(db: sqlite_utils.Database, scan_id: str) -> dict[str, tuple[float | None, float | None]]:
    """Each ML Test Score section's (points, most points) in one scan; most points counts its applicable tests."""
    return {name: (None, None) for name in SECTION_IDS} | sections_for(db, [scan_id])[scan_id]


def section_text(points: float | None, most: float | None) -> str:
    """``2.5 of 6``; ``– (no test applies)`` for a section whose every test is n/a."""
    if most is not None and most == 0:
        return "– (no test applies)"
    if points is None:
        return "–"
    return f"{points:g} of {most:g}" if most is not None else f"{points:g}"


def scorecard(db: sqlite_utils.Database, project: str) -> dict[str, Any]:
    """Everything `mldebt show` prints, as plain data (its JSON), for the project's latest scan."""
    proj = project_row(db, project)
    history = scan_history(db, project)
    if not history:
        raise NotFound(f"project {project!r} has no scans yet: run `mldebt collect` first")
    latest = history[-1]
    rubric = rubric_data(db, latest["rubric_hash"])
    titles = {c["id"]: c for c in rubric.get("checks", [])}
    categories = {c["id"]: c["title"] for c in rubric.get("categories", [])}
    scores = scores_of(db, latest["id"])
    by_scope = {scope: {name: score["value"] for name, score in named.items()} for scope, named in scores.items()}
    sections = section_scores(db, latest["id"])
    reasons = reasons_of(db, latest["id"])
    results = sorted(
        results_for(db, [latest["id"]])[latest["id"]].values(),
        key=lambda r: (STATUS_ORDER.get(r["status"], 9), r["check_id"]),
    )
    effort = effort_in_force(db, [latest])[latest["id"]]
    place = standing(latest, rubric)
    place["gap"]["levels"] = by_scope.get("gap", {}).get("levels")
    place["gap"]["ml_test_score"] = by_scope.get("gap", {}).get("ml_test_score")
    return {
        "project": proj["id"],
        "team": proj["team_name"],
        "owner": proj["owner"],
        "scan": {
            "id": latest["id"],
            "as_of": latest["as_of"],
            "collected_at": latest["collected_at"],
            "commit_sha": latest["commit_sha"],
            "commit_date": latest["commit_date"],
            "rubric_hash": latest["rubric_hash"],
            "tool_version": latest["tool_version"],
            "fact_count": latest["fact_count"],
            "error_count": latest["error_count"],
        },
        "rubric": {"name": rubric.get("rubric"), "version": rubric.get("version"), "hash": latest["rubric_hash"]},
        **place,
        "ml_test_score": latest["ml_test_score"],
        "band": latest["band"],
        "band_text": band_text(latest["ml_test_score"], latest["band"], place),
        "grade": latest["grade"],
        "overall": latest["overall"],
        "sections": {name: value for name, (value, _) in sections.items()},
        "section_max": {name: most for name, (_, most) in sections.items()},
        "section_titles": {sec["id"]: sec["title"] for sec in rubric.get("sections", [])},
        "categories": [
            {"id": cid, "title": title, "score": by_scope.get("category", {}).get(cid)}
            for cid, title in categories.items()
        ],
        "effort_hours": effort.open_hours,
        "waived_effort_hours": effort.waived_hours,
        "questions": [
            {
                "id": q["id"],
                "title": q["title"],
                "score": by_scope.get("question", {}).get(q["id"]),
                "attested": scores.get("question", {}).get(q["id"], {}).get("label") == "attested",
            }
            for q in rubric.get("questions", [])
        ],
        "paydown": [item.as_dict() for item in open_backlog(db, project=project)],
        "checks": [
            {
                "id": r["check_id"],
                "title": titles.get(r["check_id"], {}).get("title", r["check_id"]),
                "status": r["status"],
                "points": r["points"],
                "weight": r["weight"],
                "reason": reasons.get(r["check_id"], ""),
                "section": titles.get(r["check_id"], {}).get("section"),
                "category": titles.get(r["check_id"], {}).get("category"),
                "fix": " ".join(str(titles.get(r["check_id"], {}).get("fix") or "").split()),
                "detail": r["detail"],  # the condition that decided: for the check's own page only
                "evidence_keys": from_json(r["evidence_keys"]),
            }
            for r in results
        ],
        "history": [
            {
                "as_of": s["as_of"],
                "commit": s["commit_sha"],
                "ml_test_score": s["ml_test_score"],
                "grade": s["grade"],
                "overall": s["overall"],
                "level": s["level"],
                "gap": s["gap"],
                "gap_size": s["gap_size"],
                "same_rubric": s["rubric_hash"] == latest["rubric_hash"],
            }
            for s in history
        ],
    }


def render_json(card: dict[str, Any] | list[dict[str, Any]]) -> str:
    return json.dumps(card, indent=2, ensure_ascii=False)


def health_title(title: str | None) -> str:
    """A debt category's title as the name of its score, where higher is better: ``Configuration debt`` is
    ``Configuration health`` (100 = no debt found); a title without "debt" gains "health" all the same."""
    text = str(title or "").strip()
    if text.lower().endswith(" debt"):
        text = text[:-5].rstrip()
    return f"{text} health"


# Every project: where each stands against its target --------------------------------------------------------------


ORDER = (
    "teams by their largest gap to target (largest first), then projects by gap within each team (largest first); "
    "a project scored before tiers existed (no gap) comes last"
)


def portfolio(db: sqlite_utils.Database) -> dict[str, Any]:
    """Where every scanned project stands, one row each, and each team's totals: what `mldebt show` prints.

    Built on ``standing.standing`` (the portfolio page's read model) at the
    latest quarter with scans: a project's row is its latest scan, and its
    trend compares it with the scan in force at the end of the previous
    quarter (no change is given across rubrics, or for a project new this
    quarter). Rows come in ``ORDER``: the largest gap first, within teams.
    """
    state = state_at(db)
    gaps = scores_by_scope(db, [p.scan["id"] for p in state.projects], "gap")
    rows = [_row(db, state, p, gaps[p.scan["id"]]) for p in state.projects]
    teams: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=_by_gap):
        teams.setdefault(row["team"], []).append(row)
    ordered = sorted(teams.values(), key=lambda found: (_by_gap(found[0])[:2], found[0]["team_name"] or ""))
    scanned = {p.id for p in state.projects}
    return {
        "quarter": str(state.quarter) if state.quarter else None,
        "previous_quarter": str(state.previous) if state.previous else None,
        "as_of": state.as_of,
        "order": ORDER,
        "project_count": len(rows),
        "overall": state.overall,
        "grade": state.grade if rows else None,
        "effort_hours": state.effort_hours,
        "open_items": state.open_items,
        "teams": [
            {
                "team": found[0]["team"],
                "team_name": found[0]["team_name"],
                "project_count": len(found),
                "effort_hours": round(sum(r["effort_hours"] for r in found), 1),
                "open_items": sum(r["open_items"] for r in found),
                "largest_gap": found[0]["gap"]["size"],
            }
            for found in ordered
        ],
        "projects": [row for found in ordered for row in found],
        "not_scanned": [p["id"] for p in project_rows(db) if p["id"] not in scanned],
    }


def _row(db: sqlite_utils.Database, state: PortfolioState, p: ProjectState, gap: Mapping[str, Any]) -> dict[str, Any]:
    place = headline_standing(db, p.scan)
    place["gap"]["levels"], place["gap"]["ml_test_score"] = gap.get("levels"), gap.get("ml_test_score")
    before = p.previous if p.comparable else None
    return {
        "project": p.id,
        "team": p.team,
        "team_name": p.team_name or p.team,
        **place,
        "grade": p.scan["grade"],
        "overall": p.scan["overall"],
        "ml_test_score": p.scan["ml_test_score"],
        "effort_hours": p.effort_hours,
        "open_items": p.effort.open_items,
        "as_of": p.scan["as_of"],
        "trend": {
            "since": str(state.previous) if state.previous else None,
            "note": p.change_note,
            "grade": before["grade"] if before else None,
            "level": before["level"] if before else None,
            "overall": p.delta_overall,
            "ml_test_score": p.delta_ml,
            "effort_hours": p.delta_effort,
            "gap_size": _minus(p.scan["gap_size"], before["gap_size"]) if before else None,
        },
    }


def _minus(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 2)


def _by_gap(row: Mapping[str, Any]) -> tuple[int, float, str]:
    size = row["gap"]["size"]
    return (1, 0.0, row["project"]) if size is None else (0, -float(size), row["project"])


def headline_standing(db: sqlite_utils.Database, scan: Headline) -> dict[str, Any]:
    """``standing`` for one headline, with the titles of the rubric it was scored with."""
    return standing(scan, rubric_data(db, scan["rubric_hash"]))
