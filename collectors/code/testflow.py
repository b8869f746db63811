"""What a test's assertions read: the imported names each asserted value was made from.

A test asserts on data when the value it checks comes from data: a project
data module, a data loader, a reader (``len(dm.data_train)`` after
``dm = MNISTDataModule()``; ``df.shape`` after ``df = client.query(q).to_dataframe()``).
This module follows values through one function's assignments (all of a
name's assignments together, not in order) and gives each assertion the
*origins* of the values it compares:
the import-resolved names of the calls and references the value was built
from (``src.data.mnist_datamodule.MNISTDataModule``), and ``fixture:NAME`` for a
parameter (a pytest fixture, resolved later against the project's fixtures).

A call's value comes from the function called, not from its arguments
(``model(batch)`` is the model's output, not data), except for the builtins and
array libraries that only look at or reshape what they are given (``len(x)``,
``np.isfinite(x)``). Which origins are data is decided at project level, where
the project's own modules are known (``repo/testfiles.py``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Any

MAX_CHECKS = 20  # per test
MAX_ORIGINS = 12  # per check
MAX_ELEMENTS = 16  # of a literal list, tuple, set or dict read for origins
PASS_THROUGH = {
    "len", "list", "tuple", "set", "frozenset", "sorted", "reversed", "next", "iter", "sum", "min", "max", "abs",
    "round", "int", "float", "str", "bool", "dict", "enumerate", "zip", "any", "all", "type", "isinstance",
    "getattr", "hasattr", "repr",
}  # fmt: skip
ARRAY_ROOTS = {"numpy", "pandas", "math", "statistics", "torch", "tensorflow", "jax", "scipy", "polars"}
_SETUP = {"setUp", "setUpClass", "setup_method", "setup_class", "setup", "asyncSetUp"}
_EMPTY: frozenset[str] = frozenset()
_INNER: dict[type, tuple[str, ...]] = {  # where a value's origins are, by node type
    ast.Subscript: ("value",),
    ast.Starred: ("value",),
    ast.Await: ("value",),
    ast.NamedExpr: ("value",),
    ast.BinOp: ("left", "right"),
    ast.UnaryOp: ("operand",),
    ast.IfExp: ("body", "orelse"),
    ast.Compare: ("left", "comparators"),
    ast.BoolOp: ("values",),
    ast.Tuple: ("elts",),
    ast.List: ("elts",),
    ast.Set: ("elts",),
    ast.Dict: ("values",),
}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_COMPOUND = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    getattr(ast, "TryStar", ast.Try),
)


class Flow:
    """Origins of the local values of one function.

    Its statements are read once, recording what is assigned to each name;
    origins are worked out only for the values that assertions (or a
    fixture's return) read, and remembered. A name's origins are those of
    everything ever assigned to it in the function (order is not followed:
    cheaper, and a test rarely rebinds a name to something else).
    """

    def __init__(self, aliases: dict[str, str], params: list[str], bound: dict[str, frozenset[str]] | None = None):
        self.aliases = aliases
        self.seed: dict[str, frozenset[str]] = dict(bound or {})
        for name in params:  # a fixture, by name; one imported into the test module is also that import
            if name not in ("self", "cls"):
                self.seed[name] = frozenset({f"fixture:{name}", *([aliases[name]] if name in aliases else [])})
        self.sources: dict[str, list[ast.expr]] = {}
        self.known: dict[str, frozenset[str]] = {}
        self.asserts: list[tuple[int, list[ast.expr]]] = []
        self.returned: list[ast.expr] = []

    # -- expressions -------------------------------------------------------
    def origins(self, node: ast.AST | None) -> frozenset[str]:
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        kind = type(node)
        fields = _INNER.get(kind)
        if fields:
            out: set[str] = set()
            for field in fields:
                value = getattr(node, field)
                if isinstance(value, list):
                    for item in value[:MAX_ELEMENTS]:  # a table of expected values: its first rows say enough
                        if type(item) is not ast.Constant:
                            out |= self.origins(item)
                else:
                    out |= self.origins(value)
            return frozenset(out)
        if isinstance(node, _COMPREHENSIONS):
            return self._union([g.iter for g in node.generators])
        return _EMPTY

    def name(self, name: str) -> frozenset[str]:
        found = self.known.get(name)
        if found is not None:
            return found
        if name in self.sources or name in self.seed:
            self.known[name] = _EMPTY  # a name assigned from itself (x = x + 1) stops here
            out = set(self.seed.get(name, _EMPTY))
            for expr in self.sources.get(name, ()):
                out |= self.origins(expr)
            self.known[name] = found = frozenset(out)
            return found
        origin = self.aliases.get(name) if not name.startswith("self.") else None
        self.known[name] = found = frozenset({origin}) if origin else _EMPTY
        return found

    def _local(self, name: str) -> bool:
        return name in self.sources or name in self.seed

    def _union(self, nodes: Sequence[Any]) -> frozenset[str]:
        out: set[str] = set()
        for item in nodes:
            if type(item) is not ast.Constant:
                out |= self.origins(item)
        return frozenset(out)

    def _attribute(self, node: ast.Attribute) -> frozenset[str]:
        """``np.random.rand`` -> ``numpy.random.rand`` when the chain starts at an import; else its base's origins."""
        parts = [node.attr]
        value: ast.AST = node.value
        while isinstance(value, ast.Attribute):
            parts.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name) and not self._local(value.id) and value.id in self.aliases:
            return frozenset({".".join([self.aliases[value.id], *reversed(parts)])})
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            return self.name(f"self.{node.attr}")
        return self.origins(node.value)

    def _call(self, node: ast.Call) -> frozenset[str]:
        func = node.func
        if isinstance(func, ast.Name) and func.id in PASS_THROUGH and not self._local(func.id):
            return self._union([*node.args, *(kw.value for kw in node.keywords)])
        found = self.origins(func)
        if any(origin.split(".", 1)[0] in ARRAY_ROOTS for origin in found):
            found = found | self._union([*node.args, *(kw.value for kw in node.keywords)])
        return found

    # -- statements --------------------------------------------------------
    def read(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    self._bind(target, stmt.value)
            elif isinstance(stmt, ast.Expr):
                self._expression(stmt.value)
            elif isinstance(stmt, ast.Assert):
                self._assert(stmt.lineno, stmt.test)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue  # a nested definition runs later, if ever
            elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
                if stmt.value is not None:
                    self._bind(stmt.target, stmt.value)
            elif isinstance(stmt, ast.Return):
                if stmt.value is not None:
                    self.returned.append(stmt.value)
            elif isinstance(stmt, (ast.For, ast.AsyncFor)):
                self._bind(stmt.target, stmt.iter)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    if item.optional_vars is not None:
                        self._bind(item.optional_vars, item.context_expr)
            if isinstance(stmt, _COMPOUND):
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(stmt, field, None)
                    if inner:
                        self.read(inner)
                for handler in getattr(stmt, "handlers", ()):
                    self.read(handler.body)

    def _expression(self, node: ast.expr) -> None:
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            if node.value is not None:
                self.returned.append(node.value)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name.startswith("assert"):  # self.assertEqual, np.testing.assert_allclose, ...
                self.asserts.append((node.lineno, [*node.args, *(kw.value for kw in node.keywords)]))

    def _assert(self, line: int, test: ast.expr) -> None:
        """``assert a and b`` is two checks; ``assert x == y`` compares two values."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            for value in test.values:
                self._assert(line, value)
        elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            self._assert(line, test.operand)
        elif isinstance(test, ast.Compare):
            self.asserts.append((line, [test.left, *test.comparators]))
        else:
            self.asserts.append((line, [test]))

    def _bind(self, target: ast.AST, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.sources.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element, value)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, value)
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id in ("self", "cls")
        ):
            self.sources.setdefault(f"self.{target.attr}", []).append(value)

    def settled(self, names: Sequence[str] = (), values: Sequence[ast.expr] = ()) -> frozenset[str]:
        """The origins of some names and values, or none when they nest too deeply to follow."""
        try:
            out = self._union(values)
            for name in names:
                out |= self.name(name)
            return out
        except RecursionError:
            return _EMPTY

    def checks(self) -> list[list[Any]]:
        """[line, [origins of each value compared]] of each assertion that reads something imported or a fixture.

        What a value made from a model is compared with says nothing about data, so the values are kept apart.
        """
        out: list[list[Any]] = []
        for line, values in self.asserts[: 2 * MAX_CHECKS]:
            try:
                operands = [sorted(self.origins(value))[:MAX_ORIGINS] for value in values[:4]]
            except RecursionError:  # an expression nested too deeply to follow: nothing said about it
                continue
            if any(operands):
                out.append([line, operands])
                if len(out) >= MAX_CHECKS:
                    break
        return out


def class_state(aliases: dict[str, str], node: ast.ClassDef) -> dict[str, frozenset[str]]:
    """``self.X`` origins set by a test class's set-up methods (``setUp``, ``setup_method``, ...)."""
    state: dict[str, frozenset[str]] = {}
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in _SETUP:
            flow = Flow(aliases, [], state)
            flow.read(item.body)
            for key in [k for k in flow.sources if k.startswith("self.")]:
                state[key] = flow.settled(names=[key])
    return state


def checks(
    aliases: dict[str, str], node: ast.FunctionDef | ast.AsyncFunctionDef, state: dict[str, frozenset[str]]
) -> list[list[Any]]:
    """The assertions of a test function and what each value they compare was made from (``Flow.checks``)."""
    flow = Flow(aliases, _params(node), state)
    flow.read(node.body)
    return flow.checks()


def fixtures(aliases: dict[str, str], body: list[ast.stmt], dotted: Any) -> Iterator[tuple[str, list[str]]]:
    """(name, origins of what it returns or yields) of each module-level pytest fixture."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            dotted(d.func if isinstance(d, ast.Call) else d).rsplit(".", 1)[-1] == "fixture"
            for d in node.decorator_list
        ):
            flow = Flow(aliases, _params(node))
            flow.read(node.body)
            yield node.name, sorted(flow.settled(values=flow.returned))[:MAX_ORIGINS]


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = node.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
