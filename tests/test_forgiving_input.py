"""Forgiving input (issue 18, part 5): a quarter written three ways reads the same everywhere; a quarter
without scans is its own error (exit 1, a 404 naming the quarters with scans); a mistyped name gets
"did you mean ...?"."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.access import add_user, create_token
from mldebt.cli.main import cli
from mldebt.errors import NoScans
from mldebt.readmodel.quarters import Quarter
from mldebt.readmodel.standing import check_quarter
from mldebt.rubric.schema import load_rubric
from mldebt.scanning.scans import collect_project, save_portfolio
from mldebt.sources.portfolio import load_portfolio
from mldebt.store.db import open_db
from mldebt.suggest import close_names, did_you_mean, hint
from scripts.samples import build_samples

from .conftest import ROOT
from .sample_store import RUBRIC

SPELLINGS = ("2026Q2", "2026-Q2", "2026-q2")
SCANNED = "2025Q4, 2026Q1, 2026Q2, 2026Q3, 2026Q4"


def mldebt(db: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


# One quarter, three spellings -----------------------------------------------------------------------------------------


def cli_report(db: Path, tmp_path: Path, quarter: str) -> str:
    result = mldebt(db, "report", "--quarter", quarter, "-o", str(tmp_path / f"{quarter}.pdf"))
    assert result.exit_code == 0, result.output
    return result.output.split(".pdf: ", 1)[1]  # the quarter, teams, projects and pages written


def cli_compare(db: Path, tmp_path: Path, quarter: str) -> str:
    result = mldebt(db, "compare", "--from", quarter, "--to", "2026-q4", "--format", "json")
    assert result.exit_code == 0, result.output
    return result.output


def cli_compare_project(db: Path, tmp_path: Path, quarter: str) -> str:
    result = mldebt(db, "compare", "reco-service", "--from", "2026q1", "--to", quarter, "--format", "json")
    assert result.exit_code == 0, result.output
    return result.output


def cli_export_since(db: Path, tmp_path: Path, quarter: str) -> str:
    result = mldebt(db, "export", "backlog", "--format", "json", "--since", quarter)
    assert result.exit_code == 0, result.output
    return result.output


def cli_export_parquet(db: Path, tmp_path: Path, quarter: str) -> str:
    folder = tmp_path / f"parquet-{quarter}"
    result = mldebt(db, "export", "parquet", str(folder), "--since", quarter)
    assert result.exit_code == 0, result.output
    return result.output.replace(str(folder), "DIR")


CLI = {
    "report --quarter": cli_report,
    "compare --from": cli_compare,
    "compare PROJECT --to": cli_compare_project,
    "export backlog --since": cli_export_since,
    "export parquet --since": cli_export_parquet,
}


CANONICAL: dict[str, str] = {}  # each command's output for 2026Q2, made once


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("command", list(CLI))
def test_every_command_reads_the_three_spellings_of_a_quarter_alike(sample_db, tmp_path, command, spelling):
    if command not in CANONICAL:
        CANONICAL[command] = CLI[command](sample_db, tmp_path, "2026Q2")
    assert "2026Q2" in CANONICAL[command] or "2026-04-01" in CANONICAL[command] or command.startswith("export")
    assert CLI[command](sample_db, tmp_path, spelling) == CANONICAL[command]


WEB = [
    "/?quarter={q}",
    "/?quarter={q}&team=risk",
    "/compare?from={q}&to=2026Q4",
    "/compare?from=2026Q1&to={q}",
    "/api/v1/portfolio?quarter={q}",
    "/api/v1/portfolio?quarter={q}&team=risk",
    "/api/v1/compare?from={q}&to=2026Q4",
    "/api/v1/compare?from=2026Q1&to={q}",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("url", WEB)
def test_every_page_and_api_reads_the_three_spellings_of_a_quarter_alike(client, url, spelling):
    canonical = client.get(url.format(q="2026Q2"))
    response = client.get(url.format(q=spelling))
    assert (response.status_code, canonical.status_code) == (200, 200)
    if url.startswith("/api/"):
        assert response.get_json() == canonical.get_json()
        assert "2026Q2" in json.dumps(response.get_json())
    else:  # the same page, but for links that keep the query as typed (sorting, paging, signing in)
        typed = (
            response.get_data(as_text=True).replace(f"={spelling}", "=2026Q2").replace(f"%3D{spelling}", "%3D2026Q2")
        )
        assert typed == canonical.get_data(as_text=True)


def test_the_quarter_type_reads_the_three_spellings():
    assert {Quarter.parse(s) for s in SPELLINGS} == {Quarter(2026, 2)}


# A quarter with no scans ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["report", "--quarter", "2030Q1"],
            f"quarter 2030Q1: no scans in or after it (quarters with scans: {SCANNED})",
        ),
        (
            ["report", "--quarter", "2025-q3"],
            f"quarter 2025Q3: no scans in or before it (quarters with scans: {SCANNED})",
        ),
        (
            ["report", "--quarter", "2030Q1", "--team", "risk"],
            f"quarter 2030Q1: no scans in or after it (quarters with scans: {SCANNED})",
        ),
        (["compare", "--to", "2030-Q1"], f"quarter 2030Q1: no scans in or after it (quarters with scans: {SCANNED})"),
        (
            ["compare", "--from", "2019Q4", "--to", "2026Q4"],
            f"quarter 2019Q4: no scans in or before it (quarters with scans: {SCANNED})",
        ),
    ],
)
def test_a_report_or_compare_of_a_quarter_without_scans_exits_1_naming_the_quarters_with_scans(
    sample_db, tmp_path, args, message
):
    result = mldebt(sample_db, *args, *(["-o", str(tmp_path / "r.pdf")] if args[0] == "report" else []))
    assert (result.exit_code, result.output) == (1, f"mldebt: error: {message}\n")
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize(
    "url,message",
    [
        ("/compare?from=2026Q3&to=2031Q1", "quarter 2031Q1: no scans in or after it"),
        ("/compare?from=2020-q1&to=2026Q1", "quarter 2020Q1: no scans in or before it"),
        ("/?quarter=2031q1", "quarter 2031Q1: no scans in or after it"),
    ],
)
def test_the_web_answers_a_quarter_without_scans_with_a_404_linking_the_quarters_with_scans(client, url, message):
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert f"{message} (quarters with scans: {SCANNED})" in page
    for quarter in SCANNED.split(", "):
        assert f'<a href="/?quarter={quarter}">{quarter}</a>' in page


@pytest.mark.parametrize(
    "url,message",
    [
        ("/api/v1/compare?from=2026Q3&to=2031-Q1", "quarter 2031Q1: no scans in or after it"),
        ("/api/v1/portfolio?quarter=2001Q1", "quarter 2001Q1: no scans in or before it"),
    ],
)
def test_the_api_answers_a_quarter_without_scans_with_a_404_listing_the_quarters_with_scans(client, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {
            "status": 404,
            "message": f"{message} (quarters with scans: {SCANNED})",
            "quarters": SCANNED.split(", "),
        }
    }


@pytest.fixture(scope="module")
def gap_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample projects scanned at the ends of 2025Q4 and 2026Q2 only: 2026Q1 has no scan of its own."""
    dest = tmp_path_factory.mktemp("gap")
    portfolio = load_portfolio(build_samples(ROOT / "sample_projects", dest))
    db = open_db(dest / "gap.db")
    rubric = load_rubric(RUBRIC)
    save_portfolio(db, portfolio)
    for end in ("2025-12-31", "2026-06-30"):
        for project in portfolio.projects:
            collect_project(db, project, rubric, datetime.fromisoformat(end + "T23:59:59+00:00"))
    db.close()
    return dest / "gap.db"


def test_a_quarter_between_two_scanned_quarters_shows_the_state_in_force_at_its_end(gap_store, tmp_path):
    gap = mldebt(gap_store, "report", "--quarter", "2026-q1", "-o", str(tmp_path / "gap.pdf"))
    assert gap.exit_code == 0, gap.output
    assert gap.output.startswith(f"wrote {tmp_path / 'gap.pdf'}: 2026Q1, ")
    compared = mldebt(gap_store, "compare", "--from", "2026Q1", "--to", "2026Q2", "--format", "json")
    assert compared.exit_code == 0, compared.output
    after = mldebt(gap_store, "report", "--quarter", "2026Q3", "-o", str(tmp_path / "after.pdf"))
    assert (after.exit_code, after.output) == (
        1,
        "mldebt: error: quarter 2026Q3: no scans in or after it (quarters with scans: 2025Q4, 2026Q2)\n",
    )


def test_the_shared_check_is_one_error_with_its_own_exit_status():
    scanned = [Quarter(2025, 4), Quarter(2026, 2)]
    check_quarter(Quarter(2026, 1), scanned)  # a gap: the state in force at its end
    with pytest.raises(NoScans) as future:
        check_quarter(Quarter(2026, 3), scanned)
    assert (future.value.exit_code, future.value.quarters) == (1, ["2025Q4", "2026Q2"])
    with pytest.raises(NoScans, match=r"^quarter 2026Q1: no scans yet: run `mldebt collect` first$"):
        check_quarter(Quarter(2026, 1), [])


# Did you mean ...? ----------------------------------------------------------------------------------------------------


def test_the_suggestion_helper():
    known = ["reco-service", "credit-risk-prod", "fraud-kaggle"]
    assert did_you_mean("reco-servce", known) == "did you mean 'reco-service'?"
    assert did_you_mean("RECO-SERVICE", known) == "did you mean 'reco-service'?"
    assert did_you_mean("nothing-like-it", known) == ""
    assert close_names("deps-pined", ["deps-pinned", "deps-pinned-ci", "seeds-set"]) == [
        "deps-pinned",
        "deps-pinned-ci",
    ]
    assert (
        did_you_mean("deps-pined", ["deps-pinned", "deps-pinned-ci"])
        == "did you mean 'deps-pinned' or 'deps-pinned-ci'?"
    )
    assert hint("zzz", known, "projects") == " (projects: credit-risk-prod, fraud-kaggle, reco-service)"
    assert hint("zzz", [], "teams") == " (teams: none yet)"


@pytest.mark.parametrize(
    "args,message",
    [
        (["show", "reco-servce"], "no project named 'reco-servce' in the database (did you mean 'reco-service'?)"),
        (
            ["explain", "credit-risk-prd", "deps-pinned"],
            "no project named 'credit-risk-prd' in the database (did you mean 'credit-risk-prod'?)",
        ),
        (
            ["explain", "reco-service", "deps-pined"],
            "no check 'deps-pined' in rubric report-tests (did you mean 'deps-pinned'?)",
        ),
        (
            ["attest", "fraud-kagle", "feedback_loops", "--by", "x", "--answer", "y"],
            "no project named 'fraud-kagle' in the database (did you mean 'fraud-kaggle'?)",
        ),
        (
            ["attest", "fraud-kaggle", "feedback_loop", "--by", "x", "--answer", "y"],
            "unknown question 'feedback_loop' (did you mean 'feedback_loops'?)",
        ),
        (
            ["waive", "reco-service", "deps-pined", "--reason", "r", "--owner", "o", "--until", "2099-01-01"],
            "no check 'deps-pined' in rubric report-tests (did you mean 'deps-pinned'?)",
        ),
        (["report", "--team", "rsik", "-o", "r.pdf"], "--team 'rsik': no such team (did you mean 'risk'?)"),
        (
            ["export", "backlog", "--format", "csv", "--team", "growht"],
            "--team 'growht': no such team (did you mean 'growth'?)",
        ),
        (
            ["export", "backlog", "--format", "csv", "--campaign", "Q4 clenup"],
            "no campaign named 'Q4 clenup' (did you mean 'Q4 cleanup'?)",
        ),
        (["campaign", "show", "q4 cleanup"], "no campaign named 'q4 cleanup' (did you mean 'Q4 cleanup'?)"),
        (
            [
                "campaign",
                "create",
                "x",
                "--owner",
                "o",
                "--checks",
                "deps-pined",
                "--start",
                "2026-10-01",
                "--target",
                "2026-12-31",
            ],
            "--checks 'deps-pined': not in the projects' rubric (did you mean 'deps-pinned'?)",
        ),
        (["check", "reco-servic"], "no project named 'reco-servic' in the database (did you mean 'reco-service'?)"),
        (["compare", "reco-servic"], "no project named 'reco-servic' in the database (did you mean 'reco-service'?)"),
        (["token", "revoke", "ci-rec"], "no live token named 'ci-rec' (did you mean 'ci-reco'?)"),
        (["user", "remove", "elna"], "no user 'elna' (did you mean 'elena'?)"),
    ],
)
def test_a_mistyped_name_on_the_command_line_gets_a_suggestion(sample_db, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    db = open_db(sample_db)
    create_token(db, "ci-reco", ["read"])
    add_user(db, "elena", "correct horse battery")
    db.close()
    created = mldebt(
        sample_db,
        "campaign",
        "create",
        "Q4 cleanup",
        "--owner",
        "lead@example.com",
        "--checks",
        "deps-pinned",
        "--start",
        "2026-10-01",
        "--target",
        "2026-12-31",
    )
    assert created.exit_code == 0, created.output
    result = mldebt(sample_db, *args)
    assert (result.exit_code, result.output) == (2, f"mldebt: error: {message}\n")


@pytest.mark.parametrize(
    "url,message",
    [
        (
            "/projects/reco-servce",
            "no project named &#39;reco-servce&#39; in the database (did you mean &#39;reco-service&#39;?)",
        ),
        ("/teams/rsik", "no team &#39;rsik&#39; in the database (did you mean &#39;risk&#39;?)"),
        (
            "/checks/deps-pined",
            "no check &#39;deps-pined&#39; in the rubrics of the latest scans (did you mean &#39;deps-pinned&#39;?)",
        ),
        (
            "/projects/reco-service/checks/deps-pined",
            "no check &#39;deps-pined&#39; in rubric mldebt-default (did you mean &#39;deps-pinned&#39;?)",
        ),
    ],
)
def test_a_mistyped_name_in_a_url_gets_a_404_with_a_suggestion(client, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url,message",
    [
        (
            "/api/v1/projects/reco-servce",
            "no project named 'reco-servce' in the database (did you mean 'reco-service'?)",
        ),
        ("/api/v1/teams/rsik", "no team 'rsik' in the database (did you mean 'risk'?)"),
        (
            "/api/v1/checks/deps-pined",
            "no check 'deps-pined' in the rubrics of the latest scans (did you mean 'deps-pinned'?)",
        ),
    ],
)
def test_a_mistyped_name_in_the_api_gets_a_suggestion(client, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json() == {"error": {"status": 404, "message": message}}
