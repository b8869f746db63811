"""The gate's verdict as Markdown, for a CI step summary or a pull-request comment."""

from __future__ import annotations

from typing import Literal

from mldebt.gate.check import GateResult
from mldebt.readmodel.backlog import check_link
from mldebt.readmodel.queries import Headline
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
    lines += [
        "",
        "| | this scan | baseline |",
        "| --- | --- | --- |",
        f"| ML Test Score (0-7) | {scan['ml_test_score']:g} | {_base(baseline, 'ml_test_score')} |",
        f"| Grade | {scan['grade']} ({overall}) | {_base(baseline, 'grade')} |",
        f"| Scan | {scan['as_of'][:10]} at {(scan['commit_sha'] or 'working tree')[:12]} | "
        f"{_base(baseline, 'as_of')} |",
        "",
    ]
    if result.regressions or result.improvements or result.went_unknown:
        lines += ["| change | check | before | now |", "| --- | --- | --- | --- |"]
        for kind, changes in (
            ("regressed", result.regressions),
            ("improved", result.improvements),
            ("evidence missing", result.went_unknown),
        ):
            lines += [
                f"| {kind} | [{_cell(c.title)}]({check_link(base, result.name, c.check_id)}) | {c.before} | {c.after} |"
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
            "| check | status | effort | how to fix |",
            "| --- | --- | --- | --- |",
        ]
        for r in unmet:
            check = result.rubric.check(r["check_id"])
            title = check.title if check else r["check_id"]
            effort = f"{check.effort_hours:g} h" if check else "-"
            fix = check.fix if check else ""
            lines.append(
                f"| [{_cell(title)}]({check_link(base, result.name, r['check_id'])}) | {r['status']} | "
                f"{effort} | {_cell(fix)} |"
            )
        lines += ["", "</details>", ""]
    sections = ", ".join(f"{s} {_section(result, s)}" for s in SECTION_IDS)
    lines.append(f"Rubric {result.rubric.name} {result.rubric.version} ({result.rubric.hash}); sections: {sections}.")
    return "\n".join(lines) + "\n"


def _base(baseline: Headline | None, key: Literal["ml_test_score", "grade", "as_of"]) -> str:
    if baseline is None:
        return "-"
    if key == "as_of":
        return f"{baseline['as_of'][:10]} at {(baseline['commit_sha'] or 'working tree')[:12]}"
    value = baseline[key]
    return "n/a" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _section(result: GateResult, section: str) -> str:
    total = sum(
        r["points"] or 0.0
        for r in result.results
        if (c := result.rubric.check(r["check_id"])) and c.section == section and c.ml_test
    )
    return f"{total:g}"
