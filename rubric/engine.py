"""Apply a rubric to one scan's evidence: check results and the scores built on them.

ML Test Score as Breck et al. (2017): a test run by hand and documented earns
0.5, an automated one 1; a section is the sum of its tests; the final score is
the minimum over the four sections. Debt categories score 0-100 from the
weighted points of their decided checks; checks whose evidence is missing are
*unknown* and count in neither the numerator nor the denominator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from . import conditions
from .schema import SECTION_IDS, Check, Rubric

POINTS = {"automated": 1.0, "manual": 0.5, "fail": 0.0}
BANDS = [  # (upper bound inclusive, label): the 2017 paper's interpretation
    (0.0, "more of a research project than a productionized system"),
    (1.0, "not totally untested, but serious holes in reliability are possible"),
    (2.0, "a first pass at basic productionization; more investment may be needed"),
    (3.0, "reasonably tested, but more of it could be automated"),
    (5.0, "strong automated testing and monitoring, fit for mission-critical systems"),
    (float("inf"), "exceptional levels of automated testing and monitoring"),
]
GRADES = [(90.0, "A"), (75.0, "B"), (60.0, "C"), (40.0, "D"), (0.0, "F")]


@dataclass(frozen=True)
class Result:
    check_id: str
    status: str  # automated | manual | fail | unknown
    points: float | None
    weight: float
    detail: str
    evidence_keys: tuple[str, ...]


@dataclass
class Scorecard:
    results: list[Result]
    sections: dict[str, float]
    ml_test_score: float
    band: str
    categories: dict[str, float | None]
    overall: float | None
    grade: str
    effort_hours: float
    unknown: int = 0


def band(score: float) -> str:
    return next(label for bound, label in BANDS if score <= bound)


def grade(percent: float | None) -> str:
    if percent is None:
        return "?"
    return next(letter for bound, letter in GRADES if percent >= bound)


def judge(check: Check, names: Mapping[str, Any]) -> Result:
    """One check's result: the best credit whose condition holds."""
    used: set[str] = set()
    undecided = []
    for status in ("automated", "manual"):
        expression = getattr(check, status)
        if expression is None:
            continue
        used |= conditions.keys(expression)
        outcome = conditions.evaluate(expression, names)
        if outcome is True:
            return Result(check.id, status, POINTS[status], check.weight, f"{status}: {expression}", tuple(sorted(used)))
        if outcome is None:
            undecided.append(expression)
    if undecided:
        return Result(check.id, "unknown", None, check.weight,
                      f"no evidence for: {'; '.join(undecided)}", tuple(sorted(used)))
    return Result(check.id, "fail", 0.0, check.weight, "no condition holds", tuple(sorted(used)))


def score(rubric: Rubric, facts: Mapping[str, Any]) -> Scorecard:
    """Score a scan whose readable facts are ``facts`` (dotted key -> value)."""
    names = conditions.namespace(facts)
    results = [judge(check, names) for check in rubric.checks]
    by_id = {r.check_id: r for r in results}

    sections = {s: 0.0 for s in SECTION_IDS}
    for check in rubric.checks:
        if check.ml_test and check.section:
            sections[check.section] += by_id[check.id].points or 0.0
    final = min(sections.values())

    categories: dict[str, float | None] = {}
    for category in rubric.spec.categories:
        decided = [by_id[c.id] for c in rubric.checks if c.category == category.id and by_id[c.id].points is not None]
        categories[category.id] = _percent(decided)
    decided_all = [r for r in results if r.points is not None]
    overall = _percent(decided_all)
    effort = sum(c.effort_hours * (1 - (by_id[c.id].points or 0.0)) for c in rubric.checks)
    return Scorecard(
        results=results, sections=sections, ml_test_score=final, band=band(final),
        categories=categories, overall=overall, grade=grade(overall),
        effort_hours=round(effort, 1), unknown=sum(r.status == "unknown" for r in results),
    )


def _percent(results: list[Result]) -> float | None:
    total = sum(r.weight for r in results)
    if not total:
        return None
    return round(100.0 * sum(r.weight * (r.points or 0.0) for r in results) / total, 1)
