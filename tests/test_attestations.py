"""Attestations: the question catalogue, the project's attestations file, and `mldebt attest`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mldebt.collectors.attestations import AttestationCollector
from mldebt.collectors.interface import Snapshot
from mldebt.errors import InputError
from mldebt.questions import Answer, load_questions, merge_stored, stored_answers, summarize
from mldebt.store.db import open_db

from .conftest import write_files

AS_OF = datetime(2026, 11, 15, 23, 59, 59, tzinfo=UTC)
GOOD = """\
attestations:
  - question: feedback_loops
    answer: Only approved loans get labels; 2% of refers are approved at random.
    by: elena.kovacs@example.com
    date: 2026-10-01
    link: https://wiki.example.com/credit/feedback
    expires: 2027-04-01
  - question: newcomer_ramp_up
    answer: The last newcomer shipped a change in her second week.
    by: ravi.iyer@example.com
    date: 2025-09-01
    expires: 2026-09-01
  - question: data_dependency_closure
    answer: docs/lineage.md lists every upstream table with its owner.
    by: grace.mensah@example.com
    date: "2026-09-20"
"""


def collect(root: Path, as_of: datetime = AS_OF) -> list:
    return list(AttestationCollector().collect(Snapshot(project="p", root=root, as_of=as_of)))


def by_key(facts: list) -> dict:
    return {f.key: f.value for f in facts if not f.is_error}


def errors(facts: list) -> list[tuple[str, str, str | None, int | None]]:
    return [(f.key, f.error, f.path, f.line) for f in facts if f.is_error]


def test_the_catalogue_holds_the_five_litmus_questions():
    questions = load_questions()
    litmus = [q.id for q in questions.values() if q.litmus]
    assert litmus == [
        "full_scale_experiment",
        "data_dependency_closure",
        "change_impact",
        "model_interference",
        "newcomer_ramp_up",
    ]
    assert {"feedback_loops", "undeclared_consumers"} <= set(questions)
    assert all(q.good_answer and q.title.endswith("?") for q in questions.values())


def test_a_catalogue_with_a_reserved_or_duplicate_id_is_refused(tmp_path):
    entry = "  - {id: %s, title: 'T?', category: culture, good_answer: G}\n"
    (tmp_path / "q.yaml").write_text("questions:\n" + entry % "current" + entry % "culture_x" + entry % "culture_x")
    with pytest.raises(InputError) as caught:
        load_questions(tmp_path / "q.yaml")
    assert caught.value.problems == [
        f"{tmp_path / 'q.yaml'}:2:10: questions[0].id: 'current' is reserved for a summary key (attest.current)"
    ]
    (tmp_path / "q.yaml").write_text("questions:\n" + entry % "culture_x" + entry % "culture_x")
    with pytest.raises(InputError) as caught:
        load_questions(tmp_path / "q.yaml")
    assert caught.value.problems == [f"{tmp_path / 'q.yaml'}:3:10: questions[1].id: duplicate question id 'culture_x'"]


def test_current_and_expired_answers_as_of_the_scan(tmp_path):
    write_files(tmp_path, {".mldebt/attestations.yaml": GOOD})
    facts = collect(tmp_path)
    assert errors(facts) == []
    got = by_key(facts)
    assert got["attest.file"] == ".mldebt/attestations.yaml"
    assert got["attest.answered"] == ["data_dependency_closure", "feedback_loops", "newcomer_ramp_up"]
    assert got["attest.current"] == ["data_dependency_closure", "feedback_loops"]
    assert got["attest.expired"] == ["newcomer_ramp_up"]
    assert "newcomer_ramp_up" in got["attest.unanswered"] and "feedback_loops" not in got["attest.unanswered"]
    assert got["attest.litmus.current"] == 1
    assert got["attest.feedback_loops"] == {
        "answer": "Only approved loans get labels; 2% of refers are approved at random.",
        "by": "elena.kovacs@example.com",
        "date": "2026-10-01",
        "expires": "2027-04-01",
        "link": "https://wiki.example.com/credit/feedback",
        "source": "file",
        "expired": False,
    }
    assert got["attest.newcomer_ramp_up"]["expired"] is True
    # no expiry given: the question's validity (180 days) from the day of the answer
    assert got["attest.data_dependency_closure"]["expires"] == "2027-03-19"
    lines = {f.key: (f.path, f.line) for f in facts}
    assert lines["attest.newcomer_ramp_up"] == (".mldebt/attestations.yaml", 8)


def test_an_answer_counts_through_its_expiry_day_and_not_after(tmp_path):
    write_files(tmp_path, {".mldebt/attestations.yaml": GOOD})
    on_the_day = by_key(collect(tmp_path, datetime(2027, 4, 1, 12, tzinfo=UTC)))
    the_day_after = by_key(collect(tmp_path, datetime(2027, 4, 2, 0, 1, tzinfo=UTC)))
    assert "feedback_loops" in on_the_day["attest.current"]
    assert "feedback_loops" in the_day_after["attest.expired"]


def test_answers_dated_after_the_scan_do_not_count(tmp_path):
    write_files(tmp_path, {".mldebt/attestations.yaml": GOOD})
    facts = collect(tmp_path, datetime(2026, 9, 25, tzinfo=UTC))
    assert by_key(facts)["attest.answered"] == ["data_dependency_closure", "newcomer_ramp_up"]
    assert errors(facts) == [
        (
            "attest.feedback_loops",
            "answer dated 2026-10-01, after the scan's moment (2026-09-25): not counted",
            ".mldebt/attestations.yaml",
            2,
        )
    ]


def test_problems_name_file_and_line_and_valid_entries_still_count(tmp_path):
    write_files(
        tmp_path,
        {
            ".mldebt/attestations.yaml": """\
attestations:
  - question: feedback_loop
    answer: typo in the id
    by: a@example.com
    date: 2026-10-01
  - question: undeclared_consumers
    answer: Predictions are only readable by the loan API's service account.
    by: grace.mensah@example.com
    date: 2026-10-02
  - question: change_impact
    answer: missing who
    date: "2026-02-30"
  - question: feature_pruning
    answer: reviewed
    by: b@example.com
    date: 2026-10-03
    expires: 2026-01-01
    owner: b
"""
        },
    )
    facts = collect(tmp_path)
    rel = ".mldebt/attestations.yaml"
    assert errors(facts) == [
        (
            "attest.file",
            f"{rel}:2:15: attestations[0].question: unknown question 'feedback_loop' (did you mean 'feedback_loops'?)",
            rel,
            2,
        ),
        ("attest.file", f"{rel}:10:5: attestations[2].by: required key is missing", rel, 10),
        (
            "attest.file",
            f"{rel}:12:11: attestations[2].date: '2026-02-30' is not a valid date: day is out of range for month",
            rel,
            12,
        ),
        ("attest.file", f"{rel}:18:5: attestations[3].owner: unknown key", rel, 18),
    ]
    assert by_key(facts)["attest.current"] == ["undeclared_consumers"]


def test_expiry_before_the_answer_is_refused(tmp_path):
    write_files(
        tmp_path,
        {
            ".mldebt/attestations.yaml": (
                "attestations:\n  - {question: feature_pruning, answer: x, by: b, date: 2026-10-03, expires: 2026-01-01}\n"
            )
        },
    )
    assert errors(collect(tmp_path)) == [
        (
            "attest.file",
            ".mldebt/attestations.yaml:2:5: attestations[0]: expires (2026-01-01) is before date (2026-10-03)",
            ".mldebt/attestations.yaml",
            2,
        )
    ]


def test_a_date_yaml_cannot_build_is_reported_with_its_line(tmp_path):
    write_files(tmp_path, {".mldebt/attestations.yaml": GOOD.replace("2026-09-01", "2026-13-01")})
    assert errors(collect(tmp_path)) == [
        (
            "attest.file",
            ".mldebt/attestations.yaml:12:14: YAML value error: month must be in 1..12",
            ".mldebt/attestations.yaml",
            12,
        )
    ]


@pytest.mark.parametrize(
    "content,message",
    [
        (
            "attestations: [\n",
            ".mldebt/attestations.yaml:2:1: YAML syntax error: while parsing a flow node "
            "expected the node content, but found '<stream end>'",
        ),
        ("", ".mldebt/attestations.yaml:1:1: attestations: required key is missing"),
        ("attestations: {}\n", ".mldebt/attestations.yaml:1:15: attestations: expected a list, got a mapping"),
        (b"\xff\xfe attestations", ".mldebt/attestations.yaml: not UTF-8 text (invalid start byte at byte 0)"),
    ],
)
def test_a_broken_file_is_an_error_fact_and_nothing_counts(tmp_path, content, message):
    write_files(tmp_path, {".mldebt/attestations.yaml": content})
    facts = collect(tmp_path)
    assert [f.error for f in facts if f.is_error] == [message]
    assert by_key(facts)["attest.current"] == []


def test_without_a_file_every_question_is_unanswered(tmp_path):
    got = by_key(collect(tmp_path))
    assert "attest.file" not in got
    assert got["attest.answered"] == [] and got["attest.current"] == []
    assert got["attest.unanswered"] == sorted(load_questions())
    assert got["attest.litmus.current"] == 0


def test_a_linked_file_is_not_followed(tmp_path):
    (tmp_path / "elsewhere.yaml").write_text(GOOD)
    (tmp_path / ".mldebt").mkdir()
    (tmp_path / ".mldebt" / "attestations.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    facts = collect(tmp_path)
    assert errors(facts) == [("attest.file", "symbolic link not followed", ".mldebt/attestations.yaml", None)]
    assert by_key(facts)["attest.answered"] == []


def test_the_collector_produces_only_declared_keys(tmp_path):
    write_files(tmp_path, {".mldebt/attestations.yaml": GOOD})
    produced = {f.key for f in collect(tmp_path)}
    assert produced <= set(AttestationCollector.keys)
    assert {f"attest.{q}" for q in load_questions()} <= set(AttestationCollector.keys)


def test_newest_answer_wins_and_stored_answers_merge_in():
    on = date(2026, 11, 15)
    older = Answer("feedback_loops", "old", "a", date(2026, 1, 1), date(2026, 6, 1), source="file")
    newer = Answer("feedback_loops", "new", "b", date(2026, 10, 1), date(2027, 4, 1), source="db")
    facts = {key: value for key, value, _ in summarize([older], on)}
    assert facts["attest.expired"] == ["feedback_loops"]
    merged = merge_stored({**facts, "repo.files.total": 3}, [newer], on)
    assert merged["repo.files.total"] == 3
    assert merged["attest.feedback_loops"]["answer"] == "new"
    assert merged["attest.current"] == ["feedback_loops"] and merged["attest.expired"] == []


# --- mldebt attest ---------------------------------------------------------------------------


@pytest.fixture
def with_project(db_path):
    db = open_db(db_path)
    db["teams"].insert({"id": "risk", "name": "Risk", "owner": None}, pk="id")
    db["projects"].insert({"id": "credit", "team_id": "risk", "name": "credit", "repo": "/x"}, pk="id")
    db.close()
    return db_path


def test_attest_records_and_lists_answers(run, with_project):
    db = str(with_project)
    result = run(
        "attest",
        "credit",
        "feedback_loops",
        "--answer",
        "Random approvals break the loop",
        "--by",
        "elena@example.com",
        "--link",
        "https://wiki.example.com/fb",
        "--date",
        "2026-10-01",
        "--expires",
        "2027-04-01",
        "--db",
        db,
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "recorded answer #1 for credit: feedback_loops by elena@example.com on 2026-10-01, counts until 2027-04-01\n"
    )
    result = run(
        "attest",
        "credit",
        "newcomer_ramp_up",
        "--answer",
        "Two weeks",
        "--by",
        "ravi",
        "--date",
        "2025-01-10",
        "--db",
        db,
    )
    assert result.exit_code == 0
    assert result.output.endswith("on 2025-01-10, counts until 2026-01-10\n")  # 365 days for this question

    listed = run("attest", "--list", "credit", "--db", db)
    assert listed.exit_code == 0
    assert listed.output.splitlines()[0] == "credit: 2 answer(s) recorded with `mldebt attest`"
    assert "2025-01-10  newcomer_ramp_up  EXPIRED on 2026-01-10  by ravi" in listed.output
    assert "    Random approvals break the loop" in listed.output

    stored = stored_answers(open_db(with_project), "credit")
    assert [(a.question, a.source, a.link) for a in stored] == [
        ("newcomer_ramp_up", "db", None),
        ("feedback_loops", "db", "https://wiki.example.com/fb"),
    ]


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["credit", "feedback_loop", "--answer", "x", "--by", "y"],
            "unknown question 'feedback_loop' (did you mean 'feedback_loops'?)",
        ),
        (
            ["credit", "weather", "--answer", "x", "--by", "y"],
            "unknown question 'weather' (known: change_impact, data_dependency_closure, debt_paydown_culture, "
            "decision_thresholds, feature_pruning, feedback_loops, full_scale_experiment, inclusion, model_interference, "
            "newcomer_ramp_up, slice_quality, undeclared_consumers)",
        ),
        (["credit", "feedback_loops", "--answer", "x"], "--by: required"),
        (["credit", "feedback_loops", "--answer", " ", "--by", "y"], "--answer: required"),
        (
            ["credit", "feedback_loops", "--answer", "x", "--by", "y", "--expires", "next year"],
            "--expires: expected a date such as 2027-03-31, not 'next year'",
        ),
        (
            [
                "credit",
                "feedback_loops",
                "--answer",
                "x",
                "--by",
                "y",
                "--date",
                "2026-10-01",
                "--expires",
                "2026-09-01",
            ],
            "--expires: 2026-09-01 is before the day of the answer (2026-10-01)",
        ),
        (
            ["credit", "feedback_loops", "--answer", "x", "--by", "y", "--date", "2999-01-01"],
            "--date: 2999-01-01 is in the future",
        ),
        (
            ["credit", "feedback_loops", "--answer", "x", "--by", "y", "--link", "javascript:alert(1)"],
            "--link: use an http(s) URL or a document path",
        ),
        (
            ["credit"],
            "name a QUESTION to answer (known: change_impact, data_dependency_closure, debt_paydown_culture, "
            "decision_thresholds, feature_pruning, feedback_loops, full_scale_experiment, inclusion, model_interference, "
            "newcomer_ramp_up, slice_quality, undeclared_consumers), or use --list",
        ),
        (["nope", "feedback_loops"], "no project named 'nope' in the database (projects: credit)"),
    ],
)
def test_attest_refuses_bad_input_with_one_line(run, with_project, args, message):
    result = run("attest", *args, "--db", str(with_project))
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {message}\n"
    assert stored_answers(open_db(with_project), "credit") == []


def test_attest_without_a_database(run, db_path):
    result = run("attest", "--list", "credit", "--db", str(db_path))
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {db_path}: no database yet: run `mldebt collect` first\n"
    assert not db_path.exists()


def test_the_production_sample_answers_as_of_mid_november_2026():
    from .conftest import ROOT

    layer = ROOT / "sample_projects" / "credit-risk-prod" / "layers" / "q4-2026-registry"
    facts = collect(layer, AS_OF)
    assert errors(facts) == []
    got = by_key(facts)
    assert got["attest.current"] == [
        "change_impact",
        "data_dependency_closure",
        "feedback_loops",
        "undeclared_consumers",
    ]
    assert got["attest.expired"] == ["newcomer_ramp_up"]  # expired on 2026-04-15: shown, earns nothing
    assert got["attest.litmus.current"] == 2
