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
import re
from typing import Any, TypedDict

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code import testflow
from mldebt.collectors.code.deadcode import file_state, unparsed_state, used_names
from mldebt.collectors.code.tree import subtree
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


def summarise(rel: str, text: str, *, is_test: bool = False, notebook: bool = False) -> dict[str, Any]:
    """The summary of one Python source (or a notebook's code cells joined).

    ``is_test``: the file is named as a test; it is read as one only if it holds tests.
    """
    lines = text.splitlines()
    summary: dict[str, Any] = {"lines": len(lines), "markers": _markers(text)}
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        summary["error"] = {"message": f"Python syntax error: {exc.msg}", "line": exc.lineno}
        summary["dead"] = unparsed_state(text)  # what it calls is still used
        return summary
    except (ValueError, RecursionError, MemoryError) as exc:
        summary["error"] = {"message": f"cannot parse: {type(exc).__name__}", "line": None}
        return summary
    try:
        visit = Visit(rel, is_test=is_test, notebook=notebook)
        visit.run(tree)
        tests = _test_functions(visit) if is_test else []
        if is_test and not tests:  # named as a test, holds none: read it as the code it is
            visit = Visit(rel, notebook=notebook)
            visit.run(tree)
        summary.update(visit.summary())
        if tests:
            summary["tests"] = tests
            summary["dead"] = {"defined": [], "used": used_names(visit.nodes)}
        else:
            summary["dead"] = (
                file_state(tree, rel, lines, visit.tree)
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


def notebook_code(cells: list[str]) -> str:
    """A notebook's code cells as one module; IPython magics and shell lines become comments."""
    out: list[str] = []
    for source in cells:
        out.extend(("# " + line) if _CELL_MAGIC.match(line) else line for line in source.splitlines())
        out.append("")
    return "\n".join(out)


def _markers(text: str) -> dict[str, Any]:
    if not any(word in text for word in P.DEBT_WORDS):  # substring tests are much faster than the regex
        return {"count": 0, "kinds": {}, "at": []}
    found = list(P.DEBT_MARKER.finditer(text))
    if not found:
        return {"count": 0, "kinds": {}, "at": []}
    kinds: dict[str, int] = {}
    at: list[list[int | str]] = []  # [line, the marker's text]
    for match in found:
        kinds[match.group(1)] = kinds.get(match.group(1), 0) + 1
        if len(at) < MAX_LOCATIONS:
            line = text.count("\n", 0, match.start()) + 1
            end = text.find("\n", match.start())
            at.append([line, text[match.start() : end if end >= 0 else None].strip()[:120]])
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
    refs, calls, words = set(), set(), set(P.tokens(node.name)) | set(P.tokens(owner))
    nodes, aliases, roots, token_tuple = tree.nodes, visit.aliases, visit.imported_roots, P.token_tuple
    for k in subtree(tree, at):
        sub = nodes[k]
        kind = type(sub)
        if kind is ast.Name:
            origin = aliases.get(sub.id)  # type: ignore[attr-defined]
            if origin:
                refs.add(origin)
            words.update(token_tuple(sub.id))  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            words.update(token_tuple(sub.attr))  # type: ignore[attr-defined]
            origin = visit.dotted(sub)
            if origin.split(".", 1)[0] in roots:
                refs.add(origin)
        elif kind is ast.Call:
            func = sub.func  # type: ignore[attr-defined]
            if type(func) is ast.Attribute:
                calls.add(func.attr)
            elif type(func) is ast.Name:
                calls.add(aliases.get(func.id, func.id).rsplit(".", 1)[-1])
            else:
                calls.add(visit.dotted(func).rsplit(".", 1)[-1])
    return {
        "name": f"{owner}.{node.name}" if owner else node.name,
        "line": node.lineno,
        "refs": sorted(refs),
        "calls": sorted(calls),
        "words": sorted(words),
        "checks": testflow.checks(visit.aliases, node, state or {}) if refs or state or _takes_fixtures(node) else [],
    }
