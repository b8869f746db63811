"""The index's loop and the visitor's passes, made cheaper, give what their plain definitions give.

The index handles its commonest node types in the loop itself and takes every list of nodes whole but the two
that can hold None; what it lists is held here, node by node, to ``ast.iter_child_nodes`` less the leaves, with
each node's key and type. The visitor reads the nodes' types from the index and looks up every type's code in one
table; each type's code is held to the table of the types the passes pick.
"""

from __future__ import annotations

import ast

import pytest

from mldebt.collectors.code import tree, visit
from mldebt.collectors.code.tree import index, key

from .builders import python_sources

_LEAVES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)

SNIPPETS = [
    # the two lists that can hold None, with and without it
    "d = {**a, 'k': 1, **b}\ne = {1: 2}\nf = {}\n",
    "def f(a, /, b=1, *c, d, e=2, f, **g): pass\ndef h(*, x): pass\ndef i(*, y=3): pass\nlambda *, z: z\n",
    # each written-out type, with its optional fields set and not
    "x: int\ny: int = 1\nz = w = v.u.t\n",
    "@d\nasync def f(a: int = 1, *b: str, c, **d) -> None:\n    'doc'\n    return\n\nreturn_ = lambda: 0\n",
    "if a < b <= c:\n    pass\nelif d:\n    pass\nelse:\n    f(*g, h=1, **i)\n",
    "def f():\n    return a.b(c)[d]\n",
    "class C(B, metaclass=M):\n    def m(self, *args, **kwargs):\n        yield from (x for x in y if x)\n",
    "match p:\n    case {'k': v, **rest}:\n        pass\n    case [1, *others] | C(a=1):\n        pass\n",
    "try:\n    pass\nexcept* E as e:\n    raise X from e\nfinally:\n    del q\n",
    "x",
    "",
]


def _corpus() -> list[tuple[str, str]]:
    files = [(f"snippet{n}.py", text) for n, text in enumerate(SNIPPETS)]
    return files + python_sources("sample_projects", "collectors", "mldebt", "tests")


CORPUS = _corpus()


def _children(node: ast.AST) -> list[ast.AST]:
    return [child for child in ast.iter_child_nodes(node) if not isinstance(child, _LEAVES)]


def test_the_index_lists_each_node_s_children_key_and_type_as_defined() -> None:
    checked = 0
    for rel, text in CORPUS:
        indexed = index(ast.parse(text))
        nodes = indexed.nodes
        assert indexed.keys is not None, rel  # the loop's own way, not field by field
        assert [id(n) for n in nodes] == [id(n) for n in ast.walk(nodes[0]) if not isinstance(n, _LEAVES)], rel
        for i, node in enumerate(nodes):
            assert [id(n) for n in nodes[indexed.starts[i] : indexed.starts[i + 1]]] == list(
                map(id, _children(node))
            ), (rel, i)
        assert indexed.keys == [key(node) for node in nodes], rel
        assert indexed.kinds == [type(node) for node in nodes], rel
        assert len(indexed.starts) == len(nodes) + 1
        checked += len(nodes)
    assert checked > 100_000


def test_every_type_the_loop_writes_out_and_every_list_that_can_hold_none_is_met() -> None:
    met: set[type[ast.AST]] = set()
    holes = {"keys": False, "kw_defaults": False}
    for _, text in CORPUS:
        for node in ast.walk(ast.parse(text)):
            met.add(type(node))
            if isinstance(node, ast.Dict) and None in node.keys:
                holes["keys"] = True
            if isinstance(node, ast.arguments) and None in node.kw_defaults:
                holes["kw_defaults"] = True
    assert set(tree._WRITTEN_OUT) <= met
    assert all(holes.values())
    assert {name for _, name in tree._HOLES} == set(holes)


def test_a_list_that_holds_none_where_the_index_does_not_expect_it_is_read_field_by_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "d = {**a, 'k': 1}\ndef f(*, b, c=1): pass\n"
    module = ast.parse(text)
    monkeypatch.setattr(tree, "_HOLES", set())
    monkeypatch.setattr(tree, "_CHILDREN", {})
    monkeypatch.setattr(tree, "_index_loop", tree._loop())
    indexed = index(module)
    assert [id(n) for n in indexed.nodes] == [id(n) for n in ast.walk(module) if not isinstance(n, _LEAVES)]
    assert indexed.keys is None  # the loop met a None: the nodes were read field by field


def test_each_type_s_code_is_its_code_in_the_table_of_picked_types() -> None:
    picked = {*visit._NAMING, *visit._HANDLERS, ast.Constant, *visit._BINDERS}
    codes = {kind: code for code, kind in enumerate(sorted(picked, key=lambda kind: kind.__name__), 1)}
    every = {kind for _, text in CORPUS for kind in map(type, ast.walk(ast.parse(text)))}
    assert every - picked  # types no pass picks are met too
    for kind in sorted(every | picked, key=lambda kind: kind.__name__):
        assert visit._CODES[kind] == codes.get(kind, 0), kind
