"""Read one project's latest scan from the store and render it for a terminal or as JSON."""

from __future__ import annotations

import json
from typing import Any

import click
import sqlite_utils

from mldebt.errors import NotFound
from mldebt.readmodel.backlog import open_backlog
from mldebt.readmodel.effort import effort_in_force
from mldebt.readmodel.queries import results_for, rubric_data, scan_history, scores_of
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
    results = sorted(
        results_for(db, [latest["id"]])[latest["id"]].values(),
        key=lambda r: (STATUS_ORDER.get(r["status"], 9), r["check_id"]),
    )
    effort = effort_in_force(db, [latest])[latest["id"]]
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
        "ml_test_score": latest["ml_test_score"],
        "band": latest["band"],
        "grade": latest["grade"],
        "overall": latest["overall"],
        "sections": {name: by_scope.get("section", {}).get(name) for name in SECTION_IDS},
        "categories": [
            {"id": cid, "title": title, "score": by_scope.get("category", {}).get(cid)}
            for cid, title in categories.items()
        ],
        "effort_hours": effort.open_hours,
        "waived_effort_hours": effort.waived_hours,
        "level": scores.get("level", {}).get("held", {}).get("label"),
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
                "detail": r["detail"],
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
                "same_rubric": s["rubric_hash"] == latest["rubric_hash"],
            }
            for s in history
        ],
    }


def render_json(card: dict[str, Any] | list[dict[str, Any]]) -> str:
    return json.dumps(card, indent=2, ensure_ascii=False)


def render_text(card: dict[str, Any]) -> str:
    s = card["scan"]
    lines = [
        click.style(card["project"], bold=True)
        + f"  (team {card['team']}"
        + (f", owner {card['owner']})" if card["owner"] else ")"),
        f"scan {s['as_of'][:10]} at commit {(s['commit_sha'] or 'working tree')[:12]}"
        f" · rubric {card['rubric']['name']} {card['rubric']['version']} ({card['rubric']['hash']})"
        + (f" · {s['error_count']} unreadable inputs" if s["error_count"] else ""),
        "",
        click.style(f"ML Test Score {card['ml_test_score']:.1f} / 7", bold=True) + f"  {card['band']}",
        "  " + "   ".join(f"{name} {value:.1f}" for name, value in card["sections"].items()),
        click.style(f"Grade {card['grade']}", bold=True)
        + (f" ({card['overall']:.0f} / 100)" if card["overall"] is not None else " (no decided checks)")
        + f"   remaining effort {card['effort_hours']:.0f} h"
        + (f" (+{card['waived_effort_hours']:.0f} h waived)" if card["waived_effort_hours"] else "")
        + (f"   level {card['level']}" if card["level"] else ""),
        "",
        "Debt categories",
    ]
    width = max((len(c["title"]) for c in card["categories"]), default=10)
    for cat in card["categories"]:
        value = "  n/a (no checks decided)" if cat["score"] is None else f"{cat['score']:5.0f}"
        lines.append(f"  {cat['title']:<{width}}  {value}")
    lines += ["", "Checks"]
    id_width = max((len(c["id"]) for c in card["checks"]), default=10)
    for check in card["checks"]:
        symbol, colour = SYMBOLS.get(check["status"], ("·", None))
        status = click.style(f"{symbol} {check['status']:<9}", fg=colour)
        lines.append(f"  {status} {check['id']:<{id_width}}  {check['title']}")
    if card["questions"]:
        lines += ["", "Litmus questions (proxy checks' score; attested?)"]
        for q in card["questions"]:
            value = "  n/a" if q["score"] is None else f"{q['score']:5.0f}"
            lines.append(f"  {value}  {'attested' if q['attested'] else 'not attested':<12}  {q['title']}")
    if card["paydown"]:
        lines += ["", "Top paydown items (priority, effort, scans unmet)"]
        for item in card["paydown"][:5]:
            lines.append(
                f"  {item['id']}  {item['priority']:6.3f}  {item['effort_hours']:4.0f} h  "
                f"{item['scans_unmet']:2.0f}  {item['check_id']}: {item['title']}"
            )
    if len(card["history"]) > 1:
        lines += ["", "History"]
        for h in card["history"]:
            overall = "-" if h["overall"] is None else f"{h['overall']:.0f}"
            note = "" if h["same_rubric"] else "  (other rubric: not comparable)"
            lines.append(
                f"  {h['as_of'][:10]}  {(h['commit'] or '-')[:8]}  ML Test {h['ml_test_score']:.1f}"
                f"  grade {h['grade']} ({overall}){note}"
            )
    return "\n".join(lines)
