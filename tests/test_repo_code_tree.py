"""The shared node index and the recursion-free vulture visit give exactly what ast.walk and vulture's own visit give.

Checked on real code (modules of the running Python's standard library, read
as text, never imported for this) and on snippets made for vulture's corners.
"""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import pytest

from mldebt.collectors.code import deadcode as code_deadcode
from mldebt.collectors.code.scan import summarise
from mldebt.collectors.code.tree import index, postorder, subtree

STDLIB = Path(sysconfig.get_paths()["stdlib"])
REAL = [
    "ast.py",
    "typing.py",
    "argparse.py",
    "dataclasses.py",
    "asyncio/base_events.py",
    "json/decoder.py",
    "unittest/mock.py",
]
LEAVES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
CORNERS = """
import os, sys as system
from typing import *
__all__ = ["exported"]

def exported(): pass
def unused_function(x, *args, y=1, **kw):
    return x
    print("never")
class Unused:
    @property
    def prop(self): return 1
    @staticmethod
    def helper(): pass
    def method(self):
        while True:
            pass
        return 2
def reached():
    if False:
        return 1
    try:
        raise ValueError
    except ValueError:
        return getattr(system, "path")
    else:
        pass
    x = 1 if True else 2
    "{a}".format(**locals())
    match x:
        case Point(x=0, kwd=1): pass
    del os
    for i in range(3):
        continue
        i += 1
    with open("f") as fh:
        raise SystemExit
    y = 2
@app.route("/")
def view(): pass
def branches(a, b):
    if a.ready and not b():
        return 1
    elif b[0] > 2:
        raise ValueError
    else:
        return 3
    print("after an if every branch of which returns")
    if a:
        return 4
    print("reached: the if has no else")
    while a:
        return 5
    while not a or (b and 0):
        break
    if set():
        pass
    if not (a or b):
        print("kept")
    else:
        return 6
        print("never")
    z = 1 if (yield) else 2
"""


def _sources() -> list[tuple[str, str]]:
    found = [(name, (STDLIB / name).read_text(encoding="utf-8")) for name in REAL if (STDLIB / name).is_file()]
    assert len(found) >= 5, "the standard library's sources are not where sysconfig says"
    return found + [("corners.py", CORNERS)]


def _many() -> list[tuple[str, str]]:
    """Every 15th module of the standard library (tests and site-packages left out): real code in bulk."""
    skip = {"site-packages", "test", "tests", "idlelib", "lib2to3"}
    paths = sorted(p for p in STDLIB.rglob("*.py") if not skip & set(p.relative_to(STDLIB).parts))
    found = []
    for path in paths[::15]:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            shallow = index(ast.parse(text)).depth <= code_deadcode.FAST_DEPTH  # deeper: vulture's own visit anyway
        except SyntaxError:  # a grammar test module
            continue
        if shallow:
            found.append((path.relative_to(STDLIB).as_posix(), text))
    assert len(found) >= 30
    return found


@pytest.mark.parametrize("name,text", _sources(), ids=lambda v: v if v.endswith(".py") else "")
def test_the_index_is_ast_walk_less_contexts_and_operators(name, text):
    tree = ast.parse(text)
    indexed = index(tree)
    assert [id(n) for n in indexed.nodes] == [id(n) for n in ast.walk(tree) if not isinstance(n, LEAVES)]
    some = next(i for i, n in enumerate(indexed.nodes) if isinstance(n, ast.FunctionDef))
    below = [id(n) for n in ast.walk(indexed.nodes[some]) if not isinstance(n, LEAVES)]
    assert [id(indexed.nodes[i]) for i in subtree(indexed, some)] == below
    order = postorder(indexed)
    assert sorted(order) == list(range(len(indexed.nodes))) and order[-1] == 0
    place = {node: k for k, node in enumerate(order)}
    assert all(place[c] < place[i] for i in range(len(indexed.nodes)) for c in indexed.children(i))


@pytest.mark.parametrize("name,text", _sources(), ids=lambda v: v if v.endswith(".py") else "")
def test_the_recursion_free_visit_finds_what_vulture_finds(name, text):
    tree = ast.parse(text)
    lines = text.splitlines()
    fast = code_deadcode.file_state(tree, name, lines, index(tree))
    assert fast == code_deadcode.file_state(tree, name, lines)  # vulture's own recursive visit
    if name == "corners.py":
        kinds = {row[0] for row in fast["defined"]}
        assert {"function", "class", "method", "property", "import", "unreachable_code"} <= kinds
        assert {"exported", "path", "a", "kwd", "os"} <= set(fast["used"])


def test_a_tree_too_deep_for_the_fast_visit_gets_vulture_s_own():
    deep = "x = " + "-" * (code_deadcode.FAST_DEPTH + 50) + "1\ndef unused(): pass\n"
    tree = ast.parse(deep)
    assert index(tree).depth > code_deadcode.FAST_DEPTH
    assert code_deadcode.file_state(tree, "d.py", deep.splitlines(), index(tree)) == code_deadcode.file_state(
        tree, "d.py", deep.splitlines()
    )


def test_a_file_too_deep_for_vulture_is_still_reported_as_too_deep():
    summary = summarise("deep.py", "x = " + "-" * 800 + "1\n")
    assert summary["error"] == {"message": "cannot analyse: RecursionError (nested too deeply)", "line": None}


@pytest.mark.parametrize("name,text", _many(), ids=lambda v: v if v.endswith(".py") else "")
def test_the_fast_reachability_reports_what_vulture_reports_on_the_standard_library(name, text):
    tree = ast.parse(text)
    lines = text.splitlines()
    assert code_deadcode.file_state(tree, name, lines, index(tree)) == code_deadcode.file_state(tree, name, lines)


def test_the_statements_walk_is_the_post_order_among_statements():
    for name, text in _sources():
        indexed = index(ast.parse(text))
        kinds = list(map(type, indexed.nodes))
        expected = [i for i in postorder(indexed) if kinds[i] in code_deadcode._STATEMENTS]
        assert code_deadcode.statement_postorder(indexed, kinds) == expected, name


def test_what_holds_statements_is_what_ast_says_holds_them():
    holders = {
        kind
        for kind in code_deadcode._STATEMENTS
        if any(f"{held}* " in (kind.__doc__ or "") for held in ("stmt", "excepthandler", "match_case"))
    }
    assert holders == code_deadcode._HOLDERS
    expressions = {kind for kind in vars(ast).values() if isinstance(kind, type) and issubclass(kind, ast.expr)}
    assert not expressions & code_deadcode._STATEMENTS


def test_every_handler_of_a_node_is_called_in_any_order_or_on_a_statement():
    finder = code_deadcode._Finder("m.py")
    kinds = {kind for kind in vars(ast).values() if isinstance(kind, type) and issubclass(kind, ast.AST)}
    handled = {kind for kind in kinds if getattr(finder, f"visit_{kind.__name__}", None) is not None}
    assert handled - code_deadcode._ANY_ORDER <= code_deadcode._STATEMENTS
    assert ast.Name in handled and ast.FunctionDef in handled


ORDERED = [
    ("fire.py", "Fire(Tool)\nfrom fire import Fire\nclass Tool:\n    def run(self): pass\nFire(Other)\n"),
    (
        "cli.py",
        "from jsonargparse import CLI as Fire\ndef main(): pass\nFire(main)\nimport fire as Fire\nFire.Fire()\n",
    ),
    ("ternary.py", "x = 1 if True else 2\ny = 3 if 0 else 4\nz = 5 if a else 6\ndef f(): pass\n"),
    ("plain.py", "import os\nz = 5 if not (a or b) else 6\n__all__ = ['f']\ndef f(): return '%(x)s' % locals()\n"),
]


@pytest.mark.parametrize("name,text", ORDERED, ids=[name for name, _ in ORDERED])
def test_expressions_whose_handling_depends_on_the_order_get_every_node_in_order(name, text, monkeypatch):
    tree = ast.parse(text)
    lines = text.splitlines()
    in_order = []
    monkeypatch.setattr(code_deadcode, "_visit_in_order", lambda *args: in_order.append(args))
    code_deadcode.file_state(tree, name, lines, index(tree))
    assert bool(in_order) == (name != "plain.py")
    monkeypatch.undo()
    assert code_deadcode.file_state(tree, name, lines, index(tree)) == code_deadcode.file_state(tree, name, lines)


def test_nodes_made_by_hand_without_some_fields_are_indexed_as_ast_walk_gives_them():
    call = ast.Call(func=ast.Name(id="f", ctx=ast.Load()), args=[ast.Constant(value=1)])  # no keywords field
    spread = ast.Dict(keys=[None, ast.Constant(value="k")], values=[ast.Name(id="d"), ast.Constant(value=2)])
    tree = ast.Module(body=[ast.Expr(value=call), ast.Expr(value=spread)], type_ignores=[])
    indexed = index(tree)
    assert [id(n) for n in indexed.nodes] == [id(n) for n in ast.walk(tree) if not isinstance(n, LEAVES)]
    assert indexed.depth == 3 and len(indexed.starts) == len(indexed.nodes) + 1
