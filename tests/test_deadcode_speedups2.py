"""The dead-code pass's later shortcuts give what vulture's own work gives.

The any-order pass tells a loaded name from a stored or deleted one by where
it stands (``deadcode._TARGETS``), not by its context, and what a call calls,
an assignment assigns and an operation's right side is by its children's
kinds: each place a name or an attribute can be assigned to or deleted at is
written out here, with names used nowhere else, and the state held to the one
vulture's own recursive visit gives (tests/test_repo_code_tree.py holds the
two to each other over real code). ``_Finder.visit_FunctionDef`` writes out
vulture's rules for functions, methods and properties, held here to vulture's
definitions in and out of test files; ``spelled`` finds dotted paths by one
search, held to its one-by-one definition on the strings of real code.
"""

from __future__ import annotations

import ast

import pytest
from vulture.core import PYTEST_FUNCTION_NAMES, PYTEST_METHOD_NAMES

from mldebt.collectors.code import deadcode as code_deadcode
from mldebt.collectors.code.tree import index

from .builders import python_sources
from .test_deadcode_shortcuts import _vulture_s
from .test_deadcode_speedups import _spelled_one_by_one, _unused_through_vulture

# Each snippet assigns to or deletes names (``s_*``) and attributes (``a_*``) that nothing loads: none is used.
TARGETS = [
    "s_one = 1\no.a_one = 1",
    "s_a = s_b = o.a_chained = 2",
    "s_t, (s_u, *s_v), o.a_tuple, [s_w, o.a_list] = x",
    "[s_l, *s_m] = y",
    "*s_star, = z",
    "s_aug += 1\no.a_aug += 1\np[0] += 1",
    "s_ann: int = 1\no.a_ann: int = 2\ns_bare: int\no.a_bare: str",
    "for s_f, (s_g, o.a_for) in items: pass\nelse: pass",
    "async def co():\n    async for s_af in items: pass\n    async with c as s_aw: pass",
    "[x for s_c in items]\n{x for s_c2, s_c3 in items if x}\n{k: v for s_c4 in items for s_c5 in k}",
    "(x for o.a_gen in items)",
    "with open(p) as s_w1, c as (s_w2, o.a_with), d: pass\nwith e: pass",
    "if (s_walrus := f()): pass\n[y for x in items if (s_w3 := x)]",
    "del o.a_del, p[0]\ndel (o.a_del2, [o.a_del3])",
    "try: pass\nexcept E as s_exc: pass",
    "match x:\n    case [s_m1, *s_m2] | {'k': s_m3}: pass\n    case C(a=s_m4) as s_m5: pass",
    "import m as s_imp\nglobal s_glob\nf = lambda s_lam: 0",
]
# Names deleted are used, as vulture's visit_Name counts them; attributes deleted are not.
DELETED = "s_gone = 1\ndel s_gone, (s_gone2, [s_gone3])\ndel o.a_gone"
if hasattr(ast, "TypeAlias"):  # Python 3.12 on: `type X = ...` assigns to a name
    TARGETS.append("type s_alias = int")

# Names loaded where a target could stand, and read by the handlers the pass calls from its children's kinds.
LOADED = [
    "x = s_load\nf(s_arg, *s_starred, k=s_kw)\no.a_load.b = 1\ns_sub[s_index] = 1\n(s_tuple, s_list)",
    "getattr(o, 'at_' + n)\nhasattr(o, name)\n'{}'.format(x)\no.format(y)\nf()()\n(lambda: 0)()",
    "__all__ = ['s_all']\n__all__ += ('s_more',)\nx = [a, b]\ny = (c,)\nz = {d}",
    "'%(q)s' % locals()\n'%s' % f()\nx = 1 % 2",
    "globals()['g_' + x] = 1\nvars()[f'v_{x}']\no.__dict__['d_' + n]\nf()[0]\np.q[1]\nr[2]",
]


def _fast_and_vulture_s(text: str) -> tuple[dict, dict]:
    tree = ast.parse(text)
    return (
        code_deadcode.file_state(tree, "m.py", text, index(tree)),
        code_deadcode.file_state(tree, "m.py", text),  # vulture's own recursive visit
    )


@pytest.mark.parametrize("text", TARGETS)
def test_names_and_attributes_assigned_to_are_not_used_as_vulture_s_visit_finds(text):
    fast, plain = _fast_and_vulture_s(text)
    assert fast == plain
    assert not [name for name in fast["used"] if name.startswith(("s_", "a_"))]  # the targets are what is tested


def test_names_deleted_are_used_and_attributes_deleted_are_not():
    fast, plain = _fast_and_vulture_s(DELETED)
    assert fast == plain
    assert [name for name in fast["used"] if name.startswith(("s_", "a_"))] == ["s_gone", "s_gone2", "s_gone3"]


@pytest.mark.parametrize("text", LOADED)
def test_what_is_read_from_the_children_s_kinds_is_what_vulture_s_visit_reads(text):
    fast, plain = _fast_and_vulture_s(text)
    assert fast == plain


def test_an_assignment_to_more_targets_than_one_run_of_marks_marks_them_all():
    text = " = ".join(f"s_{n}" for n in range(300)) + " = 1\nx = s_299"
    fast, plain = _fast_and_vulture_s(text)
    assert fast == plain
    assert [name for name in fast["used"] if name.startswith("s_")] == ["s_299"]


def test_every_name_and_attribute_stands_where_its_context_says():
    """Over the checkout's code and the snippets: a name or an attribute is in a target's place (as _visit marks
    it) exactly when the parser gave it a Store or Del context, and the mark is the context's."""
    marked = {ast.Store: code_deadcode._STORED, ast.Del: code_deadcode._DELETED, ast.Load: 0}
    seen = set()
    texts = [text for _, text in python_sources("collectors", "mldebt", "tests")] + TARGETS + LOADED + [DELETED]
    for text in texts:
        tree = index(ast.parse(text))
        marks = _marks(tree)
        for i, node in enumerate(tree.nodes):
            if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.List, ast.Starred)):
                assert marks[i] == marked[type(node.ctx)], (ast.unparse(node), text)
                seen.add((type(node), type(node.ctx)))
    assert len(seen) == 17  # every kind in every context but a deleted starred name, which Python refuses


def _marks(tree):
    """The marks _visit makes, made by its own rules (``_TARGETS``) for every node, not for names alone."""
    kinds, starts = tree.kinds, tree.starts
    marks = bytearray(len(kinds))
    for i, kind in enumerate(kinds):
        first, end = starts[i], starts[i + 1]
        if kind is ast.Assign:
            marks[first : end - 1] = bytes((code_deadcode._STORED,)) * (end - 1 - first)
        at = code_deadcode._TARGETS.get(kind)
        if at == code_deadcode._FIRST_TARGET:
            marks[first] = code_deadcode._STORED
        elif at == code_deadcode._UNPACKED:
            marks[first:end] = bytes((marks[i],)) * (end - first)
        elif at == code_deadcode._DELETE:
            marks[first:end] = bytes((code_deadcode._DELETED,)) * (end - first)
        elif at == code_deadcode._AS and end - first == 2:
            marks[first + 1] = code_deadcode._STORED
    return marks


def test_nodes_made_by_hand_without_keys_get_every_node_in_order():
    tree = ast.parse("s_x = 1\nf(y)")
    indexed = index(tree)
    by_hand = type(indexed)(indexed.nodes, indexed.starts, indexed.depth)  # no keys, as for nodes made by hand
    assert code_deadcode.file_state(tree, "m.py", "", by_hand) == code_deadcode.file_state(tree, "m.py", "")


def test_unused_code_of_files_that_use_what_they_define_is_what_one_vulture_of_every_item_lists():
    """A definition used by its own file and no other, one used only by another, one by none, and unreachable
    code named as a used name, which is reported all the same."""
    states = [
        (
            "a.py",
            {"defined": [["function", "mine", 1, 2, 60, ""], ["function", "theirs", 3, 4, 60, ""]], "used": ["mine"]},
        ),
        ("b.py", {"defined": [["function", "nobody", 1, 2, 60, ""]], "used": ["theirs", "if"]}),
        ("c.py", {"defined": [["unreachable_code", "if", 5, 6, 100, "unreachable 'if'"]], "used": ["if"]}),
    ]
    found = code_deadcode.unused(states, 0)
    assert found == _unused_through_vulture(states, 0)
    assert [(f["path"], f["name"]) for f in found] == [("b.py", "nobody"), ("c.py", "if")]


# Every name vulture's rules for functions and methods ask about, as a function, a method, a static method and a
# property, and a dunder, a sunder and "__" besides.
_RULED = sorted({*PYTEST_FUNCTION_NAMES, *PYTEST_METHOD_NAMES, "test_x", "testx", "run", "__", "__init__", "_s_"})
RULED = "\n".join(
    [f"def {name}(): pass" for name in _RULED]
    + ["class C:"]
    + [f"    def {name}(self): pass" for name in _RULED]
    + [f"    @staticmethod\n    def {name}(): pass" for name in _RULED]
    + [f"    @property\n    def {name}(self): pass" for name in _RULED]
)


# (conf.py and hubconf.py have rules of ours, not vulture's: tests/test_deadcode_shortcuts.py holds them)
@pytest.mark.parametrize("rel", ["pkg/m.py", "tests/test_m.py", "pkg/m_test.py"])
def test_functions_and_methods_are_defined_as_vulture_defines_them_in_and_out_of_test_files(rel):
    tree = ast.parse(RULED)
    state = code_deadcode.file_state(tree, rel, RULED, index(tree))
    found = sorted((row[0], row[1], row[2]) for row in state["defined"])
    assert found == _vulture_s(RULED, rel)
    assert len(found) < 4 * len(_RULED) + 1  # some are left out everywhere ("__", dunders)


def test_the_strings_of_real_code_spell_the_names_they_spell_one_by_one():
    """Every string of the checkout's code at once, and with line breaks of every kind inside and around paths."""
    values = {
        node.value
        for _, text in python_sources("collectors", "mldebt", "tests")
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Constant) and type(node.value) is str
    }
    values |= {"a.b\nc.d", "a.b\n", "\na.b", "x\ry", "p.q\u2028r", "s.t:u", "\n", "", "v.w:x.y z", "[a.b]"}
    finder = code_deadcode._Finder("m.py")
    finder.spelled(set(values))
    assert finder.used_names == _spelled_one_by_one(values)
    assert {"pkg", "mod", "func"} <= _spelled_one_by_one({"pkg.mod:func"})  # what is compared is not nothing
