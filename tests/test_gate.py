"""`mldebt check`: the CI gate's exit status, Markdown summary and badge."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.cli.main import cli
from mldebt.store.db import open_db


# The report-tests rubric has no tiers: every project is a prototype with nothing required.
# the frozen test rubric has no tiers: each project keeps its portfolio tier, with no target to fall short of
def no_target(tier: str) -> str:
    return f"  tier {tier} (target: no level or ML Test Score required), level none held\n  gap: on target\n"


NO_TARGET = no_target("Prototype")


def check(db: Path, *args: str):
    return CliRunner().invoke(cli, ["check", *args, "--db", str(db)], catch_exceptions=False)


def scan_id(db: Path, project: str, day: str) -> str:
    return next(open_db(db).query("select id from scans where project_id = ? and as_of like ?", [project, day + "%"]))[
        "id"
    ]


def test_a_project_that_improved_passes(sample_db):
    result = check(sample_db, "reco-service", "--fail-under-grade", "C", "--fail-under-score", "0")
    assert result.exit_code == 0
    assert result.output == (
        f"reco-service: grade C (71.4), ML Test Score 0/7 at 2026-11-15: passed\n{no_target('Production')}"
    )


def test_thresholds_fail_the_gate_with_exit_1(sample_db):
    result = check(sample_db, "reco-service", "--fail-under-grade", "b", "--fail-under-score", "0.5")
    assert result.exit_code == 1
    assert result.output == (
        "reco-service: grade C (71.4), ML Test Score 0/7 at 2026-11-15: FAILED\n"
        f"{no_target('Production')}"
        "  fail: grade C is below B\n"
        "  fail: ML Test Score 0 is below 0.5\n"
    )


def test_a_check_that_regressed_against_a_baseline_fails(sample_db):
    baseline = scan_id(sample_db, "fraud-kaggle", "2026-06-30")  # unit tests by hand then, failing now
    result = check(sample_db, "fraud-kaggle", "--baseline", baseline[:8])
    assert result.exit_code == 1
    assert result.output == (
        "fraud-kaggle: grade F (11.1), ML Test Score 0/7 at 2026-11-15: FAILED\n"
        f"{NO_TARGET}"
        f"  fail: 1 check(s) regressed since scan {baseline[:12]} (2026-06-30): infra-2-unit-tests\n"
    )
    assert check(sample_db, "fraud-kaggle").exit_code == 0  # against the previous scan nothing moved


def test_outputs_are_written_whether_the_gate_passes_or_not(sample_db, tmp_path):
    summary, badge = tmp_path / "summary.md", tmp_path / "badge.svg"
    baseline = scan_id(sample_db, "fraud-kaggle", "2026-06-30")
    result = check(
        sample_db,
        "fraud-kaggle",
        "--baseline",
        baseline,
        "--fail-under-grade",
        "D",
        "--markdown",
        str(summary),
        "--badge",
        str(badge),
        "--base-url",
        "https://debt.example.com",
    )
    assert result.exit_code == 1
    text = summary.read_text()
    assert text.startswith(
        "## mldebt check: fraud-kaggle failed\n\n- grade F is below D\n"
        f"- 1 check(s) regressed since scan {baseline[:12]} (2026-06-30): infra-2-unit-tests\n"
    )
    nothing = "Prototype, target no level or ML Test Score required"
    assert f"| Tier | {nothing} | {nothing} |" in text
    assert "| Gap to the target | on target | on target |" in text
    assert "| ML Test Score (0-7) | 0 | 0 |" in text
    assert "| Grade | F (11.1) | F |" in text
    assert (
        "| regressed | [Model specification code is unit tested](https://debt.example.com/projects/fraud-kaggle/"
        "checks/infra-2-unit-tests) | manual | fail | Not met: "
    ) in text
    assert "<details><summary>4 check(s) not fully met</summary>" in text
    assert re.search(
        r"Rubric report-tests 1 \([0-9a-f]{16}\); sections \(the ML Test Score is the lowest; tests that do not apply "
        r"left out\): data – \(no test applies\), model – \(no test applies\), infra 0 of 1, monitor 0 of 1\.",
        text,
    )
    svg = ET.fromstring(badge.read_text())
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == "mldebt"
    assert re.fullmatch(r"grade F · ML Test 0/7 · (research|prototype|production): .+", texts[1]), texts
    assert svg.get("aria-label") == f"mldebt: {texts[1]}"


def test_a_badge_short_of_its_target_never_wears_a_good_grades_colour():
    from mldebt.exports.badge import COLOURS, SHORT, grade_badge

    short = grade_badge("A", 3.0, "production", "1 level short of Silver")
    on = grade_badge("A", 3.0, "production", "on target")
    assert "grade A · ML Test 3/7 · production: 1 level short of Silver" in short
    assert f'fill="{SHORT}"' in short and f'fill="{COLOURS["A"]}"' not in short
    assert f'fill="{COLOURS["A"]}"' in on


def test_a_waived_check_is_accepted_debt_not_a_regression(sample_db, tmp_path):
    summary = tmp_path / "s.md"
    result = check(sample_db, "reco-service", "--markdown", str(summary))
    assert result.exit_code == 0
    text = summary.read_text()
    assert (
        "| improved | [Dependencies are pinned and locked](http://127.0.0.1:8000/projects/reco-service/checks/"
        "deps-pinned) | fail | manual | Half met"
    ) in text
    assert (
        "| waived | Waived until 2099-12-31 by jonas.weber@example.com: the proxy blocks update bots until Q1." in text
    )


def test_without_a_baseline_the_gate_says_so(sample_db):
    first = scan_id(sample_db, "churn-notebooks", "2025-12-31")
    result = check(sample_db, "churn-notebooks", "--baseline", "none")
    assert result.output.endswith(f"passed\n{no_target('Research')}  note: no baseline scan: nothing to compare\n")
    same = check(sample_db, "churn-notebooks", "--baseline", first)
    assert same.exit_code == 0


@pytest.mark.parametrize(
    "args,message",
    [
        (["reco-service", "--fail-under-grade", "E"], "--fail-under-grade 'E': expected one of A, B, C, D, F"),
        (["reco-service", "--fail-under-score", "9"], "--fail-under-score '9': expected an ML Test Score from 0 to 7"),
        (
            ["reco-service", "--fail-under-score", "high"],
            "--fail-under-score 'high': expected an ML Test Score from 0 to 7",
        ),
        (
            ["reco-service", "--baseline", "ab"],
            "--baseline 'ab': give 'previous', 'none' or at least 4 characters of a scan id",
        ),
        (
            ["nope"],
            "no project named 'nope' in the database "
            "(projects: churn-notebooks, credit-risk-prod, fraud-kaggle, reco-service)",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(sample_db, args, message):
    result = check(sample_db, *args)
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {message}\n"


def test_an_unknown_baseline_lists_the_latest_scans(sample_db):
    result = check(sample_db, "reco-service", "--baseline", "zzzz")
    assert result.exit_code == 2
    assert re.fullmatch(
        r"mldebt: error: --baseline 'zzzz': no scan of project 'reco-service' with an id starting so "
        r"\(latest scans: [0-9a-f]{12} \(2026-11-15\), [0-9a-f]{12} \(2026-09-30\), .*\)\n",
        result.output,
    )


def test_an_output_in_a_missing_folder(sample_db, tmp_path):
    target = tmp_path / "no" / "x.sarif"
    result = check(sample_db, "reco-service", "--sarif", str(target))
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: --sarif {target}: folder {target.parent} does not exist\n"
