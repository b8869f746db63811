"""A check that does not apply (n/a) is shown with its reason and counts nowhere (issue 17, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mldebt.errors import InputError
from mldebt.rubric import reasons
from mldebt.rubric.engine import score
from mldebt.rubric.paydown import ScanResults, paydown
from mldebt.rubric.schema import load_rubric

STARTER = Path(__file__).parent / "data" / "rubric-starter.yaml"

LOCK_CHECK = """
  - id: lockfile-in-step
    title: The lock file matches its manifest
    section: infra
    ml_test: Infra 1
    category: reproducibility
    level: bronze
    weight: 2
    effort_hours: 3
    applies_when: count(repo.deps.lockfiles) > 0
    not_applicable: No lock file to keep in step (lock files found {repo.deps.lockfiles}).
    automated: deps.lockfiles.in_step == True
    why: A lock file that drifts from its manifest installs something else than was declared.
    fix: Regenerate the lock file when the manifest changes.
"""
LEVELS = """
levels:
  - id: bronze
    title: Bronze
    description: The basics.
"""


@pytest.fixture
def rubric(tmp_path):
    text = STARTER.read_text().replace("checks:\n", LEVELS + "\nchecks:\n" + LOCK_CHECK, 1)
    path = tmp_path / "rubric.yaml"
    path.write_text(text)
    return load_rubric(path)


FACTS = {
    "repo.tests.functions": 2,
    "repo.ci.configs": ["ci.yml"],
    "repo.deps.pinned_ratio": 0.5,
    "repo.deps.update_bot": True,
    "repo.notebooks.count": 0,
    "repo.notebooks.with_outputs": 0,
}


def by_id(card):
    return {r.check_id: r for r in card.results}


def test_a_check_that_does_not_apply_is_na_with_a_reason_from_evidence(rubric):
    card = score(rubric, {**FACTS, "repo.deps.lockfiles": []})
    result = by_id(card)["lockfile-in-step"]
    assert result.status == "n/a" and result.points is None
    assert result.reason == "No lock file to keep in step (lock files found none)."
    assert "count(" not in result.reason and "count(" in result.detail
    assert card.not_applicable == 1


def test_na_is_left_out_of_sections_categories_totals_levels_and_effort(rubric):
    na = score(rubric, {**FACTS, "repo.deps.lockfiles": []})
    failing = score(rubric, {**FACTS, "repo.deps.lockfiles": ["poetry.lock"], "deps.lockfiles.in_step": False})
    # the infra section: n/a leaves only Infra 2 expected; a failing Infra 1 is expected and earns 0
    assert na.section_max["infra"] == 1.0 and failing.section_max["infra"] == 2.0
    assert na.sections["infra"] == failing.sections["infra"] == 1.0
    # the category holds only deps-pinned (manual? no: 0.5 pinned fails) when the lock check is n/a
    assert na.categories["reproducibility"] == 0.0
    assert failing.categories["reproducibility"] == 0.0
    # the overall percentage is over applicable checks only
    assert na.overall is not None and failing.overall is not None and na.overall > failing.overall
    # levels: an n/a check is not expected of its level; a failing one is
    assert na.levels["bronze"] is True and failing.levels["bronze"] is False
    # effort: n/a carries none, failing carries its hours
    assert failing.effort_hours - na.effort_hours == 3


def test_a_section_whose_every_test_is_na_is_left_out_of_the_minimum(tmp_path):
    text = STARTER.read_text().replace(
        "    automated: repo.deps.update_bot\n",
        "    applies_when: repo.serves_model\n"
        "    not_applicable: Nothing is served ({repo.serves_model}).\n"
        "    automated: repo.deps.update_bot\n",
    )
    path = tmp_path / "r.yaml"
    path.write_text(text)
    rubric = load_rubric(path)
    card = score(rubric, {**FACTS, "repo.deps.update_bot": False, "repo.serves_model": False})
    assert by_id(card)["monitor-1-dependency-updates"].status == "n/a"
    assert card.section_max["monitor"] == 0.0
    # data and model have no tests in this rubric (0 of 0: untested, and counted); monitor is left out
    assert card.ml_test_score == 0.0
    served = score(rubric, {**FACTS, "repo.deps.update_bot": False, "repo.serves_model": True})
    assert by_id(served)["monitor-1-dependency-updates"].status == "fail"


def test_unknown_applicability_is_unknown_not_na(rubric):
    card = score(rubric, {k: v for k, v in FACTS.items()})
    result = by_id(card)["lockfile-in-step"]
    assert result.status == "unknown"
    # but a check that passes on evidence passes whether or not its scope is known
    passed = score(rubric, {**FACTS, "deps.lockfiles.in_step": True})
    assert by_id(passed)["lockfile-in-step"].status == "automated"


def test_a_waiver_does_not_turn_na_into_waived(rubric):
    from mldebt.rubric.engine import Waiver

    waiver = {"lockfile-in-step": Waiver("lockfile-in-step", "lead", "later", "2099-01-01")}
    card = score(rubric, {**FACTS, "repo.deps.lockfiles": []}, waivers=waiver)
    assert by_id(card)["lockfile-in-step"].status == "n/a"
    assert card.waived_effort_hours == 0


def test_an_item_whose_check_stops_applying_is_dropped():
    history = [
        ScanResults("s1", "2026-01-01", {"c": ("fail", 0.0, 1.0)}),
        ScanResults("s2", "2026-04-01", {"c": ("n/a", None, 1.0)}),
    ]
    (item,) = paydown("p", history, {"c": 5.0})
    assert item.status == "dropped" and item.priority == 0.0


def test_applies_when_needs_a_sentence_and_known_keys(tmp_path):
    text = STARTER.read_text().replace("checks:\n", LEVELS + "\nchecks:\n" + LOCK_CHECK, 1)
    path = tmp_path / "r.yaml"
    path.write_text(
        text.replace("    not_applicable: No lock file to keep in step (lock files found {repo.deps.lockfiles}).\n", "")
    )
    with pytest.raises(InputError, match="needs a 'not_applicable' sentence"):
        load_rubric(path)
    path.write_text(text.replace("{repo.deps.lockfiles}", "{repo.nothing.here}"))
    with pytest.raises(InputError, match=r"no collector produces repo\.nothing\.here"):
        load_rubric(
            path,
            known_keys={
                "repo.deps.lockfiles",
                "deps.lockfiles.in_step",
                "repo.tests.functions",
                "repo.ci.configs",
                "repo.deps.pinned_ratio",
                "repo.deps.update_bot",
                "repo.notebooks.count",
                "repo.notebooks.with_outputs",
            },
        )
    path.write_text(
        text.replace("applies_when: count(repo.deps.lockfiles) > 0", "applies_when: count(repo.deps.lockfiles) >")
    )
    with pytest.raises(InputError, match="cannot parse condition"):
        load_rubric(path)


@pytest.mark.parametrize(
    "value,words",
    [
        (None, "nothing recorded"),
        (True, "yes"),
        (False, "no"),
        (0.5, "0.5"),
        (3, "3"),
        ([], "none"),
        (["a"], "a"),
        (["a", "b"], "a and b"),
        (["a", "b", "c"], "a, b and c"),
        (["a", "b", "c", "d", "e", "f", "g"], "a, b, c, d and 3 more"),
        ({"pytest": 1, "unittest": 2}, "pytest and unittest"),
    ],
)
def test_facts_in_words(value, words):
    assert reasons.words(value) == words


def test_a_sentence_reads_only_facts_never_expressions():
    facts = {"a.b": ["x"], "__class__": 1}
    assert reasons.render("{a.b} {a.b.__class__} {__class__} {a.b()}", facts) == (
        "x nothing recorded {__class__} {a.b()}"  # a dotted name is only ever a fact key, looked up
    )
