"""The single walk over one parsed Python file that records the ML-debt signals.

Each node type of interest has one handler; everything is recorded as plain
lists (line first) so the summary is JSON and cacheable. Test files get only
the parts that describe tests (imports and aliases); smells are looked for in
the rest of the code, where they ship.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code.tree import Indexed, index, walk

MAX_LOCATIONS = 40  # kept per file and kind (counts stay exact) ...
_UNCAPPED = {"functions", "feature_statements"}  # ... except fingerprints, which are compared across files
_SEED_NEEDS_ARG = {"numpy.random.default_rng", "numpy.random.RandomState", "jax.random.PRNGKey", "jax.random.key"}
_CLI = {"argparse.ArgumentParser", "click.command", "click.group", "typer.Typer", "fire.Fire"}
_RECORD_BASES = {"NamedTuple", "TypedDict", "BaseModel", "Struct"}
_RECORD_DECORATORS = {"dataclass", "dataclasses.dataclass", "attr.s", "attrs.define", "attr.define", "attrs.frozen"}
_ENV_GET = {"os.getenv", "os.environ.get"}


def fingerprint(node: ast.AST | list[ast.stmt]) -> str:
    """A short hash of code's structure and names (line numbers left out)."""
    text = ast.dump(ast.Module(body=node, type_ignores=[]) if isinstance(node, list) else node, annotate_fields=False)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class Visit:
    def __init__(self, rel: str, *, is_test: bool = False, notebook: bool = False) -> None:
        self.rel, self.is_test, self.notebook = rel, is_test, notebook
        self.role = P.path_role(rel)
        self.nodes: list[ast.AST] = []
        self.tree: Indexed | None = None
        self.aliases: dict[str, str] = {}
        self.imported_roots: set[str] = set()
        self.imports: set[str] = set()
        self.found: dict[str, list[list[Any]]] = {}
        self.seeds: dict[str, int] = {}
        self.random_use: set[str] = set()
        self.counts = {"record_types": 0, "dict_annotations": 0, "string_keys": 0}
        self.main_guard = False
        self.cli = False
        self.top_level_work = False
        self._quiet: set[int] = set()
        self._float_consts: dict[str, float] = {}

    # -- names -------------------------------------------------------------
    def dotted(self, node: ast.AST) -> str:
        """``np.random.seed`` -> ``numpy.random.seed`` through the file's imports."""
        parts = []
        while True:
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Call):
                parts.append("()")
                node = node.func
            elif isinstance(node, ast.Subscript):
                node = node.value
            elif isinstance(node, ast.Name):
                parts.append(self.aliases.get(node.id, node.id))
                break
            else:
                parts.append("?")
                break
        return ".".join(reversed(parts)).replace(".()", "()")

    def add(self, kind: str, *row: Any) -> None:
        rows = self.found.setdefault(kind, [])
        if len(rows) < MAX_LOCATIONS or kind in _UNCAPPED:
            rows.append(list(row))
        self.counts[kind] = self.counts.get(kind, 0) + 1

    # -- the walk ----------------------------------------------------------
    def run(self, tree: ast.Module) -> None:
        self.tree = index(tree)
        nodes = self.nodes = self.tree.nodes
        docstrings: set[int] = set()
        for node in nodes:
            if type(node) is ast.Import or type(node) is ast.ImportFrom:
                self._import(node)
            elif isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    docstrings.add(id(first.value))
        modules = {origin.split(".", 1)[0] for origin in self.aliases.values()}
        self.random_use = {
            P.RANDOM_LIBRARIES[m] for m in modules if m in P.RANDOM_LIBRARIES and m not in P.NEEDS_RANDOM_CALL
        }
        if self.is_test:
            return
        # each handler takes the node type it is filed under
        handlers: dict[type[ast.AST], Callable[[Any], None]] = {
            ast.Call: self._call,
            ast.Compare: self._compare,
            ast.If: self._if,
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.ClassDef: self._class,
            ast.Assign: self._assign,
            ast.Subscript: self._subscript,
            ast.Dict: self._dict,
            ast.Raise: self._raise,
            ast.JoinedStr: self._joined,
        }
        for node in tree.body:
            if isinstance(node, (ast.Expr, ast.For, ast.While, ast.With)) and not (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            ):
                self.top_level_work = True  # the module does its work when run, as a script does
            elif (
                isinstance(node, (ast.Assign, ast.AnnAssign))
                and node.value is not None
                and any(
                    isinstance(sub, ast.Call) and self.dotted(sub.func).rsplit(".", 1)[-1] in P.RAW_READERS
                    for sub in walk(node.value)
                )
            ):
                self.top_level_work = True  # reads data at import time
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, float):
                        self._float_consts[target.id] = node.value.value
        strings: list[tuple[int, str, int]] = []  # (node id, text, line)
        for node in nodes:
            handler = handlers.get(type(node))
            if handler is not None:
                handler(node)
            elif type(node) is ast.Constant and isinstance(node.value, str) and id(node) not in docstrings:
                strings.append((id(node), node.value, node.lineno))
        for node_id, text, line in strings:
            if node_id not in self._quiet:
                self._string(text, line)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                self.aliases[alias.asname or root] = alias.name if alias.asname else root
                self.imported_roots.add(alias.asname or root)
                self.imports.add(alias.name)
            return
        module = node.module or ""
        if node.level:
            package = self.rel.rsplit(".", 1)[0].split("/")[:-1]
            package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            module = ".".join([*package, module] if module else package)
        self.imports.add(module)
        for alias in node.names:
            if alias.name != "*":
                self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
                self.imported_roots.add(alias.asname or alias.name)
                if not node.level:
                    self.imports.add(f"{module}.{alias.name}")

    def _call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        root = name.split(".", 1)[0]
        line = node.lineno
        lib = P.SEED_CALLS.get(name)
        if lib and (node.args or node.keywords or name not in _SEED_NEEDS_ARG):
            self.seeds.setdefault(lib, line)
        if name.startswith("numpy.random."):
            self.random_use.add("numpy")
        for kw in node.keywords:
            if kw.arg in P.SEED_KEYWORDS and not (isinstance(kw.value, ast.Constant) and kw.value.value is None):
                if root in P.RANDOM_LIBRARIES:
                    self.seeds.setdefault(P.RANDOM_LIBRARIES[root], line)
            elif kw.arg in P.REGISTRY_KEYWORDS:
                self.add("registry", line, f"{name}({kw.arg}=...)")
            elif kw.arg in P.HYPERPARAMETERS and _number(kw.value) is not None and last != "add_argument":
                self.add("hyperparameters", line, kw.arg, _number(kw.value))
        tracking = _tracking(name) if last.startswith(P.TRACKING_VERBS) or last in P.LOGGER_CLASSES else None
        if tracking:
            self.add("tracking", line, tracking, name)
        if last in P.REGISTRY_METHODS:
            self.add("registry", line, name)
        mechanism = P.CONFIG_CALLS.get(name)
        if mechanism:
            self.add("config", line, mechanism)
        if last == "add_argument" or (last == "option" and root == "click"):
            default = next((kw.value for kw in node.keywords if kw.arg == "default"), None)
            if default is not None and (_number(default) is not None or isinstance(default, ast.Constant)):
                self.add("cli_defaults", line, _first_str(node) or "?")
        if name in _CLI or last == "ArgumentParser":
            self.cli = True
        if name in _ENV_GET and node.args and (variable := _str(node.args[0])) and P.FLAG_NAME.search(variable):
            self.add("flags", line, variable, "environment")
        if last in P.RAW_READERS or name == "numpy.load" or (name == "open" and _data_file(_first_str(node))):
            self.add("raw_reads", line, name)
        notebook = next(
            (
                text
                for arg in node.args
                for item in (arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg])
                if (text := _str(item)) and text.endswith(".ipynb")
            ),
            None,
        )
        if notebook:  # the first one: papermill's second is where it writes the executed copy
            self.add("notebook_refs", line, notebook, "runs")
        if last in P.QUIET_CALLS:
            self._hush(node.args)

    def _compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for a, b in pairwise(operands):
            for value_node, other in ((a, b), (b, a)):
                value = _number(value_node)
                if value is None and isinstance(value_node, ast.Name):
                    value = self._float_consts.get(value_node.id)
                if value is not None and 0 < value < 1 and _looks_like_output(other):
                    self.add("thresholds", node.lineno, value, ast.unparse(other)[:80])
                    return

    def _if(self, node: ast.If) -> None:
        test = node.test
        if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__":
            self.main_guard = True
            return
        for sub in walk(test):
            name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else _str(sub)
            if name and P.is_flag_name(name):
                self.add("flag_branches", node.lineno, name)
                return

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        body = node.body[1:] if ast.get_docstring(node, clean=False) is not None else node.body
        if self.role is not None:  # fingerprints serve the training/serving comparison only
            self.add("functions", node.lineno, node.name, fingerprint(body) if len(body) >= 2 else None)
        if P.is_copy_name(node.name):
            self.add("copy_functions", node.lineno, node.name)
        for arg in [*node.args.args, *node.args.kwonlyargs]:
            if arg.annotation is not None and self.dotted(arg.annotation).split(".")[-1] in {"dict", "Dict", "Mapping"}:
                self.counts["dict_annotations"] += 1

    def _class(self, node: ast.ClassDef) -> None:
        bases = {self.dotted(b).rsplit(".", 1)[-1] for b in node.bases}
        decorators = {self.dotted(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}
        if bases & _RECORD_BASES or decorators & _RECORD_DECORATORS:
            self.counts["record_types"] += 1
        if bases & P.SETTINGS_BASES:
            self.add("config", node.lineno, "pydantic-settings")

    def _assign(self, node: ast.Assign) -> None:
        target = node.targets[0]
        if (
            isinstance(target, ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, bool)
            and P.FLAG_NAME.search(target.id)
        ):
            self.add("flags", node.lineno, target.id, "constant")
        if (
            isinstance(target, ast.Subscript)
            and _str(target.slice)
            and any(isinstance(n, (ast.Call, ast.BinOp)) for n in walk(node.value))
        ):
            self.add("feature_statements", node.lineno, fingerprint(node))

    def _subscript(self, node: ast.Subscript) -> None:
        key = _str(node.slice)
        if key is None:
            return
        self.counts["string_keys"] += 1
        if P.FLAG_NAME.search(key) and self.dotted(node.value) == "os.environ":
            self.add("flags", node.lineno, key, "environment")

    def _dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values):
            name = _str(key) if key is not None else None
            if name in P.HYPERPARAMETERS and _number(value) is not None:
                self.add("hyperparameters", node.lineno, name, _number(value))
            elif name in P.SEED_KEYWORDS:
                for lib in ("xgboost", "lightgbm", "catboost"):
                    if lib in self.imported_roots or any(v.startswith(lib) for v in self.aliases.values()):
                        self.seeds.setdefault(lib, node.lineno)

    def _raise(self, node: ast.Raise) -> None:
        self._hush([node.exc] if node.exc else [])

    def _joined(self, node: ast.JoinedStr) -> None:
        text = "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}" for v in node.values
        )
        quiet = id(node) in self._quiet  # parents are walked first: a print() or raise around it hushed it already
        self._hush([node])
        if not quiet:
            self._string(text, node.lineno)

    def _hush(self, nodes: Sequence[ast.AST]) -> None:
        for root in nodes:
            for sub in walk(root):
                self._quiet.add(id(sub))

    def _string(self, text: str, line: int) -> None:
        if P.REGISTRY_URI.match(text):
            self.add("registry", line, text[:80])
        kind = _path_kind(text)
        if kind:
            self.add("paths", line, kind, text[:120])

    def summary(self) -> dict[str, Any]:
        return {
            "imports": sorted(self.imports),
            "roots": sorted({self.aliases.get(r, r).split(".")[0] for r in self.imported_roots}),
            "seeds": self.seeds,
            "random_use": sorted(self.random_use),
            "found": self.found,
            "counts": self.counts,
            "main_guard": self.main_guard,
            "cli": self.cli,
            "script": self.top_level_work,
        }


def _number(node: ast.AST) -> float | int | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return -inner if inner is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    return None


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _first_str(node: ast.Call) -> str | None:
    return _str(node.args[0]) if node.args else None


def _data_file(text: str | None) -> bool:
    return bool(text and text.lower().endswith(P.DATA_EXTENSIONS))


def _tracking(name: str) -> str | None:
    for prefix, lib in P.TRACKING_LIBRARIES.items():
        if name == prefix or name.startswith(prefix + ".") or name.startswith(prefix + "()"):
            return lib
    return P.LOGGER_CLASSES.get(name.rsplit(".", 1)[-1])


def _looks_like_output(node: ast.AST) -> bool:
    for sub in walk(node):
        word = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else _str(sub)
        if word and P.OUTPUT_TOKENS & set(P.tokens(word)):
            return True
    return False


def _path_kind(text: str) -> str | None:
    if len(text) < 4 or len(text) > 300 or "\n" in text:
        return None
    if P.URI.match(text):
        return "uri"
    if P.WEB_URL.match(text):
        return "url"
    if " " in text:
        return None
    if "<" in text:  # a route or a template, not a file
        return None
    if P.ABSOLUTE_PATH.match(text):
        return None if text.startswith(P.SYSTEM_PATHS) else "absolute"
    if _data_file(text) and not text.startswith((".", "*")) and len(text) > 5:
        return "relative"
    return None
