"""The gate's verdict as Markdown, for a CI step summary or a pull-request comment.

It says where the project stands (tier, level, target and gap) beside the
grade and the ML Test Score, and gives each unmet check's plain reason; the
condition that decided a result stays on the check's own page, one link away.
"""

from __future__ import annotations

from typing import Any, Literal

from mldebt.gate.check import GateResult
from mldebt.readmodel.backlog import check_link
from mldebt.readmodel.queries import Headline
from mldebt.readmodel.scorecard import gap_text, section_text, target_text
from mldebt.rubric.schema import SECTION_IDS

UNMET = ("fail", "manual", "waived", "unknown")


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def markdown(result: GateResult, base: str) -> str:
    scan, baseline = result.scan, result.baseline
    verdict = "passed" if result.passed else "failed"
    lines = [f"## mldebt check: {_cell(result.name)} {verdict}", ""]
    lines += [f"- {_cell(reason)}" for reason in result.failures] or ["- every threshold met, no check regressed"]
    lines += [f"- note: {_cell(note)}" for note in result.notes]
    overall = "n/a" if scan["overall"] is None else f"{scan['overall']:g}"
    now, then = result.standing, result.baseline_standing
    lines += [
        "",
        "| | this scan | baseline |",
        "| --- | --- | --- |",
        f"| Tier | {_cell(_tier(now))} | {_cell(_tier(then))} |",
        f"| Level held | {_cell(_level(now))} | {_cell(_level(then))} |",
        f"| Gap to the target | {_cell(gap_text(now))} | {_cell(gap_text(then) if then else '-')} |",
        f"| ML Test Score (0-7) | {_score(scan['ml_test_score'])} | {_base(baseline, 'ml_test_score')} |",
        f"| Grade | {scan['grade']} ({overall}) | {_base(baseline, 'grade')} |",
        f"| Scan | {scan['as_of'][:10]} at {(scan['commit_sha'] or 'working tree')[:12]} | "
        f"{_base(baseline, 'as_of')} |",
        "",
    ]
    reasons = {r["check_id"]: r.get("reason") or "" for r in result.results}
    regressed = {c.check_id for c in result.regressions}
    newly = [c for c in result.new_failures if c.check_id not in regressed]  # was unknown or n/a: not a regression
    if result.regressions or newly or result.improvements or result.went_unknown:
        lines += ["| change | check | before | now | why now |", "| --- | --- | --- | --- | --- |"]
        for kind, changes in (
            ("regressed", result.regressions),
            ("newly failing", newly),
            ("improved", result.improvements),
            ("evidence missing", result.went_unknown),
        ):
            lines += [
                f"| {kind} | [{_cell(c.title)}]({check_link(base, result.name, c.check_id)}) | {c.before} | "
                f"{c.after} | {_cell(reasons.get(c.check_id, ''))} |"
                for c in changes
            ]
        lines.append("")
    unmet = sorted(
        (r for r in result.results if r["status"] in UNMET),
        key=lambda r: (UNMET.index(r["status"]), -(r["weight"] or 0), r["check_id"]),
    )
    if unmet:
        lines += [
            f"<details><summary>{len(unmet)} check(s) not fully met</summary>",
            "",
            "| check | status | why | effort | how to fix |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in unmet:
            check = result.rubric.check(r["check_id"])
            title = check.title if check else r["check_id"]
            effort = f"{check.effort_hours:g} h" if check else "-"
            fix = check.fix if check else ""
            lines.append(
                f"| [{_cell(title)}]({check_link(base, result.name, r['check_id'])}) | {r['status']} | "
                f"{_cell(r.get('reason') or '')} | {effort} | {_cell(fix)} |"
            )
        lines += ["", "</details>", ""]
    shown = ", ".join(f"{s} {section_text(*result.sections.get(s, (None, None)))}" for s in SECTION_IDS)
    lines.append(
        f"Rubric {result.rubric.name} {result.rubric.version} ({result.rubric.hash}); "
        f"sections (the ML Test Score is the lowest; tests that do not apply left out): {shown}."
    )
    return "\n".join(lines) + "\n"


def _tier(place: dict[str, Any] | None) -> str:
    if place is None:
        return "-"
    if place["tier"] is None:
        return "none (scored before tiers)"
    return f"{place['tier_title']}, target {target_text(place)}"


def _level(place: dict[str, Any] | None) -> str:
    return "-" if place is None else str(place["level_title"] or "none")


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def _base(baseline: Headline | None, key: Literal["ml_test_score", "grade", "as_of"]) -> str:
    if baseline is None:
        return "-"
    if key == "as_of":
        return f"{baseline['as_of'][:10]} at {(baseline['commit_sha'] or 'working tree')[:12]}"
    value = baseline[key]
    return "n/a" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
