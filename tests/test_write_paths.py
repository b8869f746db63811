"""One write path per action: the CLI, the web form and the API leave the same results, scores and paydown items."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.access import create_token
from mldebt.cli.main import cli
from mldebt.errors import FieldError
from mldebt.store.db import open_db
from mldebt.writes import record_attestation, record_waiver

from .browser import sign_in

PROJECT = {
    "README.md": "# small\n",
    "train.py": "import pandas as pd\n\n\ndef train(df):\n    return df.mean()\n",
    "requirements.txt": "pandas\nscikit-learn\n",  # unpinned: deps-pinned fails, so there is something to waive
}
SCORED = ("results", "scores", "paydown_items")
ANSWER = {
    "question": "feedback_loops",
    "answer": "Only approved loans get labels; 2% are approved at random.",
    "by": "elena@example.com",
    "link": "https://wiki.example.com/credit/feedback",
    "date": "2026-05-01",
}
WAIVER = {
    "check": "deps-pinned",
    "reason": "lock files wait for the new build image",
    "owner": "jonas@example.com",
    "until": "2099-12-31",
}


@pytest.fixture
def twins(run, make_repo, db_path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of one store holding two scans of one repository (2026-03-31 and 2026-06-30)."""
    repo = make_repo("small", [("2026-01-10T10:00:00+00:00", PROJECT)])
    for as_of in ("2026-03-31", "2026-06-30"):
        assert run("collect", str(repo), "--as-of", as_of).exit_code == 0
    copies = tmp_path / "by-cli.db", tmp_path / "by-web.db"
    for copy in copies:
        shutil.copyfile(db_path, copy)
    return copies


def mldebt(store: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, [*args, "--db", str(store)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def web_client(store: Path):
    from mldebt.webapp import create_app

    return create_app({"DATABASE": str(store), "TESTING": True}).test_client()


def scored(store: Path) -> dict[str, list[tuple]]:
    db = open_db(store)
    try:
        return {table: sorted(db.execute(f"select * from {table}").fetchall(), key=repr) for table in SCORED}
    finally:
        db.close()


def statuses(store: Path, check: str) -> list[str]:
    """The check's status in each scan, oldest first."""
    db = open_db(store)
    try:
        return [
            r[0]
            for r in db.execute(
                "select r.status from results r join scans s on s.id = r.scan_id where r.check_id = ? order by s.as_of",
                [check],
            )
        ]
    finally:
        db.close()


def test_attest_on_the_command_line_and_through_the_form_store_the_same(twins):
    by_cli, by_web = twins
    assert statuses(by_cli, "feedback-loops-known") == ["fail", "fail"]
    mldebt(
        by_cli,
        "attest",
        "small",
        ANSWER["question"],
        "--answer",
        ANSWER["answer"],
        "--by",
        ANSWER["by"],
        "--link",
        ANSWER["link"],
        "--date",
        ANSWER["date"],
    )
    client = web_client(by_web)
    token = sign_in(client, by_web)
    response = client.post("/projects/small/attest", data={**ANSWER, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)

    # re-scored at once, each scan as of its own day: the answer of 2026-05-01 counts in June, not in March
    assert statuses(by_cli, "feedback-loops-known") == ["fail", "manual"]
    assert scored(by_cli) == scored(by_web)
    recorded = [
        open_db(store)
        .execute(
            "select project_id, question, answer, link, attested_by, attested_on, expires_on, source from attestations"
        )
        .fetchall()
        for store in twins
    ]
    assert recorded[0] == [
        ("small", "feedback_loops", ANSWER["answer"], ANSWER["link"], ANSWER["by"], "2026-05-01", "2026-10-28", "cli")
    ]
    assert [row[:-1] for row in recorded[1]] == [row[:-1] for row in recorded[0]] and recorded[1][0][-1] == "web:elena"


def test_waive_on_the_command_line_and_through_the_api_store_the_same(twins):
    by_cli, by_api = twins
    mldebt(
        by_cli,
        "waive",
        "small",
        WAIVER["check"],
        "--reason",
        WAIVER["reason"],
        "--owner",
        WAIVER["owner"],
        "--until",
        WAIVER["until"],
    )
    db = open_db(by_api)
    token, _ = create_token(db, "ci-waive", ["waive"])
    db.close()
    response = web_client(by_api).post(
        "/api/v1/projects/small/waivers", json=WAIVER, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)

    assert statuses(by_cli, "deps-pinned") == ["fail", "waived"]  # from the latest scan on
    assert scored(by_cli) == scored(by_api)


@pytest.mark.parametrize(
    "write,fields,field,message",
    [
        (
            record_attestation,
            {**ANSWER, "expires": "2026-04-01"},
            "expires",
            "expires: 2026-04-01 is before the day of the answer (2026-05-01)",
        ),
        (record_attestation, {**ANSWER, "by": ""}, "by", "by: required"),
        (
            record_waiver,
            {**WAIVER, "until": "someday"},
            "until",
            "until: expected a date such as 2027-03-31, not 'someday'",
        ),
        (
            record_waiver,
            {**WAIVER, "check": "nope"},
            "check",
            "check: no check 'nope' in rubric mldebt-default (checks: action-limits, alerts-have-runbooks, "
            "ci-healthy, ci-on-every-change, config-centralized, consumers-declared, containerized, "
            "data-1-feature-schema, data-2-beneficial-features, data-3-feature-cost, data-4-meta-requirements, "
            "data-5-privacy-controls, data-6-new-features-quickly, data-7-feature-code-tested, "
            "data-dependencies-mapped and 54 more)",
        ),
    ],
)
def test_a_refused_write_names_its_field_not_an_option_and_stores_nothing(twins, write, fields, field, message):
    store = twins[0]
    before = scored(store)
    db = open_db(store)
    with pytest.raises(FieldError) as caught:
        write(db, "small", fields, "test") if write is record_attestation else write(db, "small", fields)
    db.close()
    assert (caught.value.field, str(caught.value)) == (field, message)
    assert scored(store) == before


def test_the_command_line_writes_without_loading_the_web_app(twins):
    store = str(twins[0])
    writes = [
        ["attest", "small", "feedback_loops", "--answer", "a", "--by", "b", "--db", store],
        ["waive", "small", "deps-pinned", "--reason", "r", "--owner", "o", "--until", "2099-12-31", "--db", store],
        ["campaign", "create", "pins", "--owner", "o", "--checks", "deps-pinned", "--start", "2026-01-01"]
        + ["--target", "2026-12-31", "--db", store],
        ["campaign", "edit", "pins", "--target", "2027-03-31", "--db", store],
    ]
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom mldebt.cli.main import cli\n"
        f"for args in {writes!r}:\n"
        "    result = CliRunner().invoke(cli, args)\n"
        "    assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m.startswith(('mldebt.webapp', 'flask'))))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout == "[]\n"
