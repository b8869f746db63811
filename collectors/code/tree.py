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
its fields, once, so that a node costs one call, and the commonest classes
are handled in the loop itself, written for their fields the same way, so that
they cost no call; a class whose signature cannot be read is walked field by
field.

The same pass notes each node's key (``key``): its type, or the name a
``Name``, an ``Attribute`` or a keyword carries. A statement's shape
(shapes.py) is a hash of its nodes' keys, so it needs no second pass over
the nodes to read them. It also notes the nodes of the types an analysis asks
for (``picks``), so that the analysis need not look at every node's type to
find them; each node's type (``kinds``) is listed once, when an analysis first
reads it, for the analyses that tell nodes apart by type.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from itertools import compress
from typing import Any

_SCALARS = {"identifier", "string", "constant", "int"}
_LEAVES = {"expr_context", "boolop", "operator", "unaryop", "cmpop"}
LEAF_TYPES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
_SIGNATURE = re.compile(r"^\w+\((.*)\)$")
Children = Callable[[ast.AST, list[ast.AST], list[object]], None]
Picks = tuple[frozenset[type[ast.AST]], ...]
Loop = Callable[[ast.AST], tuple[list[ast.AST], list[int], list[object], tuple[list[ast.AST], ...]]]
# a node type -> what appends a node's key and its nodes; None: the type holds no nodes and is its nodes' key
_CHILDREN: dict[type[ast.AST], Children | None] = {}
# The lists of nodes that can hold None instead of a node: a dict's keys (None for a ``**spread``) and the
# keyword-only defaults (None for a parameter without one). Every other list is taken whole. Were another list to
# hold None, the index would meet a None where it expects a node and read the tree field by field instead.
HOLES = {(ast.Dict, "keys"), (ast.arguments, "kw_defaults")}
# The commonest node types (three quarters of the standard library's nodes), commonest first: the index's loop
# handles them in its own body instead of looking up and calling a function for each node of them.
_WRITTEN_OUT = (
    ast.Name,
    ast.Constant,
    ast.Attribute,
    ast.Call,
    ast.Assign,
    ast.arg,
    ast.Expr,
    ast.If,
    ast.arguments,
    ast.FunctionDef,
    ast.Compare,
    ast.Return,
)


@dataclass(frozen=True)
class Indexed:
    nodes: list[ast.AST]  # breadth first, the root first
    starts: list[int]  # the children of nodes[i] are nodes[starts[i]:starts[i + 1]]
    depth: int  # levels below the root (leaves left out)
    keys: list[object] | None = None  # ``key(nodes[i])`` for each node; None if nodes made by hand lack fields
    picks: Picks = ()  # what ``index`` was asked to pick: sets of node types
    picked: tuple[list[ast.AST], ...] = ()  # for each of ``picks``, its types' nodes, in the order of ``nodes``

    def children(self, i: int) -> range:
        return range(self.starts[i], self.starts[i + 1])

    @cached_property
    def kinds(self) -> list[type[ast.AST]]:
        """``type(nodes[i])`` for each node, listed once, when first read."""
        return list(map(type, self.nodes))


def node_fields(kind: type[ast.AST]) -> tuple[tuple[str, str], ...] | None:
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


def key(node: ast.AST) -> object:
    """What a node is called: the name a ``Name`` reads or writes, an ``Attribute``'s or a keyword's name (``**``
    for a keyword that spreads a mapping), otherwise the node's type."""
    kind = type(node)
    if kind is ast.Name:
        return node.id  # type: ignore[attr-defined]  # a Name
    if kind is ast.Attribute:
        return node.attr  # type: ignore[attr-defined]  # an Attribute
    if kind is ast.keyword:
        return node.arg or "**"  # type: ignore[attr-defined]  # a keyword
    return kind


def _children(kind: type[ast.AST]) -> Children | None:
    """A function that appends the key of a node of ``kind`` and the nodes it holds, field by field, written for
    its fields (``out.append(node.value)``), as ``dataclasses`` writes a class's methods: one call per node
    instead of a loop over its fields and a ``getattr`` for each. None for a type that holds no nodes and whose
    key is the type (literals). ``out.append(...)`` is written out, not passed bound: the interpreter has a
    shortcut for that call."""
    if kind is ast.Name:
        return _name
    fields = node_fields(kind)
    if fields is None:
        return _generic_keyed
    if not fields:
        return None
    namespace: dict[str, Any] = {"kind": kind}
    exec("\n".join(["def children(node, out, keys):", *_written(kind, fields, "node", " ")]), namespace)
    return namespace["children"]  # type: ignore[no-any-return]  # the text is made from the ASDL signature


def _written(kind: type[ast.AST], fields: tuple[tuple[str, str], ...], node: str, indent: str) -> list[str]:
    """The lines that append the key of ``node``, a node of ``kind`` (whose type is in ``kind`` where they run),
    and the nodes it holds in ``fields``."""
    if kind is ast.Name:
        return [f"{indent}keys.append({node}.id)"]
    if kind is ast.Attribute:
        lines = [f"{indent}keys.append({node}.attr)"]
    elif kind is ast.keyword:
        lines = [f"{indent}keys.append({node}.arg or '**')"]
    else:
        lines = [f"{indent}keys.append(kind)"]
    for name, how in fields:
        if how == "*" and (kind, name) in HOLES:
            lines.append(f"{indent}v = {node}.{name}")
            lines.append(
                f"{indent}if v: out.extend(v) if None not in v else out.extend([n for n in v if n is not None])"
            )
        elif how == "*":
            lines.append(f"{indent}out.extend({node}.{name})")
        elif how == "?":
            lines.append(f"{indent}v = {node}.{name}")
            lines.append(f"{indent}if v is not None: out.append(v)")
        else:
            lines.append(f"{indent}out.append({node}.{name})")
    return lines


def index(root: ast.AST, picks: Picks = ()) -> Indexed:
    """Every node below ``root`` (itself included) breadth first, with where each one's children are, and for each
    set of node types of ``picks`` the nodes of those types (``picked``), noted as the nodes are listed."""
    try:
        return _index(root, picks)
    except AttributeError:  # a node made by hand without some of its fields: read each one's fields as it has them
        out = [root]
        starts: list[int] = []
        for current in out:
            starts.append(len(out))
            _generic(current, out)
        kinds = list(map(type, out))
        picked = tuple(list(compress(out, map(types.__contains__, kinds))) for types in picks)
        return _indexed(out, starts, None, picks, picked)


# the index's loop for each ``picks`` it was asked for (one in use: the visitor's)
_LOOPS: dict[Picks, Loop] = {}


def _loop(picks: Picks) -> Loop:
    """The index's loop, written with the handling of each type of _WRITTEN_OUT in its body (a type whose
    signature cannot be read is left to the table), then the table's function for any other type. A node of a
    type of ``picks[k]`` is appended to ``picked{k}`` there and then (written out for the written-out types,
    looked up in ``pickers`` for the others).

    ``size`` is ``len(out)``, read again only after a node that can hold nodes: a run of leaves (names,
    literals: half the nodes) notes one int as where each one's children would start, not one int each."""
    types = [kind for kind in _WRITTEN_OUT if kind is ast.Name or node_fields(kind) is not None]
    others = sorted({kind for types_ in picks for kind in types_} - set(types), key=lambda kind: kind.__name__)
    lists = [f"picked{k}" for k in range(len(picks))]
    lines = [
        "def _index(root):",
        " out = [root]",
        " starts = []",
        " keys = []",
        " size = 1",
        *(f" {name} = []" for name in lists),
        " pickers = {"
        + ", ".join(
            f"o{j}: ({''.join(f'{lists[k]}, ' for k, t in enumerate(picks) if o in t)})" for j, o in enumerate(others)
        )
        + "}",
        " for current in out:  # the list grows as it is read: the children go after the level being read",
        "  starts.append(size)",
        "  kind = type(current)",
    ]
    for k, kind in enumerate(types):
        fields = node_fields(kind) or ()
        lines.append(f"  {'elif' if k else 'if'} kind is t{k}:")
        lines.extend(_written(kind, fields, "current", "   "))
        if fields:
            lines.append("   size = len(out)")
        lines.extend(f"   {lists[j]}.append(current)" for j, types_ in enumerate(picks) if kind in types_)
    lines += [
        "  else:",
        "   try:",
        "    children = table[kind]",
        "   except KeyError:",
        "    children = table[kind] = make(kind)",
        "   if children is None:",
        "    keys.append(kind)",
        "   else:",
        "    children(current, out, keys)",
        "    size = len(out)",
        "   if kind in pickers:",
        "    for picked in pickers[kind]:",
        "     picked.append(current)",
        f" return out, starts, keys, ({''.join(f'{name}, ' for name in lists)})",
    ]
    namespace: dict[str, Any] = {"table": _CHILDREN, "make": _children}
    namespace.update({f"t{k}": kind for k, kind in enumerate(types)})
    namespace.update({f"o{j}": kind for j, kind in enumerate(others)})
    exec("\n".join(lines), namespace)  # the text is made above from the names of the ASDL signatures
    return namespace["_index"]  # type: ignore[no-any-return]


def _index(root: ast.AST, picks: Picks) -> Indexed:
    try:
        loop = _LOOPS[picks]
    except KeyError:
        loop = _LOOPS[picks] = _loop(picks)
    out, starts, keys, picked = loop(root)
    return _indexed(out, starts, keys, picks, picked)


def _indexed(
    out: list[ast.AST], starts: list[int], keys: list[object] | None, picks: Picks, picked: tuple[list[ast.AST], ...]
) -> Indexed:
    starts.append(len(out))
    start, end, depth = 0, 1, -1
    while start != end:  # a level's children are the next level: one step per level
        start, end, depth = starts[start], starts[end], depth + 1
    return Indexed(out, starts, depth, keys, picks, picked)


def _name(node: ast.AST, out: list[ast.AST], keys: list[object]) -> None:
    keys.append(node.id)  # type: ignore[attr-defined]  # a Name: _index writes this out


def _generic_keyed(node: ast.AST, out: list[ast.AST], keys: list[object]) -> None:
    keys.append(key(node))
    _generic(node, out)


def _generic(node: ast.AST, out: list[ast.AST]) -> None:
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ast.AST) and not isinstance(v, LEAF_TYPES))
        elif isinstance(value, ast.AST) and not isinstance(value, LEAF_TYPES):
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
