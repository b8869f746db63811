"""Debian's Chromium, driven by Playwright, against `mldebt serve` on loopback with the sample portfolio.

Every page is loaded and photographed (the screenshots are the test's
artifacts), a check is followed to its evidence, and an attestation is
recorded through the form by a signed-in user.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .browser import artifacts_dir, chromium, served

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.server]

PAGES = [
    ("portfolio", "/", "Portfolio at the end of 2026Q4"),
    ("portfolio-sorted", "/?sort=overall&order=asc&team=", "Portfolio at the end of 2026Q4"),
    ("team", "/teams/platform", "Team Platform"),
    ("project", "/projects/reco-service", "reco-service"),
    ("project-research", "/projects/churn-notebooks", "churn-notebooks"),
    ("checks", "/checks", "Checks"),
    ("check", "/checks/infra-2-unit-tests", "Model specification code is unit tested"),
    ("evidence", "/projects/fraud-kaggle/checks/deps-pinned", "Dependencies are pinned and locked"),
    ("compare-scans", "/projects/reco-service/compare", "reco-service: 2026-09-30 against 2026-11-20"),
    ("compare-quarters", "/compare", "Portfolio: 2026Q3 against 2026Q4"),
    ("backlog", "/backlog", "Paydown backlog"),
    ("help", "/help", "How scores are made"),
    ("project-not-applicable", "/projects/churn-notebooks?result=n/a", "churn-notebooks"),
    ("login", "/login", "Sign in"),
    ("not-found", "/projects/nope", "Not found"),
]


@pytest.fixture(scope="module")
def site(sample_store, tmp_path_factory):
    """`mldebt serve` on a copy of the sample store, with one user who may write."""
    folder = tmp_path_factory.mktemp("browser")
    store = folder / "web.db"
    shutil.copyfile(sample_store, store)
    exe = Path(sys.executable).with_name("mldebt")
    added = subprocess.run(
        [str(exe), "user", "add", "elena", "--password-stdin", "--db", str(store)],
        input="correct horse battery\n",
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    with served(store) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return artifacts_dir(tmp_path_factory)


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    tab.problems = []
    tab.on(
        "console", lambda msg: tab.problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
    )
    tab.on("pageerror", lambda exc: tab.problems.append(f"page error: {exc}"))
    yield tab
    tab.close()


def test_every_page_loads_in_chromium(site, page, shots):
    for name, path, heading in PAGES:
        response = page.goto(site + path)
        assert response.status == (404 if name == "not-found" else 200), path
        assert page.locator("h1").first.inner_text() == heading
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        if name == "not-found":  # Chromium logs the 404 of the page itself
            assert page.problems == [
                "console error: Failed to load resource: the server responded with a status of 404 (NOT FOUND)"
            ]
            page.problems.clear()
    assert page.problems == []  # no script, style or CSP error, and nothing blocked
    page.goto(site + "/projects/reco-service")
    assert page.locator("figure.chart svg").count() == 4
    assert page.locator("figure.chart svg").nth(2).bounding_box()["height"] > 150  # the history chart, drawn
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor") == "rgb(18, 50, 74)"


def test_a_check_leads_to_its_evidence_in_one_click(site, page, shots):
    page.goto(site + "/checks")
    page.get_by_role("link", name="Dependencies are pinned and locked").click()
    assert page.url == site + "/checks/deps-pinned"
    page.get_by_role("link", name="Evidence for deps-pinned in reco-service").click()
    assert page.url == site + "/projects/reco-service/checks/deps-pinned"
    evidence = page.locator("table.evidence")
    assert "repo.deps.pinned_ratio" in evidence.inner_text() and "repo.deps.lockfiles" in evidence.inner_text()
    assert "½ manual" in page.locator("p.result").inner_text()
    page.screenshot(path=str(shots / "check-to-evidence.png"), full_page=True)
    assert page.problems == []


def test_an_attestation_is_recorded_through_the_form(site, page, shots):
    page.goto(site + "/projects/reco-service")
    page.get_by_role("link", name="Record an attestation").click()
    assert page.url.startswith(site + "/login?next=")
    page.get_by_label("User").fill("elena")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    assert page.url == site + "/projects/reco-service/attest"
    page.get_by_label("Question", exact=True).select_option("feedback_loops")
    page.get_by_label("Answer", exact=True).fill(
        "Recommendations are logged with a 5% random holdout that breaks the loop."
    )
    page.get_by_label("Answered by").fill("jonas.weber@example.com")
    page.get_by_label("Link to the evidence (URL or document path)").fill("https://wiki.example.com/reco/holdout")
    page.get_by_label("Answered on").fill("2026-11-01")
    page.screenshot(path=str(shots / "attest-form.png"), full_page=True)
    page.get_by_role("button", name="Record the answer").click()
    assert page.url == site + "/projects/reco-service#attestations"
    table = page.locator("#attestations-section table")
    assert "Recommendations are logged with a 5% random holdout" in table.inner_text()
    assert "web:elena" in table.inner_text() and "2027-04-30" in table.inner_text()  # 180 days' validity
    assert "Signed in as elena" in page.locator("header.top").inner_text()
    page.screenshot(path=str(shots / "attested.png"), full_page=True)
    assert page.problems == []
