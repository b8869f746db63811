"""Tiers and targets (issue 17, item 4): each project is measured against what its tier expects."""

from __future__ import annotations

import pytest

from mldebt.errors import InputError
from mldebt.rubric.engine import Context, gap, score
from mldebt.rubric.schema import load_rubric

RUBRIC = load_rubric()


def test_the_default_rubric_has_three_tiers_with_rising_targets():
    tiers = {t.id: t.target for t in RUBRIC.tiers}
    assert list(tiers) == ["research", "prototype", "production"]
    assert tiers["research"].level is None and tiers["prototype"].level == "bronze"
    assert tiers["production"].level == "silver"
    scores = [tiers[t].ml_test_score for t in ("research", "prototype", "production")]
    assert scores == sorted(scores) and scores[0] < scores[-1]


@pytest.mark.parametrize(
    "tier,level,mlts,expected",
    [
        ("research", None, 0.0, "on target"),
        ("prototype", None, 0.0, "1 level short of Bronze and 1 ML Test Score point short"),
        ("prototype", "bronze", 1.5, "on target"),
        ("production", "bronze", 1.0, "1 level short of Silver and 1 ML Test Score point short"),
        ("production", "gold", 0.5, "1.5 ML Test Score points short"),
        ("production", None, 3.0, "2 levels short of Silver"),
    ],
)
def test_the_gap_to_a_tier_target_in_levels_and_points(tier, level, mlts, expected):
    found = gap(RUBRIC, tier, level, mlts)
    assert found["text"] == expected
    assert found["on_target"] is (expected == "on target")
    assert found["size"] == found["levels"] + found["ml_test_score"]


def test_a_project_is_scored_against_its_tier_and_prototype_by_default():
    facts = {"repo.tests.functions": 3}
    research = score(RUBRIC, facts, Context(tier="research"))
    default = score(RUBRIC, facts, Context())
    production = score(RUBRIC, facts, Context(tier="production"))
    assert (research.tier, default.tier, production.tier) == ("research", "prototype", "production")
    assert research.gap["on_target"] and not production.gap["on_target"]
    assert production.gap["size"] > default.gap["size"] > research.gap["size"]
    assert production.target == {"level": "silver", "ml_test_score": 2.0}


def test_a_rubric_may_change_the_targets_and_refuses_unknown_tiers_and_levels(tmp_path):
    team = tmp_path / "team.yaml"
    team.write_text(
        "rubric: strict\nversion: '1'\nextends: default\n"
        "tiers:\n  - id: production\n    title: Production\n    target: {level: gold, ml_test_score: 3}\n"
    )
    strict = load_rubric(team)
    assert strict.tier("production").target.level == "gold"
    assert strict.tier("research").target.level is None  # inherited
    team.write_text(
        "rubric: strict\nversion: '1'\nextends: default\n"
        "tiers:\n  - id: critical\n    title: Critical\n    target: {level: platinum}\n"
    )
    with pytest.raises(InputError) as raised:
        load_rubric(team)
    said = "\n".join(raised.value.problems)
    assert "a tier is one of research, prototype, production" in said
    assert "unknown level 'platinum'" in said


def test_the_portfolio_records_each_projects_tier(tmp_path, make_repo):
    from mldebt.scanning.scans import save_portfolio
    from mldebt.sources.portfolio import load_portfolio
    from mldebt.store.db import open_db

    repo = make_repo("r", [("2026-01-01T10:00:00+00:00", {"train.py": "x = 1\n"})])
    path = tmp_path / "portfolio.yaml"
    path.write_text(
        "portfolio: p\nteams:\n  - name: T\n    projects:\n"
        f"      - {{name: a, repo: {repo}, tier: production}}\n"
        f"      - {{name: b, repo: {repo}}}\n"
    )
    db = open_db(tmp_path / "m.db")
    save_portfolio(db, load_portfolio(path))
    assert dict(db.execute("select id, tier from projects").fetchall()) == {"a": "production", "b": "prototype"}
    path.write_text(path.read_text().replace("tier: production", "tier: prod"))
    with pytest.raises(InputError, match="tier"):
        load_portfolio(path)
