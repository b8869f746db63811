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
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import chain
from operator import itemgetter
from typing import Any

from mldebt.collectors.code.tree import Indexed, key

MIN_FUNCTION_LINES = 6  # a function body shorter than this is never compared
MIN_VARIANT_STATEMENTS = 3  # a variant keeps at least two statements of its original
MAX_VARIANT_STATEMENTS = 40  # longer bodies are compared whole only
FILE_SHARE = 0.6  # a variant file has at least this part of its code (in lines) in the other ...
MIN_FILE_SHARED = 8  # ... and at least this many lines of it (a statement repeated in a file counts once)
COMMON_STATEMENT = 8  # a statement shape found in more files than this is boilerplate, not a copy
_MASK = (1 << 48) - 1
_second = itemgetter(1)


class _Tokens(dict[object, int]):
    """A node type or a name -> a number that stays the same in every process (the CRC-32 of its name), worked
    out when it is first looked up: a file's keys are looked up in one pass, new ones and known ones alike."""

    def __missing__(self, named: object) -> int:
        text = named if isinstance(named, str) else getattr(named, "__name__", "")
        value = self[named] = zlib.crc32(text.encode("utf-8", "replace"))
        return value


_TOKENS = _Tokens()


def node_shapes(tree: Indexed) -> list[int]:
    """The shape of every node of ``tree``, by index: its type, the name it reads or writes, the attribute or
    keyword it names, and its children's shapes (a literal is only its type).

    Every node's own token is looked up from the keys the index noted, in one pass (a key new to this process,
    as most files have some on a first scan, gets its token when first looked up); then the nodes with children
    (about half) are hashed, children first: read backwards, the breadth-first order puts every node after its
    children. Going backwards, the children of the node at hand end where those of the last one hashed begin,
    and a node whose children begin there too has none: one comparison per node finds the nodes to hash.
    """
    nodes, starts, keys = tree.nodes, tree.starts, tree.keys
    if keys is None:  # an index of nodes made by hand
        keys = list(map(key, nodes))
    shape = list(map(_TOKENS.__getitem__, keys))
    backwards = reversed(starts)
    end = next(backwards)  # the end of the last node's children: the end of the list
    for i, first in zip(range(len(shape) - 1, -1, -1), backwards):  # the children of nodes[i] are [first, end)
        if first != end:
            count = end - first
            if count == 1:  # one child (an attribute's value, a statement's expression), two, three: no slice
                shape[i] = hash((shape[i], shape[first]))
            elif count == 2:
                shape[i] = hash((shape[i], shape[first], shape[first + 1]))
            elif count == 3:
                shape[i] = hash((shape[i], shape[first], shape[first + 1], shape[first + 2]))
            else:
                shape[i] = hash((shape[i], *shape[first:end]))
            end = first
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
    if_, expr, assign, constant, class_ = ast.If, ast.Expr, ast.Assign, ast.Constant, ast.ClassDef
    owners: list[tuple[int, str]] = [(0, "")]  # (index, qualified name prefix): the module, classes, functions
    while owners:
        owner, prefix = owners.pop()
        node = nodes[owner]
        owner_kind = type(node)
        body: list[ast.stmt] = getattr(node, "body", [])
        first = starts[owner]  # the body comes after the indexed children before it (args; bases, keywords; test)
        if owner_kind in _HEADED:
            first += 1
        elif owner_kind is class_:
            first += len(node.bases) + len(node.keywords)  # type: ignore[attr-defined]  # a ClassDef
        body_rows: list[list[int]] = []
        size = 0  # lines of the rows
        for i, stmt in enumerate(body, first):
            if nodes[i] is not stmt:  # a field order this code does not know: leave the body out
                body_rows, size = [], 0
                break
            kind = type(stmt)  # parsed trees hold no subclasses: type identity is isinstance's answer
            if kind in _SPECIAL:  # one look-up passes the statements always kept (return, for, ...)
                if kind is assign:  # the commonest ones written out, then ``_data``
                    value = stmt.value  # type: ignore[attr-defined]  # an Assign
                    value_kind = type(value)
                    if value_kind is constant or (value_kind in _LITERALS and _literal(value)):
                        continue
                elif kind in _OWNERS:
                    owners.append((i, f"{prefix}{stmt.name}."))  # type: ignore[attr-defined]  # a def or a class
                    continue
                elif kind is expr:
                    if type(stmt.value) is constant:  # type: ignore[attr-defined]  # a docstring or a string
                        continue
                elif kind is if_:
                    if owner == 0 and _main_guard(stmt):  # type: ignore[arg-type]  # an If
                        owners.append((i, prefix))
                        continue
                    if _data(stmt):
                        continue
                elif _data(stmt):
                    continue
            start = stmt.lineno
            lines = (stmt.end_lineno or start) - start + 1
            body_rows.append([shape[i] & _MASK, lines])
            size += lines
        if owner_kind in _FUNCTIONS and (size >= MIN_FUNCTION_LINES or (every_function and len(body_rows) >= 2)):
            functions.append([node.lineno, prefix.rstrip("."), body_rows])  # type: ignore[attr-defined]  # a def
        else:
            statements.extend(body_rows)
    functions.sort(key=lambda r: r[0])
    return {"functions": functions, "statements": statements}


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
_SEQUENCES = {ast.List, ast.Tuple, ast.Set}
_ALWAYS_DATA = {ast.Import, ast.ImportFrom, ast.Pass}
_ASSIGNS = {ast.Assign, ast.AnnAssign, ast.AugAssign}
_FUNCTIONS = {ast.FunctionDef, ast.AsyncFunctionDef}
_OWNERS = {*_FUNCTIONS, ast.ClassDef}
_SPECIAL = _MAYBE_DATA | _OWNERS
_HEADED = {*_FUNCTIONS, ast.If}  # one indexed child before the body: the arguments, the test


def _data(stmt: ast.stmt) -> bool:
    """Literals written down (``__all__ = [...]``, ``"text"``) and imports, also under an ``if`` or ``try``:
    not code that can be copied."""
    kind = type(stmt)
    if kind in _ALWAYS_DATA:
        return True
    if kind is ast.Expr:
        return type(stmt.value) is ast.Constant  # type: ignore[attr-defined]  # an Expr
    if kind is ast.If:
        body = stmt.body  # type: ignore[attr-defined]  # an If
        if body and type(body[0]) not in _MAYBE_DATA:  # most tests guard code: no call for its first statement
            return False
        return all(map(_data, body)) and all(map(_data, stmt.orelse))  # type: ignore[attr-defined]
    if kind is ast.Try:
        return (
            all(map(_data, stmt.body))  # type: ignore[attr-defined]  # a Try
            and all(map(_data, stmt.orelse))  # type: ignore[attr-defined]
            and all(_data(s) for h in stmt.handlers for s in h.body)  # type: ignore[attr-defined]
            and all(map(_data, stmt.finalbody))  # type: ignore[attr-defined]
        )
    if kind in _ASSIGNS:
        value = stmt.value  # type: ignore[attr-defined]  # an assignment
        return type(value) in _LITERALS and _literal(value)
    return False


def _literal(node: ast.AST) -> bool:
    kind = type(node)
    if kind is ast.Constant:
        return True
    if kind in _SEQUENCES:
        return all(map(_literal, node.elts))  # type: ignore[attr-defined]  # a List, Tuple or Set
    if kind is ast.Dict:
        keys = node.keys  # type: ignore[attr-defined]  # a Dict: None for a ``**spread``
        values = node.values  # type: ignore[attr-defined]
        return None not in keys and all(map(_literal, keys)) and all(map(_literal, values))
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
            if body:
                shapes, lines = zip(*body)  # the rows' columns, as tuples
                if sum(lines) >= MIN_FUNCTION_LINES:
                    bodies.append(((rel, line, name), shapes))
    number: dict[tuple[int, ...], int] = {}  # a body -> its number among the distinct ones
    distinct: list[tuple[Place, tuple[int, ...]]] = []  # the first function of each body
    duplicates: list[tuple[Place, Place]] = []
    for place, body in bodies:
        n = number.setdefault(body, len(distinct))
        if n == len(distinct):
            distinct.append((place, body))
        else:
            duplicates.append((place, distinct[n][0]))
    # near copies: one statement changed (same length, one position differs) or one added or removed. Each body
    # of MIN_VARIANT_STATEMENTS or more, without its k-th statement, is the pair (its first k statements, the
    # statements after them): two bodies of one length with a pair in common differ in that position only, and
    # a body one statement shorter is the pair's statements joined. A body whose pair another body had first is
    # a variant of the earliest such body; a pair's first body is a variant of the shorter body it makes, or
    # that body of it, whichever came later (two bodies of the same pair are variants already). Bodies of two
    # statements are left out: their pairs are of one statement, no longer body's, and a body of two
    # statements is the variant of none (one statement shorter, a body of one is never compared)
    #
    # A body with two statements found in no other body (a shape twice in one body is not such a statement) is
    # left out: a body with a pair in common with it, or one statement shorter or longer than it, holds all its
    # statements but one, so one of those two. Most bodies, written once, are such.
    held = Counter(chain.from_iterable([body for _, body in distinct]))  # a shape -> how often the bodies hold it
    first: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}  # a pair -> the first body it is that of
    related: dict[int, int] = {}  # a variant -> the body it varies
    longer: list[tuple[int, int]] = []  # (a body, a body with one statement more)
    note, find, count = first.setdefault, number.get, held.__getitem__
    for n, (_, body) in enumerate(distinct):
        if not MIN_VARIANT_STATEMENTS <= len(body) <= MAX_VARIANT_STATEMENTS or list(map(count, body)).count(1) >= 2:
            continue
        earliest = n
        for k in range(len(body)):
            head, tail = body[:k], body[k + 1 :]
            m = note((head, tail), n)
            if m == n:  # a pair first seen here: the body it makes, if there is one
                shorter = find(head + tail)
                if shorter is not None:
                    longer.append((shorter, n))
            elif m < earliest:
                earliest = m
        if earliest != n:
            related[n] = earliest
    for shorter, n in sorted(longer):  # the earliest shorter body first, then the earliest longer one
        related.setdefault(max(shorter, n), min(shorter, n))
    variants = [(distinct[n][0], distinct[m][0]) for n, m in sorted(related.items())]
    return duplicates, variants


def variant_files(summaries: dict[str, dict[str, Any]]) -> list[tuple[str, str, float]]:
    """(the copy, the file it copies, the share of the copy's code found in the other) for files copied and edited.

    Each file's shapes are taken once (a statement repeated, such as add_argument lines, counts once: its first
    one) by a dictionary built from the rows read backwards; only the shapes found in two files or more are
    compared, the few a file shares with the files before it.
    """
    mass: dict[str, int] = {}
    kept: dict[str, dict[int, int]] = {}  # file -> shape -> lines of its first statement of that shape
    seen: set[int] = set()
    again: set[int] = set()  # the shapes of two files or more
    for rel, summary in summaries.items():
        shapes = summary.get("shapes", {})
        statements = [
            *shapes.get("statements", ()),
            *chain.from_iterable([body for _, _, body in shapes.get("functions", ())]),
        ]
        mass[rel] = sum(map(_second, statements))
        own = kept[rel] = dict(reversed(statements))
        again.update(seen.intersection(own))
        seen.update(own)
    holders: dict[int, dict[str, int]] = defaultdict(dict)  # shape -> file -> lines there
    for rel, own in kept.items():
        for shape in own.keys() & again:
            holders[shape][rel] = own[shape]
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for files in holders.values():
        if len(files) <= COMMON_STATEMENT:
            ordered = sorted(files)
            for a_index, a in enumerate(ordered):
                for b in ordered[a_index + 1 :]:
                    shared[(a, b)] += min(files[a], files[b])
    found: dict[str, tuple[str, float]] = {}
    for (original, copy), common in sorted([pair for pair in shared.items() if pair[1] >= MIN_FILE_SHARED]):
        share = common / mass[copy] if mass[copy] else 0.0
        if share >= FILE_SHARE and share > found.get(copy, ("", 0.0))[1]:
            found[copy] = (original, round(share, 2))
    return [(copy, original, share) for copy, (original, share) in sorted(found.items())]


def describe(pairs: list[tuple[Place, Place]], how: str) -> Iterator[tuple[str, int, str]]:
    for (rel, line, name), (other, other_line, other_name) in pairs:
        yield rel, line, f"{name}: {how} {other_name} ({other}:{other_line})"
