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
looking at names, strings and numbers; a class whose signature cannot be
read is walked field by field.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_SCALARS = {"identifier", "string", "constant", "int"}
_LEAVES = {"expr_context", "boolop", "operator", "unaryop", "cmpop"}
_LEAF_TYPES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
_SIGNATURE = re.compile(r"^\w+\((.*)\)$")
_FIELDS: dict[type[ast.AST], tuple[tuple[str, bool], ...] | None] = {}


@dataclass(frozen=True)
class Indexed:
    nodes: list[ast.AST]  # breadth first, the root first
    starts: list[int]  # the children of nodes[i] are nodes[starts[i]:starts[i + 1]]
    depth: int  # levels below the root (leaves left out)

    def children(self, i: int) -> range:
        return range(self.starts[i], self.starts[i + 1])


def _fields(kind: type[ast.AST]) -> tuple[tuple[str, bool], ...] | None:
    """(field, holds a list) for each field of ``kind`` that can hold nodes, in field order; None if unknown."""
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
            found.append((name, typ.endswith("*")))
    if [name for name, _ in found if name not in kind._fields]:
        return None
    return tuple(found)


def index(root: ast.AST) -> Indexed:
    """Every node below ``root`` (itself included) breadth first, with where each one's children are."""
    out = [root]
    starts: list[int] = []
    level_end, depth = 1, 0
    position = 0
    while position < len(out):
        if position == level_end:
            depth += 1
            level_end = len(out)
        current = out[position]
        position += 1
        starts.append(len(out))
        kind = type(current)
        if kind in _FIELDS:
            fields = _FIELDS[kind]
        else:
            fields = _FIELDS[kind] = _fields(kind)
        if fields is None:
            _generic(current, out)
            continue
        for name, many in fields:
            value = getattr(current, name, None)
            if many:
                if value:
                    out.extend(value) if None not in value else out.extend(v for v in value if v is not None)
            elif value is not None:
                out.append(value)
    starts.append(len(out))
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
    order: list[int] = []
    stack = [0]
    pop, push, add = stack.pop, stack.extend, order.append
    while stack:  # children pushed left to right and popped right to left: reversed, that is post-order
        i = pop()
        add(i)
        push(range(starts[i], starts[i + 1]))
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
