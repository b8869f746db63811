"""`mldebt export backlog`: every format over the sample portfolio, filters, and stable re-exports."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.cli.main import cli
from mldebt.exports.csvfile import COLUMNS
from mldebt.rubric.paydown import PRIORITY_HELP
from mldebt.store.db import open_db

from .sample_store import rescan

# the samples' open items at their head scans, highest priority first (ties by id)
OPEN = [
    "MLD-252003eb8e",
    "MLD-a30bb88c0b",
    "MLD-6d089d0eed",
    "MLD-83f3a8fdac",  # credit-risk-prod's pins: its declared requirements.in holds ranges (requirements.txt locks them)
    "MLD-c8b92f257f",
    "MLD-0cdc536330",
    "MLD-620e3ff95c",
    "MLD-df7b062113",
    "MLD-eb11bf0aea",
    "MLD-9d2a262bc3",
    "MLD-aad6b2e895",
    "MLD-aa4e4eaa29",
    "MLD-d32d1e8f05",
]


def export(db: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["export", "backlog", *args, "--db", str(db)], env=env, catch_exceptions=False)


def items(db: Path, *args: str) -> list[dict]:
    result = export(db, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_holds_every_open_item_with_guidance_and_link(sample_db):
    found = items(sample_db)
    assert [i["id"] for i in found] == OPEN
    first = found[0]
    assert first == {
        "id": "MLD-252003eb8e",
        "project": "fraud-kaggle",
        "team": "growth",
        "team_name": "Growth",
        "owner": "marco.bellini@example.com",
        "check_id": "monitor-1-dependency-updates",
        "title": "Dependency changes result in notification",
        "status": "open",
        "priority": 2.25,
        "effort_hours": 2.0,
        "gap": 1.0,
        "weight": 2.0,
        "scans_unmet": 5,
        "opened_at": "2025-12-31T23:59:59+00:00",
        "section": "monitor",
        "ml_test": "Monitor 1",
        "category": "Data dependencies",
        "category_id": "data-dependencies",
        "why": first["why"],
        "fix": (
            "Enable Dependabot or Renovate for the project's manifests, and route its pull requests to the owning team."
        ),
        "link": "http://127.0.0.1:8000/projects/fraud-kaggle/checks/monitor-1-dependency-updates",
        "clears": ["monitor-1-dependency-updates"],
        "effort_basis": "2 h: rubric estimate for monitor-1-dependency-updates",
        "priority_basis": "2 × 1 × (1 + 0.25 × 5) ÷ 2 h = 2.25 points per hour",
        "commit": first["commit"],
        "location": "",
        "code_link": "",
        "location_note": "no file evidence: the finding (repo.deps.update_bot) is about the whole project, not a file",
    }
    assert len(first["commit"]) == 40
    assert first["why"].startswith("Libraries and upstream inputs change under a running model.")


def test_csv_has_a_header_and_a_row_per_item(sample_db):
    result = export(sample_db, "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.output)))
    assert tuple(rows[0]) == COLUMNS
    assert [r[0] for r in rows[1:]] == OPEN
    reco = dict(zip(COLUMNS, rows[1 + OPEN.index("MLD-0cdc536330")]))
    assert (reco["project"], reco["team"], reco["team_name"], reco["gap"], reco["effort_hours"], reco["priority"]) == (
        "reco-service",
        "platform",
        "Platform",
        "0.5",
        "4",
        "0.5625",
    )


def test_no_cell_runs_as_a_formula_in_a_spreadsheet(sample_db):
    open_db(sample_db).execute("update projects set owner = '=HYPERLINK(\"http://x\")' where id = 'reco-service'")
    for fmt in ("csv", "jira"):
        rows = list(csv.reader(io.StringIO(export(sample_db, "--format", fmt, "--team", "platform").output)))
        owners = {r[4] for r in rows[1:]}
        assert owners == {'\'=HYPERLINK("http://x")'}, fmt


def test_jira_csv_uses_the_importers_column_names(sample_db):
    result = export(sample_db, "--format", "jira")
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == [
        "Summary",
        "Issue Type",
        "Priority",
        "Description",
        "Assignee",
        "External ID",
        "Original Estimate",
        "Labels",
        "Labels",
        "Labels",
        "Labels",
    ]
    first = rows[1]
    assert first[0] == "[MLD-252003eb8e] fraud-kaggle: Dependency changes result in notification"
    assert first[1:3] == ["Task", "Highest"]
    assert "How to fix it: Enable Dependabot or Renovate" in first[3]
    assert (
        "Evidence on the scorecard: http://127.0.0.1:8000/projects/fraud-kaggle/checks/"
        "monitor-1-dependency-updates" in first[3]
    )
    assert first[4:] == [
        "marco.bellini@example.com",
        "MLD-252003eb8e",
        "7200",
        "mldebt",
        "team-growth",
        "project-fraud-kaggle",
        "monitor-1-dependency-updates",
    ]
    estimates = {r[5]: r[6] for r in rows[1:]}
    assert estimates["MLD-9d2a262bc3"] == str(16 * 3600)
    assert {r[2] for r in rows[1:]} == {"Highest", "High", "Medium", "Low"}


def test_github_issues_are_rest_api_bodies(sample_db):
    result = export(sample_db, "--format", "github", "--team", "platform")
    issues = json.loads(result.output)
    assert [set(i) for i in issues] == [{"title", "body", "labels"}] * 2
    assert [i["title"] for i in issues] == [
        "[MLD-0cdc536330] reco-service: Dependencies are pinned and locked",
        "[MLD-620e3ff95c] reco-service: Feedback loops are known and documented",
    ]
    body = issues[0]["body"]
    assert body.startswith("Check deps-pinned in project reco-service is only manual credit so far: automate it")
    assert body.endswith("<!-- mldebt-item: MLD-0cdc536330 -->\n")
    assert issues[0]["labels"] == ["mldebt", "team:platform", "check:deps-pinned"]


def test_markdown_is_a_checklist_by_team(sample_db):
    result = export(sample_db, "--format", "markdown", "--team", "Research")
    lines = result.output.splitlines()
    assert lines[:7] == [
        "# Paydown backlog",
        "",
        "5 items, 34 h of estimated effort, highest priority first within each team.",
        "",
        PRIORITY_HELP,
        "",
        "## Research (34 h)",
    ]
    assert (
        "- [ ] **MLD-a30bb88c0b** churn-notebooks: Dependency changes result in notification — 2 h, "
        "priority 2.25 points per hour, owner priya.raman@example.com, "
        "[evidence](http://127.0.0.1:8000/projects/churn-notebooks/checks/monitor-1-dependency-updates)"
    ) in lines


def test_limit_takes_the_highest_priorities_that_fit_the_budget(sample_db, tmp_path):
    out = tmp_path / "sprint.json"
    result = export(sample_db, "--format", "json", "--limit", "9", "-o", str(out))
    assert result.output == f"wrote 3 item(s), 8 h of effort, to {out}\n"
    assert [i["id"] for i in json.loads(out.read_text())] == OPEN[:3]  # 2 + 2 + 4 h; every other item is 4 h or more


def test_campaign_and_base_url(sample_db):
    made = CliRunner().invoke(
        cli,
        [
            "campaign",
            "create",
            "pin",
            "--owner",
            "a@example.com",
            "--checks",
            "deps-pinned",
            "--projects",
            "reco-service,fraud-kaggle",
            "--start",
            "2026-10-01",
            "--target",
            "2026-12-31",
            "--db",
            str(sample_db),
        ],
    )
    assert made.exit_code == 0, made.output
    found = items(sample_db, "--campaign", "pin", "--base-url", "https://debt.example.com/")
    assert [(i["id"], i["link"]) for i in found] == [
        ("MLD-6d089d0eed", "https://debt.example.com/projects/fraud-kaggle/checks/deps-pinned"),
        ("MLD-0cdc536330", "https://debt.example.com/projects/reco-service/checks/deps-pinned"),
    ]
    env = export(sample_db, "--format", "json", "--campaign", "pin", env={"MLDEBT_BASE_URL": "http://debt:8080"})
    assert json.loads(env.output)[0]["link"] == "http://debt:8080/projects/fraud-kaggle/checks/deps-pinned"


def test_a_reexport_after_a_new_scan_changes_only_what_changed(sample_db, tmp_path):
    formats = ("csv", "jira", "github", "markdown", "json")
    before = {f: export(sample_db, "--format", f).output for f in formats}
    assert before == {f: export(sample_db, "--format", f).output for f in formats}  # nothing moves by itself

    # churn-notebooks drops its notebooks (that check is met: its item closes); reco-service loses its CI
    # config (unit tests are no longer run automatically: that item opens again, under the same id)
    rescan(sample_db, "churn-notebooks", {path: None for path in _notebooks(sample_db)}, tmp_path)
    rescan(sample_db, "reco-service", {".github/workflows/ci.yml": None}, tmp_path)
    after = {i["id"]: i for i in items(sample_db)}
    old = {i["id"]: i for i in json.loads(before["json"])}

    assert set(old) - set(after) == {"MLD-d32d1e8f05"}  # churn-notebooks: notebooks-out-of-production
    assert set(after) - set(old) == {"MLD-8346012067"}  # reco-service: infra-2-unit-tests, reopened
    assert after["MLD-8346012067"]["opened_at"] == "2026-11-20T12:00:00+00:00"
    for item_id in set(old) & set(after):
        was, now = old[item_id], after[item_id]
        if was["project"] in ("churn-notebooks", "reco-service"):  # scanned once more, still unmet
            assert now["scans_unmet"] == was["scans_unmet"] + 1
            # and the item now stands at the new scan's commit
            assert {k for k in was if was[k] != now[k]} == {"scans_unmet", "priority", "priority_basis", "commit"}
        else:
            assert now == was
    # the other formats change exactly in those items' rows
    new_csv = export(sample_db, "--format", "csv").output.splitlines()
    untouched = [
        line for line in before["csv"].splitlines()[1:] if line.split(",")[1] in ("fraud-kaggle", "credit-risk-prod")
    ]
    assert untouched and all(line in new_csv for line in untouched)
    since = items(sample_db, "--since", "2026-11-19")
    assert [i["id"] for i in since] == ["MLD-8346012067"]


def _notebooks(db_path: Path) -> list[str]:
    """The notebooks in churn-notebooks' head commit."""
    repo = next(open_db(db_path).query("select repo from projects where id = 'churn-notebooks'"))["repo"]
    files = subprocess.run(["git", "-C", repo, "ls-files", "*.ipynb"], capture_output=True, text=True, check=True)
    return files.stdout.split()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--format", "xml"], "--format 'xml': expected one of csv, jira, github, markdown, json"),
        (["--format", "csv", "--limit", "0"], "--limit '0': expected an effort budget in hours, such as 40"),
        (["--format", "csv", "--limit", "a week"], "--limit 'a week': expected an effort budget in hours, such as 40"),
        (
            ["--format", "csv", "--since", "yesterday"],
            "--since 'yesterday': expected a date such as 2026-07-01 or a quarter such as 2026Q3",
        ),
        (
            ["--format", "csv", "--team", "nope"],
            "--team 'nope': no such team (teams: growth, platform, research, risk)",
        ),
        (["--format", "csv", "--campaign", "nope"], "no campaign named 'nope' (campaigns: none yet)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(sample_db, args, message):
    result = export(sample_db, *args)
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {message}\n"
