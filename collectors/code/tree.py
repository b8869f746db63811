"""One pass over a parsed Python file that every analysis of it shares.

``index`` lists the nodes of a tree breadth first (the order ``ast.walk``
gives) and remembers where each node's children sit in that list, so that a
sub-tree (``subtree``) or a children-first order (``postorder``, what
vulture's visitor needs) is read from the list instead of walking the tree
again. Leaf nodes that carry nothing (``Load``/``Store`` contexts and the
operators) are left out; removing leaves keeps every other node's place in
the breadth-first order.

Which fields of a node class hold nodes is read from the class's ASDL
signature (``Name(identifier id, expr_context ctx)``), so no time is spent
looking at names, strings and numbers; each class gets a function written for
its fields, once, so that a node costs one call; a class whose signature
cannot be read is walked field by field.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_SCALARS = {"identifier", "string", "constant", "int"}
_LEAVES = {"expr_context", "boolop", "operator", "unaryop", "cmpop"}
_LEAF_TYPES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
_SIGNATURE = re.compile(r"^\w+\((.*)\)$")
Children = Callable[[ast.AST, list[ast.AST]], None]
_CHILDREN: dict[type[ast.AST], Children | None] = {}  # a node type -> what appends its nodes (None: it holds none)


@dataclass(frozen=True)
class Indexed:
    nodes: list[ast.AST]  # breadth first, the root first
    starts: list[int]  # the children of nodes[i] are nodes[starts[i]:starts[i + 1]]
    depth: int  # levels below the root (leaves left out)

    def children(self, i: int) -> range:
        return range(self.starts[i], self.starts[i + 1])


def _fields(kind: type[ast.AST]) -> tuple[tuple[str, str], ...] | None:
    """(field, "*" for a list, "?" for a node or None, "" for a node) for each field of ``kind`` that can hold
    nodes, in field order; None if unknown."""
    match = _SIGNATURE.match((kind.__doc__ or "").strip())
    if not match:
        return () if not kind._fields else None
    found = []
    for part in match.group(1).split(", "):
        pieces = part.split(" ")
        if len(pieces) != 2:
            return None
        typ, name = pieces
        if typ.rstrip("*?") not in _SCALARS | _LEAVES:
            found.append((name, typ[-1] if typ[-1] in "*?" else ""))
    if [name for name, _ in found if name not in kind._fields]:
        return None
    return tuple(found)


def _children(kind: type[ast.AST]) -> Children | None:
    """A function that appends the nodes a node of ``kind`` holds, field by field, written for its fields
    (``out.append(node.value)``), as ``dataclasses`` writes a class's methods: one call per node instead of a
    loop over its fields and a ``getattr`` for each. None for a type that holds no nodes (names, literals).
    ``out.append(...)`` is written out, not passed bound: the interpreter has a shortcut for that call."""
    fields = _fields(kind)
    if fields is None:
        return _generic
    if not fields:
        return None
    lines = ["def children(node, out):"]
    for name, how in fields:
        if how == "*":  # only a dict's keys (``**spread``) and keyword-only defaults hold None
            lines.append(f" v = node.{name}")
            lines.append(" if v: out.extend(v) if None not in v else out.extend([n for n in v if n is not None])")
        elif how == "?":
            lines.append(f" v = node.{name}")
            lines.append(" if v is not None: out.append(v)")
        else:
            lines.append(f" out.append(node.{name})")
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)  # the text is made above from the names of the ASDL signature
    return namespace["children"]  # type: ignore[no-any-return]


def index(root: ast.AST) -> Indexed:
    """Every node below ``root`` (itself included) breadth first, with where each one's children are."""
    try:
        return _index(root, _CHILDREN)
    except AttributeError:  # a node made by hand without some of its fields: read each one's fields as it has them
        return _index(root, defaultdict(lambda: _generic))


def _index(root: ast.AST, table: dict[type[ast.AST], Children | None]) -> Indexed:
    out = [root]
    starts: list[int] = []
    for current in out:  # the list grows as it is read: the children go after the level being read
        starts.append(len(out))
        try:
            children = table[type(current)]
        except KeyError:
            children = table[type(current)] = _children(type(current))
        if children is not None:
            children(current, out)
    starts.append(len(out))
    start, end, depth = 0, 1, -1
    while start != end:  # a level's children are the next level: one step per level
        start, end, depth = starts[start], starts[end], depth + 1
    return Indexed(out, starts, depth)


def _generic(node: ast.AST, out: list[ast.AST]) -> None:
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ast.AST) and not isinstance(v, _LEAF_TYPES))
        elif isinstance(value, ast.AST) and not isinstance(value, _LEAF_TYPES):
            out.append(value)


def walk(root: ast.AST) -> list[ast.AST]:
    """``ast.walk``'s nodes (leaves without content left out), as a list."""
    return index(root).nodes


def postorder(tree: Indexed) -> list[int]:
    """Indexes of the nodes, each after all of its descendants, siblings in field order (a recursive visit's order)."""
    starts = tree.starts
    ends = starts[1:]  # the children of i end at ends[i]
    order: list[int] = []
    stack = [0]
    pop, push, add = stack.pop, stack.extend, order.append
    while stack:  # children pushed left to right and popped right to left: reversed, that is post-order
        i = pop()
        add(i)
        if starts[i] != ends[i]:  # about half the nodes have no children: nothing to push
            push(range(starts[i], ends[i]))
    order.reverse()
    return order


def subtree(tree: Indexed, i: int) -> list[int]:
    """Indexes of node ``i`` and everything below it, breadth first (``walk(tree.nodes[i])``'s order)."""
    out: list[int] = []
    for start, end in levels(tree, i):
        out.extend(range(start, end))
    return out


def levels(tree: Indexed, i: int) -> list[tuple[int, int]]:
    """Node ``i``'s sub-tree as one (start, end) range of indexes per level, the node's own level first.

    In breadth-first order the children of consecutive nodes are consecutive,
    so each level of a sub-tree is one range: ``nodes[start:end]`` for each, in
    turn, is ``subtree``'s order.
    """
    starts = tree.starts
    out = []
    start, end = i, i + 1
    while start != end:
        out.append((start, end))
        start, end = starts[start], starts[end]
    return out
