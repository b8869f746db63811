"""The dead-code pass's cheaper paths give what vulture's own visit gives, on programs made to reach every corner.

tests/test_deadcode_shortcuts.py holds each shortcut to vulture's rules one by one, and
tests/test_repo_code_tree.py to vulture's visit over real code; real code seldom has unreachable
statements, constant conditions or definitions vulture leaves out, so here generated programs nest
every statement that holds a body, with statements after which nothing runs at every place in them,
conditions vulture can and cannot evaluate, and definitions of every kind.
"""

from __future__ import annotations

import ast
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mldebt.collectors.code import deadcode as code_deadcode
from mldebt.collectors.code.tree import index

from .test_deadcode_shortcuts import _vulture_s

# Conditions vulture cannot evaluate (names, calls, comparisons, and their combinations) and ones it can.
CONDITIONS = ["a", "x.y", "f()", "a == 1", "not a", "a or b", "not (a and f())", "True", "0", "not 1", "a or 1"]
CONDITIONS += ["set()", "(1, a)", "-1", "1 if a else 0", "[]"]
SIMPLE = ["x = 1", "return", "return x", "raise E", "break", "continue", "pass", "f()", "y = 1 if a else 2"]
SIMPLE += ["y = 1 if True else 2", "import os", "from m import n as k", "__all__ = ['k']", "z = a[0]"]
SIMPLE += ["from m import *", "import a.b", "import a.b as ab", "from . import pytest_x", "from __future__ import x"]
SIMPLE += ["del x", "x.y = z.w", "del x.v", "self.u += 1", "globals()['a_' + x]", "vars()[f'run_{x}_now']"]
SIMPLE += ["o.__dict__['k_' + n] = 1", "m[f'{x}_y']", "d['key']", "getattr(o, 'at_' + n)", "'pkg.mod:func'"]
SIMPLE += ["t: 'list[Row] | None' = []", "'\u00e9t\u00e9'", "'a.b.c'", "'--target=tgt'", "'%(q)s' % locals()"]

_simple = st.sampled_from(SIMPLE).map(lambda text: ("simple", text))


def _compound(inner: Any) -> Any:
    body = st.lists(inner, min_size=1, max_size=4)
    orelse = st.lists(inner, max_size=3)
    return st.one_of(
        st.tuples(st.just("if"), st.sampled_from(CONDITIONS), body, orelse),
        st.tuples(st.just("while"), st.sampled_from(CONDITIONS), body, orelse),
        st.tuples(st.just("for"), body, orelse),
        st.tuples(st.just("with"), body),
        st.tuples(st.just("try"), body, st.lists(body, min_size=1, max_size=2), orelse, orelse),
        st.tuples(st.just("def"), st.sampled_from(["f", "run", "__init__", "_sunder_", "test_x", "self"]), body),
        st.tuples(st.just("class"), st.sampled_from(["C", "Test", "__M__"]), body),
    )


_statement = st.recursive(_simple, _compound, max_leaves=24)
PROGRAMS = st.lists(_statement, min_size=1, max_size=5)


def _lines(statement: tuple[Any, ...], indent: str) -> list[str]:
    kind, *parts = statement
    if kind == "simple":
        return [indent + parts[0]]

    def block(head: str, body: list[Any]) -> list[str]:
        return [indent + head] + [line for each in body for line in _lines(each, indent + "    ")]

    def orelse(body: list[Any]) -> list[str]:
        return block("else:", body) if body else []

    if kind in ("if", "while"):
        return block(f"{kind} {parts[0]}:", parts[1]) + orelse(parts[2])
    if kind == "for":
        return block("for i in x:", parts[0]) + orelse(parts[1])
    if kind == "with":
        return block("with c:", parts[0])
    if kind == "try":
        body, handlers, otherwise, final = parts
        out = block("try:", body) + [line for each in handlers for line in block("except E:", each)]
        if otherwise:
            out += block("else:", otherwise)
        return out + (block("finally:", final) if final else [])
    if kind == "def":
        decorator = [indent + "@property"] if parts[0] == "run" else []
        return decorator + block(f"def {parts[0]}(self):" if parts[0] != "self" else "def g():", parts[1])
    return block(f"class {parts[0]}:", parts[1])  # a class


@settings(max_examples=400, deadline=None)
@given(PROGRAMS)
def test_a_generated_program_s_state_is_what_vulture_s_own_visit_gives(program):
    lines = [line for statement in program for line in _lines(statement, "")]
    tree = ast.parse("\n".join(lines))
    for rel in ("pkg/m.py", "tests/test_m.py", "pkg/__init__.py"):
        fast = code_deadcode.file_state(tree, rel, lines, index(tree))
        assert fast == code_deadcode.file_state(tree, rel, lines)  # no index: vulture's own recursive visit
        found = sorted((row[0], row[1], row[2]) for row in fast["defined"] if row[0] != "unreachable_code")
        assert found == _vulture_s("\n".join(lines), rel)  # the definitions plain vulture keeps


def test_every_kind_of_unreachable_code_is_reported_as_vulture_reports_it():
    text = """
def f():
    return 1
    x = 2
def g():
    if a:
        raise E
        y = 1
    else:
        return
    z = 3
def h():
    while True:
        pass
    else:
        w = 1
    v = 0
def k():
    try:
        return
    except E:
        raise
    else:
        v = 1
    u = 2
while 0:
    pass
if 0:
    pass
if True:
    pass
"""
    tree = ast.parse(text)
    lines = text.splitlines()
    fast = code_deadcode.file_state(tree, "m.py", lines, index(tree))
    assert fast == code_deadcode.file_state(tree, "m.py", lines)
    messages = {row[5] for row in fast["defined"] if row[0] == "unreachable_code"}
    assert messages == {
        "unreachable code after 'return'",
        "unreachable code after 'raise'",
        "unreachable code after 'if'",
        "unreachable code after 'while'",
        "unreachable code after 'try'",
        "unreachable 'else' block",
        "unsatisfiable 'while' condition",
        "unsatisfiable 'if' condition",
        "redundant if-condition",
    }


def _spelled_one_by_one(values: set[str]) -> set[str]:
    """What _Finder.spelled adds, by its definition: each string tried on each pattern in turn."""
    used: set[str] = set()
    for value in values:
        if len(value) < 300:
            if code_deadcode._CODE_STRING.fullmatch(value):
                used.update(code_deadcode._PATH_SEPARATOR.split(value))
            elif ("|" in value or "[" in value) and code_deadcode._TYPE_STRING.fullmatch(value):
                used.update(code_deadcode._IDENTIFIER.findall(value))
            elif ":" in value or "--" in value:
                used.update(code_deadcode.entry_names(value))
    return used


_ALPHABET = (
    "aZ_9.: |[]-=\"'\u00e9\u017f\u212a\u0663\u00b2\n"  # an accented letter, long s, Kelvin, Arabic 3, superscript 2
)
STRINGS = st.text(alphabet=_ALPHABET, max_size=12) | st.sampled_from(
    ["x" * 299, "x" * 300, "a.b" * 100, "\u00e9" * 300]
)


@settings(max_examples=300, deadline=None)
@given(st.sets(STRINGS, max_size=8))
def test_strings_spell_the_names_they_spell_one_by_one(values):
    finder = code_deadcode._Finder("m.py")
    finder.spelled(set(values))
    assert finder.used_names == _spelled_one_by_one(values)


@pytest.mark.parametrize(
    "value", ["name", "x" * 299, "x" * 300, "pkg.mod", "pkg.mod:obj", "t\u00e9st", "\u017fx", "a b", "_"]
)
def test_a_string_spells_what_it_spells_one_by_one(value):
    finder = code_deadcode._Finder("m.py")
    finder.spelled({value, "other"})
    assert finder.used_names == _spelled_one_by_one({value, "other"})


def test_each_kind_vulture_s_reachability_acts_on_has_its_function_and_no_other_kind_has_one():
    finder = code_deadcode._Finder("m.py")
    reaches = code_deadcode._reaches(finder.reachability)
    assert set(reaches) == code_deadcode._REACHABILITY
    assert reaches[ast.Return] == finder.reachability._no_fall_through_nodes.add


def test_the_statements_left_out_of_the_walk_are_those_nothing_is_done_for():
    finder = code_deadcode._Finder("m.py")
    kinds = code_deadcode._STATEMENTS
    handled = {kind for kind in kinds - code_deadcode._ANY_ORDER if getattr(finder, f"visit_{kind.__name__}", None)}
    assert handled | (code_deadcode._REACHABILITY & kinds) == code_deadcode._ACTING
    assert {ast.FunctionDef, ast.ClassDef, ast.Import, ast.If, ast.Return} <= code_deadcode._ACTING
    assert not {ast.Assign, ast.Expr, ast.Pass} & code_deadcode._ACTING
    text = "import os\nclass C:\n    def f(self):\n        x = 1\n        if x:\n            return\n        pass\n"
    indexed = index(ast.parse(text))
    every = list(map(type, indexed.nodes))
    walked = code_deadcode.statement_postorder(indexed, every, code_deadcode._ACTING)
    assert walked == [i for i in code_deadcode.statement_postorder(indexed, every) if every[i] in code_deadcode._ACTING]
    assert [every[i] for i in walked] == [ast.Import, ast.Return, ast.If, ast.FunctionDef, ast.ClassDef, ast.Module]
