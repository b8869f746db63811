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
import textwrap
from collections.abc import Mapping
from typing import Any

import click
import sqlite_utils

from mldebt.errors import NotFound
from mldebt.readmodel.backlog import open_backlog
from mldebt.readmodel.effort import effort_in_force
from mldebt.readmodel.queries import (
    Headline,
    latest_scans,
    project_rows,
    reasons_for,
    results_for,
    rubric_data,
    scan_history,
    scores_of,
    sections_for,
)
from mldebt.rubric.engine import BANDS
from mldebt.rubric.paydown import PRIORITY_FORMULA, PRIORITY_UNIT
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


def _wrapped(text: str, indent: int, width: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(
        text, width=max(width, indent + 30), initial_indent=pad, subsequent_indent=pad, break_on_hyphens=False
    ) or [pad]


def render_text(card: dict[str, Any], width: int = WIDTH) -> str:
    s = card["scan"]
    score = card["ml_test_score"]
    lines = [
        click.style(card["project"], bold=True)
        + f"  (team {card['team']}"
        + (f", owner {card['owner']})" if card["owner"] else ")"),
        f"scan {s['as_of'][:10]} at commit {(s['commit_sha'] or 'working tree')[:12]}"
        f" · rubric {card['rubric']['name']} {card['rubric']['version']} ({card['rubric']['hash']})"
        + (f" · {s['error_count']} unreadable inputs" if s["error_count"] else ""),
        "",
        *_standing_block(card, width),
        click.style("ML Test Score " + ("n/a" if score is None else f"{score:g} of 7"), bold=True)
        + f"  {card['band_text']}",
        *textwrap.wrap(
            "sections (the score is the lowest): "
            + ",  ".join(
                f"{name} {section_text(value, card['section_max'].get(name))}"
                for name, value in card["sections"].items()
            ),
            width=width,
            initial_indent="  ",
            subsequent_indent="    ",
            break_on_hyphens=False,
        ),
        click.style(f"Grade {card['grade']}", bold=True)
        + (f" ({card['overall']:.0f} / 100)" if card["overall"] is not None else " (no decided checks)")
        + f"   remaining effort {card['effort_hours']:.0f} h"
        + (f" (+{card['waived_effort_hours']:.0f} h waived)" if card["waived_effort_hours"] else ""),
        "",
        HEALTH,
    ]
    width_title = max((len(health_title(c["title"])) for c in card["categories"]), default=10)
    for cat in card["categories"]:
        value = "    –  no decided check" if cat["score"] is None else f"{cat['score']:5.0f}"
        lines.append(f"  {health_title(cat['title']):<{width_title}}  {value}")
    applies = [c for c in card["checks"] if c["status"] != NOT_APPLICABLE]
    left_out = [c for c in card["checks"] if c["status"] == NOT_APPLICABLE]
    id_width = max((len(c["id"]) for c in card["checks"]), default=10)
    counts = ", ".join(
        f"{sum(c['status'] == status for c in applies)} {word}"
        for status, word in STATUS_WORDS.items()
        if any(c["status"] == status for c in applies)
    )
    lines += ["", f"Checks ({counts})" if counts else "Checks"]
    for check in applies:
        lines += _check_lines(check, id_width, width)
    if left_out:
        lines += ["", f"Does not apply ({len(left_out)}: left out of every score, category, level and effort)"]
        for check in left_out:
            lines += _check_lines(check, id_width, width)
    if card["questions"]:
        lines += ["", "Litmus questions (proxy checks' score; attested?)"]
        for q in card["questions"]:
            value = "    –" if q["score"] is None else f"{q['score']:5.0f}"
            first = f"  {value}  {'attested' if q['attested'] else 'not attested':<12}  "
            text = textwrap.wrap(q["title"], width=max(width - len(first), 30), break_on_hyphens=False) or [""]
            lines += [first + text[0], *(" " * len(first) + more for more in text[1:])]
    if card["paydown"]:
        lines += ["", f"Top paydown items (priority in {PRIORITY_UNIT}, effort, scans unmet)"]
        lines += _wrapped(PRIORITY_FORMULA, 2, width)
        for item in card["paydown"][:5]:
            first = (
                f"  {item['id']}  {item['priority']:6.3f}  {item['effort_hours']:4.0f} h  {item['scans_unmet']:2.0f}  "
            )
            text = textwrap.wrap(
                f"{item['check_id']}: {item['title']}", width=max(width - len(first), 30), break_on_hyphens=False
            ) or [""]
            lines += [first + text[0], *(" " * len(first) + more for more in text[1:])]
    if len(card["history"]) > 1:
        lines += ["", "History (scan, commit, ML Test Score, grade, gap to the target)"]
        for h in card["history"]:
            overall = "(-)" if h["overall"] is None else f"({h['overall']:.0f})"
            note = "" if h["same_rubric"] else " (other rubric: not comparable)"
            ml = "n/a" if h["ml_test_score"] is None else f"{h['ml_test_score']:.1f}"
            commit = (h["commit"] or "-")[:8]
            first = f"  {h['as_of'][:10]}  {commit}  ML Test {ml:>3}  grade {h['grade']} {overall:>5}  "
            text = textwrap.wrap(
                (h["gap"] or "") + note, width=max(width - len(first), 30), break_on_hyphens=False
            ) or [""]
            lines += [first + text[0], *(" " * len(first) + more for more in text[1:])]
    return "\n".join(lines)


def _standing_block(place: Mapping[str, Any], width: int) -> list[str]:
    """Tier and target, level held, and gap, one labelled line each."""
    if place["tier"] is None:
        rows_ = [("Tier", "none"), ("Level", f"{place['level_title'] or 'none'} held"), ("Gap", gap_text(place))]
    else:
        rows_ = [
            ("Tier", f"{place['tier_title']} (target: {target_text(place)})"),
            ("Level", f"{place['level_title'] or 'none'} held"),
            ("Gap", gap_text(place)),
        ]
    lines = []
    for label, text in rows_:
        wrapped = textwrap.wrap(text, width=max(width - 8, 30), break_on_hyphens=False) or [""]
        lines += [click.style(f"{label:<8}", bold=True) + wrapped[0], *("        " + more for more in wrapped[1:])]
    return lines


def _check_lines(check: dict[str, Any], id_width: int, width: int) -> list[str]:
    """A result's line (symbol, status, check, title) and its reason beneath, wrapped to the width."""
    symbol, colour = SYMBOLS.get(check["status"], ("·", None))
    status = click.style(f"{symbol} {check['status']:<9}", fg=colour)
    indent = 16 + id_width
    title = textwrap.wrap(check["title"], width=max(width - indent, 30), break_on_hyphens=False) or [""]
    return [
        f"  {status} {check['id']:<{id_width}}  {title[0]}",
        *(" " * indent + more for more in title[1:]),
        *_wrapped(check["reason"] or "(no reason recorded: run `mldebt score`)", 6, width),
    ]


# Every project: where each stands against its target --------------------------------------------------------------


def portfolio(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Each scanned project's latest standing (tier, level, target, gap) and headline scores, largest gap first.

    A project scored before tiers existed (no gap) comes last.
    """
    scans = latest_scans(db)
    teams = {p["id"]: p["team_name"] for p in project_rows(db)}
    effort = effort_in_force(db, scans.values())
    found = []
    for name, scan in scans.items():
        place = standing(scan, rubric_data(db, scan["rubric_hash"]))
        found.append(
            {
                "project": name,
                "team": teams.get(name),
                **place,
                "ml_test_score": scan["ml_test_score"],
                "grade": scan["grade"],
                "overall": scan["overall"],
                "effort_hours": effort[scan["id"]].open_hours,
                "as_of": scan["as_of"],
            }
        )
    return sorted(found, key=_by_gap)


def _by_gap(row: Mapping[str, Any]) -> tuple[int, float, str]:
    size = row["gap"]["size"]
    return (1, 0.0, row["project"]) if size is None else (0, -float(size), row["project"])


def render_portfolio(projects: list[dict[str, Any]], width: int = WIDTH) -> str:
    """A table of every project: tier, level, ML Test Score, target and gap, largest gap first."""
    head = ("project", "tier", "level", "ML Test", "target", "gap")
    table = [
        (
            p["project"],
            p["tier_title"] or "-",
            p["level_title"] or "none",
            "n/a" if p["ml_test_score"] is None else f"{p['ml_test_score']:g}",
            _short_target(p),
            gap_text(p),
        )
        for p in projects
    ]
    widths = [max(len(row[i]) for row in [head, *table]) for i in range(5)]
    indent = 2 + sum(w + 2 for w in widths)
    lines = [
        click.style(f"Portfolio: {len(projects)} project(s) by gap to their tier's target (largest first)", bold=True),
        "",
        "  " + "".join(f"{h:<{w}}  " for h, w in zip(head, widths, strict=False)) + head[5],
    ]
    for row in table:
        first = "  " + "".join(f"{cell:<{w}}  " for cell, w in zip(row, widths, strict=False))
        gap = textwrap.wrap(row[5], width=max(width - indent, 24), break_on_hyphens=False) or [""]
        lines.append(first + gap[0])
        lines += [" " * indent + more for more in gap[1:]]
    lines += ["", "`mldebt show PROJECT` prints a project's scorecard; `--json` every project's."]
    return "\n".join(lines)


def _short_target(place: Mapping[str, Any]) -> str:
    target = place["target"]
    if place["tier"] is None:
        return "-"
    parts = [str(target["level_title"])] if target["level"] else []
    if target["ml_test_score"]:
        parts.append(f"ML Test {target['ml_test_score']:g}")
    return ", ".join(parts) or "none"


def headline_standing(db: sqlite_utils.Database, scan: Headline) -> dict[str, Any]:
    """``standing`` for one headline, with the titles of the rubric it was scored with."""
    return standing(scan, rubric_data(db, scan["rubric_hash"]))
