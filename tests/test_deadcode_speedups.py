"""The dead-code pass's cheaper paths give what vulture's own visit gives, on programs made to reach every corner.

tests/test_deadcode_shortcuts.py holds each shortcut to vulture's rules one by one, and
tests/test_repo_code_tree.py to vulture's visit over real code; real code seldom has unreachable
statements, constant conditions or definitions vulture leaves out, so here generated programs nest
every statement that holds a body, with statements after which nothing runs at every place in them,
conditions vulture can and cannot evaluate, and definitions of every kind.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vulture.core import Item, Vulture

from mldebt.collectors.code import deadcode as code_deadcode
from mldebt.collectors.code.callbacks import Classes, is_hook
from mldebt.collectors.code.scan import summarise
from mldebt.collectors.code.tree import index

from .builders import python_sources
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


def _unused_through_vulture(
    states: list[tuple[str, dict[str, Any]]], min_confidence: int = 60, named: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """deadcode.unused as defined: every definition an Item of one Vulture, which lists the unused ones.

    Vulture orders them by place, then type, then name in lower case; the order of two it cannot tell apart so
    (``import Burnup, burnup``; paths that differ in case only) is that of its set of items, which changes with
    the hash seed: here, as in deadcode.unused, it is the order in which they were defined.
    """
    finder = Vulture()
    defined_at: dict[int, int] = {}  # id of an Item -> when it was defined
    finder.used_names.update(named)
    classes = Classes()
    exposed: set[str] = set()
    patterns: set[str] = set()
    for rel, state in states:
        exposed.update(state.get("exposed", ()))
        patterns.update(state.get("patterns", ()))
        finder.used_names.update(state.get("used", ()))
        parts = rel.split("/")
        classes.roots.update(parts[:-1])
        classes.roots.add(parts[-1].rsplit(".", 1)[0])
        for row in state.get("classes", ()):
            classes.add(rel, row)
        for typ, name, first, last, confidence, message in state.get("defined", ()):
            bucket = "unreachable_code" if typ == "unreachable_code" else f"defined_{code_deadcode._TYPES[typ]}"
            item = Item(name, typ, Path(rel), first, last, message, confidence)
            defined_at[id(item)] = len(defined_at)
            getattr(finder, bucket).append(item)
    hooks, discovered = classes.hooks() if classes.bases else ({}, set())
    commands = {key for name in exposed for key in classes.by_name.get(name, ())}
    found = []
    ranks = {typ: rank for rank, typ in enumerate(code_deadcode._TYPES)}  # the order of vulture's lists

    def ties_as_defined(item: Item) -> tuple[str, int, int, str, int]:
        name = "" if item.typ == "unreachable_code" else item.name.lower()  # kept in the order reported
        return str(item.filename).lower(), item.first_lineno, ranks[item.typ], name, defined_at[id(item)]

    listed = finder.get_unused_code(min_confidence=min_confidence)
    in_order = [ties_as_defined(item)[:4] for item in listed]
    assert in_order == sorted(in_order)  # vulture's order, but for ties
    for item in sorted(listed, key=ties_as_defined):
        if any(fnmatchcase(item.name, pattern) for pattern in patterns):
            continue
        rel = item.filename.as_posix()
        owner = classes.owner.get((rel, item.first_lineno)) if item.typ in code_deadcode._CALLABLES else None
        if owner is not None and (is_hook(item.name, hooks[owner]) or (owner in commands and item.name[0] != "_")):
            continue
        if item.typ == "class" and (rel, item.first_lineno) in discovered:
            continue
        found.append(
            {
                "path": rel,
                "line": item.first_lineno,
                "type": item.typ,
                "name": item.name,
                "confidence": item.confidence,
                "message": item.message,
            }
        )
    return found


def _real_states() -> list[tuple[str, dict[str, Any]]]:
    states = []
    for rel, text in python_sources("collectors", "mldebt", "sample_projects", "scripts"):
        summary = summarise(rel, text)
        if "dead" in summary:
            states.append((rel, summary["dead"]))
    return states


def _using(state: dict[str, Any], used: list[str]) -> dict[str, Any]:
    """``state`` as its file's worker would give it had the file used ``used``: its ``unused_here`` (which rows
    those uses leave open) made anew, as deadcode.unused reads it."""
    edited = {**state, "used": used}
    if "unused_here" in state:
        edited["unused_here"] = code_deadcode.unused_here(state["defined"], set(used))
    return edited


REAL_STATES = _real_states()
# the same files with every other file's uses left out: much of what the others define is then unused
HALF_USED = [(rel, _using(state, []) if n % 2 else state) for n, (rel, state) in enumerate(REAL_STATES)]


@pytest.mark.parametrize(
    ("states", "min_confidence", "at_least"),
    [(REAL_STATES, 60, 40), (HALF_USED, 0, 700), (HALF_USED, 60, 700), (HALF_USED, 90, 200)],
    ids=["real", "half_used-0", "half_used-60", "half_used-90"],
)
def test_unused_code_of_real_files_is_what_one_vulture_of_every_item_lists(states, min_confidence, at_least):
    found = code_deadcode.unused(states, min_confidence, named=("main", "run"))
    assert found == _unused_through_vulture(states, min_confidence, named=("main", "run"))
    assert len(found) >= at_least


# Definitions drawn over few names (upper and lower case, which vulture sorts as one), paths that Path makes one
# ("./a.py" and "a.py") or that differ in case, places defined twice with other confidences and messages, and
# unreachable code named as a used name; classes with members and bases so that hooks and owners matter.
_NAMES = ["a", "B", "b", "c", "Dd", "e_f", "G", "if", "run", "Zed", "_x", "__y__"]
_PATHS = ["a.py", "./a.py", "B.py", "b.py", "pkg/c.py", "pkg/C2.py", "pkg//d.py", "tests/t.py"]
_TYPES = ["class", "function", "import", "method", "property", "attribute", "variable", "unreachable_code"]
_DEFINITION = st.tuples(
    st.sampled_from(_TYPES),
    st.sampled_from(_NAMES),
    st.integers(1, 6),
    st.sampled_from([0, 50, 60, 90, 100]),
    st.sampled_from(["", "unused thing"]),
)
_STATE = st.fixed_dictionaries(
    {
        "defined": st.lists(_DEFINITION, max_size=12),
        "used": st.lists(st.sampled_from(_NAMES), max_size=4),
    },
    optional={
        "classes": st.lists(
            st.tuples(
                st.sampled_from(_NAMES),
                st.integers(1, 6),
                st.lists(st.sampled_from(["?Base", "torch.nn.Module", "?a", "pkg.c.B", "object"]), max_size=2),
                st.lists(st.tuples(st.sampled_from(_NAMES), st.integers(1, 6)), max_size=3),
            ),
            max_size=2,
        ),
        "exposed": st.lists(st.sampled_from(_NAMES), max_size=1),
        "patterns": st.lists(st.sampled_from(["r*", "*d", "e_*"]), max_size=1),
    },
)


def _as_read_back(state: dict[str, Any]) -> dict[str, Any]:
    """A drawn state as a summary read back from JSON holds it: rows as lists."""
    defined = [
        [typ, name, line, line + 1, confidence, message] for typ, name, line, confidence, message in state["defined"]
    ]
    classes = [
        [name, line, list(bases), [list(m) for m in members]] for name, line, bases, members in state.get("classes", ())
    ]
    return {**state, "defined": defined, **({"classes": classes} if classes else {})}


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(_PATHS), _STATE, max_size=5), st.sampled_from([0, 60, 100]))
def test_unused_code_of_drawn_states_is_what_one_vulture_of_every_item_lists(drawn, min_confidence):
    states = [(rel, _as_read_back(state)) for rel, state in drawn.items()]
    found = code_deadcode.unused(states, min_confidence, named=("G",))
    assert found == _unused_through_vulture(states, min_confidence, named=("G",))


def test_a_definition_found_twice_in_one_place_is_its_first_one_as_vulture_keeps_it():
    twice = [["import", "os", 3, 3, 50, ""], ["import", "os", 3, 3, 90, "again"], ["function", "f", 5, 6, 60, ""]]
    states = [("m.py", {"defined": twice, "used": []}), ("./m.py", {"defined": [["import", "os", 3, 3, 90, ""]]})]
    for min_confidence in (0, 60):
        found = code_deadcode.unused(states, min_confidence)
        assert found == _unused_through_vulture(states, min_confidence)
        assert [(f["name"], f["confidence"]) for f in found] == ([("os", 50)] if min_confidence == 0 else []) + [
            ("f", 60)
        ]


_ENTRY_ALPHABET = "aZ_9.:-= \"'[,\u00e9\n" + "entry-point" + "target"
ENTRY_LIKE = st.text(alphabet=_ENTRY_ALPHABET, max_size=40) | st.sampled_from(
    ["pkg.mod:func", "uvicorn app.main:app", "--entry-point=trigger", "--target 'f'", "a:b", "x: y", "--e", "9:_"]
)


@settings(max_examples=500, deadline=None)
@given(st.sets(ENTRY_LIKE, max_size=6))
def test_strings_that_may_name_an_entry_point_are_all_that_name_one(values):
    for value in values:
        if code_deadcode.entry_names(value):
            assert code_deadcode._MAYBE_ENTRY.search(value), value
    finder = code_deadcode._Finder("m.py")
    finder.spelled(set(values))
    assert finder.used_names == _spelled_one_by_one(values)


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("tool = pkg.cli:main", {"main"}),
        ("uvicorn app.main:app --reload", {"app"}),
        ("deploy --entry-point=trigger", {"trigger"}),
        ("run --target 'handler'", {"handler"}),
        ("Error: %s", set()),
        ("a --b -- c", set()),
    ],
)
def test_a_string_naming_an_entry_point_is_searched_and_one_naming_none_need_not_be(value, names):
    assert code_deadcode.entry_names(value) == names
    assert bool(code_deadcode._MAYBE_ENTRY.search(value)) == bool(names)
    finder = code_deadcode._Finder("m.py")
    finder.spelled({value})
    assert names <= finder.used_names
    assert finder.used_names == _spelled_one_by_one({value})
