"""The sample portfolio as the report, export, campaign and gate tests read it, and the quarter rules.

``samples_db`` builds the four sample projects once per test session, scans
each at the end of 2025Q4 to 2026Q3 and at its head (as of 2026-11-15, a
fixed moment after its last commit), under the frozen rubric in
``tests/data/rubric-report.yaml``; credit-risk-prod has an answer recorded
with `mldebt attest` and reco-service a waiver. ``sample_db`` hands each test
its own copy of the file.
"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.cli import cli
from mldebt.portfolio import load_portfolio
from mldebt.quarters import Quarter, Timeline
from mldebt.rubric.schema import load_rubric
from mldebt.samples import build_samples
from mldebt.scans import collect_project, save_portfolio
from mldebt.store import open_db
from mldebt.writes import record_waiver

from .conftest import ROOT, git, write_files

RUBRIC = ROOT / "tests" / "data" / "rubric-report.yaml"
QUARTER_ENDS = ["2025-12-31", "2026-03-31", "2026-06-30", "2026-09-30"]
HEAD_AS_OF = datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc)


def collect_all(db, portfolio, rubric, moment: datetime) -> None:
    for project in portfolio.projects:
        collect_project(db, project, rubric, moment)


@pytest.fixture(scope="session")
def samples_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("report-samples")
    portfolio = load_portfolio(build_samples(ROOT / "sample_projects", dest))
    path = dest / "mldebt.db"
    db = open_db(path)
    rubric = load_rubric(RUBRIC)
    save_portfolio(db, portfolio)
    for quarter_end in QUARTER_ENDS:
        collect_all(db, portfolio, rubric, datetime.fromisoformat(quarter_end + "T23:59:59+00:00"))
    answered = CliRunner().invoke(cli, [
        "attest", "credit-risk-prod", "feedback_loops", "--by", "elena.kovacs@example.com", "--date", "2026-11-14",
        "--answer", "Only approved loans get labels; 2% of referrals are approved at random to measure the loop.",
        "--expires", "2027-04-01", "--db", str(path)])
    assert answered.exit_code == 0, answered.output
    collect_all(db, portfolio, rubric, HEAD_AS_OF)
    record_waiver(db, "reco-service", {"check": "monitor-1-dependency-updates", "reason": "the proxy blocks update "
                                       "bots until Q1", "owner": "jonas.weber@example.com", "until": "2099-12-31"})
    db.close()
    return path


def rescan(db_path: Path, project: str, files: dict[str, str | None], folder: Path,
           commit_date: str = "2026-11-18T10:00:00+00:00",
           as_of: datetime = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)) -> None:
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


@pytest.fixture
def sample_db(samples_db: Path, tmp_path: Path) -> Path:
    """A private copy of the sample database for one test."""
    copy = tmp_path / "samples.db"
    shutil.copyfile(samples_db, copy)
    return copy


def test_a_quarters_state_is_the_latest_scan_by_its_end(sample_db):
    db = open_db(sample_db)
    scans = list(db.query("select id, as_of, collected_at from scans where project_id = 'reco-service'"))
    timeline = Timeline(scans)
    assert timeline.at(Quarter(2025, 3).end) is None
    assert timeline.at(Quarter(2026, 2).end)["as_of"].startswith("2026-06-30")
    assert timeline.at(Quarter(2026, 4).end)["as_of"].startswith("2026-11-15")
    assert [s["as_of"][:10] for s in timeline.upto(Quarter(2026, 1).end)] == ["2025-12-31", "2026-03-31"]
