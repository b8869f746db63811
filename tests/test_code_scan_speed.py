"""The code scan's shortcuts give what the long way gives (issue 21: scan times no worse, facts unchanged).

A file is summarised with Python's cyclic garbage collector paused (its young
objects collected once at the end); a test function's sub-tree is read level by
level; a test that asserts nothing skips the assertion flow; a file named as a
test that holds none reuses its index; vulture's ignored names are one pattern.
"""

from __future__ import annotations

import ast
import gc
from fnmatch import fnmatchcase

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mldebt.collectors.code import deadcode as code_deadcode
from mldebt.collectors.code import patterns as P
from mldebt.collectors.code.batch import Job, summarise_all
from mldebt.collectors.code.callbacks import FRAMEWORK_DECORATORS, FRAMEWORK_NAMES
from mldebt.collectors.code.scan import summarise
from mldebt.collectors.code.tree import index, levels, subtree
from mldebt.collectors.repo.cache import Cache

MODULE = '''
"""A module with classes, branches and constants: vulture leaves cycles behind on such code."""
import os
import numpy as np

THRESHOLD = 0.5
DEBUG = False


class Model:
    def predict(self, x):
        if DEBUG:
            print("debug")
        if x > THRESHOLD:
            return np.ones(3)
        while x:
            x -= 1
        return os.path.join("data", "train.csv")


def pytest_configure(config):
    pass


def run_fn(args):
    return args


def helper(a):
    return a if a else None
'''

TESTS = """
import pytest
from project.data import load


@pytest.fixture
def frame():
    return load()


def test_reads_only(frame):
    frame.head()


def test_asserts(frame):
    assert len(frame) == 3


class TestThings:
    def setup_method(self):
        self.data = load()

    def test_nothing_checked(self):
        self.data.describe()

    def test_checked(self):
        self.assertTrue(self.data)
"""


def _line(text: str, part: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if part in line)


def _long_module(statements: int) -> str:
    return "\n".join(f"value_{i} = compute({i}, key='k{i}')[0] + other.attr_{i}" for i in range(statements))


def test_levels_give_the_sub_tree_in_its_breadth_first_order():
    tree = index(ast.parse(MODULE + TESTS))
    for i in range(len(tree.nodes)):
        spans = levels(tree, i)
        assert [k for start, end in spans for k in range(start, end)] == subtree(tree, i)
        assert spans[0] == (i, i + 1)
        assert all(start < end for start, end in spans)


def test_a_file_is_summarised_with_only_young_collections_and_the_collector_left_as_it_was():
    generations: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            generations.append(info["generation"])

    text = _long_module(3000)  # allocates enough to start many collections were the collector running
    assert gc.isenabled()
    gc.callbacks.append(record)
    try:
        summary = summarise("pkg/long.py", text)
    finally:
        gc.callbacks.remove(record)
    assert gc.isenabled()
    assert generations == [0]  # the one collection of the file's young objects, at the end
    assert summary["lines"] == 3000
    gc.disable()
    try:
        summarise("pkg/long.py", text)
        assert not gc.isenabled()  # paused by a caller: still paused
    finally:
        gc.enable()


def test_the_cycles_a_file_leaves_are_freed_with_it():
    gc.collect()
    gc.disable()
    try:
        summarise("pkg/model.py", MODULE)
        summarise("tests/test_model.py", TESTS, is_test=True)
        assert gc.collect() == 0  # nothing of the files' was left for a later collection
    finally:
        gc.enable()


def test_summaries_of_many_files_are_those_of_each_file_alone(tmp_path):
    jobs = [
        Job("pkg/model.py", "b1", MODULE),
        Job("tests/test_model.py", "b2", TESTS, is_test=True),
        Job("pkg/long.py", "b3", _long_module(200)),
    ]
    together = summarise_all(jobs, Cache(tmp_path / "cache.sqlite"))
    assert gc.isenabled()
    assert together == {job.rel: summarise(job.rel, job.text, is_test=job.is_test) for job in jobs}


def test_a_test_that_asserts_nothing_checks_nothing():
    summary = summarise("tests/test_model.py", TESTS, is_test=True)
    checks = {test["name"]: test["checks"] for test in summary["tests"]}
    assert checks["test_reads_only"] == []
    assert checks["TestThings.test_nothing_checked"] == []
    assert checks["test_asserts"] == [[_line(TESTS, "assert len(frame)"), [["fixture:frame"], []]]]
    assert checks["TestThings.test_checked"] == [[_line(TESTS, "self.assertTrue"), [["project.data.load"]]]]
    assert summary["fixtures"] == {"frame": ["project.data.load"]}


def test_a_test_named_file_without_tests_is_summarised_as_the_code_it_is():
    as_code = summarise("tests/test_model.py", MODULE)
    as_candidate = summarise("tests/test_model.py", MODULE, is_test=True)
    assert as_candidate == {**as_code, "tests": []}
    assert as_code["shapes"]["functions"] or as_code["shapes"]["statements"]


@pytest.mark.parametrize(
    "name",
    [
        "pytest_configure",
        "pytest_",
        "pytest",
        "run_fn",
        "run_fn_2",
        "xrun_fn",
        "create_pipeline",
        "register_pipelines",
        "helper",
        "trainer_fn",
        "Pytest_configure",
    ],
)
def test_framework_names_match_as_one_pattern_as_they_did_one_by_one(name):
    assert bool(code_deadcode._FRAMEWORK_NAME.match(name)) == any(fnmatchcase(name, p) for p in FRAMEWORK_NAMES)


@pytest.mark.parametrize(
    "name",
    [
        "@app.route",
        "@router.get",
        "@bp.websocket",
        "@click.command",
        "@cli.group",
        "@app.callback",
        "@route",
        "@pytest.fixture",
        "@staticmethod",
        "@property",
        "@x.y.route",
        "@app.routes",
        "@",
    ],
)
def test_framework_decorators_match_as_one_pattern_as_vulture_s_list(name):
    from vulture.core import _match

    assert bool(code_deadcode._FRAMEWORK_DECORATOR.match(name)) == _match(name, FRAMEWORK_DECORATORS)


DECORATED = """
import click
@click.command()
def cli(): pass
@app.route("/")
async def view(): pass
@functools.lru_cache
def cached(): pass
@app.get("/x")
class Resource: pass
@dataclass
class Plain: pass
"""


def test_definitions_under_a_framework_decorator_are_left_out_as_vulture_leaves_them():
    from pathlib import Path

    from vulture import noqa
    from vulture.core import Vulture

    tree = ast.parse(DECORATED)
    plain = Vulture(ignore_decorators=FRAMEWORK_DECORATORS)
    plain.filename = Path("pkg/app.py")
    plain.code = DECORATED.splitlines()
    plain.noqa_lines = noqa.parse_noqa(plain.code)
    plain.visit(tree)
    expected = sorted(
        (item.typ, item.name) for kind in code_deadcode.REPORTED for item in getattr(plain, f"defined_{kind}")
    )
    state = code_deadcode.file_state(tree, "pkg/app.py", DECORATED.splitlines(), index(tree))
    assert sorted((row[0], row[1]) for row in state["defined"]) == expected
    assert ("function", "cached") in expected and ("class", "Plain") in expected and len(expected) == 3


def test_functions_a_framework_finds_by_name_are_not_defined_as_dead():
    tree = ast.parse(MODULE)
    state = code_deadcode.file_state(tree, "pkg/model.py", MODULE.splitlines(), index(tree))
    defined = {row[1] for row in state["defined"]}
    assert "helper" in defined and "Model" in defined
    assert "pytest_configure" not in defined and "run_fn" not in defined
    assert state == code_deadcode.file_state(tree, "pkg/model.py", MODULE.splitlines())  # vulture's own visit


_MARKER_TEXT = st.lists(
    st.sampled_from(
        ["TODO", "FIXME", "HACK", "XXX", "X", "KLUDGE", "_", "a", "1", " ", "\n", "#", ":", "é", "٣", "TOD"]
    )
).map("".join)


@given(_MARKER_TEXT)
def test_debt_markers_are_the_regex_s_matches(text):
    assert P.debt_markers(text) == [(m.start(), m.group(1)) for m in P.DEBT_MARKER.finditer(text)]


@pytest.mark.parametrize(
    "text", ["XXXX", "TODO:", "_TODO", "TODOs", "# TODO(me) FIXME\nHACK", "éTODO", "TODO٣", "XXX XXX", "KLUDGE"]
)
def test_debt_markers_corners(text):
    assert P.debt_markers(text) == [(m.start(), m.group(1)) for m in P.DEBT_MARKER.finditer(text)]


TEST_LIKE = """
class TestThing:
    def test_method(self): pass
    def helper(self): pass
    def __(self): pass
def test_function(): pass
def setup_module(): pass
def plain(): pass
class Plain: pass
"""


@pytest.mark.parametrize("rel", ["tests/test_things.py", "pkg/things.py", "pkg/things_test.py", "test/x.py"])
def test_test_file_rules_are_vulture_s_own(rel):
    """What vulture leaves out of a test file (test classes, test functions, pytest hooks) and keeps elsewhere."""
    from pathlib import Path

    from vulture import noqa
    from vulture.core import Vulture

    tree = ast.parse(TEST_LIKE)
    plain = Vulture()
    plain.filename = Path(rel)
    plain.code = TEST_LIKE.splitlines()
    plain.noqa_lines = noqa.parse_noqa(plain.code)
    plain.visit(tree)
    expected = sorted(
        (item.typ, item.name, item.first_lineno)
        for kind in code_deadcode.REPORTED
        for item in getattr(plain, f"defined_{kind}")
    )
    state = code_deadcode.file_state(tree, rel, TEST_LIKE.splitlines(), index(tree))
    assert sorted((row[0], row[1], row[2]) for row in state["defined"]) == expected
    assert (("class", "TestThing", 2) in expected) == (rel == "pkg/things.py")  # a test class only in test files
