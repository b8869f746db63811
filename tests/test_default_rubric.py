"""The shipped rubric: all 28 ML Test Score tests, the paper's debt families and questions,
decidable checks in every section and category, and a team rubric built on top of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mldebt.collectors.registry import declared_keys
from mldebt.rubric import conditions
from mldebt.rubric.engine import Context, score
from mldebt.rubric.schema import SECTION_IDS, load_rubric

RUBRIC = load_rubric(None, declared_keys())
# The paper's 28 short test titles (Breck et al. 2017, kept as identifiers).
ML_TESTS = {
    "Data 1": "Feature expectations are captured in a schema",
    "Data 2": "All features are beneficial",
    "Data 3": "No feature's cost is too much",
    "Data 4": "Features adhere to meta-level requirements",
    "Data 5": "The data pipeline has appropriate privacy controls",
    "Data 6": "New features can be added quickly",
    "Data 7": "All input feature code is tested",
    "Model 1": "Every model specification undergoes a code review and is checked in to a repository",
    "Model 2": "Offline proxy metrics correlate with actual online impact metrics",
    "Model 3": "All hyperparameters have been tuned",
    "Model 4": "The impact of model staleness is known",
    "Model 5": "A simpler model is not better",
    "Model 6": "Model quality is sufficient on all important data slices",
    "Model 7": "The model has been tested for considerations of inclusion",
    "Infra 1": "Training is reproducible",
    "Infra 2": "Model specification code is unit tested",
    "Infra 3": "The full ML pipeline is integration tested",
    "Infra 4": "Model quality is validated before attempting to serve it",
    "Infra 5": "The model allows debugging by observing the step-by-step computation of training or inference on a single example",
    "Infra 6": "Models are tested via a canary process before they enter production serving environments",
    "Infra 7": "Models can be quickly and safely rolled back to a previous serving version",
    "Monitor 1": "Dependency changes result in notification",
    "Monitor 2": "Data invariants hold in training and serving inputs",
    "Monitor 3": "Training and serving features compute the same values",
    "Monitor 4": "Models are not too stale",
    "Monitor 5": "The model is numerically stable",
    "Monitor 6": "The model has not experienced a dramatic or slow-leak regression in training speed, serving latency, throughput, or RAM usage",
    "Monitor 7": "The model has not experienced a regression in prediction quality on served data",
}
CATEGORIES = {
    "entanglement",
    "data-dependencies",
    "feedback-loops",
    "anti-patterns",
    "configuration",
    "external-world",
    "data-testing",
    "reproducibility",
    "process",
    "culture",
}


def decidable(check) -> bool:
    """A collector can decide the check: it has a condition over collected (not attested) evidence."""
    keys = set()
    for expression in (check.automated, check.manual):
        keys |= conditions.keys(expression) if expression else set()
    return bool(keys) and not all(k.startswith("attest.") for k in keys)


def test_every_ml_test_score_test_is_a_check_with_the_papers_heading():
    by_test = {c.ml_test: c for c in RUBRIC.checks if c.ml_test}
    assert len(by_test) == 28
    assert {s: sum(c.section == s for c in by_test.values()) for s in SECTION_IDS} == dict.fromkeys(SECTION_IDS, 7)
    assert {t: c.title for t, c in by_test.items()} == ML_TESTS
    for test, check in by_test.items():
        assert check.section == test.split()[0].lower()
        assert check.id.startswith(f"{check.section}-{test.split()[1]}-")


def test_the_papers_debt_families_are_the_categories():
    assert {c.id for c in RUBRIC.categories} == CATEGORIES
    assert all(c.description for c in RUBRIC.categories)


@pytest.mark.parametrize("group", sorted(SECTION_IDS) + sorted(CATEGORIES))
def test_each_section_and_category_has_three_checks_collectors_decide(group):
    checks = [c for c in RUBRIC.checks if c.section == group or c.category == group]
    assert sum(decidable(c) for c in checks) >= 3, [c.id for c in checks]


def test_every_check_says_why_how_to_fix_what_it_costs_and_where_it_comes_from():
    for check in RUBRIC.checks:
        assert len(check.why) > 60 and len(check.fix) > 40, check.id
        assert check.references, check.id
        assert check.effort_hours > 0 and check.level in {"bronze", "silver", "gold"}, check.id
        assert check.automated or check.attestation, check.id


def test_the_five_litmus_questions_have_proxies_and_an_attestation():
    wanted = [
        "How easily can an entirely new algorithmic approach be tested at full scale?",
        "What is the transitive closure of all data dependencies?",
        "How precisely can the impact of a new change to the system be measured?",
        "Does improving one model or signal degrade others?",
        "How quickly can new members of the team be brought up to speed?",
    ]
    assert [q.title for q in RUBRIC.questions] == wanted
    for question in RUBRIC.questions:
        assert question.attestation and len(question.proxies) >= 3
        assert any(decidable(RUBRIC.check(p)) for p in question.proxies)


def test_levels_form_a_ladder():
    assert [lv.id for lv in RUBRIC.levels] == ["bronze", "silver", "gold"]
    counts = {lv: sum(c.level == lv for c in RUBRIC.checks) for lv in ("bronze", "silver", "gold")}
    assert all(n >= 10 for n in counts.values()), counts


def test_a_check_over_evidence_nobody_collected_is_unknown_not_failed():
    card = score(RUBRIC, {"repo.tests.functions": 4, "ci.runs_tests": True}, Context(tier="production"))
    status = {r.check_id: r.status for r in card.results}
    assert status["infra-2-unit-tests"] == "automated"
    assert status["packages-current"] == "unknown"
    assert status["infra-6-canary"] == "unknown"  # no CI config was read at all


def test_a_team_rubric_extends_the_default(tmp_path: Path):
    team = tmp_path / "team.yaml"
    team.write_text("""\
rubric: payments-ml
version: "3"
extends: default
totals:
  - id: release-readiness
    title: Release readiness
    categories: {process: 2, reproducibility: 1, external-world: 1}
overrides:
  deps-pinned: {weight: 5}
  infra-6-canary: {applies_to: {tags: [service]}}
disable:
  few-languages: our Scala feature jobs are owned by the data platform
checks:
  - id: model-card-present
    title: Each model has a model card
    category: culture
    level: silver
    effort_hours: 3
    automated: repo.readme.present and repo.python.files > 0
    why: Reviewers and auditors need the intended use and limits of a model in one place.
    fix: Add a MODEL_CARD.md next to the model code, following the model cards template.
""")
    rubric = load_rubric(team, declared_keys())
    assert len(rubric.checks) == len(RUBRIC.checks) - 1 + 1
    assert rubric.check("deps-pinned").weight == 5 and rubric.check("few-languages") is None
    assert rubric.hash != RUBRIC.hash
    facts = {
        "repo.readme.present": True,
        "repo.python.files": 3,
        "ci.canary": False,
        "code.libraries.serving": ["fastapi"],
    }
    batch = score(rubric, facts, Context(tags=("batch",), tier="production"))
    service = score(rubric, facts, Context(tags=("service",), tier="production"))
    assert "infra-6-canary" not in {r.check_id for r in batch.results}
    assert {r.check_id: r.status for r in service.results}["infra-6-canary"] == "fail"
    assert "release-readiness" in batch.totals


def test_serving_and_training_checks_are_na_where_nothing_is_served_or_trained():
    nothing = {"code.libraries.serving": [], "code.libraries.ml": [], "ci.deploys": False, "repo.ci.configs": []}
    card = score(RUBRIC, nothing)
    status = {r.check_id: r for r in card.results}
    for check_id in (
        "infra-6-canary",
        "monitor-7-prediction-quality",
        "model-6-data-slices",
        "seeds-set",
        "ci-healthy",
    ):
        assert status[check_id].status == "n/a", check_id
        assert status[check_id].reason and "(" not in status[check_id].reason.split(":")[0]
    production = Context(tier="production")
    served = score(RUBRIC, {**nothing, "code.libraries.serving": ["fastapi"]}, production)
    assert {r.check_id: r.status for r in served.results}["infra-6-canary"] != "n/a"
    # no evidence about the code at all: whether a check applies is unknown, not n/a
    assert {r.check_id: r.status for r in score(RUBRIC, {}, production).results}["infra-6-canary"] == "unknown"


def test_gold_checks_are_expected_of_production_and_silver_ones_of_prototypes():
    facts = {"code.libraries.serving": ["fastapi"], "code.libraries.ml": ["sklearn"], "ci.deploys": True}
    by_tier = {
        tier: {r.check_id: r for r in score(RUBRIC, facts, Context(tier=tier)).results}
        for tier in ("research", "prototype", "production")
    }
    canary = [by_tier[t]["infra-6-canary"].status for t in ("research", "prototype", "production")]
    assert canary[:2] == ["n/a", "n/a"] and canary[2] != "n/a"
    assert by_tier["prototype"]["infra-6-canary"].reason == (
        "Expected of production projects and above; this project's tier is prototype."
    )
    assert by_tier["research"]["ci-healthy"].status == "n/a" and by_tier["prototype"]["ci-healthy"].status != "n/a"
    # reproducing a result is expected of research code too
    assert by_tier["research"]["data-versioned"].status != "n/a"
