"""Scores a team lead can defend, in the terminal and the gate (issue 17 items 2, 4 and 5).

`mldebt show`, `mldebt explain` and `mldebt check` on the sample portfolio
under the default rubric (tiers and targets, n/a checks, plain reasons):
every figure expected here is read from the store itself, so the tests hold
whatever the samples score today.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from mldebt.cli.main import cli
from mldebt.readmodel.scorecard import band_range, band_text, health_title, standing
from mldebt.rubric.engine import BANDS

WIDTH = 100
SYMBOL_LINE = re.compile(r"^ +([✔½✘?~–]) (not met|half met|unknown|waived|met|n/a) +(\S+)  ")


def mldebt(db: Path, *args: str) -> Result:
    result = CliRunner(env={"COLUMNS": str(WIDTH), "NO_COLOR": "1"}).invoke(
        cli, [*args, "--db", str(db)], catch_exceptions=False
    )
    return result


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


def latest_scan(db: Path, project: str) -> str:
    return str(
        query(db, "select id from scans where project_id = ? order by as_of desc, collected_at desc", (project,))[0][
            "id"
        ]
    )


def scores(db: Path, scan_id: str) -> dict[tuple[str, str], sqlite3.Row]:
    return {(r["scope"], r["name"]): r for r in query(db, "select * from scores where scan_id = ?", (scan_id,))}


def tier_of(db: Path, scan_id: str) -> sqlite3.Row:
    return next(r for (scope, _), r in scores(db, scan_id).items() if scope == "tier")


def projects(db: Path) -> list[str]:
    return [r["project_id"] for r in query(db, "select distinct project_id from scans order by project_id")]


def flat(text: str) -> str:
    """Text with every run of whitespace one space (what a wrapped line says, unwrapped)."""
    return " ".join(text.split())


def cell(text: str) -> str:
    """Text as a Markdown table cell holds it."""
    return flat(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def stricter_rubric(tmp_path: Path) -> Path:
    """The default rubric with a production target no sample meets (Gold and ML Test Score 6)."""
    path = tmp_path / "strict.yaml"
    path.write_text(
        "rubric: strict\nversion: '1'\nextends: default\ntiers:\n"
        "  - id: production\n    title: Production\n    target: {level: gold, ml_test_score: 6}\n"
    )
    return path


# mldebt show PROJECT ----------------------------------------------------------------------------------------------


def test_the_header_gives_tier_level_target_and_gap(store_path):
    for project in projects(store_path):
        scan = latest_scan(store_path, project)
        found = scores(store_path, scan)
        tier = tier_of(store_path, scan)
        target_level = found[("target", "level")]["label"]
        target_score = found[("target", "ml_test_score")]["value"]
        held = found[("level", "held")]["label"]
        card = json.loads(mldebt(store_path, "show", project, "--json").output)
        assert (card["tier"], card["level"], card["target"]["level"], card["target"]["ml_test_score"]) == (
            tier["name"],
            held,
            target_level,
            target_score,
        )
        assert card["gap"]["text"] == tier["label"] and card["gap"]["size"] == tier["value"]
        assert card["gap"]["levels"] == found[("gap", "levels")]["value"]
        assert card["gap"]["on_target"] is (tier["value"] == 0)
        text = mldebt(store_path, "show", project).output
        lines = text.splitlines()
        wanted = [f"level {card['target']['level_title']}"] if target_level else []
        wanted += [f"ML Test Score {target_score:g}"] if target_score else []
        target = " and ".join(wanted) or "no level or ML Test Score required"
        assert lines[3] == f"Tier      {tier['name'].capitalize()} (target: {target})"
        assert lines[4] == f"Level     {card['level_title'] or 'none'} held"
        assert flat(" ".join(lines[5:7])).startswith(flat(f"Gap {tier['label']}"))


def test_every_result_shows_its_reason_and_no_condition(store_path):
    for project in projects(store_path):
        scan = latest_scan(store_path, project)
        results = query(store_path, "select check_id, status, reason, detail from results where scan_id = ?", (scan,))
        text = flat(mldebt(store_path, "show", project).output)
        for r in results:
            assert r["reason"] and flat(r["reason"]) in text, (project, r["check_id"])
            assert flat(r["detail"]) not in text, (project, r["check_id"], r["detail"])
        card = json.loads(mldebt(store_path, "show", project, "--json").output)
        assert {c["id"]: c["reason"] for c in card["checks"]} == {r["check_id"]: r["reason"] for r in results}


def test_not_applicable_results_come_last_with_a_dash_and_their_reason(store_path):
    counts = {
        p: len(
            query(
                store_path, "select 1 from results where scan_id = ? and status = 'n/a'", (latest_scan(store_path, p),)
            )
        )
        for p in projects(store_path)
    }
    project = max(counts, key=lambda p: counts[p])
    assert counts[project] > 0, "no sample has a check that does not apply"
    lines = mldebt(store_path, "show", project).output.splitlines()
    marks = [(i, m.group(1), m.group(2)) for i, line in enumerate(lines) if (m := SYMBOL_LINE.match(line))]
    dashes = [i for i, symbol, _ in marks if symbol == "–"]
    others = [i for i, symbol, _ in marks if symbol != "–"]
    assert len(dashes) == counts[project]
    assert all(word == "n/a" for _, symbol, word in marks if symbol == "–")
    assert max(others) < min(dashes)
    header = lines.index(f"Does not apply ({counts[project]}: left out of every score, category, level and effort)")
    assert max(others) < header < min(dashes)
    reasons = {
        r["check_id"]: r["reason"]
        for r in query(
            store_path,
            "select check_id, reason from results where scan_id = ? and status = 'n/a'",
            (latest_scan(store_path, project),),
        )
    }
    shown = flat("\n".join(lines[header:]))
    assert all(flat(reason) in shown for reason in reasons.values())


def test_ml_test_score_sections_read_points_of_their_applicable_tests(store_path):
    fewer = 0
    for project in projects(store_path):
        scan = latest_scan(store_path, project)
        sections = query(
            store_path, "select name, value, max from scores where scan_id = ? and scope = 'section'", (scan,)
        )
        wanted = []
        for s in sections:
            wanted.append(
                f"{s['name']} " + ("– (no test applies)" if s["max"] == 0 else f"{s['value']:g} of {s['max']:g}")
            )
            fewer += s["max"] < 7
        text = flat(mldebt(store_path, "show", project).output)
        assert all(w in text for w in wanted), (project, wanted)
        card = json.loads(mldebt(store_path, "show", project, "--json").output)
        assert card["section_max"] == {s["name"]: s["max"] for s in sections}
    assert fewer, "no sample leaves an n/a test out of a section"


def test_categories_are_named_as_health(store_path):
    text = mldebt(store_path, "show", "credit-risk-prod").output
    assert "Category health (0-100, higher is better: 100 = no debt found in the category)" in text
    assert "Debt categories" not in text
    titles = [
        r["title"] for r in json.loads(mldebt(store_path, "show", "credit-risk-prod", "--json").output)["categories"]
    ]
    assert any(t.endswith(" debt") for t in titles)
    for title in titles:
        assert re.search(rf"^  {re.escape(health_title(title))}\s+(\d+|–  no decided check)$", text, re.M), title
    assert health_title("Configuration debt") == "Configuration health"
    assert health_title("Feedback loops") == "Feedback loops health"


def test_no_praise_beside_a_project_short_of_its_target(store_path, tmp_path):
    assert mldebt(store_path, "score", "--rubric", str(stricter_rubric(tmp_path))).exit_code == 0
    praise = [words for bound, words in BANDS if bound > 2]
    seen = set()
    for project in projects(store_path):
        scan = latest_scan(store_path, project)
        band = scores(store_path, scan)[("mltest", "final")]
        text = mldebt(store_path, "show", project).output
        tier = tier_of(store_path, scan)
        if tier["value"]:
            seen.add(tier["name"])
            assert band["label"] not in text
            assert not any(words in text for words in praise)
            assert f"band {band_range(band['value'])} of the 2017 paper, but short of its " in text
        else:
            assert f"of 7: {band['label']}" in flat(text)
    assert "production" in seen


def test_band_words_follow_the_target():
    mission = "strong automated testing and monitoring, fit for mission-critical systems"
    scan = {"tier": "production", "level": "bronze", "target_level": "silver", "target_ml_test_score": 2.0}
    rubric = {"levels": [{"id": "bronze", "title": "Bronze"}, {"id": "silver", "title": "Silver"}]}
    short = standing({**scan, "gap": "1 level short of Silver", "gap_size": 1.0}, rubric)
    met = standing({**scan, "level": "silver", "gap": "on target", "gap_size": 0.0}, rubric)
    unknown = standing({"level": "bronze"}, rubric)
    assert band_text(3.5, mission, short) == "band 3-5 of the 2017 paper, but short of its Production target"
    assert band_text(3.5, mission, met) == mission
    assert band_text(3.5, mission, unknown) == "band 3-5 of the 2017 paper (no tier target to judge it by)"
    assert [band_range(x) for x in (0, 0.5, 1, 1.5, 2.5, 3, 5, 6.5)] == [
        "0",
        "up to 1",
        "up to 1",
        "1-2",
        "2-3",
        "2-3",
        "3-5",
        "above 5",
    ]


def test_the_scorecard_fits_100_columns(store_path):
    for project in projects(store_path):
        long = [line for line in mldebt(store_path, "show", project).output.splitlines() if len(line) > WIDTH]
        assert long == [], project


# mldebt show (every project) --------------------------------------------------------------------------------------


def test_the_portfolio_lists_tier_level_and_gap_largest_gap_first(store_path):
    gaps = {p: tier_of(store_path, latest_scan(store_path, p)) for p in projects(store_path)}
    result = mldebt(store_path, "show")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Portfolio at the end of 2026Q4: {len(gaps)} projects in ")
    assert lines[4].split()[:4] == ["Project", "Tier", "Level", "Gap"]
    rows = [line for line in lines[5:] if line.startswith("  ") and line.split()[0] in gaps]
    teams = {r["id"]: r["team_id"] for r in query(store_path, "select id, team_id from projects")}
    largest = {t: max(gaps[p]["value"] for p in gaps if teams[p] == t) for t in set(teams.values())}
    order = sorted(gaps, key=lambda p: (-largest[teams[p]], teams[p], -gaps[p]["value"], p))
    assert [line.split()[0] for line in rows] == order
    for project, tier in gaps.items():
        row = next(line for line in rows if line.split()[0] == project)
        assert row.split()[1] == tier["name"].capitalize()
        assert ("on target" in row) is (tier["value"] == 0)
    data = json.loads(mldebt(store_path, "show", "--json").output)
    assert [p["project"] for p in data["projects"]] == order
    assert {p["project"]: p["gap"]["text"] for p in data["projects"]} == {p: t["label"] for p, t in gaps.items()}


# mldebt explain ---------------------------------------------------------------------------------------------------


def test_explain_gives_the_reason_and_apart_the_condition(store_path):
    project, check, reason, detail = next(
        iter(
            query(
                store_path,
                "select s.project_id, r.check_id, r.reason, r.detail from results r join scans s on s.id = r.scan_id "
                "where r.status = 'n/a' and r.detail like 'does not apply: %' and s.id in (select id from scans order by as_of desc limit 4) "
                "order by s.project_id, r.check_id",
            )
        )
    )
    out = mldebt(store_path, "explain", project, check).output
    assert "Result: n/a (does not apply: counts in no score)\nReason: " in out
    reason_text = out.split("Reason: ", 1)[1].split("\n\n", 1)[0]
    assert flat(reason_text) == flat(reason)
    assert f"\nDecided by: {detail}\n" in out
    assert re.search(r"^  applies_when .* -> does not hold$", out, re.M)
    data = json.loads(mldebt(store_path, "explain", project, check, "--json").output)
    assert (data["result"]["reason"], data["result"]["condition"]) == (reason, detail)
    assert data["conditions"][0]["credit"] == "applies_when"


# mldebt check -----------------------------------------------------------------------------------------------------


def test_the_gate_says_where_the_project_stands(store_path, tmp_path):
    scan = latest_scan(store_path, "credit-risk-prod")
    tier = tier_of(store_path, scan)
    summary = tmp_path / "summary.md"
    result = mldebt(store_path, "check", "credit-risk-prod", "--baseline", "none", "--markdown", str(summary))
    lines = result.output.splitlines()
    assert re.fullmatch(r"  tier Production \(target: level \w+ and ML Test Score [\d.]+\), level \w+ held", lines[1])
    assert lines[2] == f"  gap: {tier['label']}"
    text = summary.read_text()
    assert re.search(r"^\| Tier \| Production, target level \w+ and ML Test Score [\d.]+ \| - \|$", text, re.M)
    assert re.search(r"^\| Level held \| \w+ \| - \|$", text, re.M)
    assert f"| Gap to the target | {tier['label']} | - |" in text


def test_fail_below_target_fails_a_project_short_of_its_target(store_path):
    short, met = [], []
    for project in projects(store_path):
        (short if tier_of(store_path, latest_scan(store_path, project))["value"] else met).append(project)
    assert short and met
    for project in short:
        tier = tier_of(store_path, latest_scan(store_path, project))
        result = mldebt(store_path, "check", project, "--baseline", "none", "--fail-below-target")
        assert result.exit_code == 1
        assert re.search(
            rf"^  fail: short of the {tier['name'].capitalize()} tier's target: {re.escape(tier['label'])}$",
            result.output,
            re.M,
        )
        assert mldebt(store_path, "check", project, "--baseline", "none").exit_code == 0  # only when asked
    for project in met:
        result = mldebt(store_path, "check", project, "--baseline", "none", "--fail-below-target")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[2] == "  gap: on target"


def test_fail_below_target_fails_a_scan_with_no_target(store_path):
    scan = latest_scan(store_path, "churn-notebooks")
    with sqlite3.connect(store_path) as conn:  # as a store scored before tiers existed holds it
        conn.execute("delete from scores where scan_id = ? and scope in ('tier', 'target', 'gap')", (scan,))
    result = mldebt(store_path, "check", "churn-notebooks", "--baseline", "none", "--fail-below-target")
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "  no tier, level none held",
        "  gap: no target: the scan was scored before tiers existed (run `mldebt score`)",
        "  fail: cannot tell whether the project meets its tier's target: no target: the scan was scored before "
        "tiers existed (run `mldebt score`)",
        "  note: no baseline scan: nothing to compare",
    ]


def test_the_markdown_summary_gives_reasons_and_sections_of_their_applicable_tests(store_path, tmp_path):
    summary = tmp_path / "s.md"
    project = "reco-service"
    mldebt(store_path, "check", project, "--baseline", "none", "--markdown", str(summary))
    text = summary.read_text()
    scan = latest_scan(store_path, project)
    unmet = query(
        store_path,
        "select check_id, reason, detail from results where scan_id = ? and status in ('fail', 'manual', 'unknown')",
        (scan,),
    )
    assert unmet
    assert "| check | status | why | effort | how to fix |" in text
    for r in unmet:
        row = next(line for line in text.splitlines() if f"/checks/{r['check_id']})" in line)
        assert f" | {cell(r['reason'])} | " in row
        assert flat(r["detail"]) not in text
    sections = query(store_path, "select name, value, max from scores where scan_id = ? and scope = 'section'", (scan,))
    for s in sections:
        assert f"{s['name']} {s['value']:g} of {s['max']:g}" in text or s["max"] == 0


def test_the_gate_help_names_the_target_option():
    text = CliRunner().invoke(cli, ["check", "--help"]).output
    assert "--fail-below-target" in text
    assert "Fail when the project is short of its tier's target" in flat(text)


@pytest.mark.parametrize("project", ["credit-risk-prod"])
def test_show_json_keeps_the_fields_the_web_reads(store_path, project):
    card = json.loads(mldebt(store_path, "show", project, "--json").output)
    assert set(card["sections"]) == {"data", "model", "infra", "monitor"}
    assert all(isinstance(v, float) for v in card["sections"].values())
    assert {"id", "title", "score"} <= set(card["categories"][0])
    assert {"id", "status", "points", "reason", "detail"} <= set(card["checks"][0])


def test_no_color_turns_the_styles_off(store_path):
    args = ["show", "credit-risk-prod", "--db", str(store_path)]
    coloured = CliRunner().invoke(cli, args, color=True)
    plain = CliRunner(env={"NO_COLOR": "1"}).invoke(cli, args, color=True)
    assert "\x1b[1m" in coloured.output
    assert "\x1b[" not in plain.output
    assert click.unstyle(coloured.output) == plain.output


def test_priority_says_its_unit_and_formula(store_path):
    from mldebt.rubric.paydown import PRIORITY_FORMULA, PRIORITY_UNIT

    project = "reco-service"
    shown = mldebt(store_path, "show", project).output
    assert re.search(rf"^Top paydown items \(of \d+ open; priority in {PRIORITY_UNIT}\)$", shown, re.M)
    assert flat(PRIORITY_FORMULA) in flat(shown)
    item = query(store_path, "select check_id from paydown_items where project_id = ? and status = 'open'", (project,))
    explained = mldebt(store_path, "explain", project, item[0]["check_id"]).output
    assert re.search(rf", priority [\d.]+ {PRIORITY_UNIT}\n  \({re.escape(PRIORITY_FORMULA)}\)\n", explained)
