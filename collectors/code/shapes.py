"""Copied and varied code, found by its structure (never by what it is called).

Every statement gets a *shape*: a hash of its syntax tree with the names it
reads and writes and the attributes it uses, but with literal values left out
(``lr = 0.01`` and ``lr = 0.001`` have one shape; ``lr = 0.01`` and
``momentum = 0.01`` do not). From the shapes of the statements of each
function body and of each file's own statements:

- a *duplicate* function has the body of another function, up to literal
  values: copy-paste;
- a *variant* function differs from another one in exactly one statement of
  its body (one changed, added or removed): a copy kept beside the original
  and edited a little, the trace of an experiment;
- a *variant* file has most of its code (in lines) in one other file: a
  module or notebook copied and edited. Of two files, the one whose path
  sorts later is taken for the copy (``train.py``, then ``train_v2.py``;
  ``model.py``, then ``model_old.py``): nothing in a tree tells which came first.

The hashes are computed bottom-up over the file's node index (its breadth
first order, read backwards, visits every node after its children), so no
second walk of the tree is needed. Small functions and statements are left
out: two three-line helpers that look alike are not a finding. Code is
measured in lines; imports and literals written down (``__all__ = [...]``)
are not code that can be copied.
"""

from __future__ import annotations

import ast
import zlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from mldebt.collectors.code.tree import Indexed

MIN_FUNCTION_LINES = 6  # a function body shorter than this is never compared
MIN_VARIANT_STATEMENTS = 3  # a variant keeps at least two statements of its original
MAX_VARIANT_STATEMENTS = 40  # longer bodies are compared whole only
FILE_SHARE = 0.6  # a variant file has at least this part of its code (in lines) in the other ...
MIN_FILE_SHARED = 8  # ... and at least this many lines of it (a statement repeated in a file counts once)
COMMON_STATEMENT = 8  # a statement shape found in more files than this is boilerplate, not a copy
_MASK = (1 << 48) - 1
_TOKENS: dict[object, int] = {}  # a node type or a name -> a number that stays the same in every process


def _token(key: object) -> int:
    text = key if isinstance(key, str) else getattr(key, "__name__", "")
    value = _TOKENS[key] = zlib.crc32(text.encode("utf-8", "replace"))
    return value


def node_shapes(tree: Indexed) -> list[int]:
    """The shape of every node of ``tree``, by index: its type, the name it reads or writes, the attribute or
    keyword it names, and its children's shapes (a literal is only its type)."""
    nodes, starts = tree.nodes, tree.starts
    shape = [0] * len(nodes)
    tokens, name_kind, attribute_kind, keyword_kind = _TOKENS, ast.Name, ast.Attribute, ast.keyword
    for i in range(len(nodes) - 1, -1, -1):
        node = nodes[i]
        kind = type(node)
        if kind is name_kind:  # identity tests, faster than isinstance, which is what mypy would read
            key: object = node.id  # type: ignore[attr-defined]  # a Name
        elif kind is attribute_kind:
            key = node.attr  # type: ignore[attr-defined]  # an Attribute
        elif kind is keyword_kind:
            key = node.arg or "**"  # type: ignore[attr-defined]  # a keyword
        else:
            key = kind
        token = tokens.get(key)
        if token is None:
            token = _token(key)
        first, end = starts[i], starts[i + 1]
        shape[i] = hash((token, *shape[first:end])) if first != end else token
    return shape


def rows(tree: Indexed, every_function: bool = False) -> dict[str, Any]:
    """What a file's summary keeps of its shapes, each statement as [shape, lines it spans].

    ``functions``: [line, name, [[shape, lines], ...]] for each function whose body (docstring left
    out) spans at least MIN_FUNCTION_LINES lines, or has two statements when ``every_function`` (a
    training or serving file, whose feature code is compared however short); ``statements``: the
    other statements that are the module's own (the body of a ``__main__`` guard too), a class's or
    a smaller function's. Imports, docstrings and literals written down are left out.
    """
    shape = node_shapes(tree)
    nodes, starts = tree.nodes, tree.starts
    functions: list[list[Any]] = []
    statements: list[list[int]] = []
    owners: list[tuple[int, str]] = [(0, "")]  # (index, qualified name prefix): the module, classes, functions
    while owners:
        owner, prefix = owners.pop()
        node = nodes[owner]
        body: list[ast.stmt] = getattr(node, "body", [])
        first = starts[owner] + _before_body(node)
        body_rows: list[list[int]] = []
        for k, stmt in enumerate(body):
            i = first + k
            if nodes[i] is not stmt:  # a field order this code does not know: leave the body out
                body_rows = []
                break
            if k == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                owners.append((i, f"{prefix}{stmt.name}."))
                continue
            if owner == 0 and isinstance(stmt, ast.If) and _main_guard(stmt):
                owners.append((i, prefix))
                continue
            if not (type(stmt) in _MAYBE_DATA and _data(stmt)):
                body_rows.append([shape[i] & _MASK, (stmt.end_lineno or stmt.lineno) - stmt.lineno + 1])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            sum(r[1] for r in body_rows) >= MIN_FUNCTION_LINES or (every_function and len(body_rows) >= 2)
        ):
            functions.append([node.lineno, prefix.rstrip("."), body_rows])
        else:
            statements.extend(body_rows)
    functions.sort(key=lambda r: r[0])
    return {"functions": functions, "statements": statements}


def _before_body(node: ast.AST) -> int:
    """How many of a node's indexed children come before its body (field order: args; bases, keywords; test)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.If)):
        return 1
    if isinstance(node, ast.ClassDef):
        return len(node.bases) + len(node.keywords)
    return 0


_MAYBE_DATA = {
    ast.Import,
    ast.ImportFrom,
    ast.Pass,
    ast.Expr,
    ast.If,
    ast.Try,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
}
_LITERALS = {ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict}


def _data(stmt: ast.stmt) -> bool:
    """Literals written down (``__all__ = [...]``, ``"text"``) and imports, also under an ``if`` or ``try``:
    not code that can be copied."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)):
        return True
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant)
    if isinstance(stmt, (ast.If, ast.Try)):
        handlers = [s for h in stmt.handlers for s in h.body] if isinstance(stmt, ast.Try) else []
        finals = stmt.finalbody if isinstance(stmt, ast.Try) else []
        return all(_data(s) for s in [*stmt.body, *stmt.orelse, *handlers, *finals])
    value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) else None
    return type(value) in _LITERALS and _literal(value)  # type: ignore[arg-type]  # not None there


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_literal(item) for item in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _literal(k) for k in node.keys) and all(_literal(v) for v in node.values)
    return False


def _main_guard(node: ast.If) -> bool:
    test = node.test
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"


Place = tuple[str, int, str]  # path, line, qualified name


def functions(summaries: dict[str, dict[str, Any]]) -> tuple[list[tuple[Place, Place]], list[tuple[Place, Place]]]:
    """(duplicates, variants): pairs of (the copy, the function it copies), each copy once."""
    bodies: list[tuple[Place, tuple[int, ...]]] = []
    for rel, summary in sorted(summaries.items()):
        for line, name, body in summary.get("shapes", {}).get("functions", ()):
            if sum(lines for _, lines in body) >= MIN_FUNCTION_LINES:
                bodies.append(((rel, line, name), tuple(shape for shape, _ in body)))
    first_of: dict[tuple[int, ...], Place] = {}
    duplicates: list[tuple[Place, Place]] = []
    for place, body in bodies:
        original = first_of.setdefault(body, place)
        if original is not place:
            duplicates.append((place, original))
    # near copies: one statement changed (same length, one position differs) or one added or removed
    changed: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    shorter: dict[tuple[int, ...], list[int]] = defaultdict(list)
    distinct = [(place, body) for place, body in bodies if first_of[body] == place]
    for n, (_, body) in enumerate(distinct):
        if not MIN_VARIANT_STATEMENTS - 1 <= len(body) <= MAX_VARIANT_STATEMENTS:
            continue
        for k in range(len(body)):
            if len(body) >= MIN_VARIANT_STATEMENTS:
                changed[(k, *body[:k], *body[k + 1 :])].append(n)
            shorter[body[:k] + body[k + 1 :]].append(n)
    related: dict[int, int] = {}
    for group in changed.values():
        for n in group[1:]:
            related.setdefault(n, group[0])
    for n, (_, body) in enumerate(distinct):
        for m in shorter.get(body, ()):  # body is ``m``'s body with one statement removed
            if m != n and len(distinct[m][1]) >= MIN_VARIANT_STATEMENTS:
                later, earlier = max(m, n), min(m, n)
                related.setdefault(later, earlier)
    variants = [(distinct[n][0], distinct[m][0]) for n, m in sorted(related.items())]
    return duplicates, variants


def variant_files(summaries: dict[str, dict[str, Any]]) -> list[tuple[str, str, float]]:
    """(the copy, the file it copies, the share of the copy's code found in the other) for files copied and edited."""
    mass: dict[str, int] = {}
    holders: dict[int, dict[str, int]] = defaultdict(dict)  # shape -> file -> nodes of that shape there
    for rel, summary in summaries.items():
        shapes = summary.get("shapes", {})
        statements = [
            *shapes.get("statements", ()),
            *(row for _, _, body in shapes.get("functions", ()) for row in body),
        ]
        mass[rel] = sum(size for _, size in statements)
        for shape, size in statements:
            holders[shape].setdefault(rel, size)  # repeated boilerplate (add_argument lines) counts once
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for files in holders.values():
        if 2 <= len(files) <= COMMON_STATEMENT:
            ordered = sorted(files)
            for a_index, a in enumerate(ordered):
                for b in ordered[a_index + 1 :]:
                    shared[(a, b)] += min(files[a], files[b])
    found: dict[str, tuple[str, float]] = {}
    for (original, copy), common in sorted(shared.items()):
        share = common / mass[copy] if mass[copy] else 0.0
        if common >= MIN_FILE_SHARED and share >= FILE_SHARE and share > found.get(copy, ("", 0.0))[1]:
            found[copy] = (original, round(share, 2))
    return [(copy, original, share) for copy, (original, share) in sorted(found.items())]


def describe(pairs: list[tuple[Place, Place]], how: str) -> Iterator[tuple[str, int, str]]:
    for (rel, line, name), (other, other_line, other_name) in pairs:
        yield rel, line, f"{name}: {how} {other_name} ({other}:{other_line})"
