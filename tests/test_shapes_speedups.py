"""What a file's summary keeps of its shapes (shapes.rows) is what the plain definition gives: each owner's body
(the module, a ``__main__`` guard, a class, a function) read from the tree with ``isinstance``, data left out,
each statement's shape its recursive hash; rows reads bodies from the shared index and tests types by identity."""

from __future__ import annotations

import ast
import zlib
from typing import Any

import pytest

from mldebt.collectors.code import shapes
from mldebt.collectors.code.tree import index, key

from .builders import snippets_and_sources

_LEAVES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)


def _shape(node: ast.AST) -> int:
    """A node's shape as defined: its token, then its children's shapes in field order (leaves left out)."""
    if isinstance(node, ast.Name):
        text = node.id
    elif isinstance(node, ast.Attribute):
        text = node.attr
    elif isinstance(node, ast.keyword):
        text = node.arg or "**"
    else:
        text = type(node).__name__
    token = zlib.crc32(text.encode("utf-8", "replace"))
    children = [_shape(child) for child in ast.iter_child_nodes(node) if not isinstance(child, _LEAVES)]
    return hash((token, *children)) if children else token


def _literal(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_literal(item) for item in node.elts)
    if isinstance(node, ast.Dict):
        return all(key is not None and _literal(key) for key in node.keys) and all(map(_literal, node.values))
    return False


def _data(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)):
        return True
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant)
    if isinstance(stmt, ast.If):
        return all(_data(s) for s in [*stmt.body, *stmt.orelse])
    if isinstance(stmt, ast.Try):
        handled = [s for handler in stmt.handlers for s in handler.body]
        return all(_data(s) for s in [*stmt.body, *stmt.orelse, *handled, *stmt.finalbody])
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return _literal(stmt.value)
    return False


def _main_guard(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.If)
        and isinstance(stmt.test, ast.Compare)
        and isinstance(stmt.test.left, ast.Name)
        and stmt.test.left.id == "__name__"
    )


def _defined(module: ast.Module, every_function: bool) -> dict[str, Any]:
    """shapes.rows as defined: the owners taken last in, first out, their bodies read statement by statement."""
    functions: list[list[Any]] = []
    statements: list[list[int]] = []
    owners: list[tuple[Any, str]] = [(module, "")]
    while owners:
        node, prefix = owners.pop()
        rows = []
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                owners.append((stmt, f"{prefix}{stmt.name}."))
            elif node is module and _main_guard(stmt):
                owners.append((stmt, prefix))
            elif not _data(stmt):
                rows.append([_shape(stmt) & ((1 << 48) - 1), (stmt.end_lineno or stmt.lineno) - stmt.lineno + 1])
        size = sum(lines for _, lines in rows)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            size >= shapes.MIN_FUNCTION_LINES or (every_function and len(rows) >= 2)
        ):
            functions.append([node.lineno, prefix.rstrip("."), rows])
        else:
            statements.extend(rows)
    functions.sort(key=lambda row: row[0])
    return {"functions": functions, "statements": statements}


SNIPPETS = [
    '''"""Doc."""
import os
from x import y
__all__ = ["a", ("b", 1), {"k": [1, 2.0, None]}]
TABLE = {**BASE, "k": 1}
SPREAD = {"k": 1, **BASE}
NESTED = [[1, 2], (3, {4}), {"a": {"b": "c"}}]
COMPUTED = [f(1), 2]
n: int
m: int = 3
m += 1
if sys.version_info >= (3, 11):
    import tomllib
else:
    tomllib = None
if DEBUG:
    level = 10
    print(level)
try:
    import numpy
except ImportError:
    numpy = None
finally:
    pass
try:
    import torch
except ImportError:
    torch = make()


@decorator(1, key=2)
class Holder(Base, metaclass=Meta, **options):
    """Doc."""

    size = 3

    def method(self, a, b=1, *rest, c: int = 2, **kw) -> int:
        x = a + b
        y = [x for x in rest if x]
        return x, y

    async def fetch(self):
        async with self.lock:
            await self.go()
        return 1


def long_one(x, /, y=[1, 2], *, z=None):
    """Doc."""
    y = x + 1
    if y:
        z = [1, 2]
    else:
        z = x
    def inner():
        return y
    class Local:
        pass
    return y, z


def short(a):
    a.b.c = 1
    return a


if __name__ == "__main__":
    long_one(2)
    if __name__ == "__main__":
        again()
    def under_guard():
        first()
        second()
''',
    "x = 1\n",
    "",
    "def f():\n    pass\n",
    "def f():\n    '''Only a docstring.'''\n",
    "class C:\n    def m(self):\n        a = 1\n        b = a\n        return a, b\n",
    "if name == '__main__':\n    run()\nif __name__ != '__main__':\n    other()\n",
    "def f(x):\n    match x:\n        case [1, *rest]:\n            return rest\n        case {'k': v, **more}:\n            return v\n",
    "def f():\n    g(a=1, **kw)\n    del x[0], y.z\n    global q\n    lambda: (yield)\n",
]


CORPUS = snippets_and_sources(SNIPPETS)


@pytest.mark.parametrize("every_function", [False, True])
def test_rows_are_the_definition(every_function: bool) -> None:
    checked = 0
    for rel, text in CORPUS:
        module = ast.parse(text)
        assert shapes.rows(index(module), every_function) == _defined(module, every_function), rel
        checked += 1
    assert checked > 100


def test_the_snippets_keep_and_leave_out_what_they_are_written_for() -> None:
    found = shapes.rows(index(ast.parse(SNIPPETS[0])), every_function=True)
    assert [(name, [lines for _, lines in body]) for _, name, body in found["functions"]] == [
        ("Holder.method", [1, 1, 1]),
        ("Holder.fetch", [2, 1]),
        ("long_one", [1, 4, 1]),
        ("under_guard", [1, 1]),
    ]
    # the module's TABLE and SPREAD (a spread is no literal), COMPUTED, ``n: int``, ``if DEBUG``, the try whose
    # handler calls; then the guard's call and inner if; short's return (``a.b.c = 1`` is data); inner's return.
    # The class keeps nothing (``size = 3``), nor the local class (``pass``)
    assert [lines for _, lines in found["statements"]] == [1, 1, 1, 1, 3, 4, 1, 2, 1, 1]


def test_the_index_notes_each_node_s_key_as_key_reads_it() -> None:
    checked = 0
    for _, text in CORPUS:
        indexed = index(ast.parse(text))
        assert indexed.keys == [key(node) for node in indexed.nodes]
        checked += len(indexed.nodes)
    assert checked > 100_000
    spread = ast.parse("f(*a, x=1, **kw).y")
    assert [k for k in index(spread).keys or () if isinstance(k, str)] == ["y", "f", "x", "**", "a", "kw"]


def test_nodes_made_by_hand_without_some_fields_get_the_shapes_of_the_definition() -> None:
    call = ast.Call(func=ast.Attribute(value=ast.Name(id="f"), attr="g"), args=[ast.Constant(value=1)])  # no keywords
    spread = ast.Dict(keys=[None, ast.Constant(value="k")], values=[ast.Name(id="d"), ast.Constant(value=2)])
    tree = ast.Module(body=[ast.Expr(value=call), ast.Expr(value=spread)], type_ignores=[])
    indexed = index(tree)
    assert indexed.keys is None  # read field by field: the shapes read each node's key themselves
    assert shapes.node_shapes(indexed) == [_shape(node) for node in indexed.nodes]


@pytest.mark.parametrize("text", [*SNIPPETS, "x", "f(a, b, c, d)", "[[[[1]]]]"])
def test_every_node_s_shape_is_the_definition(text: str) -> None:
    indexed = index(ast.parse(text))
    assert shapes.node_shapes(indexed) == [_shape(node) for node in indexed.nodes]
