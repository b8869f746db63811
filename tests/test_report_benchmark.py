"""The report benchmark's generator and measurement, at a small scale.

The full run (50 teams, 200 projects) is `python bench/report_portfolio.py demo/mldebt.db`;
it takes half a minute, so the suite runs the same code on six teams.
"""

from __future__ import annotations

from bench.report_portfolio import GOAL_MB, main, run
from mldebt.store.db import open_db


def test_a_generated_portfolio_renders_and_is_measured(samples_db, tmp_path):
    measured = run(samples_db, tmp_path, teams=6, per_team=3)
    assert (measured.teams, measured.projects, measured.scans) == (6, 18, 90)
    db = open_db(tmp_path / "bench.db")
    assert db["teams"].count == 6 and db["projects"].count == 18
    # every project copies a sample's trajectory, so its items are derived from real results
    assert db.execute("select count(distinct project_id) from paydown_items").fetchone()[0] == 18
    assert measured.pages >= 1 + 1 + 6 + 1  # cover, summary, a page per team, appendix
    assert measured.cpu_seconds > 0 and measured.seconds > 0
    assert 50 < measured.peak_mb < GOAL_MB
    assert (tmp_path / "bench.pdf").read_bytes().startswith(b"%PDF-")


def test_the_command_prints_one_line(samples_db, tmp_path, capsys):
    main([str(samples_db), "--teams", "2", "--per-team", "2", "--out", str(tmp_path)])
    line = capsys.readouterr().out
    assert line.startswith("report of 2 teams, 4 projects, 20 scans: ")
    assert " pages in " in line and " s of CPU), peak memory " in line
    assert line.endswith("(within the goal of 30 s and 500 MB)\n")
