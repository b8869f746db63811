"""Rubric loading, safe conditions and the scoring rule of the 2017 ML Test Score."""

from __future__ import annotations

from pathlib import Path

import pytest

from mldebt.errors import InputError
from mldebt.rubric import conditions
from mldebt.rubric.engine import band, score
from mldebt.rubric.schema import load_rubric

# The engine's rules are tested on a small rubric whose checks these tests know;
# the shipped rubric has tests of its own (test_default_rubric.py).
STARTER = Path(__file__).parent / "data" / "rubric-starter.yaml"


def test_conditions_are_true_false_or_unknown():
    names = conditions.namespace({"repo.tests.functions": 3, "repo.ci.configs": [], "repo.deps.pinned_ratio": 0.9})
    assert conditions.evaluate("repo.tests.functions > 0", names) is True
    assert conditions.evaluate("count(repo.ci.configs) > 0", names) is False
    assert conditions.evaluate("repo.monitoring.rules > 0", names) is None
    assert conditions.evaluate("nothing.here", names) is None
    assert conditions.evaluate("repo.deps.pinned_ratio >= 0.8 and 'x' in ['x']", names) is True


@pytest.mark.parametrize(
    "expression,message",
    [
        ("__import__('os').system('id')", "unknown function in condition"),
        ("repo.__class__", "names starting with '_' are not allowed in a condition"),
        ("(lambda: 1)()", "unknown function in condition"),
        ("[x for x in repo]", "comprehension is not allowed in a condition"),
        ("repo.tests[0]", "subscript is not allowed in a condition"),
        ("repo.tests >", "cannot parse condition: invalid syntax"),
    ],
)
def test_unsafe_or_malformed_conditions_are_refused(expression, message):
    with pytest.raises(conditions.ConditionError, match=message.replace("(", r"\(")):
        conditions.parse(expression)


def test_condition_keys_are_the_dotted_names_it_reads():
    assert conditions.keys("repo.a.b > 0 and count(ci.jobs) > 1 or x") == {"repo.a.b", "ci.jobs", "x"}


@pytest.mark.parametrize(
    "value,label",
    [
        (0, "more of a research project"),
        (0.5, "not totally untested"),
        (1.0, "not totally untested"),
        (2, "a first pass"),
        (3, "reasonably tested"),
        (5, "strong automated"),
        (5.5, "exceptional"),
    ],
)
def test_bands_of_the_2017_paper(value, label):
    assert band(value).startswith(label)


def test_final_score_is_the_minimum_section_and_unknown_is_not_zero():
    rubric = load_rubric(STARTER)
    full = {
        "repo.tests.functions": 2,
        "repo.ci.configs": ["ci.yml"],
        "repo.deps.pinned_ratio": 1.0,
        "repo.deps.lockfiles": ["poetry.lock"],
        "repo.deps.update_bot": True,
        "repo.notebooks.count": 0,
        "repo.notebooks.with_outputs": 0,
    }
    card = score(rubric, full)
    assert card.sections == {"data": 0.0, "model": 0.0, "infra": 1.0, "monitor": 1.0}
    assert card.ml_test_score == 0.0 and card.overall == 100.0 and card.grade == "A"
    assert card.effort_hours == 0

    partial = {k: v for k, v in full.items() if k != "repo.deps.pinned_ratio"}
    card = score(rubric, partial)
    status = {r.check_id: r.status for r in card.results}
    assert status["deps-pinned"] == "unknown"
    assert card.categories["reproducibility"] is None  # nothing decided: no score, not zero
    assert card.overall == 100.0 and card.unknown == 1


def write_rubric(tmp_path: Path, old: str, new: str) -> Path:
    text = STARTER.read_text()
    assert old in text
    path = tmp_path / "rubric.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ("weight: 3", "weight: heavy", "checks[0].weight: expected a number, got a string"),
        ("    effort_hours: 16\n", "", "checks[0].effort_hours: required key is missing"),
        ("    weight: 3\n", "    weight: 3\n    wieght: 3\n", "checks[0].wieght: unknown key"),
        ("id: deps-pinned", "id: infra-2-unit-tests", "checks[1].id: duplicate check id 'infra-2-unit-tests'"),
        (
            "category: reproducibility\n    weight: 2",
            "category: vibes\n    weight: 2",
            "checks[1].category: unknown category 'vibes'",
        ),
        (
            "manual: repo.tests.functions > 0",
            "manual: repo.tests.functions >",
            "checks[0].manual: cannot parse condition: invalid syntax",
        ),
        ("ml_test: Infra 2", "ml_test: Infra 9", "checks[0].ml_test: string should match pattern"),
        (
            "ml_test: Infra 2",
            "ml_test: Data 2",
            "checks[0].section: ML Test Score test 'Data 2' belongs to section 'data'",
        ),
        (
            "  - id: monitor\n",
            "  - id: monitoring\n",
            "sections[3].id: input should be 'data', 'model', 'infra' or 'monitor'",
        ),
        ("rubric: mldebt-starter", "rubric: [a", "YAML syntax error"),
    ],
)
def test_bad_rubric_files_give_precise_messages(tmp_path, old, new, expected):
    path = write_rubric(tmp_path, old, new)
    with pytest.raises(InputError) as info:
        load_rubric(path)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(f"{path}:")
    assert expected in info.value.problems[0]


def test_rubric_hash_ignores_comments_but_not_content(tmp_path):
    base = load_rubric(STARTER).hash
    assert load_rubric(write_rubric(tmp_path, "# A deliberately", "# A comment changed. A deliberately")).hash == base
    assert load_rubric(write_rubric(tmp_path, "weight: 3", "weight: 4")).hash != base


def test_cli_rubric_validate_reports_problems_with_exit_2(run, tmp_path):
    path = write_rubric(tmp_path, "weight: 3", "weight: heavy")
    result = run("rubric", "validate", str(path))
    assert result.exit_code == 2
    assert result.output.startswith(f"mldebt: error: {path}:")
    assert result.output.endswith("checks[0].weight: expected a number, got a string\n")


def test_a_key_with_a_value_and_deeper_keys_keeps_both_readable():
    facts = {
        "deps.lockfiles": ["poetry.lock"],
        "deps.lockfiles.in_step": True,
        "code.smells.thresholds": 2,
        "code.smells.thresholds.at": "serve.py:4",
        "repo.languages": {"Python": 3},
        "repo.languages.count": 1,
        "ci.canary": False,
        "ci.canary.why": 1,
    }
    before = {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v) for k, v in facts.items()}
    names = conditions.namespace(facts)
    assert conditions.evaluate("count(deps.lockfiles) == 1 and deps.lockfiles.in_step", names) is True
    assert conditions.evaluate("code.smells.thresholds == 2 and code.smells.thresholds + 1 == 3", names) is True
    assert conditions.evaluate("repo.languages.Python == 3 and repo.languages.count == 1", names) is True
    assert conditions.evaluate("not ci.canary", names) is True
    assert conditions.evaluate("ci.canary.why == 1", names) is None  # a boolean keeps its value only
    assert facts == before  # the facts themselves are not changed


def test_present_and_absent_decide_where_missing_evidence_would_be_unknown():
    names = conditions.namespace({"repo.hygiene.license": None, "repo.ci.configs": [], "ci.providers": ["github"]})
    assert conditions.evaluate("present(ci.providers)", names) is True
    assert conditions.evaluate("absent(repo.hygiene.license)", names) is True  # a null fact
    assert conditions.evaluate("absent(repo.ci.configs)", names) is True  # an empty one
    assert conditions.evaluate("present(registry.mlflow.models)", names) is False  # no fact at all: not unknown
    assert conditions.evaluate("absent(registry.mlflow.models) or registry.mlflow.models", names) is True
    assert conditions.evaluate("registry.mlflow.models", names) is None
    assert conditions.keys("present(a.b) and absent(c)") == {"a.b", "c"}


@pytest.mark.parametrize("expression", ["present()", "present(1)", "absent(a, b)", "present(count(a))"])
def test_present_and_absent_take_one_key(expression):
    with pytest.raises(conditions.ConditionError, match=r"takes one evidence key"):
        conditions.parse(expression)
