"""The code visitor's faster handlers find what the plain ones find: a callee's name written out instead of
``dotted``, variables not looked at as a tracker's object when the file imports no tracker, and comparisons and
branch tests told apart by type (a comparison with no number between 0 and 1 is no threshold).

Each plain handler below is the handler as it reads by definition; the summaries of the repository's own code,
its sample projects and snippets that exercise every branch are the same with either.
"""

from __future__ import annotations

import ast
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mldebt.collectors.code import visit

from .builders import plain_call, plain_switch, python_sources, visit_summaries

SNIPPETS = [
    """
import os
import wandb
import importlib
from os import getenv
from mlflow import start_run as begin

USE_CACHE = True
ENABLE_X = False
LIMIT = 0.3
LOW = -0.2
SCALE = 2.0

run = wandb.init(project="p")
run.log({"loss": 1})
with begin() as active:
    active.log_metric("a", 1)
tracker = importlib.import_module("wandb").init()
tracker.log({"x": 2})
client = Schema.client.make()
other = thing.sub.call(1)
a.b.c.d(2)
Schema.validate(frame)
f()(3)
x[0].method(4)
models["m"].Predictor.fit(5)
np.random.seed(0)


def predict(prob, score, model, x):
    if USE_CACHE:
        pass
    if not ENABLE_X and x:
        pass
    if x or USE_CACHE:
        pass
    if os.getenv("FLAG_A") == "1":
        pass
    if getenv("B"):
        pass
    if os.environ.get("C"):
        pass
    if os.environ["D"]:
        pass
    if False:
        pass
    if 0:
        pass
    if x.y:
        pass
    if x == "a":
        pass
    if x < 1:
        pass
    if __name__ == "__main__":
        pass
    flags = prob > 0.5, score >= LIMIT, model.predict(x) < -(-0.25), 0.7 < prob, x > 0.5, prob > 1, prob > LOW
    return flags, prob == 0.0, prob > SCALE, "a" < prob, None is prob, prob is not None
""",
    """
import wandb as w

logger = w.init()


def train(data):
    for step in data:
        logger.log({"step": step})
""",
]


def _corpus() -> list[tuple[str, str]]:
    files = [(f"train/s{n}.py", text) for n, text in enumerate(SNIPPETS)]
    return files + python_sources("sample_projects", "collectors", "mldebt")


CORPUS = _corpus()


def _plain_compare(self: visit.Visit, node: ast.Compare) -> None:
    """``_compare`` by definition: every pair of operands looked at."""
    for a, b in pairwise([node.left, *node.comparators]):
        for value_node, other in ((a, b), (b, a)):
            value = visit._number(value_node)
            if value is None and isinstance(value_node, ast.Name):
                value = self._float_consts.get(value_node.id)
            if value is not None and 0 < value < 1 and visit._looks_like_output(other):
                self.add("thresholds", node.lineno, value, ast.unparse(other)[:80])
                return


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(visit._HANDLERS, ast.Call, plain_call)
    monkeypatch.setitem(visit._HANDLERS, ast.Compare, _plain_compare)
    monkeypatch.setattr(visit.Visit, "_switch", plain_switch)
    monkeypatch.setattr(visit, "_BINDING_ROOTS", _Everything())


def test_the_faster_handlers_find_what_the_plain_ones_find(monkeypatch: pytest.MonkeyPatch) -> None:
    quick = visit_summaries(CORPUS)
    with monkeypatch.context() as patched:
        _plain(patched)
        plain = visit_summaries(CORPUS)
    assert quick == plain
    snippet = quick[0]  # every branch was taken
    assert [row[2] for row in snippet["found"]["tracking"]] == [
        "wandb.init",
        "wandb.init().log",
        "wandb.init",  # importlib.import_module("wandb")
        "wandb.init().log",
        "mlflow.start_run",
        "mlflow.start_run().log_metric",  # with ... as active
    ]
    assert [row[2] for row in quick[2]["found"]["tracking"]] == ["wandb.init", "wandb.init().log"]
    assert [row[1] for row in snippet["found"]["thresholds"]] == [0.5, 0.3, 0.25, 0.7]
    assert [row[1] for row in snippet["found"]["flag_branches"]] == [
        "USE_CACHE",
        "ENABLE_X",
        "USE_CACHE",
        "environment FLAG_A",
        "environment B",
        "environment C",
        "environment D",
        "constant False",
        "constant 0",
    ]
    assert snippet["imported_uses"] == [] and snippet["main_guard"]


NUMBERS = ["0.5", "0.7", "0.999", "-0.5", "--0.5", "-(-0.25)", "+0.5", "(not 0.5)", "0", "1", "0.0", "1.5", "True"]
NUMBERS += ["None", "'a'", "1j", "LIMIT", "LOW", "SCALE", "OTHER", "x", "f(0.5)"]
OUTPUTS = ["prob", "score", "model.predict(x)", "x", "y.proba"]
TESTS = ["USE_X", "x", "x.y", "os.environ['A']", "os.getenv('B')", "os.environ.get('C')", "getenv('D') == '1'"]
TESTS += ["False", "0", "1", "None", "'s'", "f()", "x[0]", "x == 'a'", "x < 1", "LIMIT", "USE_X == 'on'", "x()()"]
TESTS += ["USE_X == 1", "False == x", "os.getenv('B') != 0", "0 < x < 'a'"]
HEAD = "import os\nfrom os import getenv\nUSE_X = True\nLIMIT = 0.3\nLOW = -0.2\nSCALE = 2.0\nOTHER = 1\n"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(NUMBERS), st.sampled_from(OUTPUTS), st.booleans()), min_size=1, max_size=2),
    st.lists(st.sampled_from(["<", ">", "<=", "==", "is", "in"]), min_size=3, max_size=3),
    st.lists(st.tuples(st.booleans(), st.sampled_from(TESTS)), min_size=1, max_size=3),
    st.sampled_from([" and ", " or "]),
)
def test_comparisons_and_branch_tests_of_any_shape_give_what_the_plain_handlers_give(
    pairs: list[tuple[str, str, bool]], ops: list[str], tests: list[tuple[bool, str]], joint: str
) -> None:
    operands = [side for number, output, first in pairs for side in ((number, output) if first else (output, number))]
    comparison = operands[0] + "".join(f" {op} {operand}" for op, operand in zip(ops, operands[1:]))
    test = joint.join(f"not {atom}" if negated else atom for negated, atom in tests)
    text = f"{HEAD}if {test}:\n    y = {comparison}\n"
    quick = visit_summaries([("train/t.py", text)])
    with pytest.MonkeyPatch.context() as patched:
        _plain(patched)
        assert visit_summaries([("train/t.py", text)]) == quick
