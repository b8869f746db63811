"""`mldebt explain` and `mldebt waive` end to end on a real repository with history."""

from __future__ import annotations

import json

import pytest

from .builders import SMALL_PROJECT

HISTORY = [
    ("2026-01-10T10:00:00+00:00", {**SMALL_PROJECT, "requirements.txt": "pandas\nscikit-learn\n"}),
    (
        "2026-04-10T10:00:00+00:00",
        {"requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\n", "poetry.lock": "# lock\n"},
    ),
]


@pytest.fixture
def scanned(run, make_repo):
    repo = make_repo("small", HISTORY)
    assert run("collect", str(repo), "--as-of", "2026-03-31").exit_code == 0
    assert run("collect", str(repo)).exit_code == 0
    return repo


def test_explain_shows_result_conditions_evidence_and_history(run, scanned):
    result = run("explain", "small", "deps-pinned")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "deps-pinned: Dependencies are pinned and locked" in out
    assert "Result: automated (1 point(s))\nReason: Met: " in out  # the plain reason, then the condition apart
    assert "\nDecided by: automated: repo.deps.requirements > 0 and " in out
    conditions = out.split("\nConditions:\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in conditions] == ["automated", "manual"]
    assert all(line.endswith("-> holds") for line in conditions)
    assert "  repo.deps.pinned_ratio = 1.0  (repo)" in out
    assert '  repo.deps.lockfiles = ["poetry.lock"]  (repo)' in out
    assert "History: 2026-03-31 fail  " in out and out.count(" automated") >= 1
    assert "Paydown item MLD-" in out and ": closed, opened 2026-03-31, closed " in out
    data = json.loads(run("explain", "small", "deps-pinned", "--json").output)
    assert data["result"]["status"] == "automated"
    assert data["result"]["reason"].startswith("Met: ") and "requirements.txt" in data["result"]["reason"]
    assert data["result"]["condition"] == data["result"]["detail"]
    assert data["result"]["condition"].startswith("automated: ")
    assert [h["status"] for h in data["history"]] == ["fail", "automated"]


def test_explain_unknown_check_lists_the_checks(run, scanned):
    result = run("explain", "small", "nope")
    assert result.exit_code == 2
    assert result.output.startswith("mldebt: error: no check 'nope' in rubric mldebt-default (checks: action-limits, ")


def test_waive_marks_the_check_waived_at_once_and_lists_it(run, scanned, db):
    result = run(
        "waive",
        "small",
        "monitor-1-dependency-updates",
        "--reason",
        "bots blocked",
        "--owner",
        "ana@example.com",
        "--until",
        "2099-12-31",
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("waived monitor-1-dependency-updates for small from ")
    card = json.loads(run("show", "small", "--json").output)
    status = {c["id"]: c["status"] for c in card["checks"]}
    assert status["monitor-1-dependency-updates"] == "waived"
    assert card["waived_effort_hours"] == 2.0
    first = db.execute(
        "select status from results r join scans s on s.id = r.scan_id "
        "where r.check_id = 'monitor-1-dependency-updates' order by s.as_of"
    ).fetchall()
    assert [r[0] for r in first] == ["fail", "waived"]  # history before the waiver is left as it was
    listed = run("waive", "--list")
    assert (
        listed.output == "small  monitor-1-dependency-updates  until 2099-12-31  owner ana@example.com  bots blocked\n"
    )
    item = db.execute("select status from paydown_items where check_id = 'monitor-1-dependency-updates'").fetchone()
    assert item[0] == "waived"


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["small", "deps-pinned", "--reason", "r", "--owner", "o", "--until", "someday"],
            "--until: expected a date such as 2027-03-31, not 'someday'",
        ),
        (
            ["small", "deps-pinned", "--reason", "r", "--owner", "o", "--until", "2001-01-01"],
            "--until: 2001-01-01 has passed",
        ),
        (
            ["small", "deps-pined", "--reason", "r", "--owner", "o", "--until", "2099-01-01"],
            "no check 'deps-pined' in rubric mldebt-default (did you mean 'deps-pinned'?)",
        ),
        (["small", "deps-pinned", "--reason", " ", "--owner", "o", "--until", "2099-01-01"], "--reason: required"),
        (
            ["ghost", "deps-pinned", "--reason", "r", "--owner", "o", "--until", "2099-01-01"],
            "no project named 'ghost' in the database (projects: small)",
        ),
        (["small", "deps-pinned"], "waive needs --reason, --owner, --until (see `mldebt waive --help`)"),
    ],
)
def test_bad_waivers_are_refused_with_one_line(run, scanned, db, args, message):
    result = run("waive", *args)
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {message}\n"
    assert db.execute("select count(*) from waivers").fetchone()[0] == 0
