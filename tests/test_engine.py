"""The scoring engine: properties that must hold for any evidence, and each feature's rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mldebt.rubric import conditions
from mldebt.rubric.engine import Context, Result, Waiver, aggregate, score
from mldebt.rubric.paydown import ScanResults, item_id, paydown
from mldebt.rubric.schema import DEFAULT_RUBRIC, load_rubric

RUBRIC = load_rubric()  # the properties must hold for the shipped rubric
# The rules of inheritance, levels, totals and waivers are tested on a small rubric the tests know.
STARTER = Path(__file__).parent / "data" / "rubric-starter.yaml"
KEYS = sorted(
    {k for c in RUBRIC.checks for k in conditions.keys(c.automated or "True") | conditions.keys(c.manual or "True")}
)

value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 50),
    st.floats(0, 1),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
evidence = st.dictionaries(st.sampled_from(KEYS), value)


@settings(max_examples=300, deadline=None)
@given(evidence)
def test_every_score_stays_within_its_bounds(facts):
    card = score(RUBRIC, {k: v for k, v in facts.items() if v is not None})
    assert all(0 <= v <= 7 for v in card.sections.values())
    assert 0 <= card.ml_test_score <= 7
    assert card.ml_test_score == min(card.sections.values())
    assert all(v is None or 0 <= v <= 100 for v in card.categories.values())
    assert card.overall is None or 0 <= card.overall <= 100
    assert card.effort_hours >= 0
    assert all(r.points in (None, 0.0, 0.5, 1.0) for r in card.results)


@settings(max_examples=200, deadline=None)
@given(evidence, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_of_checks_or_evidence(facts, rnd):
    facts = {k: v for k, v in facts.items() if v is not None}
    shuffled_facts = dict(rnd.sample(list(facts.items()), len(facts)))
    shuffled = RUBRIC.__class__(
        **{**RUBRIC.__dict__, "checks": tuple(rnd.sample(list(RUBRIC.checks), len(RUBRIC.checks))), "_by_id": {}}
    )
    a, b = score(RUBRIC, facts), score(shuffled, shuffled_facts)
    assert sorted(a.results, key=lambda r: r.check_id) == sorted(b.results, key=lambda r: r.check_id)
    assert (a.sections, a.categories, a.overall, a.effort_hours) == (
        b.sections,
        b.categories,
        b.overall,
        b.effort_hours,
    )


@settings(max_examples=300, deadline=None)
@given(evidence, evidence)
def test_more_evidence_never_takes_credit_away(facts, more):
    """Adding facts (never changing the ones there) can decide an unknown check, never lower a credited one."""
    facts = {k: v for k, v in facts.items() if v is not None}
    more = {k: v for k, v in more.items() if v is not None and k not in facts}
    before, after = score(RUBRIC, facts), score(RUBRIC, {**facts, **more})
    points = {r.check_id: r.points for r in after.results}
    for result in before.results:
        if result.points is not None and result.points > 0:
            assert (points[result.check_id] or 0) >= result.points, result.check_id
    assert after.ml_test_score >= before.ml_test_score


STATUSES = {"fail": 0.0, "manual": 0.5, "automated": 1.0, "unknown": None}
BETTER = {
    "fail": ["manual", "automated"],
    "manual": ["automated"],
    "unknown": ["fail", "manual", "automated"],
    "automated": [],
}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(STATUSES)), min_size=len(RUBRIC.checks), max_size=len(RUBRIC.checks)),
    st.integers(0, len(RUBRIC.checks) - 1),
    st.data(),
)
def test_a_check_turning_to_a_pass_never_lowers_a_score(statuses, index, data):
    """Passing evidence can only move a check up (fail or unknown -> manual -> automated)."""
    checks = list(RUBRIC.checks)
    results = [Result(c.id, s, STATUSES[s], c.weight, "", ()) for c, s in zip(checks, statuses)]
    if not BETTER[statuses[index]]:
        return
    improved_status = data.draw(st.sampled_from(BETTER[statuses[index]]))
    improved = list(results)
    improved[index] = Result(checks[index].id, improved_status, STATUSES[improved_status], checks[index].weight, "", ())
    before, after = aggregate(RUBRIC, checks, results, {}), aggregate(RUBRIC, checks, improved, {})
    assert after.ml_test_score >= before.ml_test_score
    assert all(after.sections[s] >= before.sections[s] for s in before.sections)
    if statuses[index] != "unknown":  # an unknown check owes no item until it is decided
        assert after.effort_hours <= before.effort_hours
    if statuses[index] != "unknown" or improved_status == "automated":
        # a check leaving *unknown* for a half point joins the mean below its top; anything else never lowers it
        assert (after.overall or 0) >= (before.overall or 0)
        assert all((after.categories[c] or 0) >= (before.categories[c] or 0) for c in before.categories)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a custom rubric beside a copy of the starter rubric it may extend (as base.yaml)."""
    (tmp_path / "base.yaml").write_text(STARTER.read_text())
    path = tmp_path / name
    path.write_text(text)
    return path


CUSTOM = """\
rubric: platform-team
version: "2"
extends: base.yaml
levels:
  - {id: bronze, title: Bronze}
  - {id: silver, title: Silver}
totals:
  - id: readiness
    title: Platform readiness
    categories: {reproducibility: 2, process: 1}
overrides:
  infra-2-unit-tests: {weight: 5, level: bronze}
  deps-pinned: {level: silver, applies_to: {tags: [python]}}
disable:
  notebooks-out-of-production: our notebooks are reports, reviewed separately
checks:
  - id: has-readme
    title: The project has a README
    category: culture
    level: bronze
    effort_hours: 1
    automated: repo.readme.present
    why: Newcomers start there.
    fix: Write one.
"""


def test_a_custom_rubric_extends_overrides_disables_and_adds(tmp_path):
    rubric = load_rubric(write(tmp_path, "team.yaml", CUSTOM))
    ids = [c.id for c in rubric.checks]
    assert ids == ["infra-2-unit-tests", "deps-pinned", "monitor-1-dependency-updates", "has-readme"]
    assert rubric.check("infra-2-unit-tests").weight == 5
    assert rubric.disabled == {"notebooks-out-of-production": "our notebooks are reports, reviewed separately"}
    assert rubric.hash != load_rubric(STARTER).hash
    facts = {
        "repo.tests.functions": 3,
        "repo.ci.configs": ["x"],
        "repo.readme.present": True,
        "repo.deps.pinned_ratio": 0.5,
        "repo.deps.lockfiles": [],
        "repo.deps.update_bot": False,
    }
    card = score(rubric, facts, Context(team="t", tags=("python",)))
    assert card.levels == {"bronze": True, "silver": False} and card.level == "bronze"
    assert card.totals == {"readiness": round((0 * 2 + 100 * 1) / 3, 1)}
    out_of_scope = score(rubric, facts, Context(team="t", tags=("scala",)))
    assert "deps-pinned" not in {r.check_id for r in out_of_scope.results}
    assert out_of_scope.level == "bronze"  # silver has no check in scope: not held


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ("extends: base.yaml", "extends: nowhere.yaml", "extends: the base rubric is not valid"),
        (
            "  deps-pinned: {level",
            "  deps-pinnned: {level",
            "overrides.deps-pinnned: no inherited check 'deps-pinnned' to override",
        ),
        (
            "  notebooks-out-of-production:",
            "  notebooks-in-production:",
            "disable.notebooks-in-production: no inherited check",
        ),
        (
            "    level: bronze\n    effort_hours",
            "    level: gold\n    effort_hours",
            "checks[0].level: unknown level 'gold'",
        ),
        ("{reproducibility: 2,", "{reproducability: 2,", "totals[0].categories.reproducability: unknown category"),
        ("  - id: has-readme", "  - id: deps-pinned", "checks[0].id: duplicate check id 'deps-pinned'"),
        (
            "automated: repo.readme.present",
            "automated: repo.readme.presnt",
            "checks[0].automated: no collector produces repo.readme.presnt",
        ),
    ],
)
def test_bad_custom_rubrics_name_file_line_and_key(tmp_path, old, new, expected):
    from mldebt.collectors.registry import declared_keys
    from mldebt.errors import InputError

    path = write(tmp_path, "team.yaml", CUSTOM.replace(old, new))
    with pytest.raises(InputError) as info:
        load_rubric(path, declared_keys())
    assert len(info.value.problems) == 1, info.value.problems
    assert info.value.problems[0].startswith(f"{path}:")
    assert expected in info.value.problems[0]


def test_a_waiver_shows_the_debt_as_waived_and_totals_it_apart():
    facts = {
        "repo.deps.update_bot": False,
        "repo.tests.functions": 0,
        "repo.ci.configs": [],
        "repo.deps.pinned_ratio": 1,
        "repo.deps.lockfiles": ["x"],
        "repo.notebooks.count": 0,
    }
    starter = load_rubric(STARTER)
    plain = score(starter, facts)
    waived = score(
        starter,
        facts,
        waivers={"monitor-1-dependency-updates": Waiver("monitor-1-dependency-updates", "o", "r", "2027-01-01")},
    )
    result = next(r for r in waived.results if r.check_id == "monitor-1-dependency-updates")
    assert result.status == "waived" and result.detail == "waived until 2027-01-01 by o: r (was fail)"
    assert waived.waived_effort_hours == starter.check("monitor-1-dependency-updates").effort_hours
    assert waived.effort_hours == plain.effort_hours - waived.waived_effort_hours
    assert waived.ml_test_score == plain.ml_test_score


def test_attestation_gives_at_most_manual_credit_until_it_expires(tmp_path):
    rubric = load_rubric(
        write(
            tmp_path,
            "r.yaml",
            CUSTOM.replace(
                "    automated: repo.readme.present\n",
                "    automated: repo.readme.present\n    attestation: onboarding\n",
            ),
        )
    )
    base = {"repo.readme.present": False}
    assert _status(score(rubric, base), "has-readme") == "fail"
    current = {**base, "attest.onboarding": {"answer": "yes", "expired": False}}
    assert _status(score(rubric, current), "has-readme") == "manual"
    expired = {**base, "attest.onboarding": {"answer": "yes", "expired": True}}
    assert _status(score(rubric, expired), "has-readme") == "fail"
    assert _status(score(rubric, {**current, "repo.readme.present": True}), "has-readme") == "automated"


def _status(card, check_id):
    return next(r.status for r in card.results if r.check_id == check_id)


def test_paydown_items_open_close_reopen_and_keep_stable_ids():
    def scan(n, status):
        return ScanResults(
            scan_id=f"s{n}",
            as_of=f"2026-0{n}-01",
            statuses={"c": (status, {"fail": 0.0, "manual": 0.5, "automated": 1.0, "unknown": None}[status], 2.0)},
        )

    opened = paydown("p", [scan(1, "automated"), scan(2, "fail"), scan(3, "manual")], {"c": 4})
    assert [(i.status, i.opened_at, i.interest, i.gap) for i in opened] == [("open", "2026-02-01", 2.0, 0.5)]
    assert opened[0].priority == pytest.approx(2 * 0.5 * 1.5 / 4)
    closed = paydown("p", [scan(1, "fail"), scan(2, "unknown"), scan(3, "automated")], {"c": 4})
    assert [(i.status, i.opened_at, i.closed_at, i.priority) for i in closed] == [
        ("closed", "2026-01-01", "2026-03-01", 0.0)
    ]
    reopened = paydown("p", [scan(1, "fail"), scan(2, "automated"), scan(3, "fail")], {"c": 4})
    assert [(i.status, i.opened_at, i.closed_at) for i in reopened] == [("open", "2026-03-01", None)]
    assert opened[0].id == closed[0].id == reopened[0].id == item_id("p", "c")
    assert paydown("p", [scan(1, "automated")], {"c": 4}) == []


def test_default_rubric_is_what_validate_accepts():
    assert DEFAULT_RUBRIC.is_file()
    from mldebt.collectors.registry import declared_keys

    assert load_rubric(None, declared_keys()).hash == RUBRIC.hash
