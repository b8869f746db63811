"""SARIF from `mldebt check`: validated against the official SARIF 2.1.0 schema kept in tests/data."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from mldebt.cli.main import cli
from mldebt.rubric.paydown import item_id

from .builders import SARIF_RUBRIC
from .conftest import ROOT

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
PROJECT = {
    "svc/train.py": "import pandas as pd\n\n\ndef train(df):\n    # TODO: a real model\n    return df.mean()\n",
    "svc/tests/test_train.py": "def test_train(:\n    pass\n",  # a syntax error on line 1
    "svc/requirements.txt": "pandas\n",
}


def validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    return cls(SCHEMA)


@pytest.fixture
def scanned(make_repo, tmp_path) -> Path:
    """A monorepo whose project lives in svc/, collected under a rubric with a debt-marker check."""
    repo = make_repo("mono", [("2026-10-01T10:00:00+00:00", PROJECT)])
    (tmp_path / "rubric.yaml").write_text(SARIF_RUBRIC)
    (tmp_path / "portfolio.yaml").write_text(
        "portfolio: t\nteams:\n  - name: Search\n    projects:\n"
        f"      - name: ranker\n        repo: {repo}\n        subpath: svc\n"
    )
    db = tmp_path / "gate.db"
    runner = CliRunner()
    done = runner.invoke(
        cli,
        ["collect", str(tmp_path / "portfolio.yaml"), "--rubric", str(tmp_path / "rubric.yaml"), "--db", str(db)],
        catch_exceptions=False,
    )
    assert done.exit_code == 0, done.output
    return db


def run_check(db: Path, out: Path):
    return CliRunner().invoke(cli, ["check", "ranker", "--sarif", str(out), "--db", str(db)], catch_exceptions=False)


def test_sarif_validates_and_points_at_files_and_lines(scanned, tmp_path):
    out = tmp_path / "ranker.sarif"
    assert run_check(scanned, out).exit_code == 0
    log = json.loads(out.read_text())
    validator().validate(log)
    (run,) = log["runs"]
    assert log["version"] == "2.1.0"
    assert run["tool"]["driver"]["name"] == "mldebt"
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {
        "infra-2-unit-tests",
        "deps-pinned",
        "monitor-1-dependency-updates",
        "notebooks-out-of-production",
        "feedback-loops-attested",
        "debt-markers",
    }
    assert rules["debt-markers"]["help"]["text"] == "Turn each marker into a tracked item or resolve it."
    assert rules["debt-markers"]["helpUri"] == "http://127.0.0.1:8000/projects/ranker/checks/debt-markers"
    found = {
        (
            r["ruleId"],
            r["level"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
    }
    assert found == {
        ("infra-2-unit-tests", "error", "svc/tests/test_train.py", 1),  # the test file that does not parse
        ("debt-markers", "warning", "svc/train.py", 5),  # the TODO, with manual credit only
    }
    for result in run["results"]:
        assert result["ruleIndex"] == list(rules).index(result["ruleId"])
        assert result["partialFingerprints"]["mldebtItem/v1"].startswith(item_id("ranker", result["ruleId"]) + ":svc/")
    unit = next(r for r in run["results"] if r["ruleId"] == "infra-2-unit-tests")
    assert unit["message"]["text"].startswith("Model specification code is unit tested (fail): Not met: ")
    assert unit["message"]["text"].endswith(
        "Here: repo.tests.unparsed could not be read: Python syntax error: invalid syntax"
    )


def test_a_waived_checks_findings_are_suppressed_with_the_reason(scanned, tmp_path):
    waived = CliRunner().invoke(
        cli,
        [
            "waive",
            "ranker",
            "debt-markers",
            "--reason",
            "markers tracked in JIRA-12",
            "--owner",
            "ana@example.com",
            "--until",
            "2099-01-01",
            "--db",
            str(scanned),
        ],
    )
    assert waived.exit_code == 0, waived.output
    out = tmp_path / "ranker.sarif"
    run_check(scanned, out)
    log = json.loads(out.read_text())
    validator().validate(log)
    marker = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "debt-markers")
    assert marker["level"] == "note"
    assert marker["suppressions"][0]["kind"] == "external"
    assert "markers tracked in JIRA-12" in marker["suppressions"][0]["justification"]


def test_the_schema_check_can_fail(scanned, tmp_path):
    out = tmp_path / "ranker.sarif"
    run_check(scanned, out)
    log = json.loads(out.read_text())
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(broken)
    wrong_version = {**log, "version": "2.0.0"}
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(wrong_version)
