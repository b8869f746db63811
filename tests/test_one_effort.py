"""One effort model (issue 17 item 3): one figure per item, with its basis, and the same totals on every surface.

Checks one fix clears (``fixed_with`` in the rubric) make one paydown item with
the effort of the check the fix is named for; the web pages and API, the
report's data, `mldebt show` and every backlog export then add up to the same
hours per project, per team and for the portfolio, on both sample stores.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import operator
import re
from collections import defaultdict
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from mldebt import frames
from mldebt.cli.main import cli as main
from mldebt.exports import csvfile
from mldebt.exports.backlog import FORMATS
from mldebt.readmodel import backlog, effort
from mldebt.readmodel.queries import latest_scans, project_rows, scan_history
from mldebt.readmodel.scorecard import scorecard
from mldebt.report.data import report_data
from mldebt.rubric.paydown import (
    MERGED,
    PRIORITY_FORMULA,
    PRIORITY_HELP,
    PRIORITY_UNIT,
    ScanResults,
    effort_basis,
    item_id,
    paydown,
    priority_basis,
    value,
)
from mldebt.store.db import open_db
from mldebt.webapp import create_app

LEAD, ALSO = "config-centralized", "no-hyperparameter-literals"  # the default rubric: ALSO fixed_with LEAD
HOURS = {LEAD: 8.0, ALSO: 4.0}
FIXED = {ALSO: LEAD}
POINTS = {"fail": 0.0, "manual": 0.5, "automated": 1.0, "unknown": None, "waived": None, "n/a": None}


def history(*scans: tuple[str, str]) -> list[ScanResults]:
    """Scans of project p: each a (status of LEAD, status of ALSO); LEAD weighs 2, ALSO 1."""
    return [
        ScanResults(f"s{n}", f"2026-0{n + 1}-01", {LEAD: (a, POINTS[a], 2.0), ALSO: (b, POINTS[b], 1.0)})
        for n, (a, b) in enumerate(scans)
    ]


def by_check(items):
    return {i.check_id: i for i in items}


# ----------------------------------------------------------------------------------------- the paydown rule


def test_checks_one_fix_clears_make_one_item_with_the_named_checks_effort():
    items = by_check(paydown("p", history(("fail", "fail"), ("fail", "manual")), HOURS, FIXED))
    lead, also = items[LEAD], items[ALSO]
    assert (lead.status, lead.effort_hours, lead.id) == ("open", 8.0, item_id("p", LEAD))
    assert (also.status, also.effort_hours, also.priority, also.id) == (MERGED, 0.0, 0.0, item_id("p", ALSO))
    # the item is worth what fixing both is worth, for the one effort
    assert lead.priority == round((value(2.0, 1.0, 2, 0) + value(1.0, 0.5, 2, 0)) / 8.0, 4)
    assert also.gap == 0.5 and also.interest == 2.0  # kept, for the item's worked priority
    # without fixed_with each stands alone, as before
    alone = by_check(paydown("p", history(("fail", "fail"), ("fail", "manual")), HOURS))
    assert [alone[c].effort_hours for c in (LEAD, ALSO)] == [8.0, 4.0]


@pytest.mark.parametrize(
    "lead_status",
    ["automated", "waived", "n/a"],
)
def test_when_only_the_dependent_check_is_unmet_its_item_stands_alone(lead_status):
    items = by_check(paydown("p", history(("fail", "fail"), (lead_status, "fail")), HOURS, FIXED))
    also = items[ALSO]
    assert (also.status, also.effort_hours) == ("open", 4.0)
    assert also.priority == round(value(1.0, 1.0, 2, 0) / 4.0, 4)


def test_a_waived_dependent_stays_waived_and_the_lead_clears_only_itself():
    items = by_check(paydown("p", history(("fail", "waived")), HOURS, FIXED))
    assert (items[LEAD].status, items[LEAD].priority) == ("open", round(value(2.0, 1.0, 1, 0) / 8.0, 4))
    assert items[ALSO].status == "waived"


def test_item_ids_stay_stable_as_the_checks_merge_and_part():
    """ALSO alone, then merged while LEAD is unmet too, then alone again once LEAD is met: one id throughout,
    opened when it first opened."""
    steps = [("automated", "fail"), ("fail", "fail"), ("automated", "fail")]
    seen = []
    for upto in range(1, len(steps) + 1):
        items = by_check(paydown("p", history(*steps[:upto]), HOURS, FIXED))
        seen.append((items[ALSO].id, items[ALSO].status, items[ALSO].opened_at, items[ALSO].effort_hours))
    assert seen == [
        (item_id("p", ALSO), "open", "2026-01-01", 4.0),
        (item_id("p", ALSO), MERGED, "2026-01-01", 0.0),
        (item_id("p", ALSO), "open", "2026-01-01", 4.0),
    ]


def test_the_basis_of_an_items_effort_and_priority_in_words():
    assert effort_basis(LEAD, 8.0, (LEAD, ALSO)) == f"8 h: rubric estimate for {LEAD}, also clears {ALSO}"
    assert effort_basis(ALSO, 4.0, (ALSO,)) == f"4 h: rubric estimate for {ALSO}"
    assert priority_basis([(2, 1, 4, 0)], 8.0, 0.5) == "2 × 1 × (1 + 0.25 × 4) ÷ 8 h = 0.5 points per hour"
    assert priority_basis([(2, 1, 4, 120), (1, 0.5, 2, 0)], 0.5, 5.235) == (
        "(2 × 1 × (1 + 0.25 × 4) × (1 + 120 ÷ 1000) + 1 × 0.5 × (1 + 0.25 × 2)) ÷ 1 h = 5.235 points per hour"
    )
    assert PRIORITY_UNIT in PRIORITY_HELP and PRIORITY_FORMULA in PRIORITY_HELP


# ------------------------------------------------------------------------------------- the read model


def test_the_web_samples_hold_merged_items_with_their_basis(store_path):
    """The default rubric's fixed_with at work on the samples: one item per fix, every check it clears listed."""
    db = open_db(store_path)
    items = backlog.open_backlog(db)
    merged = list(db.execute("select project_id, check_id from paydown_items where status = ?", [MERGED]))
    assert merged, "the web samples have checks one fix clears together"
    rubric = {p: backlog.parsed_rubric(db, s["rubric_hash"]) for p, s in latest_scans(db).items()}
    hours = {p: {c.id: c.effort_hours for c in r.checks} for p, r in rubric.items()}
    for project, check in merged:
        lead = rubric[project].check(check).fixed_with  # type: ignore[union-attr]
        (item,) = [i for i in items if i.project == project and check in i.clears]
        assert (item.check_id, item.id, item.effort_hours) == (lead, item_id(project, lead), hours[project][lead])
        assert item.effort_basis == f"{item.effort_hours:g} h: rubric estimate for {lead}, also clears {check}"
        assert backlog.clearing(db, project, check) == item == backlog.clearing(db, project, lead)
    for item in items:
        assert item.clears[0] == item.check_id and len(set(item.clears)) == len(item.clears)
        assert item.effort_basis.startswith(f"{item.effort_hours:g} h: rubric estimate for {item.check_id}")
        assert item.priority_basis.endswith(f" = {item.priority:g} {PRIORITY_UNIT}")
        assert _worked(item.priority_basis) == pytest.approx(item.priority, abs=1e-4)
    # no check is in two open items of a project
    cleared = [(i.project, c) for i in items for c in i.clears]
    assert len(cleared) == len(set(cleared))


def _worked(text: str) -> float:
    """The arithmetic of a priority basis worked out again: numbers, +, ×, ÷ and brackets only."""
    formula = text.split(" = ")[0].replace(" h", "").replace("×", "*").replace("÷", "/")
    operators = {ast.Add: operator.add, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def worked(node: ast.expr) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        assert isinstance(node, ast.BinOp) and type(node.op) in operators, ast.dump(node)
        return operators[type(node.op)](worked(node.left), worked(node.right))

    return round(worked(ast.parse(formula, mode="eval").body), 4)


def test_the_effort_at_every_earlier_scan_counts_a_fix_once(store_path, monkeypatch):
    """Derived at every scan of the web samples (default rubric, with fixed_with): the open effort is that of
    the open items, merged ones folded into the item whose fix clears them."""
    db = open_db(store_path)
    scans = [s for p in latest_scans(db) for s in scan_history(db, p)]
    full = backlog.items_in_force(db, scans)
    monkeypatch.setattr(effort, "_stored_effort", lambda db, scans: {})
    derived = effort.effort_in_force(db, scans)
    folded = 0
    for scan in scans:
        assert derived[scan["id"]].open_hours == round(sum(i.effort_hours for i in full[scan["id"]]), 1)
        assert derived[scan["id"]].open_items == len(full[scan["id"]])
        folded += sum(len(i.clears) > 1 for i in full[scan["id"]])
    assert folded, "some scans have items that clear two checks"


def test_a_campaign_on_a_merged_check_lists_the_item_whose_fix_clears_it(store_path):
    db = open_db(store_path)
    project, check = next(db.execute("select project_id, check_id from paydown_items where status = ?", [MERGED]))
    (item,) = backlog.open_backlog(db, only={(project, check)})
    assert check in item.clears and item.check_id != check


# ------------------------------------------------------------------------------------- every surface


Totals = dict[str, dict[str, float]]  # scope ("project" / "team" / "portfolio") -> name -> hours


def totals(rows: Iterable[tuple[str, str, float]]) -> Totals:
    """Per project, per team and for the portfolio, from (project, team, hours) rows."""
    found: Totals = {"project": defaultdict(float), "team": defaultdict(float), "portfolio": defaultdict(float)}
    for project, team, hours in rows:
        found["project"][project] += hours
        found["team"][team] += hours
        found["portfolio"]["all"] += hours
    return {scope: {k: round(v, 1) for k, v in named.items()} for scope, named in found.items()}


class Page(HTMLParser):
    """A page's tables (rows of cell texts, headers included) and its headline figures (dt -> dd texts)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.headline: dict[str, list[str]] = {}
        self._cell: list[str] | None = None
        self._term: str | None = None
        self._dt: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []
        elif tag == "dt":
            self._dt = []
        elif tag == "dd" and self._term is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "dt" and self._dt is not None:
            self._term, self._dt = " ".join("".join(self._dt).split()), None
            self.headline[self._term] = []
        elif tag == "dd" and self._cell is not None and self._term is not None:
            self.headline[self._term].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._dt):
            if part is not None:
                part.append(data)

    def figure(self, term: str) -> float:
        """The headline figure whose term starts with ``term`` (a help link may follow it)."""
        (found,) = [dd[0] for dt, dd in self.headline.items() if dt.startswith(term)]
        return hours(found)

    def column(self, header: str, keys: set[str], key: int = 0) -> dict[str, float]:
        """Every table with a column headed ``header`` (a help link may follow it): for each row whose ``key``
        cell is one of ``keys``, that cell -> the column's number."""
        found: dict[str, float] = {}
        for table in self.tables:
            head = next((r for r in table if any(c.startswith(header) for c in r)), None)
            if head is None:
                continue
            at = next(i for i, c in enumerate(head) if c.startswith(header))
            for row in table[table.index(head) + 1 :]:
                if len(row) > max(at, key) and row[key] in keys:
                    found[row[key]] = hours(row[at])
        return found

    def column_sums(self, header: str, marker: str, keys: set[str], key: int) -> dict[str, float]:
        """The sum of the ``header`` column of every table that also has a ``marker`` column, by ``key`` cell."""
        found: dict[str, float] = defaultdict(float)
        for table in self.tables:
            head = next((r for r in table if marker in r and any(c.startswith(header) for c in r)), None)
            if head is None:
                continue
            at = next(i for i, c in enumerate(head) if c.startswith(header))
            for row in table[table.index(head) + 1 :]:
                if len(row) > max(at, key) and row[key] in keys:
                    found[row[key]] += hours(row[at])
        return dict(found)


def hours(text: str) -> float:
    return float(text.replace(",", "").removesuffix(" h").split(" ")[0])


def cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def every_surface(db_path: Path) -> dict[str, Totals]:
    """The effort totals each surface gives, by surface name."""
    db = open_db(db_path)
    teams = {p["id"]: (p["team_id"], p["team_name"] or p["team_id"]) for p in project_rows(db)}
    team_of = {p: t for p, (t, _) in teams.items()}
    team_by_name = {name: t for t, name in teams.values()}
    projects = sorted(latest_scans(db))
    client = create_app({"DATABASE": str(db_path), "TESTING": True}).test_client()
    found: dict[str, Totals] = {}

    # backlog exports, every format, as `mldebt export backlog` writes them
    exported = {fmt: cli(db_path, "export", "backlog", "--format", fmt) for fmt in FORMATS}
    assert set(exported) == {"csv", "jira", "github", "markdown", "json"}
    found["export json"] = totals((i["project"], i["team"], i["effort_hours"]) for i in json.loads(exported["json"]))
    found["export csv"] = totals(
        (r["project"], r["team"], float(r["effort_hours"])) for r in csv.DictReader(io.StringIO(exported["csv"]))
    )
    jira = list(csv.reader(io.StringIO(exported["jira"])))[1:]
    found["export jira"] = totals(
        (r[7 + 2].removeprefix("project-"), r[7 + 1].removeprefix("team-"), int(r[6]) / 3600) for r in jira
    )
    found["export github"] = totals(
        (
            re.match(r"\[MLD-\w+\] (.+?): ", i["title"]).group(1),  # type: ignore[union-attr]
            next(label.removeprefix("team:") for label in i["labels"] if label.startswith("team:")),
            hours(re.search(r"Estimated effort: ([\d.]+) h", i["body"]).group(1)),  # type: ignore[union-attr]
        )
        for i in json.loads(exported["github"])
    )
    markdown = exported["markdown"].splitlines()
    found["export markdown"] = totals(
        (m[1], "", float(m[2]))
        for m in (re.match(r"- \[ \] \*\*MLD-\w+\*\* (.+?): .* — ([\d.]+) h, ", line) for line in markdown)
        if m
    )
    found["export markdown"]["team"] = {
        team_by_name[m[1]]: float(m[2]) for m in (re.match(r"## (.+) \(([\d.]+) h\)$", x) for x in markdown) if m
    }
    found["export markdown"]["portfolio"] = {
        "all": float(re.search(r"items?, ([\d.]+) h of estimated effort", exported["markdown"]).group(1))  # type: ignore[union-attr]
    }
    for fmt in ("json", "markdown"):  # an export of one team, as a team lead takes it
        for team in set(team_of.values()):
            text = cli(db_path, "export", "backlog", "--format", fmt, "--team", team)
            got = (
                sum(i["effort_hours"] for i in json.loads(text))
                if fmt == "json"
                else float(re.search(r"([\d.]+) h of estimated effort", text).group(1))  # type: ignore[union-attr]
            )
            found.setdefault(f"export {fmt} --team", {"team": {}})["team"][team] = round(got, 1)
    found["web /backlog.csv"] = totals(
        (r["project"], r["team"], float(r["effort_hours"]))
        for r in csv.DictReader(io.StringIO(client.get("/backlog.csv").get_data(as_text=True)))
    )

    # `mldebt show`: the portfolio summary as JSON, and each project's scorecard, its total and its open items
    summary = json.loads(cli(db_path, "show", "--json"))
    found["show --json"] = totals((c["project"], team_of[c["project"]], c["effort_hours"]) for c in summary["projects"])
    found["show --json"]["team"] = {t["team"]: t["effort_hours"] for t in summary["teams"]}
    cards = [json.loads(cli(db_path, "show", p, "--json")) for p in projects]
    found["show PROJECT --json"] = totals((c["project"], team_of[c["project"]], c["effort_hours"]) for c in cards)
    found["show --json items"] = totals(
        (c["project"], team_of[c["project"]], i["effort_hours"]) for c in cards for i in c["paydown"]
    )
    found["show data"] = totals((p, team_of[p], scorecard(db, p)["effort_hours"]) for p in projects)
    text = {p: cli(db_path, "show", p) for p in projects}
    found["show text"] = {
        "project": {
            p: float(re.search(r"open effort ([\d,.]+) h", t).group(1).replace(",", "")) for p, t in text.items()
        }  # type: ignore[union-attr]
    }

    # the JSON API
    api = client.get("/api/v1/portfolio").get_json()
    found["api portfolio"] = totals((p["project"], p["team"], p["effort_hours"]) for p in api["projects"])
    found["api portfolio"]["team"] = {t["id"]: t["effort_hours"] for t in api["teams"]}
    found["api teams"] = {"team": {t["id"]: t["effort_hours"] for t in client.get("/api/v1/teams").get_json()["teams"]}}
    found["api team"] = {
        "team": {
            t: client.get(f"/api/v1/teams/{t}").get_json()["summary"]["effort_hours"] for t in set(team_of.values())
        }
    }
    found["api team items"] = totals(
        (i["project"], i["team"], i["effort_hours"])
        for t in set(team_of.values())
        for i in client.get(f"/api/v1/teams/{t}").get_json()["paydown"]
    )
    listed = client.get("/api/v1/projects").get_json()["projects"]
    found["api projects"] = totals((p["project"], p["team"], p["effort_hours"]) for p in listed)
    one = {p: client.get(f"/api/v1/projects/{p}").get_json() for p in projects}
    found["api project"] = totals((p, team_of[p], d["effort_hours"]) for p, d in one.items())
    found["api project items"] = totals(
        (p, team_of[p], i["effort_hours"]) for p, d in one.items() for i in d["paydown"]
    )
    found["api backlog"] = totals(
        (i["project"], i["team"], i["effort_hours"]) for i in client.get("/api/v1/backlog").get_json()["items"]
    )

    # the web pages
    home = Page(client.get("/").get_data(as_text=True))
    names = {name: t for t, name in teams.values()}
    found["web portfolio"] = totals(
        (p, team_of[p], h) for p, h in home.column("Open effort (h)", set(team_of) | set(names)).items() if p in team_of
    )
    found["web portfolio"]["team"] = {
        names[t]: h for t, h in home.column("Open effort (h)", set(team_of) | set(names)).items() if t in names
    }
    team_pages = {t: Page(client.get(f"/teams/{t}").get_data(as_text=True)) for t in set(team_of.values())}
    found["web team"] = {"team": {t: page.figure("Open effort") for t, page in team_pages.items()}}
    found["web team projects"] = totals(
        (p, t, h) for t, page in team_pages.items() for p, h in page.column("Open effort (h)", set(team_of)).items()
    )
    found["web team items"] = totals(
        (p, t, h)
        for t, page in team_pages.items()
        for p, h in page.column_sums("Effort (h)", "Item", set(team_of), key=1).items()
    )
    found["web project"] = totals(
        (p, team_of[p], Page(client.get(f"/projects/{p}").get_data(as_text=True)).figure("Open effort"))
        for p in projects
    )
    listing = client.get("/backlog").get_data(as_text=True)
    shown = re.search(r"(\d+) open items?, ([\d.,]+) hours of effort", listing)
    assert shown
    found["web backlog"] = {"portfolio": {"all": hours(shown.group(2))}}

    # the report's data (what the PDF prints), for the latest quarter
    report = report_data(db)
    found["report"] = totals((p.id, p.team, p.effort_hours) for p in report.projects)
    found["report"]["team"] = {t.id: t.effort_hours for t in report.teams}
    found["report"]["portfolio"] = {"all": report.effort_hours}
    found["report items"] = totals((p.id, p.team, i.effort_hours) for p in report.projects for i in p.items)

    # the pandas frame of paydown items, for notebooks
    items = frames.paydown(db_path)
    found["frames paydown"] = totals(
        (str(i.project), str(i.team), float(i.effort_hours)) for i in items[items.status == "open"].itertuples()
    )

    # the warehouse export (Parquet), read back as a data team reads it: today's items and each scan's effort
    cli(db_path, "export", "parquet", str(db_path.parent / "warehouse"))
    parquet = pd.read_parquet(db_path.parent / "warehouse" / "paydown_items")
    found["export parquet"] = totals(
        (str(i.project), str(i.team), float(i.effort_hours)) for i in parquet[parquet.current].itertuples()
    )
    scanned = pd.read_parquet(db_path.parent / "warehouse" / "scans")
    found["export parquet scans"] = totals(
        (p, team_of[p], float(scanned[scanned.scan_id == s["id"]].effort_hours.iloc[0]))
        for p, s in latest_scans(db).items()
    )
    return found


def agree(surfaces: dict[str, Totals], reference: str) -> list[str]:
    """Where a surface's total differs from the reference's, in words (none when every one agrees)."""
    want = surfaces[reference]
    problems = []
    for name, got in surfaces.items():
        for scope, named in got.items():
            for key, hours_there in named.items():
                expected = want[scope].get(key, 0.0)
                close = round(expected) if name == "show text" else expected  # the terminal prints whole hours
                if abs(hours_there - close) > 0.05:
                    problems.append(f"{name}: {scope} {key or '?'} {hours_there:g} h, the items say {expected:g} h")
            missing = {k for k, v in want[scope].items() if v} - set(named)  # every one that owes any
            if missing:
                problems.append(f"{name}: {scope} without {sorted(missing)}")
    return problems


@pytest.mark.parametrize("store", ["web samples (default rubric)", "report samples"])
def test_every_surface_gives_the_same_effort_per_project_team_and_portfolio(store, store_path, sample_db):
    path = store_path if store.startswith("web") else sample_db
    surfaces = every_surface(path)
    assert not agree(surfaces, "export json"), "\n".join(agree(surfaces, "export json"))
    assert surfaces["export json"]["portfolio"]["all"] > 0
    db = open_db(path)
    stored = effort.effort_in_force(db, latest_scans(db).values())
    assert round(sum(e.open_hours for e in stored.values()), 1) == surfaces["export json"]["portfolio"]["all"]


def test_the_frames_scan_table_gives_the_open_items_effort(store_path):
    db = open_db(store_path)
    latest = latest_scans(db)
    stored = effort.effort_in_force(db, latest.values())
    table = frames.scans(store_path)
    shown = {str(r.project): float(r.effort_hours) for r in table.itertuples() if r.scan_id == latest[r.project]["id"]}
    assert shown == {p: stored[s["id"]].open_hours for p, s in latest.items()}


# --------------------------------------------------------------------------- priority: its unit and formula


def test_every_export_says_what_priority_is_and_what_the_effort_rests_on(store_path):
    db = open_db(store_path)
    items = backlog.open_backlog(db)
    both = next(i for i in items if len(i.clears) > 1)
    out = {fmt: render([both]) for fmt, render in FORMATS.items()}

    row = dict(zip(csvfile.COLUMNS, next(csv.reader(io.StringIO(out["csv"].split("\r\n", 1)[1])))))
    assert row["clears"] == " ".join(both.clears)
    assert row["effort_basis"] == both.effort_basis and row["priority_basis"] == both.priority_basis
    assert set(csvfile.DOCS) == set(csvfile.COLUMNS) and csvfile.DOCS["priority"] == PRIORITY_HELP

    jira_body = next(csv.reader(io.StringIO(out["jira"].split("\r\n", 1)[1])))[3]
    github_body = json.loads(out["github"])[0]["body"]
    for body in (jira_body, github_body):
        assert f"Estimated effort: {both.effort_basis}." in body
        assert f"Priority: {both.priority_basis}, from {PRIORITY_FORMULA}." in body
        assert f"The same fix clears {both.clears[1]}" in body

    markdown = out["markdown"]
    assert PRIORITY_HELP.replace("*", "\\*") in markdown or PRIORITY_HELP in markdown
    assert f"priority {both.priority:g} {PRIORITY_UNIT}" in markdown
    assert f"  - Effort: {both.effort_basis}. Priority: {both.priority_basis}." in markdown.replace("\\_", "_")
    assert json.loads(out["json"])[0]["clears"] == list(both.clears)


def test_the_sarif_rules_say_which_checks_another_fix_clears(store_path):
    from mldebt.exports.sarif import rules
    from mldebt.gate.check import GateResult

    db = open_db(store_path)
    scan = latest_scans(db)["reco-service"]
    rubric = backlog.parsed_rubric(db, scan["rubric_hash"])
    result = GateResult({"id": "reco-service"}, scan, None, rubric, [], {})
    found = {r["id"]: r["properties"] for r in rules(result, "http://x")}
    assert found[ALSO]["fixedWith"] == LEAD and "fixedWith" not in found[LEAD]
