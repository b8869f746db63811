"""The lead's terminal (issue 18 item 1): `mldebt show`, `mldebt show PROJECT` and `mldebt compare` on the sample
store (tests/sample_store.py: fixed scan moments, a frozen rubric), as text, JSON and CSV.

The text is held to golden files in tests/data/terminal/, printed at 100
columns under NO_COLOR=1. After a deliberate change of the layout, refresh
them with

    MLDEBT_UPDATE_GOLDENS=1 .venv/bin/python -m pytest -q tests/test_terminal.py

and read the diff before committing it. Figures in the JSON and CSV are
checked against the store itself.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from mldebt.cli.main import cli

from .conftest import ROOT

GOLDEN = ROOT / "tests" / "data" / "terminal"
WIDTH = 100
RUNS = {
    "show.txt": ["show"],
    "show-reco-service.txt": ["show", "reco-service"],
    "compare.txt": ["compare"],
    "compare-credit-risk-prod.txt": ["compare", "credit-risk-prod", "--from", "2026Q1", "--to", "2026Q4"],
}
PROJECTS = ["churn-notebooks", "credit-risk-prod", "fraud-kaggle", "reco-service"]


def mldebt(db: Path, *args: str, columns: int = WIDTH, **runner: Any) -> Result:
    env = {"COLUMNS": str(columns), "NO_COLOR": "1", **runner.pop("env", {})}
    return CliRunner(env=env).invoke(cli, [*args, "--db", str(db)], catch_exceptions=False, **runner)


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


def scan_at(db: Path, project: str, moment: str) -> str:
    """The id of the project's last scan by ``moment``."""
    return str(
        query(
            db,
            "select id from scans where project_id = ? and as_of <= ? order by as_of desc, collected_at desc limit 1",
            (project, moment),
        )[0]["id"]
    )


def statuses(db: Path, scan: str) -> dict[str, str]:
    return {
        r["check_id"]: r["status"] for r in query(db, "select check_id, status from results where scan_id = ?", (scan,))
    }


@pytest.mark.parametrize("name", sorted(RUNS))
def test_golden_text_at_100_columns(samples_db, name):
    result = mldebt(samples_db, *RUNS[name])
    assert result.exit_code == 0, result.output
    path = GOLDEN / name
    if os.environ.get("MLDEBT_UPDATE_GOLDENS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result.output, encoding="utf-8")
    assert result.output == path.read_text(encoding="utf-8"), f"{name} differs: see the module docstring to refresh"


@pytest.mark.parametrize("args", [*RUNS.values(), ["show", "credit-risk-prod"], ["compare", "reco-service"]])
def test_every_line_fits_and_no_control_code_under_no_color(samples_db, args):
    out = mldebt(samples_db, *args).output
    assert "\x1b" not in out
    assert max(len(line) for line in out.splitlines()) <= WIDTH
    assert all(line == line.rstrip() for line in out.splitlines())


@pytest.mark.parametrize("columns", [60, 80, 140])
def test_the_text_follows_the_terminal_width(samples_db, columns):
    for args in RUNS.values():
        lines = mldebt(samples_db, *args, columns=columns).output.splitlines()
        assert max(len(line) for line in lines) <= columns, (args, columns)
    lines = mldebt(samples_db, "show", columns=columns).output.splitlines()
    table = lines[lines.index("") + 1 :]
    table = table[: table.index("")]  # the header, then each team's line and its projects' lines
    assert len(table) == 1 + 4 + len(PROJECTS)
    assert sorted(line.split()[0] for line in table if line.startswith("  ") and line != table[0]) == PROJECTS


def test_a_pipe_gets_plain_text_100_columns_wide(samples_db):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    exe = Path(sys.executable).with_name("mldebt")
    for args in RUNS.values():
        proc = subprocess.run(
            [str(exe), *args, "--db", str(samples_db)], capture_output=True, text=True, env=env, check=True
        )
        assert "\x1b" not in proc.stdout
        assert max(len(line) for line in proc.stdout.splitlines()) <= WIDTH
    assert proc.stdout == mldebt(samples_db, *RUNS["compare-credit-risk-prod.txt"]).output


def test_styles_on_a_terminal_and_none_under_no_color(samples_db):
    args = ["show", "--db", str(samples_db)]
    coloured = CliRunner(env={"COLUMNS": "100"}).invoke(cli, args, color=True)
    assert "\x1b[1m" in coloured.output
    plain = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"}).invoke(cli, args, color=True)
    assert "\x1b" not in plain.output
    assert click.unstyle(coloured.output) == plain.output


# JSON ---------------------------------------------------------------------------------------------------------------


def test_show_json_is_the_portfolio_summary(samples_db):
    data = json.loads(mldebt(samples_db, "show", "--format", "json").output)
    assert json.loads(mldebt(samples_db, "show", "--json").output) == data  # the old flag
    assert (data["quarter"], data["previous_quarter"], data["project_count"]) == ("2026Q4", "2026Q3", 4)
    assert sorted(p["project"] for p in data["projects"]) == PROJECTS
    items = json.loads(mldebt(samples_db, "export", "backlog", "--format", "json").output)
    for row in data["projects"]:
        scan = scan_at(samples_db, row["project"], "9999")
        grade = query(samples_db, "select label, value from scores where scan_id = ? and scope = 'overall'", (scan,))[0]
        assert (row["grade"], row["overall"]) == (grade["label"], grade["value"])
        assert row["effort_hours"] == sum(i["effort_hours"] for i in items if i["project"] == row["project"])
        before = query(
            samples_db,
            "select value from scores where scope = 'overall' and scan_id = ?",
            (scan_at(samples_db, row["project"], "2026-10-01"),),
        )[0]["value"]
        assert row["trend"]["overall"] == round(row["overall"] - before, 2)
    teams = {t["team"]: t for t in data["teams"]}
    for team, total in teams.items():
        mine = [p for p in data["projects"] if p["team"] == team]
        assert total["project_count"] == len(mine)
        assert total["effort_hours"] == round(sum(p["effort_hours"] for p in mine), 1)
    assert data["effort_hours"] == sum(i["effort_hours"] for i in items)


def test_show_project_json_gives_each_check_its_section_category_and_fix(samples_db):
    card = json.loads(mldebt(samples_db, "show", "reco-service", "--format", "json").output)
    scan = scan_at(samples_db, "reco-service", "9999")
    assert {c["id"]: c["status"] for c in card["checks"]} == statuses(samples_db, scan)
    rubric = json.loads(
        query(samples_db, "select content from rubrics where hash = ?", (card["rubric"]["hash"],))[0]["content"]
    )
    for check in card["checks"]:
        source = next(c for c in rubric["checks"] if c["id"] == check["id"])
        assert (check["section"], check["category"]) == (source.get("section"), source.get("category"))
        assert check["fix"] == " ".join(source["fix"].split())


def test_compare_json_lists_what_changed_in_the_store(samples_db):
    data = json.loads(mldebt(samples_db, "compare", "--format", "json").output)
    assert (data["from"], data["to"]) == ("2026Q3", "2026Q4")
    for row in data["projects"]:
        before = statuses(samples_db, row["a"]["id"])
        after = statuses(samples_db, row["b"]["id"])
        assert row["a"]["id"] == scan_at(samples_db, row["project"], "2026-09-30T23:59:59.999999+00:00")
        changed = {c["check_id"] for kind in data["changes"].values() for c in kind if c["project"] == row["project"]}
        assert changed == {c for c in after if before.get(c) != after[c]}
    one = json.loads(mldebt(samples_db, "compare", "reco-service", "--from", "2025Q4", "--format", "json").output)
    assert (one["from"], one["to"], one["a"]["as_of"][:10], one["b"]["as_of"][:10]) == (
        "2025Q4",
        "2026Q4",
        "2025-12-31",
        "2026-11-15",
    )
    closed = {i["check_id"] for i in one["paydown"]["closed"]}
    before, after = statuses(samples_db, one["a"]["id"]), statuses(samples_db, one["b"]["id"])
    assert closed == {
        c for c, s in before.items() if s in ("fail", "manual") and after.get(c) not in ("fail", "manual", "unknown")
    }
    assert {i["check_id"] for i in one["paydown"]["new"]} == {
        c for c, s in after.items() if s in ("fail", "manual") and before.get(c) not in ("fail", "manual")
    }


# CSV ----------------------------------------------------------------------------------------------------------------


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_one_row_per_line_item(samples_db):
    projects = rows_of(mldebt(samples_db, "show", "--format", "csv").output)
    assert sorted(r["project"] for r in projects) == PROJECTS
    assert {r["quarter"] for r in projects} == {"2026Q4"}
    checks = rows_of(mldebt(samples_db, "show", "reco-service", "--format", "csv").output)
    assert {r["check_id"]: r["status"] for r in checks} == statuses(
        samples_db, scan_at(samples_db, "reco-service", "9999")
    )
    changes = rows_of(mldebt(samples_db, "compare", "--format", "csv").output)
    data = json.loads(mldebt(samples_db, "compare", "--format", "json").output)
    listed = [
        (r["project"], r["kind"], r["id"]) for r in changes if r["kind"] not in ("score", "item opened", "item closed")
    ]
    assert sorted(listed) == sorted((c["project"], k, c["check_id"]) for k, v in data["changes"].items() for c in v)
    opened = [r["id"] for r in changes if r["kind"] == "item opened"]
    assert sorted(opened) == sorted(i["id"] for p in data["projects"] for i in p["paydown"]["new"])
    assert {r["kind"] for r in changes} >= {"score"}


# Quarters and errors ------------------------------------------------------------------------------------------------


def test_compare_quarters_are_forgiving_and_checked(samples_db):
    dashed = mldebt(samples_db, "compare", "--from", "2026-q2", "--to", "2026-Q4", "--format", "json")
    assert (json.loads(dashed.output)["from"], json.loads(dashed.output)["to"]) == ("2026Q2", "2026Q4")
    backwards = mldebt(samples_db, "compare", "--from", "2026Q4", "--to", "2026Q3")
    assert (backwards.exit_code, backwards.output) == (
        2,
        "mldebt: error: --from 2026Q4 must be a quarter before --to 2026Q3\n",
    )
    bad = mldebt(samples_db, "compare", "--to", "2026Q5")
    assert (bad.exit_code, bad.output) == (2, "mldebt: error: --to '2026Q5': expected a quarter such as 2026Q3\n")
    first = mldebt(samples_db, "compare", "--to", "2025Q4")
    assert first.exit_code == 1
    assert first.output.startswith(
        "mldebt: error: --to 2025Q4: no scans before it to compare with (quarters with scans: 2025Q4"
    )
    future = mldebt(samples_db, "compare", "--to", "2031Q1")
    assert future.exit_code != 0 and "2026Q4" in future.output and "Traceback" not in future.output
    unknown = mldebt(samples_db, "compare", "nope")
    assert unknown.exit_code == 2 and unknown.output.startswith("mldebt: error: no project named 'nope'")
    both = mldebt(samples_db, "show", "--json", "--format", "csv")
    assert (both.exit_code, both.output) == (
        2,
        "mldebt: error: --json and --format csv ask for two formats: give one\n",
    )
