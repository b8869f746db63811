"""The index's loop and the visitor's passes, made cheaper, give what their plain definitions give.

The index handles its commonest node types in the loop itself and takes every list of nodes whole but the two
that can hold None; what it lists is held here, node by node, to ``ast.iter_child_nodes`` less the leaves, with
each node's key and type. The visitor reads the nodes' types from the index and looks up every type's code in one
table; each type's code is held to the table of the types the passes pick.
"""

from __future__ import annotations

import ast
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code import scan, tree, visit
from mldebt.collectors.code.tree import index, key

from .builders import below, plain_if, plain_module_level, python_sources, snippets_and_sources, visit_summaries

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


CORPUS = snippets_and_sources(SNIPPETS)


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
        assert indexed.kinds is indexed.kinds  # listed once, for every analysis that reads it
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
    assert {name for _, name in tree.HOLES} == set(holes)


def test_a_list_that_holds_none_where_the_index_does_not_expect_it_is_read_field_by_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "d = {**a, 'k': 1}\ndef f(*, b, c=1): pass\n"
    module = ast.parse(text)
    monkeypatch.setattr(tree, "HOLES", set())
    monkeypatch.setattr(tree, "_CHILDREN", {})
    monkeypatch.setattr(tree, "_LOOPS", {})
    indexed = index(module, visit._PICKS)
    assert [id(n) for n in indexed.nodes] == [id(n) for n in ast.walk(module) if not isinstance(n, _LEAVES)]
    assert indexed.keys is None  # the loop met a None: the nodes were read field by field
    assert [[id(n) for n in nodes] for nodes in indexed.picked] == [
        [id(n) for n in indexed.nodes if type(n) in types] for types in visit._PICKS
    ]


PICKS = [
    visit._PICKS,
    (frozenset({ast.Module, ast.Name, ast.keyword}), frozenset(), frozenset({ast.Name, ast.Call, ast.BinOp})),
    (frozenset(tree._WRITTEN_OUT), frozenset({ast.Dict, ast.alias, ast.arg, ast.ClassDef})),
]


@pytest.mark.parametrize("picks", PICKS)
def test_the_index_picks_the_nodes_of_the_types_asked_for_in_its_order(picks: tree.Picks) -> None:
    checked = 0
    for rel, text in CORPUS:
        indexed = index(ast.parse(text), picks)
        assert indexed.picks == picks and len(indexed.picked) == len(picks)
        for types, picked in zip(picks, indexed.picked):
            assert list(map(id, picked)) == [id(n) for n in indexed.nodes if type(n) in types], (rel, types)
            checked += len(picked)
    assert checked > 10_000


def test_the_visitor_s_passes_pick_what_they_look_at() -> None:
    assert (frozenset(visit._NAMING), frozenset({*visit._HANDLERS, ast.Constant})) == visit._PICKS
    module = ast.parse("import os\nx = f(1)\n")
    run = visit.Visit("m.py")
    run.run(module, index(module))  # an index without the visitor's picks: indexed again, with them
    assert run.tree is not None and run.tree.picks == visit._PICKS and run.summary()["imports"] == ["os"]


NOTEBOOKS = [
    "import papermill as pm\npm.execute_notebook('nb/report.ipynb', 'out.ipynb')\n",
    "run_notebook('a/b.ipynb')\nrun_all(['x.ipynb', 'y.ipynb'])\nrun_all(('z.ipynb',), 1)\n",
    "go('split/' 'name.ipy' 'nb')\ngo('escaped.ipyn\\x62')\ngo(f'not/{a}.ipynb')\n",
    "x = 'a.ipynb'\nf(x)\ng(b'bytes.ipynb', 1, None, 2.5)\n",
    "import papermill as pm\npm.execute_notebook(path)\n",
]


def test_a_file_without_a_string_that_ends_with_ipynb_has_no_call_that_runs_a_notebook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = [(f"pipeline{n}.py", text) for n, text in enumerate(NOTEBOOKS)] + CORPUS
    quick = visit_summaries(files)
    monkeypatch.setattr(visit.Visit, "_notebooks", True)  # every call's arguments looked at, in one walk
    assert visit_summaries(files) == quick
    refs = [row[1] for summary in quick[: 2 * len(NOTEBOOKS) : 2] for row in summary["found"].get("notebook_refs", [])]
    assert refs == ["nb/report.ipynb", "a/b.ipynb", "x.ipynb", "z.ipynb", "split/name.ipynb", "escaped.ipynb"]


MODULES = [
    "import pandas as pd\nmain()\nDATA = pd.read_csv('x.csv')\n",
    "import pandas as pd\nDATA = pd.read_csv('x.csv')\nmain()\n",
    "import pandas as pd\nDATA: object = pd.read_csv('x.csv')\n",
    "import pandas as pd\nDATA = [pd.read_csv(p) for p in PATHS]\n",
    "X = 1\nY = f(2)\n",
]


def _plain_script(names: visit.Visit, module: ast.Module) -> bool:
    """Whether a module works when run, by definition: a statement that does (not a docstring), or an assignment
    at module level whose value reads data, each statement looked at. ``names``: the module's imports read."""
    for node in module.body:
        if isinstance(node, (ast.Expr, ast.For, ast.While, ast.With)) and not (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ):
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            calls = [sub for sub in ast.walk(node.value) if isinstance(sub, ast.Call)]
            if any(names._last(call.func) in P.RAW_READERS for call in calls):
                return True
    return False


def test_a_module_s_readers_are_looked_for_only_until_it_is_known_to_work_when_run() -> None:
    files = [(f"m{n}.py", text) for n, text in enumerate(MODULES)] + CORPUS
    scripts = []
    for rel, text in files:
        module = ast.parse(text)
        run = visit.Visit(rel)
        run.run(module)
        names = visit.Visit(rel, is_test=True)  # the imports only, as they are when the module level is read
        names.run(module)
        assert run.top_level_work == _plain_script(names, module), rel
        scripts.append(run.top_level_work)
    assert scripts[: len(MODULES)] == [True, True, True, True, False]


BRANCHES = [
    "import os\nUSE_A = True\nUSE_B = False\nOFF = 0.5\n\n"
    "if USE_A:\n    pass\nif other:\n    pass\nif os.environ:\n    pass\nif self.flag:\n    pass\n"
    "if not USE_B:\n    pass\nif USE_A and x:\n    pass\nif __name__ == '__main__':\n    pass\n"
    "if os.getenv('FLAG_X'):\n    pass\nif False:\n    pass\n",
    "USE_C = True\nUSE_C = False\nif USE_C:\n    pass\n",  # bound twice: no switch
]


def test_a_branch_on_a_name_or_an_attribute_is_what_switch_says_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    files = [(f"b{n}.py", text) for n, text in enumerate(BRANCHES)] + CORPUS
    quick = visit_summaries(files)
    monkeypatch.setitem(visit._HANDLERS, ast.If, plain_if)
    assert visit_summaries(files) == quick
    assert [row[1] for row in quick[0]["found"]["flag_branches"]] == [
        "USE_A",
        "USE_B",
        "USE_A",
        "environment FLAG_X",
        "constant False",
    ]
    assert quick[0]["main_guard"] and "flag_branches" not in quick[2]["found"]


def _plain_markers(text: str) -> dict[str, Any]:
    """``_markers`` by definition: each marker's line counted from the start of the text."""
    found = P.debt_markers(text)
    kinds: dict[str, int] = {}
    at: list[list[int | str]] = []
    for start, word in found:
        kinds[word] = kinds.get(word, 0) + 1
        if len(at) < scan.MAX_LOCATIONS:
            end = text.find("\n", start)
            at.append([text.count("\n", 0, start) + 1, text[start : end if end >= 0 else None].strip()[:120]])
    return {"count": len(found), "kinds": kinds, "at": at}


MARKED = [
    "# TODO first line",
    "x = 1\n# FIXME: a\n# TODO b  # HACK c\n\n\n# XXX d\nKLUDGE = 1  # TODO(e)\n",
    "".join(f"# TODO {n}\n" if n % 3 else f"x = {n}  # FIXME\n" for n in range(60)),
    "\r\n# TODO windows\r\n\r\n# HACK too",
    "no markers: TODOS, FIXMEs, _HACK, XXXX",
]


def test_each_marker_s_line_is_counted_as_defined() -> None:
    texts = MARKED + [text for _, text in CORPUS]
    assert all(scan._markers(text) == _plain_markers(text) for text in texts)
    assert [len(scan._markers(text)["at"]) for text in MARKED] == [1, 6, 40, 2, 0]
    assert [row[0] for row in scan._markers(MARKED[1])["at"]] == [2, 3, 3, 6, 7, 7]


def test_the_calls_below_a_module_level_value_are_those_of_below_in_its_order() -> None:
    checked = 0
    for rel, text in [(f"m{n}.py", text) for n, text in enumerate(MODULES)] + CORPUS:
        module = ast.parse(text)
        run = visit.Visit(rel)
        run.run(module)
        assert run.tree is not None
        first = run.tree.starts[0]
        for k, node in enumerate(module.body):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                before = len(node.targets) if isinstance(node, ast.Assign) else 2
                listed = below(run, node.value, first + k, before)
                calls = run._calls_below(node.value, first + k, before)
                assert list(map(id, calls)) == [id(sub) for sub in listed if isinstance(sub, ast.Call)], rel
                checked += len(calls)
    assert checked > 100
    elsewhere = ast.parse("x = f(g(1), h)").body[0]
    assert isinstance(elsewhere, ast.Assign)
    assert [call.func.id for call in run._calls_below(elsewhere.value, 0, 1)] == ["f", "g"]  # type: ignore[attr-defined]


SWITCHES = [
    "A = True\nB = False\nC = True\nD = True\nE = False\nF = True\nG: bool = True\nLIMIT = 0.5\nSETTING_X = 1\n"
    "C = False\nx.D = 1\nf(E=1)\nprint(A, B)\ndel F\n\n\ndef g(A_=1, *, B=2):\n    global F\n\n\n"
    "if A:\n    pass\nif B:\n    pass\nif C:\n    pass\nif D:\n    pass\nif E:\n    pass\nif F:\n    pass\nif G:\n    pass\n",
    "'doc'\nimport x\nY = x.compute('a.csv')\n",
    "'doc'\nimport pandas as pd\nfrom os import path as p\nY: object\nZ = 1, [pd.read_parquet(q) for q in p]\nW = Y\n",
]


def test_a_module_s_statements_and_switches_are_what_their_definition_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    files = [(f"sw{n}.py", text) for n, text in enumerate(SWITCHES)] + [
        (f"m{n}.py", text) for n, text in enumerate(MODULES)
    ]
    files += CORPUS
    quick = visit_summaries(files)
    monkeypatch.setattr(visit.Visit, "_module_level", plain_module_level)
    assert visit_summaries(files) == quick
    assert [row[1] for row in quick[0]["found"]["flag_branches"]] == ["A", "D", "E", "G"]
    assert quick[0]["counts"]["settings"] == 10 and quick[0]["script"]
    assert [summary["script"] for summary in quick[2:6:2]] == [False, True]


# every line break str.splitlines knows, and text between them
_PIECES = ["a", " ", "\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "é", "#"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES)).map("".join))
def test_a_text_s_line_count_is_splitlines_s(text):
    assert scan.line_count(text) == len(text.splitlines())


def test_the_line_counts_of_real_files_are_splitlines_s():
    for _, text in python_sources("mldebt", "collectors"):
        assert scan.line_count(text) == len(text.splitlines())
        assert scan.line_count(text + "x") == len((text + "x").splitlines())  # a last line without its newline


@pytest.mark.parametrize("text", ["", "x = 1  # noqa\n", "import os  # noqa: F401\ny = 2\n", "a\nb  # NoQA: V103\n"])
def test_noqa_lines_read_from_the_text_are_those_of_its_lines(text):
    from mldebt.collectors.code.deadcode import noqa_lines

    assert dict(noqa_lines(text)) == dict(noqa_lines(text.splitlines()))
