"""Dead code, found by vulture: what each file defines and uses, then what nothing uses.

Vulture is whole-program: a function is dead when no file uses its name. The
per-file half runs where the file was parsed (a worker process, or not at all
when the file's summary is cached) and yields plain JSON; the whole-program
half feeds every file's definitions and uses back into one ``Vulture`` and
asks it for the unused code. The scanned code is parsed, never imported.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Iterable

from vulture import noqa
from vulture.core import Item, Vulture

MIN_CONFIDENCE = 60  # vulture's own default
# Functions a framework calls through a decorator (web routes, CLI commands, fixtures, hooks) are not dead.
FRAMEWORK_DECORATORS = ["@*.route", "@*.get", "@*.post", "@*.put", "@*.patch", "@*.delete", "@*.websocket",
                        "@*.command", "@*.group", "@*.callback", "@*.task", "@*.fixture", "@fixture", "@*.main",
                        "@*.hookimpl", "@*.register", "@*.validator", "@field_validator", "@model_validator",
                        "@validator", "@*.on_event", "@*.middleware", "@*.errorhandler", "@*.before_request",
                        "@*.api", "@*.endpoint", "@*.step", "@*.op", "@*.asset", "@*.job", "@*.flow"]
# Unused variables and attributes are left out: vulture is least sure of them and they are many.
REPORTED = ("classes", "funcs", "imports", "methods", "props")
_TYPES = {"attribute": "attrs", "class": "classes", "function": "funcs", "import": "imports",
          "method": "methods", "property": "props", "variable": "vars", "unreachable_code": "unreachable"}


def file_state(tree: ast.Module, rel: str, lines: list[str]) -> dict[str, Any]:
    """What one parsed file defines and uses, as vulture sees it."""
    finder = Vulture(ignore_decorators=FRAMEWORK_DECORATORS)
    finder.filename = Path(rel)
    finder.code = lines
    finder.noqa_lines = noqa.parse_noqa(lines)
    finder.visit(tree)
    defined = []
    for kind in REPORTED:
        for item in getattr(finder, f"defined_{kind}"):
            defined.append([item.typ, item.name, item.first_lineno, item.last_lineno, item.confidence, item.message])
    for item in finder.unreachable_code:
        defined.append([item.typ, item.name, item.first_lineno, item.last_lineno, item.confidence, item.message])
    return {"defined": defined, "used": sorted(finder.used_names)}


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
        for typ, name, first, last, confidence, message in state.get("defined", ()):
            bucket = "unreachable_code" if typ == "unreachable_code" else f"defined_{_TYPES[typ]}"
            getattr(finder, bucket).append(Item(name, typ, Path(rel), first, last, message, confidence))
    return [{"path": item.filename.as_posix(), "line": item.first_lineno, "type": item.typ, "name": item.name,
             "confidence": item.confidence, "message": item.message}
            for item in finder.get_unused_code(min_confidence=min_confidence)]
