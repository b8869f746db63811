"""One Python file, parsed once, summarised as plain JSON for the project-level facts.

``summarise`` never imports or runs the file: it parses it with ``ast`` and
walks the tree once, recording what the debt facts need (imports, seeds,
tracking and registry calls, configuration reads, thresholds, hard-coded
paths, test functions, fingerprints of feature code, vulture's definitions
and uses). The summary depends only on the file's bytes, its path and the
analysing code (ANALYSER_VERSION hashes it), so it is cached by blob id.
"""

from __future__ import annotations

import ast
import re
from typing import Any, TypedDict

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code.deadcode import file_state, used_names
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


def summarise(rel: str, text: str, *, is_test: bool = False, notebook: bool = False) -> dict[str, Any]:
    """The summary of one Python source (or a notebook's code cells joined)."""
    lines = text.splitlines()
    summary: dict[str, Any] = {"lines": len(lines), "markers": _markers(text)}
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        summary["error"] = {"message": f"Python syntax error: {exc.msg}", "line": exc.lineno}
        return summary
    except (ValueError, RecursionError, MemoryError) as exc:
        summary["error"] = {"message": f"cannot parse: {type(exc).__name__}", "line": None}
        return summary
    try:
        visit = Visit(rel, is_test=is_test, notebook=notebook)
        visit.run(tree)
        summary.update(visit.summary())
        if is_test:
            summary["tests"] = _test_functions(visit)
            summary["dead"] = {"defined": [], "used": used_names(visit.nodes)}
        else:
            summary["dead"] = (
                file_state(tree, rel, lines, visit.tree)
                if not notebook
                else {"defined": [], "used": used_names(visit.nodes)}
            )
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
    """Test functions (module level ``test*``, ``test*`` methods of ``Test*`` or TestCase classes)."""
    found: list[FoundTest] = []
    funcs = (ast.FunctionDef, ast.AsyncFunctionDef)
    tree = visit.tree
    assert tree is not None
    for i in tree.children(0):  # the module's statements, in order
        node = tree.nodes[i]
        if isinstance(node, funcs) and node.name.startswith("test"):
            found.append(_test_function(i, visit))
        elif isinstance(node, ast.ClassDef) and (node.name.startswith("Test") or _is_testcase(node, visit)):
            for j in tree.children(i):
                method = tree.nodes[j]
                if isinstance(method, funcs) and method.name.startswith("test"):
                    found.append(_test_function(j, visit, node.name))
    return found


def _is_testcase(node: ast.ClassDef, visit: Visit) -> bool:
    return any(visit.dotted(base).endswith("TestCase") for base in node.bases)


def _test_function(at: int, visit: Visit, owner: str = "") -> FoundTest:
    tree = visit.tree
    assert tree is not None
    node = tree.nodes[at]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    refs, calls, words = set(), set(), set(P.tokens(node.name)) | set(P.tokens(owner))
    for k in subtree(tree, at):
        sub = tree.nodes[k]
        if isinstance(sub, ast.Name):
            origin = visit.aliases.get(sub.id)
            if origin:
                refs.add(origin)
            words.update(P.token_tuple(sub.id))
        elif isinstance(sub, ast.Attribute):
            words.update(P.token_tuple(sub.attr))
            origin = visit.dotted(sub)
            if origin.split(".", 1)[0] in visit.imported_roots:
                refs.add(origin)
        elif isinstance(sub, ast.Call):
            name = visit.dotted(sub.func).rsplit(".", 1)[-1]
            calls.add(name)
    return {
        "name": f"{owner}.{node.name}" if owner else node.name,
        "line": node.lineno,
        "refs": sorted(refs),
        "calls": sorted(calls),
        "words": sorted(words),
    }
