"""Every page type at a phone's, a tablet's and a desktop's width in Debian's Chromium: nothing overflows the page.

One browser tab is resized to 375, 768 and 1,400 px and loads each page of the
sample portfolio (served by the real `mldebt serve`, with a campaign made
through the CLI so the campaign pages have content). At every width neither
the document nor the body may be wider than the window: wide tables scroll
inside their own ``div.table-scroll`` box (or turn to cards on a phone), and at
1,400 px no table is cut off at all. Full-page screenshots are kept in
test-artifacts/screens/<page>-<width>.png (or under MLDEBT_ARTIFACTS).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .browser import chromium, served
from .conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.server]

WIDTHS = [375, 768, 1400]
PAGES = [
    ("portfolio", "/"),
    ("team", "/teams/platform"),
    ("project", "/projects/reco-service"),
    ("project-research", "/projects/churn-notebooks"),
    ("checks", "/checks"),
    ("check", "/checks/infra-2-unit-tests"),
    ("evidence", "/projects/fraud-kaggle/checks/deps-pinned"),
    ("evidence-paths", "/projects/fraud-kaggle/checks/no-hardcoded-data-paths"),
    ("backlog", "/backlog"),
    ("campaigns", "/campaigns"),
    ("campaign", "/campaigns/cleanup"),
    ("compare-scans", "/projects/reco-service/compare"),
    ("compare-quarters", "/compare"),
    ("help", "/help"),
    ("login", "/login"),
    ("not-found", "/projects/nope"),
]
SIGNED_IN_PAGES = [
    ("attest", "/projects/reco-service/attest"),
    ("waive", "/projects/reco-service/waive"),
    ("campaign-new", "/campaigns/new"),
    ("campaign-edit", "/campaigns/cleanup/edit"),
]
LEAD = "platform-lead@example.com"  # the Platform team's owner in the sample portfolio: may create campaigns

# How far the page reaches past the window, and which elements stick out (outside any scrolling box).
MEASURE = """() => {
  const inner = window.innerWidth;
  const sticking = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right <= inner + 0.5 || box.width === 0) continue;
    let scroller = el.parentElement, inside = false;
    while (scroller && scroller !== document.body) {
      const style = getComputedStyle(scroller);
      if (style.overflowX === 'auto' || style.overflowX === 'scroll' || style.overflowX === 'hidden') { inside = true; break; }
      scroller = scroller.parentElement;
    }
    if (!inside) sticking.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' to ' + Math.round(box.right) + 'px');
  }
  return {inner: inner, document: document.documentElement.scrollWidth, body: document.body.scrollWidth, sticking: sticking.slice(0, 8)};
}"""


# The table boxes that hide columns behind a sideways scroll (a desktop should show every column).
CUT_OFF = """() => [...document.querySelectorAll('div.table-scroll')]
  .filter(box => box.offsetParent !== null && box.scrollWidth > box.clientWidth)
  .map(box => box.querySelector('table').className + ' ' + box.scrollWidth + 'px in ' + box.clientWidth + 'px')"""


def overflow(page: Any) -> dict[str, Any]:
    return page.evaluate(MEASURE)


def fits(measured: dict[str, Any]) -> bool:
    return measured["document"] <= measured["inner"] and measured["body"] <= measured["inner"]


@pytest.fixture(scope="module")
def site(sample_store, tmp_path_factory):
    """`mldebt serve` on a copy of the sample store, with a campaign and a team's lead as a user."""
    store = tmp_path_factory.mktemp("responsive") / "web.db"
    shutil.copyfile(sample_store, store)
    exe = str(Path(sys.executable).with_name("mldebt"))
    for args, stdin in [
        (["user", "add", LEAD, "--password-stdin"], "correct horse battery\n"),
        (
            [
                "campaign",
                "create",
                "cleanup",
                "--owner",
                "platform-lead@example.com",
                "--checks",
                "infra-2-unit-tests,deps-pinned,monitor-1-dependency-updates,notebooks-out-of-production",
                "--start",
                "2025-12-31",
                "--target",
                "2026-12-31",
            ],
            None,
        ),
    ]:
        done = subprocess.run([exe, *args, "--db", str(store)], input=stdin, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with served(store) as base:
        yield base


@pytest.fixture(scope="module")
def tab(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
        yield page


@pytest.fixture(scope="module")
def screens() -> Path:
    folder = Path(os.environ.get("MLDEBT_ARTIFACTS") or ROOT / "test-artifacts") / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def visit_at_every_width(tab: Any, base: str, pages: list[tuple[str, str]], screens: Path) -> list[str]:
    """Load each page at each width, photograph it, and return what overflowed."""
    wrong = []
    for width in WIDTHS:
        tab.set_viewport_size({"width": width, "height": 900})
        for name, path in pages:
            response = tab.goto(base + path)
            assert response.status == (404 if name == "not-found" else 200), path
            measured = overflow(tab)
            tab.screenshot(path=str(screens / f"{name}-{width}.png"), full_page=True)
            if not fits(measured):
                wrong.append(f"{name} at {width}px: {measured}")
            if width == WIDTHS[-1] and (cut := tab.evaluate(CUT_OFF)):
                wrong.append(f"{name} at {width}px: tables cut off on a desktop: {cut}")
    return wrong


def test_no_page_is_wider_than_a_phone_a_tablet_or_a_desktop(site, tab, screens):
    wrong = visit_at_every_width(tab, site, PAGES, screens)
    assert not wrong, "\n".join(wrong)
    assert tab.problems == []


def test_the_signed_in_forms_fit_and_their_fields_stay_inside_the_window(site, tab, screens):
    tab.set_viewport_size({"width": 375, "height": 900})
    tab.goto(site + "/login?next=/")
    tab.get_by_label("User").fill(LEAD)
    tab.get_by_label("Password").fill("correct horse battery")
    tab.get_by_role("button", name="Sign in").click()
    wrong = visit_at_every_width(tab, site, SIGNED_IN_PAGES, screens)
    assert not wrong, "\n".join(wrong)
    tab.set_viewport_size({"width": 375, "height": 900})
    for path in ("/projects/reco-service/attest", "/campaigns/new"):
        tab.goto(site + path)
        fields = tab.locator("main form input:visible, main form select:visible, main form textarea:visible").all()
        assert len(fields) >= 4, path
        for field in fields:
            box = field.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375, (path, field.get_attribute("name"))
    assert f"Signed in as {LEAD}" in tab.locator("header.top").inner_text()


def test_on_a_phone_wide_tables_scroll_in_their_box_or_turn_to_cards(site, tab):
    tab.set_viewport_size({"width": 375, "height": 900})
    tab.goto(site + "/")
    assert fits(overflow(tab))
    health = tab.locator("div.table-scroll:has(table.health)")
    assert health.evaluate("el => el.scrollWidth > el.clientWidth")  # wider than a phone...
    assert health.evaluate("el => getComputedStyle(el).overflowX") == "auto"  # ...so it scrolls in its own box
    projects = tab.locator("table.projects")
    assert projects.evaluate("el => el.parentElement.scrollWidth <= el.parentElement.clientWidth")  # cards: no scroll
    assert tab.locator("table.projects thead").evaluate("el => el.getBoundingClientRect().width") <= 1  # for readers
    cards = tab.locator("table.projects tbody tr").all()
    assert len(cards) == 4
    for card in cards:
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        labels = card.evaluate(
            "tr => [...tr.querySelectorAll('td')].map(td => getComputedStyle(td, '::before').content)"
        )
        assert '"Gap to target"' in labels and '"ML Test Score"' in labels  # every cell says what it is
    tab.set_viewport_size({"width": 1400, "height": 900})  # a desktop has room for the table itself
    assert tab.locator("table.projects thead").evaluate("el => getComputedStyle(el).display") == "table-header-group"


def test_the_measure_catches_a_wide_table_outside_its_box(site, tab):
    tab.set_viewport_size({"width": 375, "height": 900})
    tab.goto(site + "/")
    tab.evaluate(
        "() => { const box = document.querySelector('div.table-scroll:has(table.health)');"
        " box.replaceWith(box.querySelector('table')); }"
    )
    measured = overflow(tab)
    assert not fits(measured) and measured["document"] > 600
    assert any(s.startswith("table.data.health") for s in measured["sticking"])
    # And the desktop's measure catches a table that needs its box's scroll bar.
    tab.set_viewport_size({"width": 1400, "height": 900})
    tab.goto(site + "/")
    assert tab.evaluate(CUT_OFF) == []
    tab.evaluate("() => { document.querySelector('table.projects').style.minWidth = '2000px'; }")
    assert [cut.split(" ")[:2] for cut in tab.evaluate(CUT_OFF)] == [["data", "projects"]]
    assert fits(overflow(tab))  # inside its box, the page itself still fits


def test_the_nav_wraps_and_charts_scale_on_a_phone(site, tab):
    tab.set_viewport_size({"width": 375, "height": 900})
    tab.goto(site + "/projects/reco-service")
    links = tab.locator("header.top nav a").all()
    assert len({round(link.bounding_box()["y"]) for link in links}) > 1  # more than one row of links
    assert all(link.bounding_box()["x"] + link.bounding_box()["width"] <= 375 for link in links)
    charts = tab.locator("figure.chart svg").all()
    assert len(charts) == 4
    for chart in charts:
        assert chart.bounding_box()["width"] <= 375 - 2 * 12
    tab.goto(site + "/projects/reco-service/checks/infra-2-unit-tests")
    assert fits(overflow(tab))
