"""The complexity measured by radon's visitor without its leaves (collectors/code/complexity) is radon's own.

Generated programs put every kind of decision point radon counts (if, elif, ternary,
and/or, loops with and without else, handlers, match cases, comprehension filters,
assertions) in every place an expression or a statement can stand, inside functions,
methods, closures, classes and lambdas; real code is this checkout and the standard
library. Each is held to radon's plain visitor: the total and every block's complexity.
"""

from __future__ import annotations

import ast
import sysconfig
import warnings
from pathlib import Path
from typing import Any

import radon.visitors
from hypothesis import given, settings
from hypothesis import strategies as st

from mldebt.collectors.code import complexity
from mldebt.collectors.code.tree import LEAF_TYPES

from .builders import python_sources

_NAMES = st.sampled_from(["a", "1", "x.y", "None", "f()", "b[0]"])
# an f-string's parts: decisions over names (an f-string in an f-string needs other quotes before Python 3.12)
_FSTRINGS = st.tuples(_NAMES, _NAMES, _NAMES).map(
    lambda t: 'f"{{{0} if {1} else {2}}} {{{0}!r:>{{{1} or {2}}}}}"'.format(*t)
)
_ATOMS = st.one_of(_NAMES, st.just("'s'"), _FSTRINGS)
# {0}, {1}, {2}: inner expressions; decision points first, then every other place an expression can stand
_SHAPES = [
    "({0} if {1} else {2})",
    "({0} and {1})",
    "({0} or {1} or {2})",
    "(not ({0} and {1}))",
    "[{0} for i in {1} if {2}]",
    "{{{0} for i in {1} if {1} if {2}}}",
    "{{k: {0} for k in {1} for j in {2}}}",
    "({0} for i in {1})",
    "(lambda q, r={1}: {0})",
    "({0}).z",
    "{0}[{1}]",
    "{0}[{1}:{2}]",
    "f({0}, *{1}, k={2}, **{0})",
    "(-{0})",
    "({0} + {1} * {2})",
    "({0} < {1} <= {2})",
    "[{0}, *{1}]",
    "{{{0}: {1}, **{2}}}",
    "(w := {0})",
    "({0}, {1})",
]


def _expression(inner: Any) -> Any:
    return st.tuples(st.sampled_from(_SHAPES), inner, inner, inner).map(lambda t: t[0].format(*t[1:]))


EXPRESSIONS = st.recursive(_ATOMS, _expression, max_leaves=6)
_SIMPLE = [
    "x = {0}",
    "x: {0} = {1}",
    "x.y += {0}",
    "return {0}",
    "assert {0}, {1}",
    "assert {0}",
    "{0}",
    "del x, y[{0}]",
    "raise E({0}) from {1}",
    "import a.b as c",
    "pass",
    "global g",
    "for i in {0}: pass",
]


def _simple() -> Any:
    return st.tuples(st.sampled_from(_SIMPLE), EXPRESSIONS, EXPRESSIONS).map(
        lambda t: ("simple", t[0].format(t[1], t[2]))
    )


def _compound(inner: Any) -> Any:
    body = st.lists(inner, min_size=1, max_size=3)
    maybe = st.lists(inner, max_size=2)
    return st.one_of(
        st.tuples(st.just("if"), EXPRESSIONS, body, st.lists(st.tuples(EXPRESSIONS, body), max_size=2), maybe),
        st.tuples(st.sampled_from(["for", "while"]), EXPRESSIONS, body, maybe),
        st.tuples(st.just("try"), body, st.lists(body, max_size=3), maybe, maybe, st.booleans()),
        st.tuples(st.just("with"), EXPRESSIONS, body),
        st.tuples(st.just("match"), EXPRESSIONS, st.lists(body, min_size=1, max_size=3), st.booleans()),
        st.tuples(st.sampled_from(["def", "async def"]), EXPRESSIONS, EXPRESSIONS, body),
        st.tuples(st.just("class"), EXPRESSIONS, body),
    )


PROGRAMS = st.lists(st.recursive(_simple(), _compound, max_leaves=16), min_size=1, max_size=4)


def _lines(statement: tuple[Any, ...], indent: str, in_async: bool = False) -> list[str]:
    kind, *parts = statement
    if kind == "simple":
        return [indent + parts[0]]

    def block(head: str, body: list[Any], is_async: bool = in_async) -> list[str]:
        return [indent + head] + [line for each in body for line in _lines(each, indent + "    ", is_async)]

    if kind == "if":
        test, body, elifs, orelse = parts
        out = block(f"if {test}:", body)
        for other, then in elifs:
            out += block(f"elif {other}:", then)
        return out + (block("else:", orelse) if orelse else [])
    if kind in ("for", "while"):
        test, body, orelse = parts
        head = (
            f"{'async ' if in_async and kind == 'for' else ''}for i in {test}:" if kind == "for" else f"while {test}:"
        )
        return block(head, body) + (block("else:", orelse) if orelse else [])
    if kind == "try":
        body, handlers, orelse, final, star = parts
        if not handlers and not final:
            final = [("simple", "pass")]
        out = block("try:", body)
        for each in handlers:
            out += block("except* E:" if star else "except E as e:", each)
        if orelse and handlers:
            out += block("else:", orelse)
        return out + (block("finally:", final) if final else [])
    if kind == "with":
        return block(f"{'async ' if in_async else ''}with {parts[0]} as w:", parts[1])
    if kind == "match":
        subject, cases, wildcard = parts
        out = [indent + f"match {subject}:"]
        for number, body in enumerate(cases):
            pattern = "_" if wildcard and number == len(cases) - 1 else f"[{number}, *rest] | {{'k': {number}}}"
            out += [indent + f"    case {pattern}:"] + [
                line for each in body for line in _lines(each, indent + " " * 8)
            ]
        return out
    if kind in ("def", "async def"):
        decorator, default, body = parts
        is_async = kind == "async def"
        return [indent + f"@d({decorator})"] + block(
            f"{kind} g(p: {default} = {default}, *s) -> {default}:", body, is_async
        )
    return [indent + f"@d({parts[0]})"] + block(f"class C(B, metaclass={parts[0]}):", parts[1], False)


def _blocks(found: Any) -> list[tuple[str, int, int]]:
    return sorted((block.name, block.lineno, block.complexity) for block in found.blocks)


def _same_as_radon(tree: ast.Module) -> None:
    plain = radon.visitors.ComplexityVisitor.from_ast(tree)
    lean = complexity.visitor().from_ast(tree)
    assert lean.total_complexity == plain.total_complexity
    assert _blocks(lean) == _blocks(plain)
    assert complexity.measured(tree) == plain.total_complexity


@settings(max_examples=250, deadline=None)
@given(PROGRAMS)
def test_a_generated_program_s_complexity_is_radon_s(program):
    text = "\n".join(line for statement in program for line in _lines(statement, ""))
    _same_as_radon(ast.parse(text))


def test_radon_s_visitor_is_the_lean_one_here():
    assert complexity.visitor() is not radon.visitors.ComplexityVisitor  # else the tests above compare radon to itself
    assert issubclass(complexity.visitor(), radon.visitors.ComplexityVisitor)


def test_the_checkout_s_and_the_standard_library_s_complexity_is_radon_s():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = [text for _, text in python_sources("mldebt", "collectors", "tests", "bench")]
    for path in sorted(stdlib.glob("*.py")):  # the standard library's own modules
        files.append(path.read_text(errors="replace"))
    measured = 0
    for text in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # an old module's invalid escape, not the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = ast.parse(text)
        _same_as_radon(tree)
        measured += 1
    assert measured > 300


def test_a_radon_whose_visits_are_not_the_known_ones_is_used_as_it_is(monkeypatch):
    def visit_functiondef(self: Any, node: ast.AST) -> None:  # a later radon's, naming no ComplexityVisitor
        self.generic_visit(node)

    monkeypatch.setattr(radon.visitors.ComplexityVisitor, "visit_FunctionDef", visit_functiondef)
    complexity.visitor.cache_clear()
    try:
        assert complexity.visitor() is radon.visitors.ComplexityVisitor
        assert complexity.measured(ast.parse("def f(a):\n    return 1 if a else 2\n")) == 2
    finally:
        monkeypatch.undo()
        complexity.visitor.cache_clear()
    assert complexity.visitor() is not radon.visitors.ComplexityVisitor


def test_a_tree_too_deep_for_radon_has_no_complexity():
    deep: ast.expr = ast.Name("a", ast.Load())
    for _ in range(100_000):  # deeper than any recursion limit: radon's visit cannot finish
        deep = ast.IfExp(ast.Name("b", ast.Load()), deep, ast.Constant(0))
    assert complexity.measured(ast.Module([ast.Expr(deep)], [])) is None


def test_radon_s_generic_visit_sees_only_the_kinds_it_counts_and_no_leaf_is_visited():
    complexity.visitor.cache_clear()
    lean = complexity.visitor()
    seen: list[str] = []
    generic = radon.visitors.ComplexityVisitor.generic_visit

    def noting(self: Any, node: ast.AST) -> None:
        seen.append(type(node).__name__)
        generic(self, node)

    lean.visits.generic_visit = noting  # before any kind is met: every kind counted goes through it
    text = (
        "x = a + 1\nclass C:\n    y = b\n    def m(self):\n        def inner():\n"
        "            return [c or d for i in e if f(g if h else k)]\n"
        "        for i in j:\n            try:\n                pass\n            except E:\n                pass\n"
    )
    leaves: list[str] = []
    nothing = lean.visit_Name

    def leaf(self: Any, node: ast.AST) -> None:
        leaves.append(type(node).__name__)

    for name in complexity._LEAVES:
        assert getattr(lean, f"visit_{name}") is nothing  # a leaf's visit does nothing
    try:
        for name in complexity._LEAVES:
            setattr(lean, f"visit_{name}", leaf)
        lean.visits.clear()
        assert (
            complexity.measured(ast.parse(text))
            == radon.visitors.ComplexityVisitor.from_ast(ast.parse(text)).total_complexity
        )
    finally:
        for name in complexity._LEAVES:
            setattr(lean, f"visit_{name}", nothing)
        complexity.visitor.cache_clear()
    assert sorted(set(seen)) == ["BoolOp", "For", "IfExp", "Try", "comprehension"]
    assert {"Name", "Constant"} <= set(leaves)  # reached, and done with at once
    assert "Load" not in leaves  # a context is not even reached: the written-out visits skip it
    assert complexity.visitor() is not lean  # a fresh table: no test's hook stays in it


def test_the_kinds_counted_are_those_radon_s_generic_visit_names():
    counted = complexity._counted(radon.visitors.ComplexityVisitor.generic_visit)
    assert counted is not None
    assert {"If", "IfExp", "For", "AsyncFor", "While", "Try", "BoolOp", "comprehension", "Match"} <= counted
    assert not counted & set(complexity._LEAVES)

    def generic_visit(self: Any, node: ast.AST) -> None:  # a later radon's, by isinstance: not read as known
        if isinstance(node, ast.If):
            self.complexity += 1

    assert complexity._counted(generic_visit) is None


def test_every_kind_s_children_are_visited_as_node_visitor_visits_them():
    """In order, leaving out only the contexts and operators, leaves no complexity counts (``tree.LEAF_TYPES``)."""
    visits: list[ast.AST] = []

    class Noting:
        def visit(self, node: ast.AST) -> None:
            visits.append(node)

    def children(node: ast.AST) -> list[ast.AST]:
        return [child for child in ast.iter_child_nodes(node) if not isinstance(child, LEAF_TYPES)]

    kinds: set[type] = set()
    for _, source in python_sources("collectors", "tests"):
        for node in ast.walk(ast.parse(source)):
            visits.clear()
            complexity._children_visit(type(node))(Noting(), node)
            assert visits == children(node), type(node).__name__
            kinds.add(type(node))
    assert len(kinds) > 60
    spread = ast.parse("{**a, 'k': v}").body[0].value  # type: ignore[attr-defined]  # a dict with a None key
    for visit in (complexity._children_visit(ast.Dict), complexity._each_field_visit):  # the latter: any kind
        visits.clear()
        visit(Noting(), spread)
        assert visits == children(spread)
