"""radon's cyclomatic complexity of a parsed module, without visiting the nodes that cannot add to it.

radon's ``ComplexityVisitor`` visits every node of a tree. About six nodes in
ten are names, constants, load and store contexts and operators: none is a
decision point and none holds anything (in a Python syntax tree they are
leaves), yet radon's visit of each costs as much as that of an ``if``. Here
they are skipped: ``_Lean`` is radon's visitor with a visit that does nothing
for those kinds, and radon's own visits of a function's and a class's body are
bound to it, so the visitors radon makes for every body are lean too. Every
decision point, function and class is counted by radon's code as before; only
the last line radon notes for a function or class can come out earlier (a name
or constant on it is not seen), and no complexity depends on it.

radon is imported only when a complexity is measured (``measured``): hotspot
candidates only, in the file workers.
"""

from __future__ import annotations

import ast
import types
from functools import cache
from typing import Any

from mldebt.collectors.code.tree import LEAF_TYPES

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
    """radon's ComplexityVisitor that skips the leaves (``_LEAVES``); radon's own if its methods are not as expected."""
    import radon.visitors  # loaded only when a complexity is measured

    plain = radon.visitors.ComplexityVisitor

    def nothing(self: Any, node: ast.AST) -> None:
        """A leaf: no decision point, nothing inside."""

    lean = type("_Lean", (plain,), {f"visit_{name}": nothing for name in _LEAVES})
    bound = {**vars(radon.visitors), "ComplexityVisitor": lean}  # radon's module, its visitor class the lean one
    for name in _NESTING:
        method = getattr(plain, name, None)
        if not isinstance(method, types.FunctionType) or "ComplexityVisitor" not in method.__code__.co_names:
            return plain  # a radon whose visits are not what this module knows: its own visitor, as it is
        setattr(lean, name, types.FunctionType(method.__code__, bound, name, method.__defaults__, method.__closure__))
    return lean
