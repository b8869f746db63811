"""The report's appendix: the rubric and method behind the numbers, and what rests on people's word.

Attested evidence is what a team stated rather than what a collector
measured: answers in a project's ``.mldebt/attestations.yaml`` (stored as
``attest.<question>`` facts) and answers recorded with ``mldebt attest``.
A check credited through an attestation says so in its stored result.
Waivers in force are listed too: accepted debt is shown, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from mldebt.questions import load_questions
from mldebt.readmodel.queries import results_for
from mldebt.report.data import Report
from mldebt.rubric.engine import BANDS, GRADES
from mldebt.rubric.schema import SECTION_IDS
from mldebt.scanning.scans import recorded_attestations
from mldebt.store.db import from_json, rows

ATTESTED_DETAIL = "manual: attested"


@dataclass(frozen=True)
class Attested:
    project: str
    question: str
    title: str
    answer: str
    by: str
    on: str
    expires: str
    expired: bool
    source: str
    credits: tuple[str, ...]  # checks whose credit rests on this answer
    reasons: tuple[str, ...] = ()  # each credited result's plain reason, in the order of ``credits``


def rubric_summaries(data: Report) -> list[dict[str, Any]]:
    """Each rubric the quarter's scans were scored with: sections, categories and checks."""
    found = []
    for rubric_hash in data.rubric_hashes:
        rubric = data.rubric_of[rubric_hash]
        checks = sorted(
            rubric.checks, key=lambda c: (SECTION_IDS.index(c.section) if c.section else 9, c.ml_test or "", c.id)
        )
        found.append(
            {
                "name": rubric.name,
                "version": rubric.version,
                "hash": rubric.hash,
                "source": rubric.source,
                "checks": checks,
                "ml_tests": sum(1 for c in rubric.checks if c.ml_test),
                "sections": [
                    {
                        "id": s.id,
                        "title": s.title,
                        "tests": sum(1 for c in rubric.checks if c.section == s.id and c.ml_test),
                    }
                    for s in rubric.sections
                ],
                "categories": [
                    {"id": c.id, "title": c.title, "checks": sum(1 for k in rubric.checks if k.category == c.id)}
                    for c in rubric.categories
                ],
                "projects": sorted(p.id for p in data.projects if p.scan["rubric_hash"] == rubric_hash),
                "disabled": rubric.disabled,
            }
        )
    return found


def guide(data: Report) -> dict[str, Any]:
    """What "How to read this report" states from the rubrics in use: each tier's target, and the levels."""
    tiers: dict[tuple[str, str, float], dict[str, Any]] = {}
    levels: dict[str, str] = {}
    for rubric_hash in data.rubric_hashes:
        rubric = data.rubric_of[rubric_hash]
        titles = {lv.id: lv.title for lv in rubric.levels}
        for tier in rubric.tiers or (rubric.tier(None),):
            level = titles.get(tier.target.level or "", tier.target.level or "")
            key = (tier.title, level, tier.target.ml_test_score)
            tiers.setdefault(key, {"title": tier.title, "level": level, "ml_test_score": tier.target.ml_test_score})
        for lv in rubric.levels:
            levels.setdefault(lv.title, " ".join(lv.description.split()))
    return {"tiers": list(tiers.values()), "levels": list(levels.items()), **method()}


def method() -> dict[str, Any]:
    """The scales the engine reads scores on, for the appendix's tables."""
    bands, low = [], None
    for bound, label in BANDS:
        shown = "0" if low is None else (f"above {low:g}" if bound == float("inf") else f"{low + 0.5:g} to {bound:g}")
        bands.append((shown, label))
        low = bound
    grades, upper = [], None
    for bound, letter in GRADES:
        grades.append((letter, f"{bound:g} or more" if upper is None else f"{bound:g} to under {upper:g}"))
        upper = bound
    return {"bands": bands, "grades": grades}


def attested(db: sqlite_utils.Database, data: Report) -> list[Attested]:
    """Every answer in force at the quarter's scans, from files or `mldebt attest`, newest per question."""
    titles = {q.id: q.title for q in load_questions().values()}
    found = []
    scan_of = {p.id: p for p in data.projects}
    facts: dict[str, dict[str, dict[str, Any]]] = {p: {} for p in scan_of}
    ids = [p.scan["id"] for p in data.projects]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for r in rows(
            db,
            "select s.project_id, e.key, e.value from evidence e join scans s on s.id = e.scan_id "
            f"where e.key like 'attest.%' and e.error is null and e.scan_id in ({','.join('?' * len(chunk))})",
            chunk,
        ):
            value = from_json(r["value"])
            if isinstance(value, dict) and "answer" in value:
                facts[r["project_id"]][r["key"]] = value
    details = results_for(db, ids)
    for project, view in sorted(scan_of.items()):
        answers = dict(facts[project])
        for key, value in recorded_attestations(db, project, view.scan["as_of"]).items():
            if key not in answers or str(value.get("date", "")) > str(answers[key].get("date", "")):
                answers[key] = value
        credited: dict[str, list[str]] = {}
        for check_id, (status, _, _) in view.results.items():
            detail = (details[view.scan["id"]].get(check_id, {}).get("detail") or "") if status == "manual" else ""
            if detail.startswith(ATTESTED_DETAIL):
                question = detail[detail.find("(") + 1 : detail.rfind(")")]
                credited.setdefault(question, []).append(check_id)
        for key, value in sorted(answers.items()):
            question = key.removeprefix("attest.")
            found.append(
                Attested(
                    project=project,
                    question=question,
                    title=titles.get(question, question),
                    answer=" ".join(str(value.get("answer", "")).split()),
                    by=str(value.get("by") or ""),
                    on=str(value.get("date") or ""),
                    expires=str(value.get("expires") or ""),
                    expired=bool(value.get("expired")),
                    source=str(value.get("source") or "attestation file"),
                    credits=tuple(sorted(credited.get(question, []))),
                    reasons=tuple(view.reasons.get(c, "") for c in sorted(credited.get(question, []))),
                )
            )
    return found


def waivers(db: sqlite_utils.Database, data: Report) -> list[dict[str, Any]]:
    """Waivers in force on the quarter's last day for the projects in the report."""
    day = data.quarter.last_day.isoformat()
    names = {p.id for p in data.projects}
    return [
        w
        for w in rows(
            db,
            "select * from waivers where coalesce(starts_on, substr(created_at, 1, 10)) <= ? "
            "and until >= ? order by project_id, check_id",
            [day, day],
        )
        if w["project_id"] in names
    ]
