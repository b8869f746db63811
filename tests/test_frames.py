"""mldebt.frames: the store as pandas DataFrames, with the same figures the store holds."""

from __future__ import annotations

import sqlite3

import pandas as pd

from mldebt import frames

from .conftest import git, write_files


def _two_quarters(make_repo, run, db_path):
    repo = make_repo("model-a", [("2026-02-01T00:00:00+00:00", {"train.py": "import numpy as np\nx = 1\n"})])
    assert run("collect", str(repo), "--as-of", "2026-03-31").exit_code == 0
    write_files(repo, {"tests/test_train.py": "def test_x():\n    assert 1\n", "requirements.txt": "numpy==1.26.4\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tests", date="2026-05-01T00:00:00+00:00")
    assert run("collect", str(repo), "--as-of", "2026-06-30").exit_code == 0


def test_each_frame_has_the_stores_rows_and_real_dtypes(make_repo, run, db_path):
    _two_quarters(make_repo, run, db_path)
    scans = frames.scans(db_path)
    assert list(scans["quarter"]) == ["2026Q1", "2026Q2"]
    assert str(scans["as_of"].dtype).startswith("datetime64") and str(scans["as_of"].dt.tz) == "UTC"
    assert scans["overall"].dtype == float and scans["facts"].dtype == "int64"
    conn = sqlite3.connect(db_path)
    assert len(scans) == conn.execute("select count(*) from scans").fetchone()[0]
    grades = dict(conn.execute("select scan_id, label from scores where scope = 'overall'").fetchall())
    assert dict(zip(scans["scan_id"], scans["grade"])) == grades

    results = frames.results(db_path)
    assert len(results) == conn.execute("select count(*) from results").fetchone()[0]
    assert set(results["status"]) <= {"automated", "manual", "fail", "unknown", "n/a", "waived"}
    assert results["points"].sum() == conn.execute("select sum(points) from results").fetchone()[0]

    categories = frames.categories(db_path)
    assert len(categories) == conn.execute("select count(*) from scores where scope = 'category'").fetchone()[0]
    assert categories["health"].between(0, 100).all()

    paydown = frames.paydown(db_path)
    assert len(paydown) == conn.execute("select count(*) from paydown_items").fetchone()[0]
    assert paydown["effort_hours"].sum() == conn.execute("select sum(effort_hours) from paydown_items").fetchone()[0]
    assert paydown["priority"].is_monotonic_decreasing
    conn.close()


def test_the_readme_example_runs(make_repo, run, db_path):
    _two_quarters(make_repo, run, db_path)
    table = frames.scans(str(db_path)).groupby(["team", "quarter"])["overall"].mean().unstack()
    assert list(table.columns) == ["2026Q1", "2026Q2"]
    assert isinstance(table, pd.DataFrame) and table.notna().all().all()
