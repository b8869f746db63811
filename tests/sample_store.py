"""The sample portfolio as the report, export, campaign and gate tests read it.

``build_sample_store`` builds the four sample projects, scans each at the end of
2025Q4 to 2026Q3 and at its head (as of 2026-11-15, a fixed moment after its
last commit), under the frozen rubric in ``tests/data/rubric-report.yaml``;
credit-risk-prod has an answer recorded with `mldebt attest` and reco-service a
waiver. The ``samples_db`` and ``sample_db`` fixtures in conftest.py hand it to
tests; ``rescan`` scans a changed clone of one project into a copy.
"""

from __future__ import annotations

import dataclasses
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from mldebt.cli.main import cli
from mldebt.rubric.schema import load_rubric
from mldebt.scanning.scans import collect_project, save_portfolio
from mldebt.sources.portfolio import load_portfolio
from mldebt.store.db import open_db
from mldebt.writes import record_waiver
from scripts.samples import build_samples, collect_at, quarter_end_moments

from .conftest import ROOT, git, write_files

RUBRIC = ROOT / "tests" / "data" / "rubric-report.yaml"
HEAD_AS_OF = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def build_sample_store(dest: Path) -> Path:
    """The sample store in ``dest`` (built once per test session by the ``samples_db`` fixture)."""
    portfolio = load_portfolio(build_samples(ROOT / "sample_projects", dest))
    path = dest / "mldebt.db"
    db = open_db(path)
    rubric = load_rubric(RUBRIC)
    save_portfolio(db, portfolio)
    for moment in quarter_end_moments():
        collect_at(db, portfolio, rubric, moment)
    answered = CliRunner().invoke(
        cli,
        [
            "attest",
            "credit-risk-prod",
            "feedback_loops",
            "--by",
            "elena.kovacs@example.com",
            "--date",
            "2026-11-14",
            "--answer",
            "Only approved loans get labels; 2% of referrals are approved at random to measure the loop.",
            "--expires",
            "2027-04-01",
            "--db",
            str(path),
        ],
    )
    assert answered.exit_code == 0, answered.output
    collect_at(db, portfolio, rubric, HEAD_AS_OF)
    record_waiver(
        db,
        "reco-service",
        {
            "check": "monitor-1-dependency-updates",
            "reason": "the proxy blocks update bots until Q1",
            "owner": "jonas.weber@example.com",
            "until": "2099-12-31",
        },
    )
    db.close()
    return path


def rescan(
    db_path: Path,
    project: str,
    files: dict[str, str | None],
    folder: Path,
    commit_date: str = "2026-11-18T10:00:00+00:00",
    as_of: datetime = datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
) -> None:
    """Commit ``files`` (None deletes) to a clone of a sample project and scan the clone into ``db_path``.

    The session's repositories stay untouched: the clone lives in ``folder``.
    """
    db = open_db(db_path)
    repo = next(db.query("select repo from projects where id = ?", [project]))["repo"]
    portfolio = load_portfolio(Path(repo).parents[1] / "portfolio.yaml")
    clone = folder / f"{project}-clone"
    subprocess.run(["git", "clone", "-q", repo, str(clone)], check=True, capture_output=True)
    write_files(clone, files)
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "a change for the tests", date=commit_date)
    chosen = dataclasses.replace(next(p for p in portfolio.projects if p.name == project), repo=str(clone))
    collect_project(db, chosen, load_rubric(RUBRIC), as_of)
    db.close()
