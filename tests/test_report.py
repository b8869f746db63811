"""`mldebt report`: the leadership PDF for the sample portfolio, read back with poppler's tools.

pdftotext gives each page's text, pdftoppm renders each page to PNG; the
figures expected below were worked out by hand from the samples' check
results under the frozen test rubric (see test_report_samples.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from mldebt.cli.main import cli

TEAMS = ["Growth", "Platform", "Research", "Risk"]


def mldebt(db: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--db", str(db)], catch_exceptions=False)


def pages_text(pdf: Path) -> list[str]:
    assert shutil.which("pdftotext"), "poppler-utils is missing: run the suite with bash scripts/test.sh"
    count = int(
        re.search(
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        ).group(1)
    )
    # -raw keeps the order WeasyPrint wrote the text in: the page's flow, then its margin boxes
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        for n in range(1, count + 1)
    ]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def portfolio_pdf(samples_db, tmp_path_factory) -> tuple[Path, str, list[str]]:
    folder = tmp_path_factory.mktemp("report")
    db = folder / "samples.db"
    shutil.copyfile(samples_db, db)
    pdf = folder / "report.pdf"
    result = mldebt(db, "report", "-o", str(pdf))
    assert result.exit_code == 0, result.output
    return pdf, result.output, pages_text(pdf)


def test_the_report_says_what_it_wrote(portfolio_pdf):
    pdf, output, pages = portfolio_pdf
    assert output == f"wrote {pdf}: 2026Q4, 4 team(s), 4 project(s), {len(pages)} pages\n"
    # cover, summary, one page per team, then the appendix (two pages with this much to state)
    headers = [re.search(r"mldebt · ML technical debt · 2026Q4 (\w+)", flat(p)).group(1) for p in pages[1:]]
    assert headers == ["Executive", "Team", "Team", "Team", "Team", "Appendix", "Appendix"]
    assert all(flat(p).endswith(f"Page {n} of {len(pages)}") for n, p in enumerate(pages, 1))


def test_cover_names_the_quarter_grade_and_contents(portfolio_pdf):
    cover = flat(portfolio_pdf[2][0])
    assert "ML technical debt · 2026Q4" in cover
    assert "the state of every project as of 2026-11-15" in cover
    assert "4 teams, 4 projects" in cover
    # the effort of the 12 items, as the backlog export adds it up (it read 68 h when it came from the scans'
    # scores, which count a manual check's effort by half and an unknown check's in full)
    assert "12 open paydown items, 72 h of remaining effort" in cover
    assert re.search(r"Rubric report-tests 1 \([0-9a-f]{16}\)", cover)
    # the contents' page numbers (drawn after their entries, so first in the text) and entries
    assert cover.startswith("2 3 4 5 6 7 QUARTERLY REVIEW")
    assert (
        "Contents Executive summary Team Growth Team Platform Team Research Team Risk "
        "Appendix: rubric, method and attestations"
    ) in cover


def test_the_executive_summary_fits_on_one_page(portfolio_pdf):
    summary = flat(portfolio_pdf[2][1])
    # grade scores by hand: churn-notebooks 0, credit-risk-prod 8.5/9, fraud-kaggle 1/9, reco-service 5/7
    # (its waived check is left out): mean 44.2, a D; in 2026Q3 0, 8/9, 1/9, 4/9: mean 36.1
    assert "PORTFOLIO GRADE D · 44.2 mean grade score of 4 projects" in summary
    assert "SINCE 2026Q3 +8.1 grade score of the 4 comparable projects, was 36.1" in summary
    assert "2 projects improved (credit-risk-prod +5.5, reco-service +27), 0 regressed, 2 held steady" in summary
    assert "Checks newly met or automated: 2; checks that slipped: 0." in summary
    assert summary.count("fails in") == 5  # the five worst risks, a sentence each
    assert (
        "Worst risks Model specification code is unit tested (Infra 2) fails in 2 of 4 projects "
        "(churn-notebooks, fraud-kaggle): Code that builds features"
    ) in summary
    assert "Top ten paydown items" in summary
    expected = [
        "MLD-252003eb8e",
        "MLD-a30bb88c0b",
        "MLD-6d089d0eed",
        "MLD-c8b92f257f",
        "MLD-0cdc536330",
        "MLD-620e3ff95c",
        "MLD-df7b062113",
        "MLD-eb11bf0aea",
        "MLD-9d2a262bc3",
        "MLD-aad6b2e895",
    ]
    positions = [summary.index(item) for item in expected]
    assert positions == sorted(positions)
    assert (
        "10 MLD-aad6b2e895 fraud-kaggle Growth Model specification code is unit tested "
        "marco.bellini@example.com 16 h 0.42" in summary
    )
    assert summary.endswith("Portfolio as of 2026-11-15 Page 2 of 8")


def test_each_team_has_its_page_with_trend_changes_and_items(portfolio_pdf):
    pages = [flat(p) for p in portfolio_pdf[2]]
    for team, page in zip(TEAMS, pages[2:6]):
        assert page.startswith(f"Team {team} Owner {team.lower()}-lead@example.com")
        assert f"Grade score (0-100) of team {team} by quarter" in page
        assert "Top paydown items" in page
        assert f"mldebt · ML technical debt · 2026Q4 Team {team} Portfolio as of 2026-11-15" in page  # header
    platform = pages[3]
    assert "reco-service: Dependencies are pinned and locked (fail → manual)" in platform
    assert "reco-service: 27.8 in 2025Q4 to 71.4 in 2026Q4" in platform
    assert "Regressed since 2026Q3 No check regressed." in platform
    assert "reco-service jonas.weber@example.com 0 ±0 0 0 1 0 C 71 +27 8 h 2" in platform  # its 2 items: 4 h + 4 h
    risk = pages[5]
    assert "credit-risk-prod: Feedback loops are known and documented (fail → attested" not in risk
    assert "credit-risk-prod: Feedback loops are known and documented (fail → manual)" in risk


def test_the_appendix_states_rubric_method_attestations_and_waivers(portfolio_pdf):
    appendix = flat(" ".join(portfolio_pdf[2][6:]))
    assert "Appendix: rubric, method and attestations" in appendix
    assert re.search(r"Rubric report-tests 1 \(content hash [0-9a-f]{16}\), 5 checks of which 2 score tests", appendix)
    assert "the final score is the lowest of the four sections" in appendix
    assert "above 5 exceptional levels of automated testing and monitoring" in appendix
    assert "A 90 or more" in appendix and "F 0 to under 40" in appendix
    assert "Attested rather than measured" in appendix
    assert (
        "credit-risk-prod Are the direct and hidden feedback loops of the model known and handled? "
        "elena.kovacs@example.com 2026-11-14 2027-04-01 feedback-loops-attested"
    ) in appendix
    assert (
        "reco-service monitor-1-dependency-updates jonas.weber@example.com 2099-12-31 "
        "the proxy blocks update bots until Q1"
    ) in appendix


def test_every_page_renders_and_none_is_blank(portfolio_pdf, tmp_path):
    pdf, _, pages = portfolio_pdf
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(pages)
    for image in images:
        grey = Image.open(image).convert("L")
        assert abs(grey.size[0] - 248) <= 1 and abs(grey.size[1] - 351) <= 1  # A4 portrait at 30 dpi
        histogram = grey.histogram()
        inked = sum(histogram[:200]) / (grey.size[0] * grey.size[1])
        assert inked > 0.004, f"{image.name} looks blank ({inked:.4f} of its pixels are ink)"


def test_one_team_for_a_past_quarter(sample_db, tmp_path):
    pdf = tmp_path / "platform.pdf"
    result = mldebt(sample_db, "report", "--quarter", "2026q2", "--team", "Platform", "-o", str(pdf))
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {pdf}: 2026Q2, 1 team(s), 1 project(s), 4 pages\n"
    pages = [flat(p) for p in pages_text(pdf)]
    assert "Team Platform: the state of every project as of 2026-06-30" in pages[0]
    assert "ML technical debt · 2026Q2" in pages[0]
    team = pages[2]
    assert "Improved since 2026Q1" in team
    assert "reco-service: Model specification code is unit tested (manual → automated)" in team
    # items as they stood at the end of 2026Q2: derived again from the scans up to then
    assert "MLD-8346012067" not in team  # unit tests were automated by then
    assert "MLD-0cdc536330" in team and "3 scans" in team
    assert not any("Team Growth" in page for page in pages)


def test_campaigns_appear_with_their_progress(sample_db, tmp_path):
    made = mldebt(
        sample_db,
        "campaign",
        "create",
        "Q4 cleanup",
        "--owner",
        "lead@example.com",
        "--checks",
        "deps-pinned,monitor-1-dependency-updates",
        "--start",
        "2026-10-01",
        "--target",
        "2026-12-31",
    )
    assert made.exit_code == 0, made.output
    pdf = tmp_path / "r.pdf"
    assert mldebt(sample_db, "report", "-o", str(pdf)).exit_code == 0
    pages = [flat(p) for p in pages_text(pdf)]
    campaigns = next(p for p in pages if p.startswith("Campaigns Cleanup sprints"))
    assert "Q4 cleanup Owner lead@example.com · 2026-10-01 to 2026-12-31 · 4 projects, 2 checks" in campaigns
    # in scope on 2026-10-01: both checks unmet in churn-notebooks, fraud-kaggle and reco-service
    assert "0 of 6 done (0%), 5 open, 1 waived as of 2026-11-15" in campaigns
    assert (
        "Burn-up of campaign Q4 cleanup: 2026-10-01 0 of 6 done; 2026-11-15 0 of 6 done; target 2026-12-31."
        in campaigns
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (["--quarter", "2026-3"], "--quarter '2026-3': expected a quarter such as 2026Q3"),
        (["--quarter", "2024Q4"], "quarter 2024Q4: no scans by its end (the first scan is in 2025Q4)"),
        (["--team", "nope"], "--team 'nope': no such team (teams: growth, platform, research, risk)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(sample_db, tmp_path, args, message):
    result = mldebt(sample_db, "report", *args, "-o", str(tmp_path / "r.pdf"))
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {message}\n"
    assert not (tmp_path / "r.pdf").exists()


def test_an_output_folder_that_does_not_exist(sample_db, tmp_path):
    target = tmp_path / "missing" / "r.pdf"
    result = mldebt(sample_db, "report", "-o", str(target))
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: -o {target}: folder {target.parent} does not exist\n"


def test_no_database(tmp_path):
    result = mldebt(tmp_path / "none.db", "report", "-o", str(tmp_path / "r.pdf"))
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {tmp_path / 'none.db'}: no database yet: run `mldebt collect` first\n"
