"""Dead code, found by vulture: what each file defines and uses, then what nothing uses.

Vulture is whole-program: a function is dead when no file uses its name. The
per-file half runs where the file was parsed (a worker process, or not at all
when the file's summary is cached) and yields plain JSON; the whole-program
half feeds every file's definitions and uses back into one ``Vulture`` and
asks it for the unused code. The scanned code is parsed, never imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vulture import noqa
from vulture.core import IGNORED_VARIABLE_NAMES, Item, Vulture

from mldebt.collectors.code.tree import Indexed, postorder

MIN_CONFIDENCE = 60  # vulture's own default
# Functions a framework calls through a decorator (web routes, CLI commands, fixtures, hooks) are not dead.
FRAMEWORK_DECORATORS = [
    "@*.route",
    "@*.get",
    "@*.post",
    "@*.put",
    "@*.patch",
    "@*.delete",
    "@*.websocket",
    "@*.command",
    "@*.group",
    "@*.callback",
    "@*.task",
    "@*.fixture",
    "@fixture",
    "@*.main",
    "@*.hookimpl",
    "@*.register",
    "@*.validator",
    "@field_validator",
    "@model_validator",
    "@validator",
    "@*.on_event",
    "@*.middleware",
    "@*.errorhandler",
    "@*.before_request",
    "@*.api",
    "@*.endpoint",
    "@*.step",
    "@*.op",
    "@*.asset",
    "@*.job",
    "@*.flow",
]
FAST_DEPTH = 200  # vulture recurses twice per level: 400 frames stay well inside Python's limit of 1000
# Node types vulture's Reachability.visit acts on (its isinstance tests; parsed trees hold no subclasses).
_REACHABILITY = {
    ast.Break,
    ast.Continue,
    ast.Return,
    ast.Raise,
    ast.Module,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.With,
    ast.AsyncWith,
    ast.While,
    ast.For,
    ast.AsyncFor,
    ast.If,
    ast.IfExp,
    ast.Try,
}
_UNKNOWN = object()
# Unused variables and attributes are left out: vulture is least sure of them and they are many.
REPORTED = ("classes", "funcs", "imports", "methods", "props")
_TYPES = {
    "attribute": "attrs",
    "class": "classes",
    "function": "funcs",
    "import": "imports",
    "method": "methods",
    "property": "props",
    "variable": "vars",
    "unreachable_code": "unreachable",
}


def file_state(tree: ast.Module, rel: str, lines: list[str], indexed: Indexed | None = None) -> dict[str, Any]:
    """What one parsed file defines and uses, as vulture sees it.

    With the file's ``indexed`` nodes, vulture's own handlers are called in
    the order its recursive visit would call them (children first), without
    the recursion; a tree deeper than FAST_DEPTH levels gets vulture's own
    visit, so that a file too deep for it fails the same way as before.
    """
    finder = Vulture(ignore_decorators=FRAMEWORK_DECORATORS)
    finder.filename = Path(rel)
    finder.code = lines
    finder.noqa_lines = noqa.parse_noqa(lines)
    if indexed is None or indexed.depth > FAST_DEPTH:
        finder.visit(tree)
    else:
        _visit(finder, indexed)
    defined = []
    for kind in REPORTED:
        for item in getattr(finder, f"defined_{kind}"):
            defined.append([item.typ, item.name, item.first_lineno, item.last_lineno, item.confidence, item.message])
    for item in finder.unreachable_code:
        defined.append([item.typ, item.name, item.first_lineno, item.last_lineno, item.confidence, item.message])
    return {"defined": defined, "used": sorted(finder.used_names)}


def _visit(finder: Vulture, indexed: Indexed) -> None:
    """``finder.visit(root)`` without recursion: each node's reachability, then its ``visit_<Type>`` handler.

    Vulture's visit also visits parsed type comments; the trees here are
    parsed without them. Contexts and operators, left out of ``indexed``,
    have no handler.
    """
    reach = finder.reachability.visit
    nodes = indexed.nodes
    handlers: dict[type, Any] = {ast.arg: None}  # arguments only define variables, which are not reported
    used = finder.used_names
    name_, attribute = ast.Name, ast.Attribute
    load, delete = ast.Load, ast.Del
    for i in postorder(indexed):
        node = nodes[i]
        kind = type(node)
        # node is a Name or an Attribute below: ``kind`` says so, which mypy cannot follow
        # (narrowing with type(node) again would cost a call per node in this, the hottest loop)
        if kind is name_:  # vulture's visit_Name, less defining variables (not reported)
            if isinstance(node.ctx, (load, delete)) and node.id not in IGNORED_VARIABLE_NAMES:  # type: ignore[attr-defined]  # kind is ast.Name
                used.add(node.id)  # type: ignore[attr-defined]  # kind is ast.Name
            continue
        if kind is attribute:  # vulture's visit_Attribute, less defining attributes (not reported)
            if isinstance(node.ctx, load):  # type: ignore[attr-defined]  # kind is ast.Attribute
                used.add(node.attr)  # type: ignore[attr-defined]  # kind is ast.Attribute
            continue
        if kind in _REACHABILITY:
            reach(node)
        handler = handlers.get(kind, _UNKNOWN)
        if handler is _UNKNOWN:
            handler = handlers[kind] = getattr(finder, f"visit_{kind.__name__}", None)
        if handler is not None:
            handler(node)


def used_names(nodes: list[ast.AST]) -> list[str]:
    """Names a file uses, without vulture's full pass: enough for files whose definitions do not matter (tests)."""
    names = set()
    for node in nodes:
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return sorted(names)


def unused(states: Iterable[tuple[str, dict[str, Any]]], min_confidence: int = MIN_CONFIDENCE) -> list[dict[str, Any]]:
    """Unused code over every file: [{path, line, type, name, confidence, message}], sorted by place."""
    finder = Vulture()
    for rel, state in states:
        finder.used_names.update(state.get("used", ()))
        path = Path(rel)  # one per file: building a Path costs more than the Item
        for typ, name, first, last, confidence, message in state.get("defined", ()):
            bucket = "unreachable_code" if typ == "unreachable_code" else f"defined_{_TYPES[typ]}"
            getattr(finder, bucket).append(Item(name, typ, path, first, last, message, confidence))
    return [
        {
            "path": item.filename.as_posix(),
            "line": item.first_lineno,
            "type": item.typ,
            "name": item.name,
            "confidence": item.confidence,
            "message": item.message,
        }
        for item in finder.get_unused_code(min_confidence=min_confidence)
    ]
