"""`mldebt check`: a CI gate over a project's latest stored scan.

The gate fails when the grade, the level held (the rubric's levels, in
order) or the ML Test Score falls below a threshold, when the project is
short of its tier's target (``fail_below_target``), when any check earns
fewer points than in a baseline scan (by default the scan before the one
judged, itself the latest unless ``scan`` names one), or, with
``fail_on_new_failures``, when a check fails that did not fail in the
baseline (one that was unknown or did not apply before included). A waived check is accepted debt, not a regression;
a check whose evidence went missing (unknown) is reported but does not fail
the gate. A baseline scored with another rubric is not compared, and the
gate says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from mldebt.errors import NotFound
from mldebt.readmodel.quarters import BadValue
from mldebt.readmodel.queries import Headline, parsed_rubric, results_for, scan_history
from mldebt.readmodel.scorecard import gap_text, headline_standing, reasons_of, section_scores
from mldebt.rubric.engine import GRADES
from mldebt.rubric.schema import Rubric
from mldebt.scanning.scans import project_row

LETTERS = [letter for _, letter in GRADES]


@dataclass(frozen=True)
class Change:
    check_id: str
    title: str
    before: str
    after: str


@dataclass
class GateResult:
    project: dict[str, Any]
    scan: Headline
    baseline: Headline | None
    rubric: Rubric
    results: list[dict[str, Any]]  # result rows, each with its plain ``reason``
    standing: dict[str, Any]  # tier, level, target and gap (``scorecard.standing``)
    baseline_standing: dict[str, Any] | None = None
    sections: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)  # (points, most) each
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    regressions: list[Change] = field(default_factory=list)
    new_failures: list[Change] = field(default_factory=list)
    improvements: list[Change] = field(default_factory=list)
    went_unknown: list[Change] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def name(self) -> str:
        return str(self.project["id"])


def parse_grade(text: str) -> str:
    """A grade letter, whatever its case."""
    letter = text.strip().upper()
    if letter not in LETTERS:
        raise BadValue("grade", text, f"expected one of {', '.join(LETTERS)}")
    return letter


def parse_score(text: str) -> float:
    """An ML Test Score, from 0 to 7."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 7.0:
        raise BadValue("score", text, "expected an ML Test Score from 0 to 7")
    return value


def evaluate(
    db: sqlite_utils.Database,
    project: str,
    *,
    fail_under_grade: str | None = None,
    fail_under_score: float | None = None,
    fail_under_level: str | None = None,
    fail_below_target: bool = False,
    fail_on_new_failures: bool = False,
    baseline: str = "previous",
    scan: str | None = None,
) -> GateResult:
    """Judge the project's latest scan (or ``scan``, an id or its first characters) against the thresholds,
    its tier's target and the baseline scan."""
    row = project_row(db, project)
    history = scan_history(db, project)
    if not history:
        raise NotFound(f"project {project!r} has no scans yet: run `mldebt collect` first")
    if scan is not None:
        history = history[: history.index(_one_scan(history, scan, project, "scan")) + 1]
    latest = history[-1]
    base = _baseline(history, baseline, project)
    reasons = reasons_of(db, latest["id"])
    result = GateResult(
        project=row,
        scan=latest,
        baseline=base,
        rubric=parsed_rubric(db, latest["rubric_hash"]),
        results=[
            {**r, "reason": reasons.get(r["check_id"], "")}
            for r in results_for(db, [latest["id"]])[latest["id"]].values()
        ],
        standing=headline_standing(db, latest),
        baseline_standing=None if base is None else headline_standing(db, base),
        sections=section_scores(db, latest["id"]),
    )
    if fail_under_grade is not None:
        grade = latest["grade"]
        if grade not in LETTERS:
            result.failures.append(f"grade unknown (no decided checks), required {fail_under_grade} or better")
        elif LETTERS.index(grade) > LETTERS.index(fail_under_grade):
            result.failures.append(f"grade {grade} is below {fail_under_grade}")
    score = latest["ml_test_score"] or 0.0
    if fail_under_score is not None and score < fail_under_score:
        result.failures.append(f"ML Test Score {score:g} is below {fail_under_score:g}")
    if fail_under_level is not None:
        _judge_level(result, fail_under_level)
    if fail_below_target:
        _judge_target(result)
    _compare(db, result, fail_on_new_failures)
    return result


def _judge_level(result: GateResult, wanted: str) -> None:
    """A failure when the level held is below ``wanted``, one of the rubric's levels (lowest first)."""
    order = [level.id for level in result.rubric.levels]
    wanted = wanted.strip().lower()
    if wanted not in order:
        known = ", ".join(order) or "none: it defines no levels"
        raise BadValue("level", wanted, f"expected one of the rubric's levels ({known})")
    held = result.standing["level"]
    if held not in order or order.index(held) < order.index(wanted):
        title = next(level.title for level in result.rubric.levels if level.id == wanted)
        result.failures.append(f"level {result.standing['level_title'] or 'none'} held is below {title}")


def _judge_target(result: GateResult) -> None:
    """A failure when the scan is short of its tier's target, or has no target to be judged by."""
    place = result.standing
    if place["gap"]["on_target"] is None:
        result.failures.append(f"cannot tell whether the project meets its tier's target: {gap_text(place)}")
    elif not place["gap"]["on_target"]:
        result.failures.append(f"short of the {place['tier_title']} tier's target: {gap_text(place)}")


def _baseline(history: list[Headline], wanted: str, project: str) -> Headline | None:
    if wanted == "none":
        return None
    if wanted == "previous":
        return history[-2] if len(history) > 1 else None
    return _one_scan(history, wanted, project, "baseline")


def _one_scan(history: list[Headline], wanted: str, project: str, what: str) -> Headline:
    """The one scan in ``history`` whose id starts with ``wanted``; BadValue ``what`` otherwise."""
    if len(wanted) < 4:
        choices = "'previous', 'none' or " if what == "baseline" else ""
        raise BadValue(what, wanted, f"give {choices}at least 4 characters of a scan id")
    found = [s for s in history if s["id"].startswith(wanted)]
    if len(found) != 1:
        known = ", ".join(f"{s['id'][:12]} ({s['as_of'][:10]})" for s in reversed(history[-5:]))
        problem = "no scan" if not found else f"{len(found)} scans"
        raise BadValue(what, wanted, f"{problem} of project {project!r} with an id starting so (latest scans: {known})")
    return found[0]


def _compare(db: sqlite_utils.Database, result: GateResult, fail_on_new_failures: bool) -> None:
    base = result.baseline
    if base is None:
        result.notes.append("no baseline scan: nothing to compare")
        return
    if base["rubric_hash"] != result.scan["rubric_hash"]:
        result.notes.append(
            f"baseline scan {base['id'][:12]} was scored with another rubric ({base['rubric_hash']}): not compared"
        )
        return
    before = results_for(db, [base["id"]])[base["id"]]
    for now in sorted(result.results, key=lambda r: r["check_id"]):
        old = before.get(now["check_id"])
        if old is not None and old["status"] == now["status"]:
            continue
        check = result.rubric.check(now["check_id"])
        title = check.title if check else now["check_id"]
        if now["status"] == "fail":  # a check new to the scan, or failing now and not before
            result.new_failures.append(Change(now["check_id"], title, old["status"] if old else "absent", "fail"))
        if old is None:
            continue
        change = Change(now["check_id"], title, old["status"], now["status"])
        if now["status"] == "unknown" and old["points"] is not None:
            result.went_unknown.append(change)
        elif now["status"] == "waived" or now["points"] is None or old["points"] is None:
            continue
        elif now["points"] < old["points"]:
            result.regressions.append(change)
        elif now["points"] > old["points"]:
            result.improvements.append(change)
    if result.regressions:
        result.failures.append(
            f"{len(result.regressions)} check(s) regressed since scan {base['id'][:12]} "
            f"({base['as_of'][:10]}): {', '.join(c.check_id for c in result.regressions)}"
        )
    if fail_on_new_failures and result.new_failures:
        result.failures.append(
            f"{len(result.new_failures)} check(s) fail that did not fail in scan {base['id'][:12]} "
            f"({base['as_of'][:10]}): {', '.join(c.check_id for c in result.new_failures)}"
        )
