"""Where the dead-code pass skips part of vulture's work, the result is what vulture's full work gives.

Each shortcut in collectors/code/deadcode.py is held here to vulture's own
handlers and rules (the recursion-free walk itself: tests/test_repo_code_tree.py).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from vulture import core as vulture_core
from vulture import lines as vulture_lines
from vulture import noqa
from vulture.core import Vulture
from vulture.utils import LoggingList

from mldebt.collectors.code import deadcode as code_deadcode
from mldebt.collectors.code.callbacks import FRAMEWORK_DECORATORS, FRAMEWORK_NAMES
from mldebt.collectors.code.tree import index

from .builders import python_sources

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


NAMES = ["test_x", "Test", "TestCase", "MyTests", "setup_module", "teardown_function", "setup_class", "setup_method"]
NAMES += ["__init__", "__", "tests", "x_test", "plain", "setup", "test", "Testing", "_test_", "teardown_class"]


@pytest.mark.parametrize("rule", list(code_deadcode._OUTSIDE_TESTS), ids=lambda rule: rule.__name__)
def test_a_test_file_changes_a_rule_only_for_the_names_it_is_asked_for(rule):
    outside = code_deadcode._OUTSIDE_TESTS[rule] or (lambda filename, name: False)
    asked = code_deadcode._TEST_NAMES[rule]
    for name in NAMES:
        in_tests = bool(rule(Path("tests/test_m.py"), name))
        elsewhere = bool(rule(Path("pkg/m.py"), name))
        assert elsewhere == bool(outside(Path("pkg/m.py"), name)), name
        if not asked(name):
            assert in_tests == elsewhere, name
    assert any(bool(rule(Path("tests/test_m.py"), name)) != bool(rule(Path("pkg/m.py"), name)) for name in NAMES)


TEST_LIKE = "class TestThing:\n    def test_method(self): pass\ndef test_function(): pass\ndef plain(): pass\n"


@pytest.mark.parametrize("rel", ["tests/test_things.py", "pkg/things.py"])
@pytest.mark.parametrize("text", [TEST_LIKE, DEFINITIONS])
def test_whether_a_file_is_a_test_file_is_asked_once_and_only_for_a_test_like_name(rel, text, monkeypatch):
    asked = []
    is_test_file = vulture_core._is_test_file

    def counted(filename: Path) -> bool:
        asked.append(filename)
        return bool(is_test_file(filename))

    monkeypatch.setattr(vulture_core, "_is_test_file", counted)
    tree = ast.parse(text)
    state = code_deadcode.file_state(tree, rel, text.splitlines(), index(tree))
    monkeypatch.undo()
    assert sorted((row[0], row[1], row[2]) for row in state["defined"]) == _vulture_s(text, rel)
    if text == DEFINITIONS:
        assert asked == []
    elif rel == "pkg/things.py":
        assert asked == [Path(rel)]  # a test file would go on to vulture's own rule, which asks it again


def test_a_handler_of_an_expression_this_module_does_not_know_gets_every_node_in_order(monkeypatch):
    seen: list[int] = []
    monkeypatch.setattr(
        code_deadcode._Finder, "visit_Lambda", lambda self, node: seen.append(node.lineno), raising=False
    )
    monkeypatch.setattr(
        code_deadcode, "_EXPRESSION_HANDLERS", code_deadcode._expression_handlers(code_deadcode._Finder)
    )
    text = "import os\nf = lambda: os.sep\ndef g(): return lambda: self\n"
    tree = ast.parse(text)
    fast = code_deadcode.file_state(tree, "m.py", text.splitlines(), index(tree))
    assert seen == [2, 3]
    assert fast == code_deadcode.file_state(tree, "m.py", text.splitlines())  # vulture's own recursive visit
    assert fast["used"] == ["os", "sep"]


NOQA = [
    "x = 1\ny = 2\n",
    "import os  # noqa\n",
    "import os  # NoQA: F401\ndef f(): pass  # noqa: V103, E501\n",
    "import os  #noqa\nimport sys # noqa:\nE123\n",
    "a = 1\x0cimport os  # noqa: F401\n\u2028def f(): pass  # NOQA\n",
    "# noqa:E1,W2 W3\n" * 3,
    "",
]


@pytest.mark.parametrize("text", NOQA)
def test_noqa_lines_are_vulture_s(text):
    lines = text.splitlines()
    assert code_deadcode.noqa_lines(lines) == noqa.parse_noqa(lines)
    assert type(code_deadcode.noqa_lines(lines)) is type(noqa.parse_noqa(lines))


def test_names_built_then_looked_up_are_left_out_as_fnmatchcase_leaves_them():
    from fnmatch import fnmatchcase

    names = ["add_x_arguments", "add__arguments", "add_arguments", "Add_x_arguments", "de_foo", "de_", "ode_x", "run"]
    patterns = ["add_*_arguments", "de_*", "*_x", "r*n*"]
    text = "".join(f"def {name}(): pass\n" for name in names)
    tree = ast.parse(text)
    state = code_deadcode.file_state(tree, "m.py", text.splitlines(), index(tree))
    state["patterns"] = patterns
    kept = [row["name"] for row in code_deadcode.unused([("m.py", state)])]
    assert kept == [name for name in names if not any(fnmatchcase(name, pattern) for pattern in patterns)]
    assert kept == ["add_arguments", "Add_x_arguments"]


def test_only_vulture_s_handlers_of_functions_and_classes_define_what_finder_s_handlers_filter_first():
    """_define skips the name checks for functions, methods, properties and classes: only vulture's
    visit_FunctionDef and visit_ClassDef define them, which _Finder's own handlers replace, doing what they do
    after those checks (test_a_definition_is_kept_as_vulture_s_define_and_handlers_keep_it)."""
    callables = {f"defined_{kind}" for kind in ("funcs", "methods", "props", "classes")}

    def defining(cls: type) -> set[str]:
        return {
            name
            for name, method in vars(cls).items()
            if hasattr(method, "__code__") and callables & set(method.__code__.co_names)
        }

    assert defining(Vulture) == {"__init__", "visit_FunctionDef", "visit_ClassDef"}
    assert defining(code_deadcode._Finder) == {"visit_FunctionDef", "visit_ClassDef"}
    finder = code_deadcode._Finder("pkg/m.py")
    for name in ["__init__", "_sunder_", "pytest_configure", "setup"]:
        for text in [f"def {name}(self): pass", f"class {name}: pass", f"@property\ndef {name}(self): pass"]:
            node = ast.parse(text).body[0]
            if code_deadcode._called_anyway(name) or code_deadcode._FRAMEWORK_NAME.match(name):
                getattr(finder, f"visit_{type(node).__name__}")(node)
    assert not any(getattr(finder, kind) for kind in callables)


@pytest.mark.parametrize(
    "rel", ["pkg/m.py", "pkg/__init__.py", "__init__.py", "pkg/__init__.pyi", "a/__init__.py/m.py"]
)
def test_an_import_s_rule_outside_a_package_s_init_is_vulture_s(rel):
    path = Path(rel)
    init = bool(code_deadcode._IGNORE_IMPORT(path, ""))
    assert init == (rel.rsplit("/", 1)[-1] == "__init__.py")
    for name in ["*", "os", "__init__", "", "__init__.py"]:
        assert bool(vulture_core._ignore_import(path, name)) == (init or code_deadcode._star_import(path, name))


def test_define_takes_what_vulture_s_define_takes_with_its_defaults():
    """_Finder._define passes everything on by place: it must read its arguments as vulture's reads them."""
    ours = inspect.signature(code_deadcode._Finder._define).parameters
    theirs = inspect.signature(Vulture._define).parameters
    assert list(ours) == list(theirs)
    assert [(p.kind, p.default) for p in ours.values()] == [(p.kind, p.default) for p in theirs.values()]


class _KeptByVulture(code_deadcode._Finder):
    """A finder whose definitions vulture's own _define keeps, each Item then written as file_state's row."""

    def _keep(self, collection, name, first_node, last_node, message, confidence, ignore):
        items = LoggingList(collection.typ, False)
        Vulture._define(self, items, name, first_node, last_node, message, confidence, ignore)
        for item in items:
            row = [item.typ, item.name, item.first_lineno, item.last_lineno, item.confidence, item.message]
            collection.append(row)


KEPT = [
    DEFINITIONS,
    TEST_LIKE,
    *[text for text in NOQA if "\u2028" not in text and "E123" not in text],  # those that parse
    "import os, sys  # noqa: F401\nfrom a import (b,  # noqa\n    c)\n@dec\n@other\ndef f():  # noqa: V103\n    return\n    x = 1\n",
    "class C:  # noqa\n    @property\n    def p(self):\n        pass\n    @staticmethod\n    def s():  # noqa: V105\n        pass\n",
    "while True:\n    break\n    y = 2  # noqa: V201\nif False:\n    z = 3\n",
    "def g():\n    raise E\n    a = 1\n    b = [\n        2,\n    ]\n",
]


class _HandledByVulture(code_deadcode._Finder):
    """A finder whose functions and classes vulture's own handlers define, after the checks _Finder's make."""

    def visit_FunctionDef(self, node):
        name = node.name
        framework = code_deadcode._FRAMEWORK_NAME.match(name) or code_deadcode._framework_decorated(node)
        if not (code_deadcode._called_anyway(name) or framework):
            Vulture.visit_FunctionDef(self, node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        name = node.name
        framework = code_deadcode._FRAMEWORK_NAME.match(name) or code_deadcode._framework_decorated(node)
        if not (code_deadcode._called_anyway(name) or framework):
            Vulture.visit_ClassDef(self, node)
        self.class_nodes.append(node)


HANDLED = """
class A:
    @property
    def p(self): pass
    @p.setter
    def p(self, value): pass
    @staticmethod
    def s(x): pass
    @classmethod
    def c(cls): pass
    @functools.cache
    def cached(self): pass
    def plain(this): pass
    def none(): pass
    @app.route("/")
    def view(self): pass
    @property
    @staticmethod
    def both(): pass
@dataclass(frozen=True)
class B:
    def self_(self, *args): pass
async def run(self): pass
@decorator()
async def fetch(): pass
@a.b.c
def dotted(): pass
@(lambda f: f)
def odd(self): pass
def test_x(self): pass
class C:
    @functools.wraps(f)
    @property
    def late(self): pass
@functools.wraps(f)
@app.route("/later")
def later_view(): pass
class D:
    async def go(self): pass
    @dec
    async def went(self): pass
"""


@pytest.mark.parametrize("rel", ["pkg/m.py", "pkg/__init__.py", "tests/test_m.py", "conf.py", "hubconf.py"])
@pytest.mark.parametrize("finder", [_KeptByVulture, _HandledByVulture], ids=["define", "handlers"])
def test_a_definition_is_kept_as_vulture_s_define_and_handlers_keep_it(rel, finder, monkeypatch):
    checked = 0
    for text in [*KEPT, HANDLED] + [text for _, text in python_sources("collectors")]:
        tree = ast.parse(text)
        lines = text.splitlines()
        ours = code_deadcode.file_state(tree, rel, lines, index(tree))
        monkeypatch.setattr(code_deadcode, "_Finder", finder)
        assert ours == code_deadcode.file_state(tree, rel, lines, index(tree))
        assert ours == code_deadcode.file_state(tree, rel, lines)  # vulture's own visit: variables defined too
        monkeypatch.undo()
        checked += len(ours["defined"])
    assert checked > 500


def test_a_class_s_members_are_its_functions_and_classes_at_their_first_line_as_vulture_counts_it():
    checked = 0
    for text in [HANDLED, DEFINITIONS] + [text for _, text in python_sources("collectors")]:
        tree = ast.parse(text)
        state = code_deadcode.file_state(tree, "pkg/m.py", text.splitlines(), index(tree))
        classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
        defined = [
            [
                [child.name, vulture_lines.get_first_line_number(child)]
                for child in node.body
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            ]
            for node in classes
        ]
        found = [members for _, _, _, members in state.get("classes", [])]
        assert sorted(found) == sorted(defined)
        checked += sum(map(len, found))
    assert checked > 200
