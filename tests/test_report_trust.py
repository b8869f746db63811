"""The leadership PDF a team lead can defend (issue 17, items 2, 4, 5 and 7), read back with poppler's tools.

The sample portfolio under the default rubric (its projects of three tiers,
``sample_store``) is rendered to PDF and read with pdftotext and pdftoppm.
Expected figures come from the store itself (the headline query, the stored
paydown items, the stored reasons), not from hand counts: the point here is
that the PDF says what the store holds, in the words a leader reads.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from bench.report_portfolio import generate
from mldebt.cli.main import cli
from mldebt.readmodel.backlog import BacklogItem
from mldebt.readmodel.queries import latest_scans
from mldebt.report.data import BLOCKERS, health_name, report_data
from mldebt.report.themes import LACKING_BELOW, themes
from mldebt.rubric.schema import load_rubric
from mldebt.store.db import open_db, rows

from .conftest import backup
from .test_report import flat, pages_text


def _report(db: Path, pdf: Path) -> list[str]:
    result = CliRunner().invoke(cli, ["report", "-o", str(pdf), "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [flat(p) for p in pages_text(pdf)]


@pytest.fixture(scope="module")
def trust(sample_store, tmp_path_factory):
    """The default-rubric sample store, its report's pages (flattened text) and the report's data."""
    folder = tmp_path_factory.mktemp("trust")
    db_path = backup(sample_store, folder / "web.db")
    pdf = folder / "report.pdf"
    pages = _report(db_path, pdf)
    db = open_db(db_path)
    yield db, pdf, pages, report_data(db), db_path
    db.close()


def squeeze(text: str) -> str:
    """Text without whitespace: a PDF line break may fall anywhere in a sentence (after a hyphen too)."""
    return re.sub(r"\s+", "", text)


def _hours(value: float) -> str:
    return f"{value:,.0f} h"


def _num(value: float | None) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _team_pages(pages: list[str]) -> list[str]:
    """The team chapters' pages, by their running header."""
    return [p for p in pages if re.search(r"ML technical debt · \d{4}Q\d Team ", p)]


def test_page_one_gives_each_project_its_tier_holding_target_and_gap(trust):
    db, _, pages, data, _ = trust
    first = pages[0]
    rubric = load_rubric()
    levels = {lv.id: lv.title for lv in rubric.levels}
    teams = {
        r["id"]: r["name"] for r in rows(db, "select p.id, t.name from projects p join teams t on t.id = p.team_id")
    }
    open_hours = {
        r["project_id"]: r["hours"]
        for r in rows(
            db, "select project_id, sum(effort_hours) hours from paydown_items where status = 'open' group by 1"
        )
    }
    scans = latest_scans(db)
    assert "How far each project is from its target" in first
    shown = []
    for project, scan in scans.items():
        row = (
            f"{project} {teams[project]} {rubric.tier(scan['tier']).title} "
            f"{levels.get(scan['level'] or '', 'no level')} · {_num(scan['ml_test_score'])} "
            f"{levels.get(scan['target_level'] or '', 'no level')} · {_num(scan['target_ml_test_score'])} "
            f"{scan['gap']} {_hours(open_hours.get(project, 0.0))}"
        )
        assert row in first, row
        shown.append((first.index(row), -scan["gap_size"], -open_hours.get(project, 0.0)))
    # the furthest from target first, then the most open effort
    assert [s[1:] for s in sorted(shown)] == sorted(s[1:] for s in shown)
    # the samples hold projects of several tiers, some short of their target
    assert {s["tier"] for s in scans.values()} == {"research", "prototype", "production"}
    assert any(s["gap_size"] > 0 for s in scans.values()) and any(s["gap_size"] == 0 for s in scans.values())
    on_target = sum(s["gap_size"] == 0 for s in scans.values())
    assert (
        f"ON TARGET {on_target} of {len(scans)} projects holding their tier's target level and ML Test Score" in first
    )
    assert data.on_target == on_target


def test_the_open_effort_is_the_sum_of_open_items_as_everywhere_else(trust):
    db, _, pages, data, db_path = trust
    total, count = next(db.execute("select sum(effort_hours), count(*) from paydown_items where status = 'open'"))
    exported = CliRunner().invoke(cli, ["export", "backlog", "--format", "json", "--db", str(db_path)])
    assert exported.exit_code == 0, exported.output
    assert round(sum(i["effort_hours"] for i in json.loads(exported.output)), 1) == round(total, 1)
    assert data.effort_hours == data.items_hours == round(total, 1)
    assert f"OPEN EFFORT {_hours(total)} {count} open paydown items, each counted once" in pages[0]
    # the themes' hours add up to it: every open item is in exactly one theme
    assert round(sum(t.hours for t in data.themes), 1) == round(total, 1)
    assert sum(t.items for t in data.themes) == count
    assert abs(sum(t.share for t in data.themes) - 100) < 0.1 * len(data.themes)


def test_page_one_names_the_top_risks_as_themes_with_their_share(trust):
    _, _, pages, data, _ = trust
    first = pages[0]
    assert "Top risks: what projects lack, and what it costs" in first
    assert len(data.themes) > 5
    for theme in data.themes[:5]:
        line = f"{theme.sentence} {_hours(theme.hours)} · {theme.share:.0f}% of open effort"
        assert line in first, line
        assert re.fullmatch(r"(All \d+|\d+ of \d+) projects? (lacks? .+|ha(s|ve) gaps in .+)", theme.sentence)
        for check in theme.checks:
            assert f"{check.title} ({check.projects} project" in first
    rest = data.themes[5:]
    hours = sum(t.hours for t in rest)
    assert f"The other {len(rest)} themes: {_hours(hours)}" in first
    # themes, not repeated hygiene items: one line per category, the weightiest gaps first
    assert len({t.category for t in data.themes}) == len(data.themes)
    assert [t.unearned for t in data.themes] == sorted((t.unearned for t in data.themes), reverse=True)
    assert len(re.findall(r" h · (\d+%|under 1%) of open effort", first)) == 5
    assert "fails in" not in first and "MLD-" not in first


def test_page_one_says_what_changed_since_last_quarter(trust):
    _, _, pages, data, _ = trust
    first = pages[0]
    assert first.endswith(f"Page 1 of {len(pages)}")  # all of it on one page
    assert f"Since {data.previous} {data.on_target} project" in first
    assert f"on target, {data.previous_on_target} a quarter ago." in first
    change = data.effort_change
    assert change is not None
    said = "fell" if change < 0 else "rose" if change > 0 else "held"
    assert f"Open effort {said}" in first


def test_page_two_says_how_to_read_the_report(trust):
    _, _, pages, _, _ = trust
    guide = pages[1]
    assert re.match(r"(\d+ )+How to read this report", guide)  # the contents' page numbers are drawn first
    rubric = load_rubric()
    levels = {lv.id: lv.title for lv in rubric.levels}
    tiers = " ".join(
        f"{t.title} {levels.get(t.target.level or '', 'none')} {_num(t.target.ml_test_score)}" for t in rubric.tiers
    )
    assert f"Tier Target level Target ML Test Score {tiers}" in guide
    for said in [
        "Grade score The total: the weighted share of points earned over every decided check, 0–100, higher is better",
        "Category health Each debt family of Sculley et al. (2015), scored like the total over its own checks: 0–100, "
        "higher is better",
        "a section's score is the sum of its tests",
        "the final score is the lowest section",
        "A test that does not apply is left out of its section, whose maximum drops by one",
        "A level is held when every check of it and of the levels below it earns at least the manual half point",
        "Does not apply (n/a): the check's premise is absent",
        "Unknown: no collector could see the evidence",
        "A band's words are printed beside a project only when it meets its target.",
        "Priority is interest per hour of effort: weight × gap × (1 + 0.25 × scans unmet in a row)",
        "Where to start: the checks whose items rank highest",
    ]:
        assert said in guide, said
    assert "Contents Executive summary How to read this report Team" in guide


def test_no_band_praise_beside_a_project_short_of_its_target(trust):
    _, _, pages, data, _ = trust
    teams = " ".join(_team_pages(pages))
    short = [p for p in data.projects if p.on_target is False]
    assert short
    for project in data.projects:
        block = re.search(rf"{re.escape(project.id)} \w+ tier: holds (.+?) Open effort", teams)
        assert block, project.id
        band = project.scan["band"]
        if project.on_target:
            assert f"({band})" in block.group(1)
        else:
            assert band not in block.group(1)
            assert f": {project.scan['gap']}" in block.group(1)
    # a project short of its target is never told it is "fit for mission-critical systems" (the band of 3.5 to 5)
    assert "mission-critical" not in pages[0]
    if not any("mission-critical" in (p.band_shown or "") for p in data.projects):
        assert "mission-critical" not in teams


def test_each_project_page_shows_its_tier_target_gap_and_category_health(trust):
    _, _, pages, data, _ = trust
    teams = " ".join(_team_pages(pages))
    for project in data.projects:
        assert f"{project.id} {project.tier_title} tier: holds {project.level_title or 'no level'}" in teams
        assert f"its target is {project.target_title or 'no level'} with ML Test Score" in teams
        health = " · ".join(
            f"{name} {'—' if value is None else format(value, '.0f')}" for name, value in project.health
        )
        assert f"Health by category (0–100, higher is better), weakest first: {health}." in teams
    # categories read as health: their names without "debt", never a "debt" figure
    assert "Data testing debt" not in teams and not re.search(r"debt \d", teams)
    assert health_name("Data testing debt") == "Data testing"
    appendix = " ".join(p for p in pages if "Appendix: rubric, method and attestations" in p[-120:])
    assert "Check Title Test Category Weight Effort" in appendix and "Debt family" not in appendix


def test_results_show_their_reason_never_their_condition(trust):
    db, _, pages, data, _ = trust
    teams = squeeze(" ".join(_team_pages(pages)))
    everything = squeeze(" ".join(pages))
    listed = 0
    for project in data.projects:
        for blocker in project.blockers[:BLOCKERS]:
            assert blocker.reason and squeeze(blocker.reason) in teams, blocker
            listed += 1
    for team in data.teams:
        for change in team.improved[:8] + team.regressed[:8]:
            assert change.reason and squeeze(change.reason) in teams, change
            listed += 1
    assert listed
    # the conditions stay on a check's own page: none of the scans' condition texts is printed anywhere
    scans = json.dumps([p.scan["id"] for p in data.projects])
    details = {
        r["detail"]
        for r in rows(db, "select detail from results where scan_id in (select value from json_each(?))", [scans])
        if r["detail"] and len(r["detail"]) > 12
    }
    assert details
    printed = [d for d in details if squeeze(d) in everything]
    assert not printed


def test_the_first_two_pages_render_at_100_dpi(trust, tmp_path):
    _, pdf, _, _, _ = trust
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "2", "-png", str(pdf), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == 2
    for image in images:
        grey = Image.open(image).convert("L")
        assert abs(grey.size[0] - 827) <= 1 and abs(grey.size[1] - 1169) <= 1  # A4 at 100 dpi
        width, height = grey.size
        # ink in each third of the page: the page is filled, not a title over white space
        for third in range(3):
            band = grey.crop((0, third * height // 3, width, (third + 1) * height // 3))
            inked = sum(band.histogram()[:200]) / (band.size[0] * band.size[1])
            assert inked > 0.01, f"{image.name}: third {third + 1} is nearly blank ({inked:.4f})"


@pytest.mark.parametrize(
    "teams,per_team,heading",
    [(4, 2, "How far each project is from its target"), (12, 2, "How far each team is from its targets")],
)
def test_page_one_fits_a_larger_portfolio(sample_store, tmp_path, teams, per_team, heading):
    """Eight projects get a row each; more get a row per team, the teams with the furthest project first."""
    source, target = open_db(backup(sample_store, tmp_path / "source.db")), open_db(tmp_path / "big.db")
    generate(source, target, teams, per_team)
    source.close()
    target.close()
    pages = _report(tmp_path / "big.db", tmp_path / "big.pdf")
    first = pages[0]
    assert heading in first
    assert re.search(r"Since \d{4}Q\d .+ Open effort (fell|rose|held)", first)  # page one holds it all
    assert first.endswith(f"Page 1 of {len(pages)}")
    if teams > 6:
        assert f"The 6 of {teams} teams whose furthest project has the largest gap" in first
        assert first.count(" of 2 project-") == 6


class _Project:
    def __init__(self, name: str, items: list[BacklogItem], categories: dict[str, float | None]) -> None:
        self.id, self.items, self.categories = name, items, categories


def _item(project: str, check: str, category: str, title: str, hours: float, weight: float = 2.0) -> BacklogItem:
    return BacklogItem(
        id=f"MLD-{project}-{check}",
        project=project,
        team="t",
        team_name="T",
        owner="",
        check_id=check,
        title=check,
        status="open",
        priority=1.0,
        effort_hours=hours,
        gap=1.0,
        weight=weight,
        scans_unmet=1,
        opened_at="",
        section="",
        ml_test="",
        category=title,
        category_id=category,
        why="",
        fix="",
        link="",
    )


def test_themes_group_open_items_by_what_is_missing():
    projects = [
        _Project(
            "a",
            [
                _item("a", "schema", "data-testing", "Data testing debt", 16, 3),
                _item("a", "owners", "entanglement", "Boundary erosion", 1, 1),
            ],
            {"data-testing": 0.0, "entanglement": 80.0},
        ),
        _Project(
            "b",
            [
                _item("b", "schema", "data-testing", "Data testing debt", 16, 3),
                _item("b", "owners", "entanglement", "Boundary erosion", 1, 1),
            ],
            {"data-testing": 60.0, "entanglement": 90.0},
        ),
        _Project(
            "c",
            [
                _item("c", "mine", "home-grown", "Home-grown debt", 3, 1),
                _item("c", "owners", "entanglement", "Boundary erosion", 1, 1),
            ],
            {"home-grown": 10.0, "entanglement": 20.0},
        ),
    ]
    found = themes(projects)
    assert [t.category for t in found] == ["data-testing", "entanglement", "home-grown"]  # by weight x gap
    data, owners, custom = found
    assert data.sentence == "1 of 3 projects lacks data validation; 1 more has gaps in it"
    assert (data.hours, data.share, data.items, data.lacking) == (32.0, 84.2, 2, ("a",))
    assert owners.sentence == (
        "1 of 3 projects lacks clear boundaries between models, features and consumers; 2 more have gaps in it"
    )
    # a category the report has no words for is named by its title
    assert custom.sentence == "1 of 3 projects lacks home-grown debt"
    assert round(sum(t.hours for t in found), 1) == 38.0 and round(sum(t.share for t in found), 1) == 100.0
    assert LACKING_BELOW == 50.0
    all_lacking = themes(
        [_Project(n, [_item(n, "x", "data-testing", "Data testing debt", 2)], {"data-testing": 0.0}) for n in "pq"]
    )
    assert all_lacking[0].sentence == "All 2 projects lack data validation"
    gaps_only = themes([_Project("p", [_item("p", "x", "culture", "Cultural debt", 2)], {"culture": 75.0})])
    assert gaps_only[0].sentence == "1 of 1 project has gaps in team habits that keep debt down"
