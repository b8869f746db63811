"""The single walk over one parsed Python file that records the ML-debt signals.

Each node type of interest has one handler; everything is recorded as plain
lists (line first) so the summary is JSON and cacheable. Test files get only
the parts that describe tests (imports and aliases); smells are looked for in
the rest of the code, where they ship. Names are resolved through the file's
imports, through ``importlib.import_module`` of literal names, and through
variables that hold a tracker's or registry's object (``run = wandb.init()``).
The shapes of the file's statements (shapes.py) are taken from the same node
index, bottom-up, for the comparison of copies across files.
"""

from __future__ import annotations

import ast
import hashlib
from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import compress, pairwise
from operator import itemgetter
from typing import Any

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code import shapes
from mldebt.collectors.code.tree import Indexed, index, walk

MAX_LOCATIONS = 40  # kept per file and kind (counts stay exact) ...
_UNCAPPED = {"feature_statements"}  # ... except fingerprints, which are compared across files
_SEED_NEEDS_ARG = {"numpy.random.default_rng", "numpy.random.RandomState", "jax.random.PRNGKey", "jax.random.key"}
_CLI = {"argparse.ArgumentParser", "click.command", "click.group", "typer.Typer", "fire.Fire"}
_RECORD_BASES = {"NamedTuple", "TypedDict", "BaseModel", "Struct"}
_RECORD_DECORATORS = {"dataclass", "dataclasses.dataclass", "attr.s", "attrs.define", "attr.define", "attrs.frozen"}
_ENV_GET = {"os.getenv", "os.environ.get"}
_FIXTURES = {"pytest.fixture", "pytest.fixture()"}
_DYNAMIC_IMPORT = "importlib.import_module"
_BINDING_ROOTS = {*P.BOUND_ROOTS, _DYNAMIC_IMPORT.split(".")[0]}  # what a name ``_bind`` binds is imported from
_FUNCTIONS = {ast.FunctionDef, ast.AsyncFunctionDef}
_BODIES = {ast.Module, *_FUNCTIONS, ast.ClassDef}  # a docstring opens their body
_NAMING = {ast.Import, ast.ImportFrom, ast.For, *_BODIES}  # what the names of a file are read from
# What a call's name must have for any check of ``_call`` on it to match: its whole name, its first name
# or its last one. A call with none of them can only have keywords, a capitalised name or a notebook's path.
_CALL_NAMES = {
    *P.SEED_CALLS,
    *P.FORMAT_PARSERS,
    *P.CONFIG_CALLS,
    *_CLI,
    *_ENV_GET,
    _DYNAMIC_IMPORT,
    "numpy.load",
    "open",
}
_CALL_ROOTS = {"numpy", "click", *P.TRACKING_ROOTS, *P.REGISTRY_CALL_ROOTS, *P.LIBRARY_ROOTS}
_CALL_LASTS = {*P.LOGGER_CLASSES, *P.REGISTRY_METHODS, "add_argument", "ArgumentParser", *P.RAW_READERS, *P.QUIET_CALLS}
_ENV_LASTS = {name.rsplit(".", 1)[-1] for name in _ENV_GET}
_NAME_LASTS = {name.rpartition(".")[2] for name in _CALL_NAMES}  # the last parts of the names of _CALL_NAMES
# The message calls (``print``, ``log.warning``) that are in _CALL_LASTS only for ``_hush``: ``_named_call`` of one
# whose root and whole name match nothing finds what ``_call`` finds of a call no check matches, and hushes it.
_QUIET = P.QUIET_CALLS - {*P.LOGGER_CLASSES, *P.REGISTRY_METHODS, "add_argument", "ArgumentParser", *P.RAW_READERS}
_ELSEWHERE = {ast.arg, ast.Global}  # what binds a name outside the module's statements (``_switches``)
_WORK = {ast.Expr, ast.For, ast.While, ast.With}  # module-level statements that work when the module is run
# What a string without a slash must end with, lowered, for ``_string`` to find it: a registry's URI, a URI, a URL
# and an absolute path hold a slash, and a configuration's or a data file's name ends with its suffix.
_SUFFIXES = (*P.CONFIG_SUFFIXES, *P.DATA_EXTENSIONS)
_TEXT = itemgetter(1)  # the text of an entry of ``Visit._strings``
_Name, _Attribute, _Call, _Subscript, _Constant = ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant


def fingerprint(node: ast.AST | list[ast.stmt]) -> str:
    """A short hash of code's structure and names (line numbers left out)."""
    text = ast.dump(ast.Module(body=node, type_ignores=[]) if isinstance(node, list) else node, annotate_fields=False)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class Visit:
    # Whether a call's arguments are looked at for a notebook's path: only a string that ends with ".ipynb" can be
    # one, and few files hold one, so ``run`` walks without looking, then walks again looking if it met one.
    _notebooks = False

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
        self._quiet: list[tuple[tuple[int, int], tuple[int, int]]] = []  # spans of messages (print, raise, ...)
        self._strings: list[tuple[tuple[int, int], str, int]] = []  # (where, text, line) of string literals
        self._parts: set[int] = set()  # the literal parts of f-strings
        self._float_consts: dict[str, float] = {}
        self._bool_consts: set[str] = set()  # the module's True/False constants; only its switches once _switched
        self._switched = True  # whether ``_bool_consts`` holds only switches (see ``_module_level``)
        self._loop_strings: dict[str, list[str]] = {}  # for m in ["a", "b"]: the names a loop variable takes
        self._bound: dict[str, str] = {}  # run = wandb.init(): variables holding a tracker's or registry's object
        self._binds = True  # whether the file imports what ``_bind`` can bind (see ``run``)
        self._libraries: set[tuple[str, str]] = set()  # (family, library) already recorded in this file
        self._fixtures: list[tuple[int, int]] = []  # line spans of pytest fixtures: test support, not use
        self._schemas: dict[str, tuple[str, str, int]] = {}  # classes built on a library's class
        self._local_uses: dict[str, int] = {}  # capitalised local names called or annotating a route
        self._imported_uses: set[str] = set()  # capitalised imported names called or annotating a route
        self.shapes: dict[str, Any] = {}

    # -- names -------------------------------------------------------------
    def dotted(self, node: ast.AST) -> str:
        """``np.random.seed`` -> ``numpy.random.seed`` through the file's imports."""
        parts = []
        while True:  # parsed trees hold no subclasses: type identity is isinstance's answer
            kind = type(node)
            if kind is _Attribute:
                parts.append(node.attr)  # type: ignore[attr-defined]  # an Attribute
                node = node.value  # type: ignore[attr-defined]
            elif kind is _Name:
                name = node.id  # type: ignore[attr-defined]  # a Name
                parts.append(self.aliases.get(name) or self._bound.get(name, name))
                break
            elif kind is _Call:
                module = self._dynamic_import(node)  # type: ignore[arg-type]  # a Call
                if module:
                    parts.append(module)
                    break
                parts.append("()")
                node = node.func  # type: ignore[attr-defined]
            elif kind is _Subscript:
                node = node.value  # type: ignore[attr-defined]
            else:
                parts.append("?")
                break
        parts.reverse()
        return ".".join(parts).replace(".()", "()")

    def _last(self, node: ast.AST) -> str:
        """The last name of ``dotted(node)``, read off an attribute without resolving the rest."""
        if type(node) is _Attribute:
            return node.attr  # dotted(x.attr) always ends in ".attr"
        return self.dotted(node).rsplit(".", 1)[-1]

    def add(self, kind: str, *row: Any) -> None:
        rows = self.found.setdefault(kind, [])
        if len(rows) < MAX_LOCATIONS or kind in _UNCAPPED:
            rows.append(list(row))
        self.counts[kind] = self.counts.get(kind, 0) + 1

    # -- the walk ----------------------------------------------------------
    def run(self, tree: ast.Module, indexed: Indexed | None = None) -> None:
        """Record the file's signals; ``indexed``: ``index(tree, _PICKS)`` when the caller has it already."""
        if indexed is None or indexed.picks != _PICKS:
            indexed = index(tree, _PICKS)
        self.tree = indexed
        self.nodes = indexed.nodes
        # the nodes each pass below looks at, in the index's order (names and most expressions are neither's)
        naming, walked = indexed.picked
        docstrings: set[int] = set()
        expr, constant, imported, imported_from, loop = ast.Expr, ast.Constant, ast.Import, ast.ImportFrom, ast.For
        for node in naming:
            kind = type(node)  # parsed trees hold no subclasses: type identity is isinstance's answer
            if kind is imported or kind is imported_from:
                self._import(node)  # type: ignore[arg-type]  # kind says which
            elif kind is loop:
                self._loop(node)  # type: ignore[arg-type]  # a For
            else:
                body = node.body  # type: ignore[attr-defined]  # a module, function or class
                if body and type(first := body[0]) is expr and type(value := first.value) is constant:
                    docstrings.add(id(value))
        modules = {origin.split(".", 1)[0] for origin in self.aliases.values()}
        # a variable holds a tracker's object only if its call starts from an imported name whose module is one, or
        # is imported by ``importlib.import_module``: with neither imported, ``_bind`` has nothing to look at
        self._binds = any(map(_BINDING_ROOTS.__contains__, modules))
        self.random_use = {
            P.RANDOM_LIBRARIES[m] for m in modules if m in P.RANDOM_LIBRARIES and m not in P.NEEDS_RANDOM_CALL
        }
        if self.is_test:
            return
        self._module_level(tree)
        strings, parts = self._strings, self._parts
        handlers = _HANDLERS
        for node in walked:
            kind = type(node)
            if kind is constant:
                text = node.value  # type: ignore[attr-defined]  # a Constant
                if (
                    type(text) is str
                    and ("." in text or "/" in text or "\\" in text)  # else not a path: see below
                    and id(node) not in docstrings
                    and id(node) not in parts
                ):
                    strings.append(((node.lineno, node.col_offset), text, node.lineno))  # type: ignore[attr-defined]
            else:
                handlers[kind](self, node)
        if (
            not self._notebooks
            and ".ipynb" in "\0".join(map(_TEXT, strings))  # found in one search, and then which string ends with it
            and any(text.endswith(".ipynb") for _, text, _ in strings)
        ):
            # a call's argument may be a notebook's path (never a docstring or a part of an f-string, which
            # ``strings`` leaves out): the file walked again from the start, each call's arguments looked at
            again = Visit(self.rel, is_test=self.is_test, notebook=self.notebook)
            again._notebooks = True
            again.run(tree, self.tree)
            vars(self).update(vars(again))
            return
        quiet: list[tuple[tuple[int, int], tuple[int, int]]] | None = None  # made when a string needs it
        starts: list[tuple[int, int]] = []
        for at, text, line in strings:
            if "/" not in text and "\\" not in text and not text.lower().endswith(_SUFFIXES):
                continue  # no path, URI, file name or suffix: nothing ``_string`` looks for
            if quiet is None:
                quiet = _merged(self._quiet)
                starts = [start for start, _ in quiet]
            k = bisect_right(starts, at) - 1
            if k < 0 or at > quiet[k][1]:  # not inside a print(), a log call, a raise or an f-string
                self._string(text, line)
        for name, (family, lib, line) in self._schemas.items():
            if name in self._local_uses:
                self._library(self._local_uses[name], (family, lib), f"{name} ({lib} class, line {line})")
            else:
                self.add("library_classes", line, family, lib, name)
        self.shapes = shapes.rows(self.tree, every_function=self.role is not None)

    def _module_level(self, tree: ast.Module) -> None:
        """Whether the module works when run (a script), and its constants (thresholds, flags, settings)."""
        first = self.tree.starts[0] if self.tree is not None else 0  # where the module's statements are indexed
        assign, annotated, expr, setting = ast.Assign, ast.AnnAssign, ast.Expr, P.SETTING_NAME.match
        for k, node in enumerate(tree.body):
            kind = type(node)  # parsed trees hold no subclasses: type identity is isinstance's answer
            if kind is assign:
                targets, before = node.targets, len(node.targets)  # type: ignore[attr-defined]  # an Assign
            elif kind is annotated:
                targets, before = [node.target], 2  # type: ignore[attr-defined]  # its target and annotation first
            else:
                if kind in _WORK and (kind is not expr or type(node.value) is not _Constant):  # type: ignore[attr-defined]
                    self.top_level_work = True  # the module does its work when run, as a script does
                continue
            value = node.value  # type: ignore[attr-defined]  # an Assign or an AnnAssign
            if value is None:
                continue
            # once it works, whether this statement reads data says nothing more; a literal or a name (half the values
            # at module level) holds no call
            if not self.top_level_work and type(value) is not _Constant and type(value) is not _Name:
                for call in self._calls_below(value, first + k, before):
                    if self._last(call.func) in P.RAW_READERS:
                        self.top_level_work = True  # reads data at import time
                        break
            constant = value.value if type(value) is _Constant else None
            for target in targets:
                if type(target) is not _Name:
                    continue
                name = target.id  # a Name
                if isinstance(constant, float):
                    self._float_consts[name] = constant
                elif isinstance(constant, bool) and not self.notebook:  # a notebook's are parameters
                    self._bool_consts.add(name)
                if setting(name):
                    self.counts["settings"] = self.counts.get("settings", 0) + 1
        # A switch is a constant only an edit of the code turns: bound here and nowhere else (``_switches``). Few
        # files branch on one of their True/False constants, so which of them are switches is worked out when a
        # branch first names one (``_switch_named``), not here.
        self._switched = not self._bool_consts

    def _switch_named(self, name: str) -> bool:
        """Whether ``name``, one of the module's True/False constants (``_bool_consts``), is a switch: the first
        time one is asked about, the constants that are not switches are taken out of ``_bool_consts``."""
        if not self._switched:
            self._bool_consts = self._switches(self._bool_consts)
            self._switched = True
        return name in self._bool_consts

    def _switches(self, consts: set[str]) -> set[str]:
        """The names of ``consts`` bound once in the file, and never as a parameter or a global: its switches.

        A name's key in the index is the name, so only the nodes whose key is one of ``consts`` are looked at
        for a name bound (a name, an attribute or a keyword so called); the parameters and the global statements
        are found by the index's kinds."""
        bound = dict.fromkeys(consts, 0)
        tree, nodes = self.tree, self.nodes
        keys = tree.keys if tree is not None else None
        named = compress(nodes, map(consts.__contains__, keys)) if keys is not None else iter(nodes)
        for sub in named:
            if type(sub) is _Name and sub.id in consts and type(sub.ctx) is ast.Store:
                bound[sub.id] += 1
        kinds = tree.kinds if tree is not None else list(map(type, nodes))
        for sub in compress(nodes, map(_ELSEWHERE.__contains__, kinds)):  # bound elsewhere too: counts twice
            if type(sub) is ast.arg:
                if sub.arg in consts:
                    bound[sub.arg] += 2
            else:
                for name in sub.names:  # type: ignore[attr-defined]  # a Global
                    if name in consts:
                        bound[name] += 2
        return {name for name in consts if bound[name] == 1}

    def _at(self, node: ast.AST, parent: int, before: int) -> int | None:
        """Where the index holds ``node``, the child of ``nodes[parent]`` with ``before`` children ahead of it;
        None when it holds it elsewhere (or there is no index)."""
        tree, nodes = self.tree, self.nodes
        at = tree.starts[parent] + before if tree is not None and parent < len(nodes) else len(nodes)
        return at if tree is not None and at < len(nodes) and nodes[at] is node else None

    def _calls_below(self, node: ast.AST, parent: int, before: int) -> list[ast.Call]:
        """The calls of ``walk(node)``, level by level, read from the index (a leaf,
        as most values at module level are, is one level)."""
        at = self._at(node, parent, before)
        if at is None or self.tree is None:
            return [sub for sub in walk(node) if type(sub) is _Call]
        nodes, starts, call = self.nodes, self.tree.starts, _Call
        calls: list[ast.Call] = []
        start, end = at, at + 1
        while start != end:
            for sub in nodes[start:end]:
                if type(sub) is call:
                    calls.append(sub)  # a Call
            start, end = starts[start], starts[end]
        return calls

    def _loop(self, node: ast.For) -> None:
        """``for module in ["torch.utils.tensorboard", "tensorboardX"]``: the names the loop variable takes."""
        if isinstance(node.target, ast.Name) and isinstance(node.iter, (ast.List, ast.Tuple)):
            texts = [_str(item) for item in node.iter.elts]
            if texts and all(texts):
                self._loop_strings[node.target.id] = [t for t in texts if t]

    def _dynamic_import(self, node: ast.Call) -> str | None:
        """The module ``importlib.import_module("x")`` (or of a loop over literal names) imports, if known."""
        func = node.func
        if not node.args or not (
            (isinstance(func, ast.Attribute) and func.attr == "import_module")
            or (isinstance(func, ast.Name) and func.id == "import_module")
        ):
            return None
        if self.dotted(func) != _DYNAMIC_IMPORT:
            return None
        modules = self._strings_of(node.args[0])
        return modules[0] if modules else None

    def _strings_of(self, node: ast.AST) -> list[str]:
        text = _str(node)
        if text:
            return [text]
        return self._loop_strings.get(node.id, []) if isinstance(node, ast.Name) else []

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                name, asname = alias.name, alias.asname
                root = name.split(".")[0]
                self.aliases[asname or root] = name if asname else root
                self.imported_roots.add(asname or root)
                self.imports.add(name)
            return
        module = node.module or ""
        if node.level:
            package = self.rel.rsplit(".", 1)[0].split("/")[:-1]
            package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            module = ".".join([*package, module] if module else package)
        self.imports.add(module)
        level = node.level
        for alias in node.names:
            name, asname = alias.name, alias.asname
            if name != "*":
                origin = f"{module}.{name}"
                self.aliases[asname or name] = origin
                self.imported_roots.add(asname or name)
                if not level:
                    self.imports.add(origin)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        kind = type(func)
        # The callee's name, its root and its last part, written out for a name and a name's attributes instead of
        # ``dotted``: they hold no ".()" for ``dotted`` to write "()" (an imported name has no brackets, and a
        # variable's call is read by ``dotted`` already). A name's attribute called (``self.save()``, the
        # commonest callee after a name alone) leaves ``name`` None, made only if a check needs it: its root is
        # its head's and its last part the attribute, so only a call whose attribute ends a name of _CALL_NAMES
        # can be one of them. An identifier holds no dot, so a name that resolves to itself is its own root and
        # last part.
        ident: str | None = None  # the name ``_use`` reaches from ``func``, when only attributes lead to it
        name: str | None = None
        if kind is _Attribute:
            last = func.attr  # type: ignore[attr-defined]  # an Attribute
            value = func.value  # type: ignore[attr-defined]
            if type(value) is _Name:
                ident = value.id
                head = self.aliases.get(ident) or (self._bound.get(ident, ident) if self._bound else ident)
                root = ident if head is ident else head.partition(".")[0]
            else:
                top, attrs = value, [last]
                while type(top) is _Attribute:
                    attrs.append(top.attr)
                    top = top.value
                if type(top) is _Name:  # ``x.y.f``
                    ident = top.id
                    attrs.append(self.aliases.get(ident) or self._bound.get(ident, ident))
                    attrs.reverse()
                    name = ".".join(attrs)
                else:  # through a call or a subscript
                    name = self.dotted(func)
                root = name.partition(".")[0]
        elif kind is _Name:
            ident = func.id  # type: ignore[attr-defined]  # a Name
            name = self.aliases.get(ident) or (self._bound.get(ident, ident) if self._bound else ident)
            if name is ident:
                last = root = ident
            else:
                last, root = name.rpartition(".")[2], name.partition(".")[0]
        else:
            name = self.dotted(func)
            last, root = name.rpartition(".")[2], name.partition(".")[0]
        if name is None and last in _NAME_LASTS:
            name = f"{head}.{last}"
        if (
            root in _CALL_ROOTS
            or (last in _CALL_LASTS and last not in _QUIET)
            or (name is not None and name in _CALL_NAMES)
        ):
            self._named_call(node, name if name is not None else f"{head}.{last}", last, root)
            return
        # no check on the call's name can match but the message calls' (``_QUIET``): what is left are its keywords,
        # a capitalised name, a notebook, and a message's arguments
        if node.keywords:
            self._keywords(node, name if name is not None else f"{head}.{last}", last, root, node.lineno)
        if ident is None:
            self._use(func, node.lineno)
        elif ident[0].isupper():
            self._used(ident, node.lineno)
        if self._notebooks and node.args:
            notebook = _notebook(node.args)
            if notebook:
                self.add("notebook_refs", node.lineno, notebook, "runs")
        if last in _QUIET:
            self._hush(node.args)

    def _named_call(self, node: ast.Call, name: str, last: str, root: str) -> None:
        line = node.lineno
        lib = P.SEED_CALLS.get(name)
        if lib and (node.args or node.keywords or name not in _SEED_NEEDS_ARG):
            self.seeds.setdefault(lib, line)
        if name.startswith("numpy.random."):
            self.random_use.add("numpy")
        registry = self._keywords(node, name, last, root, line) if node.keywords else False
        tracking = self._tracking(node, name, last, root)
        if tracking:
            self.add("tracking", line, tracking, name)
        if not registry and (last in P.REGISTRY_METHODS or P.REGISTRY_CALLS.match(name)):
            self.add("registry", line, name)
        if name == _DYNAMIC_IMPORT and node.args:
            self.imports.update(self._strings_of(node.args[0]))
        family = P.library_of(name) if root in P.LIBRARY_ROOTS else None
        if family and self._imported(node.func):
            self._library(line, family, name)
        else:
            self._use(node.func, line)
        parser = P.FORMAT_PARSERS.get(name)
        if parser:
            self.add("parsers", line, parser)
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
        notebook = _notebook(node.args) if self._notebooks else None
        if notebook:  # the first one: papermill's second is where it writes the executed copy
            self.add("notebook_refs", line, notebook, "runs")
        if last in P.QUIET_CALLS:
            self._hush(node.args)

    def _keywords(self, node: ast.Call, name: str, last: str, root: str, line: int) -> bool:
        """Seeds, registrations, hyperparameters and trackers given as keywords; whether one registers a model."""
        registry = False
        for kw in node.keywords:
            if kw.arg in P.SEED_KEYWORDS and not (isinstance(kw.value, ast.Constant) and kw.value.value is None):
                if root in P.RANDOM_LIBRARIES:
                    self.seeds.setdefault(P.RANDOM_LIBRARIES[root], line)
            elif kw.arg in P.REGISTRY_KEYWORDS:
                self.add("registry", line, f"{name}({kw.arg}=...)")
                registry = True
            elif kw.arg in P.HYPERPARAMETERS and _number(kw.value) is not None and last != "add_argument":
                self.add("hyperparameters", line, kw.arg, _number(kw.value))
            elif kw.arg == "report_to":  # Hugging Face TrainingArguments
                for item in kw.value.elts if isinstance(kw.value, (ast.List, ast.Tuple)) else [kw.value]:
                    tracker = P.REPORT_TO.get(_str(item) or "")
                    if tracker:
                        self.add("tracking", line, tracker, f"{name}(report_to={_str(item)!r})")
            elif kw.arg == "type" and root == "wandb" and _str(kw.value) == "model":
                self.add("registry", line, f"{name}(type='model')")  # a W&B model artifact
                registry = True
        return registry

    def _tracking(self, node: ast.Call, name: str, last: str, root: str) -> str | None:
        """The tracker a call records a run with, if it does."""
        if last in P.LOGGER_CLASSES:
            return P.LOGGER_CLASSES[last]
        if root not in P.TRACKING_ROOTS or last in P.REGISTRY_METHODS:  # registry calls are not runs
            return None
        for prefix, tracker in P.TRACKING_LIBRARIES.items():
            if name == prefix or name.startswith((prefix + ".", prefix + "(")):
                if prefix in P.ANY_CALL_TRACKERS:
                    return tracker
                if not last.startswith(P.TRACKING_ONLY.get(prefix, P.TRACKING_VERBS)):
                    return None
                needs = P.TRACKING_NEEDS_KEYWORD.get(name)
                if needs and not any(kw.arg in needs for kw in node.keywords):
                    return None
                return tracker
        return None

    def _library(self, line: int, family: tuple[str, str], how: str) -> None:
        """A supporting library used here (once per file), unless in a pytest fixture."""
        if family in self._libraries or any(start <= line <= end for start, end in self._fixtures):
            return
        self._libraries.add(family)
        self.add("library_uses", line, family[0], family[1], how)

    def _imported(self, node: ast.AST) -> bool:
        """Whether an expression starts from an imported name (``pa.X``, not a variable ``ax`` or ``lime``)."""
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return isinstance(node, ast.Name) and node.id in self.aliases

    def _use(self, node: ast.AST, line: int) -> None:
        """A capitalised name called (``Schema.validate(df)``) or annotating a route's parameter."""
        kind = type(node)
        while kind is _Attribute or kind is _Subscript:
            node = node.value  # type: ignore[attr-defined]  # an Attribute or a Subscript
            kind = type(node)
        if kind is not _Name or not node.id[:1].isupper():  # type: ignore[attr-defined]  # a Name
            return
        self._used(node.id, line)  # type: ignore[attr-defined]

    def _used(self, name: str, line: int) -> None:
        """``_use`` of a capitalised name."""
        origin = self.aliases.get(name)
        if origin is None:
            self._local_uses.setdefault(name, line)
        elif "." in origin:
            self._imported_uses.add(origin)

    def _bind(self, target: ast.AST, value: ast.AST | None) -> None:
        """``run = wandb.init()``: ``run.log(...)`` reads as ``wandb.init().log``."""
        if self._binds and isinstance(target, ast.Name) and isinstance(value, ast.Call):
            head = value.func
            while isinstance(head, (ast.Attribute, ast.Call, ast.Subscript)):
                head = head.func if isinstance(head, ast.Call) else head.value
            if not isinstance(head, ast.Name) or (head.id not in self.aliases and head.id not in self._bound):
                return
            name = self.dotted(value.func)
            if name.split(".", 1)[0] in P.BOUND_ROOTS:
                self._bound[target.id] = name + "()"

    def _with(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._bind(item.optional_vars, item.context_expr)

    def _compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for operand in operands:  # a threshold is a number between 0 and 1: a float, or a name or a sign on one
            if type(operand) is _Constant:
                if type(operand.value) is float and 0 < operand.value < 1:
                    break
            elif type(operand) is ast.UnaryOp or (type(operand) is _Name and operand.id in self._float_consts):
                break
        else:
            return  # no number between 0 and 1 to compare with (an int is never one)
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
        if type(test) is _Name:  # the commonest test: what ``_switch`` gives for it, without the call
            if test.id in self._bool_consts and self._switch_named(test.id):
                self.add("flag_branches", node.lineno, test.id)
            return
        if type(test) is _Attribute:  # never a switch (``_switch``)
            return
        if type(test) is ast.Compare:
            left, comparators = test.left, test.comparators
            if type(left) is _Name and left.id == "__name__":
                self.main_guard = True
                return
            if len(comparators) != 1 or type(comparators[0]) is not _Constant or type(comparators[0].value) is not str:
                return  # what ``_switch`` gives for a comparison with anything but one string, without the call
        switch = self._switch(test)
        if switch:
            self.add("flag_branches", node.lineno, switch)

    def _switch(self, test: ast.AST) -> str | None:
        """What fixes which way a branch goes, when code does: a literal (``if False:``), a module-level
        True/False constant (``USE_NEW_LOSS = True``), or an environment variable. Names alone say nothing."""
        # parsed trees hold no subclasses: type identity is isinstance's answer, and each test below is one
        if type(test) is _Name:  # the commonest test
            return test.id if test.id in self._bool_consts and self._switch_named(test.id) else None
        if type(test) is _Attribute:
            return None
        if type(test) is ast.UnaryOp and type(test.op) is ast.Not:
            test = test.operand
        if type(test) is ast.BoolOp:
            for value in test.values:
                found = self._switch(value)
                if found:
                    return found
            return None
        if type(test) is ast.Compare:
            if len(test.comparators) != 1 or _str(test.comparators[0]) is None:
                return None
            test = test.left  # os.getenv("X") == "1"
        if type(test) is _Constant:
            return f"constant {test.value!r}" if isinstance(test.value, (bool, int)) else None
        if type(test) is _Name:
            return test.id if test.id in self._bool_consts and self._switch_named(test.id) else None
        if type(test) is _Call:
            func = test.func
            if (
                test.args
                and (type(func) is not _Attribute or func.attr in _ENV_LASTS)  # dotted ends in its name
                # dotted of a name that is neither imported nor bound is the name, which holds no dot
                and (type(func) is not _Name or func.id in self.aliases or func.id in self._bound)
                and self.dotted(func) in _ENV_GET
            ):
                return f"environment {_str(test.args[0]) or '?'}"
            return None
        if (
            type(test) is _Subscript
            and (type(test.value) is not _Attribute or test.value.attr == "environ")
            and self.dotted(test.value) == "os.environ"
        ):
            return f"environment {_str(test.slice) or '?'}"
        return None

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        routed = False
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call):
                routed = True  # @app.post("/predict"): frameworks validate what the parameters' types say
                if self.dotted(decorator.func) in _FIXTURES:
                    self._fixtures.append((node.lineno, node.end_lineno or node.lineno))
            else:
                name = self.dotted(decorator)
                if name in _FIXTURES:
                    self._fixtures.append((node.lineno, node.end_lineno or node.lineno))
                elif self._imported(decorator) and (family := P.library_of(name)):
                    self._library(node.lineno, family, f"@{name}")
        args = node.args
        for group in (args.args, args.kwonlyargs):
            for arg in group:
                annotation = arg.annotation
                if annotation is None:
                    continue
                if self._last(annotation) in {"dict", "Dict", "Mapping"}:
                    self.counts["dict_annotations"] += 1
                if routed:
                    for sub in walk(annotation):
                        self._use(sub, node.lineno)

    def _class(self, node: ast.ClassDef) -> None:
        record = settings = False
        family = None  # the library of the first base that is an imported name's and a library's
        for base in node.bases:
            name = self.dotted(base)
            last = name.rpartition(".")[2]
            record = record or last in _RECORD_BASES
            settings = settings or last in P.SETTINGS_BASES
            if family is None and self._imported(base):
                family = P.library_of(name)
        if not record:  # a decorator's name (``dotted`` reads, never writes) says nothing more once one base does
            for decorator in node.decorator_list:
                if self.dotted(decorator.func if type(decorator) is _Call else decorator) in _RECORD_DECORATORS:
                    record = True
                    break
        if record:
            self.counts["record_types"] += 1
        if settings:
            self.add("config", node.lineno, "pydantic-settings")
        if family:  # a schema (pandera.DataFrameModel, pydantic.BaseModel): used where the code uses the class
            self._schemas[node.name] = (*family, node.lineno)

    def _assign(self, node: ast.Assign) -> None:
        target, value = node.targets[0], node.value
        kind = type(target)
        if kind is _Name:
            if type(value) is _Constant:
                if type(value.value) is bool and P.FLAG_NAME.search(target.id):  # type: ignore[attr-defined]
                    self.add("flags", node.lineno, target.id, "constant")  # type: ignore[attr-defined]
            elif type(value) is _Call and self._binds:
                self._bind(target, value)
        elif (
            kind is _Subscript
            and _str(target.slice)  # type: ignore[attr-defined]  # a Subscript
            and any(isinstance(n, (ast.Call, ast.BinOp)) for n in walk(value))
        ):
            self.add("feature_statements", node.lineno, fingerprint(node))

    def _subscript(self, node: ast.Subscript) -> None:
        literal = node.slice  # ``_str(node.slice)``, written out
        if type(literal) is not _Constant or type(literal.value) is not str:
            return
        key = literal.value
        self.counts["string_keys"] += 1
        if P.FLAG_NAME.search(key) and self.dotted(node.value) == "os.environ":
            self.add("flags", node.lineno, key, "environment")

    def _dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values):
            # ``_str(key)``, written out: a key that is not a string (a number, a ``**spread``'s None) names nothing
            if type(key) is not _Constant or type(key.value) is not str:
                continue
            name = key.value
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
        self._strings.append(((node.lineno, node.col_offset), text, node.lineno))
        for value in node.values:  # its parts are not strings of their own
            if isinstance(value, ast.FormattedValue):
                self._hush([value.value])
            else:
                self._parts.add(id(value))

    def _hush(self, nodes: Sequence[ast.AST]) -> None:
        """Strings inside these nodes are messages, not paths."""
        quiet = self._quiet
        for node in nodes:
            try:  # a parsed expression has each of them
                line = node.lineno  # type: ignore[attr-defined]
                quiet.append(((line, node.col_offset), (node.end_lineno or line, node.end_col_offset or 0)))  # type: ignore[attr-defined]
            except AttributeError:  # a node made by hand without them
                start = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
                end = (getattr(node, "end_lineno", None) or start[0], getattr(node, "end_col_offset", None) or 0)
                quiet.append((start, end))

    def _string(self, text: str, line: int) -> None:
        if P.REGISTRY_URI.match(text):
            self.add("registry", line, text[:80])
        if text.lower().endswith(P.CONFIG_SUFFIXES) and len(text) < 200 and " " not in text:
            self.add("config_refs", line, text)
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
            "shapes": self.shapes,
            "imported_uses": sorted(self._imported_uses),
        }


# each handler takes the node type it is filed under
_HANDLERS: dict[type[ast.AST], Callable[[Visit, Any], None]] = {
    ast.Call: Visit._call,
    ast.Compare: Visit._compare,
    ast.If: Visit._if,
    ast.FunctionDef: Visit._function,
    ast.AsyncFunctionDef: Visit._function,
    ast.ClassDef: Visit._class,
    ast.Assign: Visit._assign,
    ast.With: Visit._with,
    ast.Subscript: Visit._subscript,
    ast.Dict: Visit._dict,
    ast.Raise: Visit._raise,
    ast.JoinedStr: Visit._joined,
}

# The nodes the passes of ``Visit.run`` look at, picked by the index as it lists them: the first pass's (imports,
# loops over names and docstrings), then the second's (the handlers' nodes and the literals).
_PICKS = (frozenset(_NAMING), frozenset({*_HANDLERS, ast.Constant}))


def _merged(spans: list[tuple[tuple[int, int], tuple[int, int]]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Spans of source (start, end) joined where they overlap, in order."""
    out: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


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


def _notebook(args: list[ast.expr]) -> str | None:
    """The first literal path of a notebook among a call's arguments (or in a list or tuple of them)."""
    for arg in args:
        kind = type(arg)
        for item in arg.elts if kind is ast.List or kind is ast.Tuple else (arg,):  # type: ignore[attr-defined]  # a list
            if type(item) is _Constant:
                text = item.value
                if type(text) is str and text.endswith(".ipynb"):
                    return text
    return None


def _data_file(text: str | None) -> bool:
    return bool(text and text.lower().endswith(P.DATA_EXTENSIONS))


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
