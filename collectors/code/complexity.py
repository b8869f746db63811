"""radon's cyclomatic complexity of a parsed module, with radon's visitor going only where something counts.

radon's ``ComplexityVisitor`` is an ``ast.NodeVisitor``: each node's visit is
looked up by name (``visit_`` and its kind), and a node without one goes
through radon's generic visit, which compares the kind's name with every kind
radon counts before it visits the node's fields one by one. Most nodes need
none of that. Here the visitor (``_Lean``) finds each kind's visit once, in a
table (``_Visits``):

- the leaves (names, constants, contexts, operators: about six nodes in ten)
  have a visit that does nothing: none is a decision point, none holds a node;
- the kinds radon's generic visit counts (read from that method's own
  constants: ``if``, loops, ``try``, ``and``/``or``, comprehensions, ``match``)
  go through it, as before;
- every other kind, which radon's generic visit would only descend into, has
  its children visited directly, by code written out for the kind's fields.

radon's own visits of a function's and a class's body are bound to this
visitor, so the visitors radon makes for every body are lean too. Every
decision point, function and class is counted by radon's code as before; only
the last line radon notes for a function or class can come out earlier (radon
notes the line of each node its generic visit sees), and no complexity
depends on it. A radon whose methods do not read as this module expects is
used as it is.

radon is imported only when a complexity is measured (``measured``): hotspot
candidates only, in the file workers.
"""

from __future__ import annotations

import ast
import types
from functools import cache
from typing import Any

from mldebt.collectors.code.tree import HOLES, LEAF_TYPES, node_fields

# Nodes with no node inside them and no part in any complexity: radon's visitor does nothing for them here (the
# index's leaves, contexts and operators, and names, literals and the names an import binds).
_LEAVES = ("Name", "Constant", "alias") + tuple(
    kind.__name__ for family in LEAF_TYPES for kind in family.__subclasses__()
)
# radon's own methods that make a visitor for each body they hold (by the global name ComplexityVisitor)
_NESTING = ("visit_FunctionDef", "visit_ClassDef")


def measured(tree: ast.Module) -> int | None:
    """radon's total cyclomatic complexity of a parsed module; None when radon cannot measure it."""
    try:
        return int(visitor().from_ast(tree).total_complexity)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@cache
def visitor() -> Any:
    """radon's ComplexityVisitor, each kind's visit from a table (``_Visits``, kept as the class's ``visits``);
    radon's own if its methods are not as expected."""
    import radon.visitors  # loaded only when a complexity is measured

    plain = radon.visitors.ComplexityVisitor
    counted = _counted(plain.generic_visit)
    if counted is None:
        return plain  # a radon whose generic visit is not what this module knows: its own visitor, as it is

    def nothing(self: Any, node: ast.AST) -> None:
        """A leaf: no decision point, nothing inside."""

    def visit(self: Any, node: ast.AST) -> None:
        """``ast.NodeVisitor.visit``, each kind's visit found once in a table instead of by name at every node."""
        table[type(node)](self, node)

    lean = type("_Lean", (plain,), {"visit": visit, **{f"visit_{name}": nothing for name in _LEAVES}})
    table = _Visits(lean, plain.generic_visit, counted)
    lean.visits = table  # type: ignore[attr-defined]  # a class made here: the table is one of its attributes
    bound = {**vars(radon.visitors), "ComplexityVisitor": lean}  # radon's module, its visitor class the lean one
    for name in _NESTING:
        method = getattr(plain, name, None)
        if not isinstance(method, types.FunctionType) or "ComplexityVisitor" not in method.__code__.co_names:
            return plain  # a radon whose visits are not what this module knows: its own visitor, as it is
        setattr(lean, name, types.FunctionType(method.__code__, bound, name, method.__defaults__, method.__closure__))
    return lean


def _counted(generic_visit: Any) -> frozenset[str] | None:
    """The node kinds radon's generic visit counts: those it names (``name in ('If', 'IfExp')``, ``name == 'BoolOp'``).

    Read from the method's own constants, so a kind a later radon counts is
    counted here too; None if the method does not read as a comparison of the
    node's kind name with names (then radon's own visitor is used).
    """
    code = getattr(generic_visit, "__code__", None)
    if code is None or "get_name" not in code.co_names:
        return None
    names: set[str] = set()
    for constant in code.co_consts:
        for value in constant if isinstance(constant, tuple) else (constant,):
            if isinstance(value, str) and isinstance(getattr(ast, value, None), type):
                names.add(value)
    return frozenset(names) if {"If", "For", "While", "BoolOp"} <= names else None


class _Visits(dict[type, Any]):
    """Each node kind's visit, made when the kind is first met: the visitor's own ``visit_<kind>`` (radon's, or
    nothing for a leaf), radon's generic visit for a kind it counts, and otherwise a visit of the node's children
    alone, which is what radon's generic visit does for a kind it does not count (beside noting the node's line)."""

    def __init__(self, visitor: type, generic_visit: Any, counted: frozenset[str]) -> None:
        super().__init__()
        self.visitor = visitor
        self.generic_visit = generic_visit
        self.counted = counted

    def __missing__(self, kind: type) -> Any:
        name = kind.__name__
        found = getattr(self.visitor, f"visit_{name}", None)
        if found is None:
            found = self.generic_visit if name in self.counted else _children_visit(kind)
        self[kind] = found
        return found


def _children_visit(kind: type[ast.AST]) -> Any:
    """A visit of the nodes a node of ``kind`` holds, in field order: ``ast.NodeVisitor.generic_visit``, written out
    for the kind's fields (``visit(node.test)``, ``for item in node.body: visit(item)``) as the index writes its
    own (``tree.node_fields``), or read field by field for a kind whose fields are not known."""
    fields = node_fields(kind)
    if fields is None:
        return _each_field_visit
    lines = ["def children(self, node):", " visit = self.visit"]
    for name, how in fields:
        if how == "*" and (kind, name) in HOLES:  # a list that can hold None (a dict's ``**`` spread)
            lines += [f" for item in node.{name}:", "  if item is not None:", "   visit(item)"]
        elif how == "*":
            lines += [f" for item in node.{name}:", "  visit(item)"]
        elif how == "?":
            lines += [f" value = node.{name}", " if value is not None:", "  visit(value)"]
        else:
            lines.append(f" visit(node.{name})")
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)  # the text is made from the field names of Python's own ast classes
    return namespace["children"]


def _each_field_visit(self: Any, node: ast.AST) -> None:
    visit = self.visit
    for field in node._fields:
        value = getattr(node, field, None)
        if type(value) is list:
            for item in value:
                if isinstance(item, ast.AST):
                    visit(item)
        elif isinstance(value, ast.AST):
            visit(value)
