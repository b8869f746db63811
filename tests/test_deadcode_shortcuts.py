"""Where the dead-code pass skips part of vulture's work, the result is what vulture's full work gives.

Each shortcut in collectors/code/deadcode.py is held here to vulture's own
handlers and rules (the recursion-free walk itself: tests/test_repo_code_tree.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

from vulture import noqa
from vulture.core import Vulture

from mldebt.collectors.code import deadcode as code_deadcode
from mldebt.collectors.code.callbacks import FRAMEWORK_DECORATORS, FRAMEWORK_NAMES
from mldebt.collectors.code.tree import index

DEFINITIONS = """
import os
class _Hidden_:
    def __init__(self): pass
    def _sunder_(self): pass
    def __(self): pass
    def _(self): pass
    @property
    def __value__(self): return 1
    @staticmethod
    def pytest_configure(): pass
    def run_fn(self): pass
    def kept(self): pass
class __Meta__: pass
class Kept:
    @classmethod
    def __class_getitem__(cls, item): pass
def __getattr__(name): pass
def _private(): pass
def __(): pass
def trainer_fn(): pass
async def __aenter__(): pass
@app.route("/")
def view(): pass
def kept_too(): pass
"""


def _vulture_s(text: str, rel: str) -> list[tuple[str, str, int]]:
    """Vulture's own definitions of ``text``, with the framework names and decorators as its ignore lists."""
    plain = Vulture(ignore_names=FRAMEWORK_NAMES, ignore_decorators=FRAMEWORK_DECORATORS)
    plain.filename = Path(rel)
    plain.code = text.splitlines()
    plain.noqa_lines = noqa.parse_noqa(plain.code)
    plain.visit(ast.parse(text))
    return sorted(
        (item.typ, item.name, item.first_lineno)
        for kind in code_deadcode.REPORTED
        for item in getattr(plain, f"defined_{kind}")
        if not (item.typ in code_deadcode._CALLABLES and code_deadcode._called_anyway(item.name))
    )


def test_functions_and_classes_left_out_before_vulture_s_handler_are_those_it_would_define_and_drop():
    tree = ast.parse(DEFINITIONS)
    state = code_deadcode.file_state(tree, "pkg/m.py", DEFINITIONS.splitlines(), index(tree))
    found = sorted((row[0], row[1], row[2]) for row in state["defined"])
    assert found == _vulture_s(DEFINITIONS, "pkg/m.py")
    assert {(typ, name) for typ, name, _ in found} == {
        ("import", "os"),
        ("class", "Kept"),
        ("method", "kept"),
        ("method", "_"),
        ("function", "kept_too"),
        ("function", "_private"),
        ("function", "__"),
    }


def test_a_handler_of_an_expression_this_module_does_not_know_gets_every_node_in_order(monkeypatch):
    seen: list[int] = []
    monkeypatch.setattr(
        code_deadcode._Finder, "visit_Lambda", lambda self, node: seen.append(node.lineno), raising=False
    )
    text = "import os\nf = lambda: os.sep\ndef g(): return lambda: self\n"
    tree = ast.parse(text)
    fast = code_deadcode.file_state(tree, "m.py", text.splitlines(), index(tree))
    assert seen == [2, 3]
    assert fast == code_deadcode.file_state(tree, "m.py", text.splitlines())  # vulture's own recursive visit
    assert fast["used"] == ["os", "sep"]
