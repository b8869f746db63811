"""One Python file, parsed once, summarised as plain JSON for the project-level facts.

``summarise`` never imports or runs the file: it parses it with ``ast`` and
walks the tree once, recording what the debt facts need (imports, seeds,
tracking and registry calls, configuration reads, thresholds, hard-coded
paths, test functions and what their assertions read, fingerprints of
feature code, vulture's definitions and uses). The summary depends only on the
file's bytes, its path, whether it is named as a test and the analysing code
(ANALYSER_VERSION hashes it), so it is cached by blob id.

A file named as a test is a test file only when it holds tests that pytest or
unittest would collect; one that holds none (a Locust load script, an
evaluation script called ``test.py``) is summarised as the code it is. The
decision is made here, on the one parse, and the summary says it: a test
file's summary lists its tests, a candidate without tests has ``"tests": []``.
"""

from __future__ import annotations

import ast
import gc
import re
from typing import Any, TypedDict

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code import testflow
from mldebt.collectors.code.complexity import measured as complexity_of
from mldebt.collectors.code.deadcode import file_state, unparsed_state, used_names
from mldebt.collectors.code.heap import collector_paused
from mldebt.collectors.code.tree import levels
from mldebt.collectors.code.visit import Visit
from mldebt.collectors.repo.cache import code_version

ANALYSER_VERSION = code_version("code/*.py")
MAX_LOCATIONS = 40  # per file and kind; counts stay exact
_CELL_MAGIC = re.compile(r"^\s*[%!]")


class FoundTest(TypedDict):
    """A test function of a test file's summary (``summary["tests"]``)."""

    name: str  # "test_x", or "TestCase.test_x" for a method
    line: int
    refs: list[str]  # the imported names it reads, as dotted origins
    calls: list[str]  # the last part of each name it calls
    words: list[str]  # the words of its names and of its class's name
    checks: list[list[Any]]  # [line, [origins, ...]]: each assertion, and what each value it compares was made from


def summarise(
    rel: str, text: str, *, is_test: bool = False, notebook: bool = False, complexity: bool = False
) -> dict[str, Any]:
    """The summary of one Python source (or a notebook's code cells joined).

    ``is_test``: the file is named as a test; it is read as one only if it holds tests.
    ``complexity``: also radon's total cyclomatic complexity of the same parse
    (``summary["complexity"]``, None when radon cannot measure it), for a
    hotspot candidate, so the history's hotspots need not parse it again.
    """
    with collector_paused():
        summary = _summarise(rel, text, is_test, notebook, complexity)
        gc.collect(0)  # the young objects only: frees vulture's cycles, never walks the older heap
    if "dead" in summary:  # last: a worker sends the dead-code state apart from the rest (batch._work)
        summary["dead"] = summary.pop("dead")
    return summary


def _summarise(rel: str, text: str, is_test: bool, notebook: bool, complexity: bool = False) -> dict[str, Any]:
    summary: dict[str, Any] = {"lines": line_count(text), "markers": _markers(text)}
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        summary["error"] = {"message": f"Python syntax error: {exc.msg}", "line": exc.lineno}
        summary["dead"] = unparsed_state(text)  # what it calls is still used
        return summary
    except (ValueError, RecursionError, MemoryError) as exc:
        summary["error"] = {"message": f"cannot parse: {type(exc).__name__}", "line": None}
        return summary
    if complexity:  # first, on the tree as parsed (nothing below changes it, but radon reads it whole)
        summary["complexity"] = measured_complexity(tree)
    try:
        visit = Visit(rel, is_test=is_test, notebook=notebook)
        visit.run(tree)
        tests = _test_functions(visit) if is_test else []
        if is_test and not tests:  # named as a test, holds none: read it as the code it is
            indexed = visit.tree
            visit = Visit(rel, notebook=notebook)
            visit.run(tree, indexed)
        summary.update(visit.summary())
        if tests:
            summary["tests"] = tests
            summary["dead"] = {"defined": [], "used": used_names(visit.nodes)}
        else:
            summary["dead"] = (
                file_state(tree, rel, text, visit.tree)
                if not notebook
                else {"defined": [], "used": used_names(visit.nodes)}
            )
            if is_test:
                summary["tests"] = []
        if tests or rel.rsplit("/", 1)[-1] == "conftest.py" or "pytest" in visit.aliases.values():
            fixtures = dict(testflow.fixtures(visit.aliases, tree.body, visit.dotted))
            if fixtures:
                summary["fixtures"] = fixtures
    except (RecursionError, MemoryError) as exc:
        summary["error"] = {"message": f"cannot analyse: {type(exc).__name__} (nested too deeply)", "line": None}
    return summary


_OTHER_BREAKS = ("\r", "\v", "\f", "\x1c", "\x1d", "\x1e")  # str.splitlines's line breaks in ASCII, besides \n


def line_count(text: str) -> int:
    """``len(text.splitlines())``, without making the lines where only a newline ends them (an ASCII text without
    the other breaks ``splitlines`` knows, as most source is)."""
    if not text.isascii() or any(map(text.__contains__, _OTHER_BREAKS)):
        return len(text.splitlines())
    return text.count("\n") + (text[-1:] not in ("", "\n"))  # a last line without its newline counts too


def measured_complexity(tree: ast.Module) -> int | None:
    """radon's total cyclomatic complexity of a parsed module (``complexity``); None when radon cannot measure it."""
    return complexity_of(tree)


def notebook_code(cells: list[str]) -> str:
    """A notebook's code cells as one module; IPython magics and shell lines become comments."""
    out: list[str] = []
    for source in cells:
        out.extend(("# " + line) if _CELL_MAGIC.match(line) else line for line in source.splitlines())
        out.append("")
    return "\n".join(out)


def _markers(text: str) -> dict[str, Any]:
    found = P.debt_markers(text)
    if not found:
        return {"count": 0, "kinds": {}, "at": []}
    kinds: dict[str, int] = {}
    at: list[list[int | str]] = []  # [line, the marker's text]
    line, counted = 1, 0  # the line of offset ``counted``: each marker's line counted on from the one before
    for start, word in found:
        kinds[word] = kinds.get(word, 0) + 1
        if len(at) < MAX_LOCATIONS:
            line += text.count("\n", counted, start)
            counted = start
            end = text.find("\n", start)
            at.append([line, text[start : end if end >= 0 else None].strip()[:120]])
    return {"count": len(found), "kinds": kinds, "at": at}


def _test_functions(visit: Visit) -> list[FoundTest]:
    """The tests pytest or unittest would collect: module-level ``test*`` functions, ``test*`` methods
    of unittest TestCase subclasses and of ``Test*`` classes without an ``__init__``."""
    found: list[FoundTest] = []
    funcs = (ast.FunctionDef, ast.AsyncFunctionDef)
    tree = visit.tree
    assert tree is not None
    for i in tree.children(0):  # the module's statements, in order
        node = tree.nodes[i]
        if isinstance(node, funcs) and node.name.startswith("test"):
            found.append(_test_function(i, visit))
        elif isinstance(node, ast.ClassDef) and _is_test_class(node, visit):
            state: dict[str, frozenset[str]] | None = None
            for j in tree.children(i):
                method = tree.nodes[j]
                if isinstance(method, funcs) and method.name.startswith("test"):
                    state = testflow.class_state(visit.aliases, node) if state is None else state
                    found.append(_test_function(j, visit, node.name, state))
    return found


def _is_test_class(node: ast.ClassDef, visit: Visit) -> bool:
    if any(visit.dotted(base).endswith("TestCase") for base in node.bases):
        return True
    methods = {item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return node.name.startswith("Test") and "__init__" not in methods


def _takes_fixtures(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = node.args
    return any(a.arg not in ("self", "cls") for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))


def _test_function(at: int, visit: Visit, owner: str = "", state: dict[str, frozenset[str]] | None = None) -> FoundTest:
    tree = visit.tree
    assert tree is not None
    node = tree.nodes[at]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    refs, calls = set(), set()
    ids: set[str] = set()  # the names it reads or writes: their words, and the imports they are
    attrs: set[str] = set()  # the attributes it names: their words
    asserts = False  # an assert statement or an assert*() call: without one, there is nothing to check
    nodes, aliases, roots, dotted = tree.nodes, visit.aliases, visit.imported_roots, visit.dotted
    name_, attribute, call, assert_ = ast.Name, ast.Attribute, ast.Call, ast.Assert
    for start, end in levels(tree, at):
        for sub in nodes[start:end]:
            kind = type(sub)
            if kind is name_:
                ids.add(sub.id)  # type: ignore[attr-defined]  # kind says it is a Name
            elif kind is attribute:
                attrs.add(sub.attr)  # type: ignore[attr-defined]  # an Attribute
                origin = dotted(sub)
                if origin.split(".", 1)[0] in roots:
                    refs.add(origin)
            elif kind is call:
                func = sub.func  # type: ignore[attr-defined]  # a Call
                if type(func) is attribute:
                    called = func.attr
                    calls.add(called)
                elif type(func) is name_:
                    called = func.id
                    calls.add(aliases.get(called, called).rsplit(".", 1)[-1])
                else:
                    called = ""
                    calls.add(dotted(func).rsplit(".", 1)[-1])
                asserts = asserts or called.startswith("assert")
            elif kind is assert_:
                asserts = True
    words = set(P.tokens(node.name)) | set(P.tokens(owner))
    for name in ids:
        words.update(P.token_tuple(name))
        imported = aliases.get(name)
        if imported:
            refs.add(imported)
    for name in attrs - ids:
        words.update(P.token_tuple(name))
    checked = asserts and (refs or state or _takes_fixtures(node))
    return {
        "name": f"{owner}.{node.name}" if owner else node.name,
        "line": node.lineno,
        "refs": sorted(refs),
        "calls": sorted(calls),
        "words": sorted(words),
        "checks": testflow.checks(visit.aliases, node, state or {}) if checked else [],
    }
