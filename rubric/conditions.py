"""Rubric conditions: small expressions over evidence keys, evaluated safely.

A condition reads like ``repo.tests.functions > 0 and count(repo.ci.configs) > 0``.
It is parsed and evaluated by simpleeval (never Python's ``eval``): only
comparisons, boolean logic, arithmetic, literals, membership and the functions
below are allowed. A key with no fact makes the whole condition *unknown*,
which is not the same as false.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from simpleeval import (
    DISALLOW_FUNCTIONS,
    AttributeDoesNotExist,
    EvalWithCompoundTypes,
    FeatureNotAvailable,
    FunctionNotDefined,
    InvalidExpression,
    NameNotDefined,
)

UNKNOWN = None  # the third truth value


class ConditionError(ValueError):
    """A condition that cannot be parsed or uses something not allowed."""


def _count(value: Any) -> int:
    return len(value) if isinstance(value, (list, dict, str, tuple)) else int(bool(value))


def _present(value: Any) -> bool:
    return value is not None and value != [] and value != {} and value != ""


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "count": _count,
    "len": _count,
    "min": min,
    "max": max,
    "any": any,
    "all": all,
    "abs": abs,
    "round": round,
    # present(key) / absent(key): whether a key has a non-empty fact. Never unknown: they
    # turn missing evidence into a decision where a rubric wants one.
    "present": _present,
    "absent": lambda value: not _present(value),
    # holds(key): the fact is true (a missing fact is not); for applicability, which must decide
    "holds": lambda value: value is True,
}
PRESENCE = {"present", "absent", "holds"}


def parse(expression: str) -> ast.AST:
    """Parse ``expression`` and check that it only uses what conditions allow."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"cannot parse condition: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ConditionError(f"unknown function in condition (allowed: {', '.join(sorted(FUNCTIONS))})")
            if node.func.id in PRESENCE and (
                len(node.args) != 1 or node.keywords or not isinstance(node.args[0], (ast.Name, ast.Attribute))
            ):
                raise ConditionError(
                    f"{node.func.id}() takes one evidence key, such as {node.func.id}(repo.hygiene.license)"
                )
        elif isinstance(node, (ast.Lambda, ast.NamedExpr, ast.comprehension, ast.Subscript, ast.Starred)):
            raise ConditionError(f"{type(node).__name__.lower()} is not allowed in a condition")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ConditionError("names starting with '_' are not allowed in a condition")
    return tree


@lru_cache(maxsize=4096)
def keys(expression: str) -> frozenset[str]:
    """The evidence keys a condition reads (dotted names), for validation and explanation."""
    found: set[str] = set()

    def dotted(node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            head = dotted(node.value)
            return f"{head}.{node.attr}" if head else None
        return None

    tree = parse(expression)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)) and not isinstance(getattr(node, "ctx", None), ast.Del):
            name = dotted(node)
            if name and name not in FUNCTIONS and name not in ("True", "False", "None"):
                found.add(name)
    # keep only the longest chains: "repo.tests.files" not also "repo.tests" and "repo"
    return frozenset(k for k in found if not any(other.startswith(k + ".") for other in found))


class _List(list[Any]):
    """A list-valued fact that also has deeper facts as attributes."""


class _Int(int):
    """An int-valued fact that also has deeper facts as attributes."""


class _Float(float):
    """A float-valued fact that also has deeper facts as attributes."""


class _Str(str):
    """A string-valued fact that also has deeper facts as attributes."""


_WITH_FIELDS = {list: _List, int: _Int, float: _Float, str: _Str}
_VALUE = object()  # where a node of the key tree keeps its own fact's value


def namespace(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Nest flat dotted facts ``{"a.b": 1}`` as ``{"a": {"b": 1}}`` for evaluation.

    A key can have a value and deeper keys at once (``deps.lockfiles``, a list, and
    ``deps.lockfiles.in_step``; a count and its ``.at`` places): both stay readable. A
    mapping value is merged with the deeper keys (they win on a clash); a list, number
    or string keeps its value and carries the deeper keys as attributes; a boolean or
    null keeps its value only. The facts themselves are never modified.
    """
    tree: dict[Any, Any] = {}
    for key, value in facts.items():
        node = tree
        for part in key.split("."):
            node = node.setdefault(part, {})
        node[_VALUE] = value
    return {part: _build(child) for part, child in tree.items()}  # the top holds no value of its own


def _build(node: dict[Any, Any]) -> Any:
    children = {part: _build(child) for part, child in node.items() if part is not _VALUE}
    if _VALUE not in node:
        return children
    value = node[_VALUE]
    if not children:
        return value
    if isinstance(value, dict):
        return {**value, **children}
    wrapper = _WITH_FIELDS.get(type(value))
    if wrapper is None:
        return value
    wrapped = wrapper(value)
    wrapped.__dict__.update(children)
    return wrapped


@lru_cache(maxsize=4096)
def _compiled(expression: str) -> ast.AST:
    parse(expression)  # refuse what conditions do not allow before simpleeval sees it
    return ast.parse(expression.strip()).body[0]


class _FactEval(EvalWithCompoundTypes):  # type: ignore[misc]  # simpleeval ships no type information
    """simpleeval over evidence: the names hold only facts' data (JSON-like values).

    simpleeval re-checks every intermediate value for modules and forbidden
    functions by walking it whole; for ``repo.tests.files`` that means walking all
    of ``repo`` at each step, most of the scoring time. Facts are data, so no module or
    function can sit inside them: checking the value itself keeps the guarantee
    (calls are limited to FUNCTIONS by ``parse`` and by simpleeval itself).
    """

    def _eval_call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id in PRESENCE:
            try:
                value = self._eval(node.args[0])
            except (NameNotDefined, AttributeDoesNotExist, KeyError):
                value = None
            return FUNCTIONS[node.func.id](value)
        return super()._eval_call(node)

    def _check_disallowed_items(self, item: Any) -> None:
        if isinstance(item, types.ModuleType):
            raise FeatureNotAvailable("Sorry, modules are not allowed")
        if callable(item) and not isinstance(item, type) and item in DISALLOW_FUNCTIONS:
            raise FeatureNotAvailable("This function is forbidden")


class Evaluator:
    """Evaluates many conditions over one scan's facts (one evaluator per scan)."""

    def __init__(self, names: Mapping[str, Any]) -> None:
        self._eval = _FactEval(names=dict(names), functions=FUNCTIONS)

    def __call__(self, expression: str) -> bool | None:
        """True, False, or UNKNOWN when a key it reads has no fact."""
        try:
            return bool(self._eval.eval(expression, previously_parsed=_compiled(expression)))
        except (NameNotDefined, AttributeDoesNotExist, KeyError):
            return UNKNOWN
        except TypeError:  # e.g. comparing a missing-but-null value with a number
            return UNKNOWN
        except (FeatureNotAvailable, FunctionNotDefined, InvalidExpression) as exc:
            raise ConditionError(str(exc)) from None


def evaluate(expression: str, names: Mapping[str, Any]) -> bool | None:
    """True, False, or UNKNOWN when a key it reads has no fact."""
    return Evaluator(names)(expression)
