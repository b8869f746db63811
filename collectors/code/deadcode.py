"""Dead code, found by vulture: what each file defines and uses, then what nothing uses.

Vulture is whole-program: a function is dead when no file uses its name. The
per-file half runs where the file was parsed (a worker process, or not at all
when the file's summary is cached) and yields plain JSON; the whole-program
half feeds every file's definitions and uses back into one ``Vulture`` and
asks it for the unused code. The scanned code is parsed, never imported.

Code a framework reaches without naming it in Python is not dead
(``callbacks``): members of classes whose bases are framework classes,
functions under a framework's decorator, hooks found by their name
(``pytest_*``, Sphinx's ``setup``). Nor are dunder and _sunder_ methods,
names a package ``__init__`` imports (its public names), names spelled in
strings (``__all__``, ``getattr``, registry keys, entry points, type hints in
quotes) or built then looked up (``getattr(self, f"add_{x}_arguments")``),
and names configuration files spell (``references``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection, Iterable
from fnmatch import translate
from pathlib import Path
from typing import Any

from vulture import core as vulture_core
from vulture import lines as vulture_lines
from vulture import noqa
from vulture import utils as vulture_utils
from vulture.core import ERROR_CODES, IGNORED_VARIABLE_NAMES, PYTEST_FUNCTION_NAMES, PYTEST_METHOD_NAMES, Vulture

from mldebt.collectors.code.callbacks import (
    COMMAND_BUILDERS,
    FRAMEWORK_DECORATORS,
    FRAMEWORK_NAMES,
    SPHINX_CONF_HOOKS,
    UNRESOLVED,
    Classes,
    is_hook,
)
from mldebt.collectors.code.references import entry_names
from mldebt.collectors.code.tree import Indexed, postorder

MIN_CONFIDENCE = 60  # vulture's own default
_CALLABLES = {"function", "method", "property", "class"}
# A string that spells code: a name, a dotted path, or an entry point ("pkg.mod:func").
_CODE_STRING = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?")
_NAME_PATTERN = re.compile(r"[\w*]+")
_TYPE_STRING = re.compile(r"[\w.\[\], |]+")  # a type hint in quotes
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_PATH_SEPARATOR = re.compile(r"[.:]")
_CODE_LINE = re.compile(f"^(?:{_CODE_STRING.pattern})$", re.MULTILINE)  # a line that is one: a string of lines
# What references.entry_names finds holds a name's last character, a colon and a name's first letter
# (``pkg.mod:func``) or a launch option (``--entry-point``, ``--target``): a string with neither holds none.
_MAYBE_ENTRY = re.compile(r"[\w.]:[A-Za-z_]|--(?:entry-point|target)")
FAST_DEPTH = 200  # vulture recurses twice per level: 400 frames stay well inside Python's limit of 1000
_STOPS = {ast.Break, ast.Continue, ast.Return, ast.Raise}  # nothing after them runs
_DEFINITIONS = {ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef}
_BODIES = {ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor}
# Node types vulture's Reachability.visit acts on (its isinstance tests; parsed trees hold no subclasses).
_REACHABILITY = {*_STOPS, *_BODIES, ast.While, ast.If, ast.IfExp, ast.Try}
# Conditions ast.literal_eval always refuses: vulture's _safe_eval gives its default for them.
_NEVER_LITERAL = {ast.Name, ast.Attribute, ast.Compare, ast.Subscript, ast.Starred, ast.NamedExpr, ast.Await}
_UNKNOWN = object()
_NO_DECORATORS: list[str] = []
# Statements and what holds them (the module, except and case clauses): no expression holds one.
_STATEMENTS = {*ast.stmt.__subclasses__(), ast.ExceptHandler, ast.match_case, ast.Module}
_HOLDERS = {
    ast.Module,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.If,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.TryStar,
    ast.ExceptHandler,
    ast.Match,
    ast.match_case,
}
# Handled in any order, for they only add to sets (see _visit): the rest of visit_Call's are a command builder's.
_LOOSE = {ast.Assign, ast.BinOp, ast.Subscript, ast.MatchClass}
_ANY_ORDER = {ast.Name, ast.Attribute, ast.Constant, ast.Call, ast.arg, *_LOOSE}  # arg: defines a variable, unreported
# Where a name or an attribute is assigned to (Store) or deleted (Del), known by where it stands: the parser
# gives a node of these kinds that context and no other. What holds the targets, and where they are among its
# children (which the index lists in field order, contexts left out): the first (_FIRST_TARGET), every one (a
# ``del``'s), every one held by a tuple, a list or a starred name that is itself a target (_UNPACKED), the second
# of a ``with``'s item (its ``as``). An assignment's targets are all its children but the last (see _visit).
_STORED, _DELETED = 1, 2  # the marks (see _visit)
_FIRST_TARGET, _UNPACKED, _DELETE, _AS = range(4)
_TARGETS: dict[type, int] = {
    ast.AugAssign: _FIRST_TARGET,
    ast.AnnAssign: _FIRST_TARGET,
    ast.For: _FIRST_TARGET,
    ast.AsyncFor: _FIRST_TARGET,
    ast.comprehension: _FIRST_TARGET,
    ast.NamedExpr: _FIRST_TARGET,
    **({ast.TypeAlias: _FIRST_TARGET} if hasattr(ast, "TypeAlias") else {}),  # type X = ...: Python 3.12 on
    ast.Tuple: _UNPACKED,
    ast.List: _UNPACKED,
    ast.Starred: _UNPACKED,
    ast.Delete: _DELETE,
    ast.withitem: _AS,
}
# What _visit's one pass does for the kinds of nodes it acts on besides names, strings, attributes, calls and
# assignments: mark targets (_TARGETS), look at a binary operation's right side, at what a subscript subscripts,
# at a ternary's condition, or call the finder's handler (the rest of _LOOSE).
_BIN_OP, _SUBSCRIPT, _TERNARY, _HANDLED = range(4, 8)
_ACTS: dict[type, int] = {
    **_TARGETS,
    ast.BinOp: _BIN_OP,
    ast.Subscript: _SUBSCRIPT,
    ast.IfExp: _TERNARY,
    **dict.fromkeys(_LOOSE - {ast.Assign, ast.BinOp, ast.Subscript}, _HANDLED),
}
# The called names vulture's visit_Call (getattr, hasattr, "...".format) and _Finder's act on.
_CALL_NAMES = {"getattr", "hasattr", "format", *COMMAND_BUILDERS}
# Vulture's ignore rules that ask whether the file is a test file, and what each one is outside test files.
_OUTSIDE_TESTS = {
    vulture_core._ignore_class: None,
    vulture_core._ignore_function: None,
    vulture_core._ignore_method: lambda filename, name: vulture_core._is_special_name(name),
}
# The names for which each rule's answer in a test file differs from its answer outside: only for those is it asked.
_TEST_NAMES: dict[Any, Callable[[str], bool]] = {
    vulture_core._ignore_class: lambda name: "Test" in name,
    vulture_core._ignore_function: lambda name: name in PYTEST_FUNCTION_NAMES or name.startswith("test_"),
    vulture_core._ignore_method: lambda name: name in PYTEST_METHOD_NAMES or name.startswith("test_"),
}
# Vulture's ignore rule for imports: every import of a package's __init__.py, and star imports anywhere.
_IGNORE_IMPORT: Callable[[Path, str], Any] = vulture_core._ignore_import


def _star_import(filename: Path, name: str) -> bool:
    """Vulture's ignore rule for imports, outside a package's ``__init__.py``."""
    return name == "*"


_FRAMEWORK_NAME = re.compile("|".join(translate(pattern) for pattern in FRAMEWORK_NAMES) or "(?!)")
_FRAMEWORK_DECORATOR = re.compile("|".join(translate(pattern) for pattern in FRAMEWORK_DECORATORS) or "(?!)")
# Unused variables and attributes are left out: vulture is least sure of them and they are many.
REPORTED = ("classes", "funcs", "imports", "methods", "props")
_TYPES = {
    "attribute": "attrs",
    "class": "classes",
    "function": "funcs",
    "import": "imports",
    "method": "methods",
    "property": "props",
    "variable": "vars",
    "unreachable_code": "unreachable",
}


# Vulture's ignore rule of classes, which its handler passes and _Finder's passes as it does (those of functions
# and methods: _Finder.visit_FunctionDef, written out).
_ignore_class = vulture_core._ignore_class


class _Finder(Vulture):  # type: ignore[misc]  # vulture is untyped
    """Vulture, plus what the whole-program half needs to see frameworks: classes and their bases, names in strings."""

    def __init__(self, rel: str) -> None:
        super().__init__()  # FRAMEWORK_DECORATORS and FRAMEWORK_NAMES: here, each list as one pattern
        parts = rel.split("/")
        stem = parts[-1].rsplit(".", 1)[0]
        self.package = parts[:-1]  # the dotted package of the file's relative imports
        self.is_init = stem == "__init__"
        self.is_conf = stem == "conf"
        self.is_hubconf = stem == "hubconf"  # torch.hub loads its public functions by name
        self.imports: dict[str, str] = {}  # local name -> dotted origin
        self.class_nodes: list[ast.ClassDef] = []
        self.exposed: set[str] = set()  # classes whose public methods a command-line builder (fire) makes commands
        self.exposes_module = False  # fire.Fire(): every public function of the module is a command
        self.patterns: set[str] = set()  # names built at run time and looked up: "add_*_arguments"
        self.test_file: bool | None = None  # vulture's _is_test_file of the file, asked once (see _define)
        self.init_file: bool | None = None  # whether vulture ignores every import of the file, asked once

    def _define(  # vulture's signature, so that what it passes by keyword is passed on by place
        self,
        collection: Any,
        name: str,
        first_node: ast.AST,
        last_node: ast.AST | None = None,
        message: str = "",
        confidence: int = vulture_core.DEFAULT_CONFIDENCE,
        ignore: Any = None,
    ) -> None:
        typ = collection.typ
        if typ in _CALLABLES:  # defined by vulture's visit_FunctionDef and visit_ClassDef alone, which this
            # class's handlers call only for a name that neither _called_anyway nor _FRAMEWORK_NAME leaves out
            if typ == "function" and (
                (self.is_conf and name in SPHINX_CONF_HOOKS) or (self.is_hubconf and not name.startswith("_"))
            ):
                return
        elif _FRAMEWORK_NAME.match(name):  # vulture's ignore_names, its patterns tried one by one, at once
            return
        if ignore in _OUTSIDE_TESTS:  # vulture would resolve the file's path again for every class and function
            if _TEST_NAMES[ignore](name) and self.test_file is None:  # asked only where the answer can matter
                self.test_file = bool(vulture_core._is_test_file(self.filename))
            if not (self.test_file and _TEST_NAMES[ignore](name)):
                ignore = _OUTSIDE_TESTS[ignore]
        elif ignore is _IGNORE_IMPORT:  # vulture would read the file's name from its path for every import
            if self.init_file is None:
                self.init_file = bool(_IGNORE_IMPORT(self.filename, ""))  # "": no name it ignores anywhere
            if not self.init_file:
                ignore = _star_import
        self._keep(collection, name, first_node, last_node, message, confidence, ignore)

    def _keep(
        self,
        collection: Any,
        name: str,
        first_node: Any,  # a node with a line: a statement, an expression, an alias
        last_node: Any,
        message: str,
        confidence: int,
        ignore: Any,
    ) -> None:
        """Vulture's ``_define``: the definition kept unless ``ignore`` or a ``# noqa`` says otherwise, but as
        the row file_state gives (not an Item, whose fields it would read back one by one), appended by
        ``list.append`` (a LoggingList's own append only adds a log line when verbose). A finder's
        ``ignore_names`` are empty: _define has matched the framework names already."""
        typ = collection.typ
        decorators = getattr(first_node, "decorator_list", None)
        first = decorators[0].lineno if decorators else first_node.lineno  # vulture's get_first_line_number
        if ignore is not None and ignore(self.filename, name):
            return
        if self.noqa_lines and noqa.ignore_line(self.noqa_lines, first, ERROR_CODES[typ]):
            return
        end = (last_node or first_node).end_lineno
        list.append(collection, [typ, name, first, end, confidence, message or f"unused {typ} '{name}'"])

    def visit_Import(self, node: ast.Import) -> None:
        super().visit_Import(node)
        for alias in node.names:
            if alias.asname:
                self.imports[alias.asname] = alias.name
            else:
                root = alias.name.split(".", 1)[0]
                self.imports[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        super().visit_ImportFrom(node)
        module = node.module or ""
        if node.level:
            base = self.package[: len(self.package) - node.level + 1] if node.level > 1 else self.package
            module = ".".join([*base, module] if module else base)
        for alias in node.names:
            local = alias.asname or alias.name
            self.imports[local] = f"{module}.{alias.name}" if module else alias.name
            if self.is_init and alias.name != "*":
                self.used_names.add(local)  # a package's __init__ imports its public names

    def visit_Call(self, node: ast.Call) -> None:
        super().visit_Call(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("getattr", "hasattr") and len(node.args) >= 2:
            self._name_pattern(node.args[1])
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in COMMAND_BUILDERS and self._origin(func).lstrip(UNRESOLVED) in COMMAND_BUILDERS[name]:
            self.exposed.update(arg.id for arg in node.args if isinstance(arg, ast.Name))
            self.exposes_module = self.exposes_module or not node.args

    def visit_Subscript(self, node: ast.Subscript) -> None:
        value = node.value
        if (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("globals", "vars")
        ) or (isinstance(value, ast.Attribute) and value.attr == "__dict__"):
            self._name_pattern(node.slice)

    def _name_pattern(self, node: ast.expr) -> None:
        """A name built, then looked up (``getattr(self, f"add_{x}_arguments")``): every name it spells is used."""
        parts: list[ast.expr] = []
        if isinstance(node, ast.JoinedStr):
            parts = node.values
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            todo: list[ast.expr] = [node]
            while todo:
                part = todo.pop()
                if isinstance(part, ast.BinOp) and isinstance(part.op, ast.Add):
                    todo += [part.right, part.left]
                else:
                    parts.append(part)
        pattern = "".join(p.value if isinstance(p, ast.Constant) and type(p.value) is str else "*" for p in parts)
        if _NAME_PATTERN.fullmatch(pattern) and len(pattern.replace("*", "")) >= 2:
            self.patterns.add(pattern)

    # vulture's handlers of functions and classes define what they find as a function, method, property or class:
    # of those _define keeps none named as _called_anyway says, nor any framework name, and they do nothing else

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Vulture's visit_FunctionDef, its decorators' names read once (not again by _framework_decorated);
        the ignore_decorators it tries (a finder has none) are FRAMEWORK_DECORATORS, tried here at once.

        What it defines is kept as _define and _keep keep a function, a method
        or a property, their rules written out for each (the commonest
        definition: a call less, and its own rules alone, for each one)."""
        name = node.name
        if _called_anyway(name) or _FRAMEWORK_NAME.match(name):
            return
        decorated = node.decorator_list
        if decorated:
            decorators = [vulture_utils.get_decorator_name(decorator) for decorator in decorated]
            if any(map(_FRAMEWORK_DECORATOR.match, decorators)):
                return
            first = decorated[0].lineno  # vulture's get_first_line_number: its first decorator's line
        else:
            decorators = _NO_DECORATORS
            first = node.lineno
        if "@property" in decorators:
            collection = self.defined_props
        else:
            arguments = node.args.args
            if (
                "@staticmethod" in decorators
                or "@classmethod" in decorators
                or (arguments and arguments[0].arg == "self")
            ):
                if vulture_core._is_special_name(name):  # _ignore_method's first rule: "__" alone, here
                    return
                collection = self.defined_methods
                tested = name in PYTEST_METHOD_NAMES or name.startswith("test_")
            else:  # a function: Sphinx's conf.py hooks and torch.hub's public functions are called by name
                if (self.is_conf and name in SPHINX_CONF_HOOKS) or (self.is_hubconf and name[0] != "_"):
                    return
                collection = self.defined_funcs
                tested = name in PYTEST_FUNCTION_NAMES or name.startswith("test_")
            if tested:  # _ignore_method's and _ignore_function's test names, left out of test files
                if self.test_file is None:
                    self.test_file = bool(vulture_core._is_test_file(self.filename))
                if self.test_file:
                    return
        typ = collection.typ
        if self.noqa_lines and noqa.ignore_line(self.noqa_lines, first, ERROR_CODES[typ]):
            return
        list.append(
            collection, [typ, name, first, node.end_lineno, vulture_core.DEFAULT_CONFIDENCE, f"unused {typ} '{name}'"]
        )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Vulture's visit_ClassDef, whose ignore_decorators (a finder has none) are FRAMEWORK_DECORATORS here."""
        name = node.name
        if not (_called_anyway(name) or _FRAMEWORK_NAME.match(name) or _framework_decorated(node)):
            self._define(self.defined_classes, name, node, ignore=_ignore_class)
        self.class_nodes.append(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if type(value) is str:
            self.spelled({value})

    def spelled(self, values: set[str]) -> None:
        """The names strings spell, as used: each string once is enough (see visit_Constant).

        A string that is a name alone, as most are, is one without a regular
        expression tried on it: an ASCII identifier is what _CODE_STRING
        matches without a dot or a colon, which _PATH_SEPARATOR splits at.
        The dotted paths among the rest are found by one search of them all,
        one to a line (_CODE_LINE; a string with a space or a line break is
        none), and their parts are the identifiers in them; only the strings
        left are tried one by one, and only those with a character the other
        patterns need.
        """
        used = self.used_names
        names = set(filter(str.isascii, filter(str.isidentifier, values)))
        if names and max(map(len, names)) >= 300:
            names = {value for value in names if len(value) < 300}
        used.update(names)
        rest = [value for value in (values - names if names else values) if len(value) < 300]
        if not rest:
            return
        lines = _CODE_LINE.findall("\n".join([value for value in rest if " " not in value and "\n" not in value]))
        if lines:  # a dotted path: every part used (type hints)
            used.update(_IDENTIFIER.findall("\n".join(lines)))
        paths = set(lines)
        for value in rest:  # a type hint ("Run | None", "list[Row]": no path), or an entry point (most name none)
            if ("|" in value or "[" in value) and _TYPE_STRING.fullmatch(value):
                used.update(_IDENTIFIER.findall(value))
            elif (":" in value or "--" in value) and value not in paths and _MAYBE_ENTRY.search(value):
                used.update(entry_names(value))

    def classes(self) -> list[list[Any]]:
        """[name, first line, [dotted origin of each base], [[member, first line], ...]] for each class."""
        out = []
        members: list[list[Any]]
        for node in self.class_nodes:
            members = []
            for child in node.body:
                if type(child) in _DEFINITIONS:  # parsed trees hold no subclasses: isinstance's answer
                    decorated = child.decorator_list  # type: ignore[attr-defined]  # a def or a class
                    # vulture's get_first_line_number: its first decorator's line, if it has one
                    members.append([child.name, decorated[0].lineno if decorated else child.lineno])  # type: ignore[attr-defined]
            bases = [self._origin(base) for base in node.bases]
            out.append([node.name, vulture_lines.get_first_line_number(node), bases, members])
        return out

    def _origin(self, node: ast.expr) -> str:
        """A base class as the dotted name it comes from (``nn.Module`` -> ``torch.nn.Module``)."""
        if isinstance(node, ast.Subscript):  # Generic[T], Dataset[int]
            node = node.value
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return UNRESOLVED + "<expression>"  # a call or another expression: a base made at run time
        parts.append(self.imports.get(node.id, UNRESOLVED + node.id))
        return ".".join(reversed(parts))


def _expression_handlers(finder: type) -> set[type]:
    """The expressions ``finder`` has a handler for that _visit does not know to be free of vulture's order."""
    kinds = {kind for kind in vars(ast).values() if isinstance(kind, type) and issubclass(kind, ast.AST)}
    return {
        kind for kind in kinds - _STATEMENTS - _ANY_ORDER if getattr(finder, f"visit_{kind.__name__}", None) is not None
    }


_EXPRESSION_HANDLERS = _expression_handlers(_Finder)  # none, with the vulture this module knows
# The statements _Finder has a handler for that is not called in any order (functions, classes, imports), and
# those that _visit does anything for: the rest are walked through, never looked at.
_STATEMENT_HANDLERS = {kind for kind in _STATEMENTS - _ANY_ORDER if getattr(_Finder, f"visit_{kind.__name__}", None)}
_ACTING = _STATEMENT_HANDLERS | (_REACHABILITY & _STATEMENTS)


def _framework_decorated(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    """Whether a decorator of ``node`` is a framework's (FRAMEWORK_DECORATORS), as vulture names decorators.

    As vulture's ignore_decorators would, with its patterns tried one by one; at once here.
    """
    decorators = node.decorator_list
    return bool(decorators) and any(_FRAMEWORK_DECORATOR.match(vulture_utils.get_decorator_name(d)) for d in decorators)


def _called_anyway(name: str) -> bool:
    """Whether a function, method or class named ``name`` is called without being named: __dunder__ and _sunder_.

    The language, enum or IPython call them.
    """
    return len(name) > 2 and name[0] == name[-1] == "_"


def file_state(tree: ast.Module, rel: str, lines: list[str] | str, indexed: Indexed | None = None) -> dict[str, Any]:
    """What one parsed file defines and uses, as vulture sees it, and its classes with their bases.

    ``lines``: the file's lines, or its text (read for ``# noqa`` comments only).

    With the file's ``indexed`` nodes, vulture's own handlers are called in
    the order its recursive visit would call them (children first), without
    the recursion; a tree deeper than FAST_DEPTH levels gets vulture's own
    visit, so that a file too deep for it fails the same way as before.
    """
    finder = _Finder(rel)
    finder.filename = Path(rel)
    finder.code = []  # vulture reads a file's lines only to log each node (verbose), which a finder never is
    finder.noqa_lines = noqa_lines(lines)
    if indexed is None or indexed.depth > FAST_DEPTH:
        finder.visit(tree)
    else:
        _visit(finder, indexed)
    defined = []  # the rows _Finder._keep made
    for kind in REPORTED:
        defined += getattr(finder, f"defined_{kind}")
    defined += finder.unreachable_code
    if finder.exposes_module:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name[0] != "_":
                finder.used_names.add(node.name)
                if isinstance(node, ast.ClassDef):
                    finder.exposed.add(node.name)
    state: dict[str, Any] = {"defined": defined, "used": sorted(finder.used_names)}
    if defined:
        state["unused_here"] = unused_here(defined, finder.used_names)
    if finder.class_nodes:
        state["classes"] = finder.classes()
    if finder.exposed:
        state["exposed"] = sorted(finder.exposed)
    if finder.patterns:
        state["patterns"] = sorted(finder.patterns)
    del finder.reachability  # it holds the finder (its report callback): a cycle that would keep the tree's nodes
    return state


def unused_here(defined: list[list[Any]], used: Collection[str]) -> list[int]:
    """Where in a file's ``defined`` are the rows its own ``used`` names leave open: ``unused`` looks at those alone.

    A definition whose name the file uses is used in the project, whose used
    names hold the file's: only the others, and unreachable code (reported
    whatever its name), need the project's. A state's ``unused_here`` is
    this of its ``defined`` and ``used``; whatever builds or edits either
    keeps it so, or leaves it out: a state without it (a test file's, one
    built by hand) has every row looked at.
    """
    return [i for i, row in enumerate(defined) if row[1] not in used or row[0] == "unreachable_code"]


def noqa_lines(lines: list[str] | str) -> Any:
    """Vulture's ``parse_noqa`` of a file's lines (or of its text's), found sooner where no line has a ``# noqa``,
    as most files.

    A line's match of vulture's regex is one in the text (the lines joined),
    which the regex searches in one go, a ``# noqa`` holding no line break;
    only a text that has one is split and parsed line by line.
    """
    text = lines if isinstance(lines, str) else "\n".join(lines)
    if not noqa.NOQA_REGEXP.search(text):
        return noqa.parse_noqa(())
    return noqa.parse_noqa(lines.splitlines() if isinstance(lines, str) else lines)


def _visit(finder: Vulture, indexed: Indexed) -> None:
    """``finder.visit(root)`` without recursion, and without walking every node in vulture's order.

    Most handlers only add to sets (the used names, the name patterns), which
    comes to the same in any order: they are called in one pass over the
    nodes as indexed. What the order decides (the lists of definitions, the
    imports a command builder's call is resolved through, the reachability
    of each body) comes from statements alone, which expressions never hold:
    those are walked in vulture's order (children first) among themselves. A
    file with an expression whose handling depends on the order (a command
    builder's call, a ternary whose condition may be constant, a handler this
    module does not know) gets every node in vulture's order instead.

    The pass reads what it can from the index instead of the nodes (each node
    read is a node fetched from memory): a name's or an attribute's word is
    its key, what a call calls, an assignment assigns or an operation's right
    side is are its children's kinds, and whether a name or an attribute is
    loaded, stored or deleted is where it stands (``_TARGETS``), noted in
    ``marks`` as the pass meets what holds it (a node's children follow it).
    """
    nodes = indexed.nodes
    kinds = indexed.kinds  # the types of the nodes, as the index noted them
    keys = indexed.keys
    if keys is None or (_EXPRESSION_HANDLERS and not _EXPRESSION_HANDLERS.isdisjoint(kinds)):
        _visit_in_order(finder, indexed)  # nodes made by hand, or a handler of an expression this module does not know
        return
    starts = indexed.starts
    used: set[str] = set()  # finder.used_names's add() is vulture's, in Python: added to it once, at the end
    name_, attribute, constant, call = ast.Name, ast.Attribute, ast.Constant, ast.Call
    names: set[str] = set()  # vulture's visit_Name's, but for the names it ignores, taken out once at the end
    strings: set[str] = set()  # visit_Constant's, each string once
    on_call, call_names, builders = finder.visit_Call, _CALL_NAMES, COMMAND_BUILDERS
    on_assign, on_bin_op, on_subscript = finder.visit_Assign, finder.visit_BinOp, finder.visit_Subscript
    loose = {
        kind: getattr(finder, f"visit_{kind.__name__}") for kind in _LOOSE - {ast.Assign, ast.BinOp, ast.Subscript}
    }
    assign = ast.Assign
    sequences = (ast.List, ast.Tuple)
    acts = _ACTS
    marks = bytearray(len(kinds))  # _STORED or _DELETED at the nodes assigned to or deleted, 0 elsewhere
    in_order = False  # a command builder's call (resolved through the imports made before it) or a ternary to reach
    for i, kind in enumerate(kinds):
        # parsed trees hold no subclasses (of nodes or contexts): type identity is isinstance's answer
        if kind is name_:  # vulture's visit_Name, less defining variables (not reported): loaded or deleted
            if marks[i] != _STORED:
                names.add(keys[i])  # type: ignore[arg-type]  # a Name's key is its id
        elif kind is constant:  # only a string can name code
            value = nodes[i].value  # type: ignore[attr-defined]  # kind is ast.Constant
            if type(value) is str:
                strings.add(value)
        elif kind is attribute:  # vulture's visit_Attribute, less defining attributes (not reported): loaded
            if not marks[i]:
                used.add(keys[i])  # type: ignore[arg-type]  # an Attribute's key is its attr
        elif kind is call:  # only calls of these names do anything in vulture's visit_Call or ours
            func = starts[i]  # what a call calls is its first child
            called = kinds[func]
            if (called is name_ or called is attribute) and keys[func] in call_names:
                if keys[func] in builders:
                    in_order = True
                else:
                    on_call(nodes[i])
        elif kind is assign:  # its targets are its children but the last, the value assigned
            first, value_at = starts[i], starts[i + 1] - 1
            if value_at - first == 1:
                marks[first] = _STORED
            else:  # a = b = ...
                marks[first:value_at] = bytes((_STORED,)) * (value_at - first)
            if kinds[value_at] in sequences:  # vulture's visit_Assign reads only `__all__ = [...]` or `(...)`
                on_assign(nodes[i])
        else:  # the rest, a third of the nodes, by one look-up: most are of no kind acted on
            at = acts.get(kind)
            if at is None:
                continue
            if at == _FIRST_TARGET:
                marks[starts[i]] = _STORED
            elif at == _UNPACKED:  # a tuple, a list or a starred name assigned to or deleted: so is what it holds
                mark = marks[i]
                if mark:
                    marks[starts[i] : starts[i + 1]] = bytes((mark,)) * (starts[i + 1] - starts[i])
            elif at == _DELETE:
                marks[starts[i] : starts[i + 1]] = bytes((_DELETED,)) * (starts[i + 1] - starts[i])
            elif at == _AS:
                if starts[i + 1] - starts[i] == 2:  # a with's item: `as` a target, its second child, if it has one
                    marks[starts[i] + 1] = _STORED
            elif at == _BIN_OP:  # vulture's visit_BinOp reads only `"..." % locals()`: a call the right side
                if kinds[starts[i + 1] - 1] is call:
                    on_bin_op(nodes[i])
            elif at == _SUBSCRIPT:  # our visit_Subscript reads only `globals()[...]`, `vars()[...]`, `x.__dict__[...]`
                held = kinds[starts[i]]
                if held is call or held is attribute:
                    on_subscript(nodes[i])
            elif at == _TERNARY:
                if not _undecidable(nodes[i].test):  # type: ignore[attr-defined]  # kind is ast.IfExp
                    in_order = True
            else:
                loose[kind](nodes[i])
    names.difference_update(IGNORED_VARIABLE_NAMES)
    finder.used_names.update(used, names)
    finder.spelled(strings)
    if in_order:  # rare: every node in vulture's order (the sets are filled already, filling them again adds nothing)
        _visit_in_order(finder, indexed)
        return
    reaches = _reaches(finder.reachability)
    handlers = {kind: getattr(finder, f"visit_{kind.__name__}") for kind in _STATEMENT_HANDLERS}
    for i in statement_postorder(indexed, kinds, _ACTING):  # the statements nothing is done for left out
        node = nodes[i]
        kind = kinds[i]
        reach = reaches.get(kind)
        if reach is not None:
            reach(node)
        handler = handlers.get(kind)
        if handler is not None:
            handler(node)


def statement_postorder(indexed: Indexed, kinds: list[type], kept: Collection[type] = _STATEMENTS) -> list[int]:
    """Indexes of the statements (and the module, except and case clauses) of the ``kept`` kinds, in
    ``postorder``'s order among them.

    Only what holds statements is looked into: expressions never do.
    """
    starts = indexed.starts
    statements, holders = _STATEMENTS, _HOLDERS
    order: list[int] = []
    stack = [0]
    pop, add = stack.pop, order.append
    push = stack.extend
    while stack:  # as postorder: pushed left to right, popped right to left, reversed at the end
        i = pop()
        kind = kinds[i]
        if kind in statements:  # what a statement holds besides statements: expressions, left out here
            if kind in kept:
                add(i)
            if kind in holders:
                push(range(starts[i], starts[i + 1]))
    order.reverse()
    return order


def _visit_in_order(finder: Vulture, indexed: Indexed) -> None:
    """``finder.visit(root)`` without recursion: each node's reachability, then its ``visit_<Type>`` handler.

    Vulture's visit also visits parsed type comments; the trees here are
    parsed without them. Contexts and operators, left out of ``indexed``,
    have no handler.
    """
    reaches = _reaches(finder.reachability)
    nodes = indexed.nodes
    handlers: dict[type, Any] = {ast.arg: None}  # arguments only define variables, which are not reported
    used: set[str] = set()  # finder.used_names's add() is vulture's, in Python: added to it once, at the end
    name_, attribute, constant, call = ast.Name, ast.Attribute, ast.Constant, ast.Call
    load, delete = ast.Load, ast.Del
    on_constant, on_call, call_names = finder.visit_Constant, finder.visit_Call, _CALL_NAMES
    for i in postorder(indexed):
        node = nodes[i]
        kind = type(node)
        # node is a Name, an Attribute, a Constant or a Call below: ``kind`` says so, which mypy cannot
        # follow (narrowing with type(node) again would cost a call per node in this, the hottest loop)
        if kind is name_:  # vulture's visit_Name, less defining variables (not reported)
            if isinstance(node.ctx, (load, delete)) and node.id not in IGNORED_VARIABLE_NAMES:  # type: ignore[attr-defined]  # kind is ast.Name
                used.add(node.id)  # type: ignore[attr-defined]  # kind is ast.Name
            continue
        if kind is attribute:  # vulture's visit_Attribute, less defining attributes (not reported)
            if isinstance(node.ctx, load):  # type: ignore[attr-defined]  # kind is ast.Attribute
                used.add(node.attr)  # type: ignore[attr-defined]  # kind is ast.Attribute
            continue
        if kind is constant:  # only a string can name code
            if type(node.value) is str:  # type: ignore[attr-defined]  # kind is ast.Constant
                on_constant(node)
            continue
        if kind is call:  # only calls of these names do anything in vulture's visit_Call or ours
            func = node.func  # type: ignore[attr-defined]  # kind is ast.Call
            called = type(func)
            if (func.id if called is name_ else func.attr if called is attribute else None) in call_names:
                on_call(node)
            continue
        reach = reaches.get(kind)
        if reach is not None:
            reach(node)
        handler = handlers.get(kind, _UNKNOWN)
        if handler is _UNKNOWN:
            handler = handlers[kind] = getattr(finder, f"visit_{kind.__name__}", None)
        if handler is not None:
            handler(node)
    finder.used_names.update(used)


def _reaches(reachability: Any) -> dict[type, Callable[[Any], None]]:
    """Vulture's ``Reachability.visit`` for each kind of node it acts on, less the work that cannot change anything.

    Vulture decides whether a condition is constant with ``ast.literal_eval``,
    which fails on a name, a call or a comparison, the usual condition, after
    building four closures that only the cyclic collector frees; and it scans
    every body for a statement after which nothing runs, of which most bodies
    have none. Here a body without such a statement is not scanned, and an
    ``if``, ``while`` or ternary whose condition cannot be constant gets what
    vulture does with a condition it cannot evaluate, without evaluating it;
    anything else gets vulture's own visit.

    Vulture's scan of a body stops at its first such statement and reports
    the statements after it: it reports nothing, and needs no scan, where the
    only such statements are the last one (``return x`` ending a function).
    Whether a body falls through (no such statement in it) is then a set's
    answer. A ``try`` none of whose bodies holds one neither reports nor is
    marked: it is not visited. Each kind gets its own function (a statement
    after which nothing runs, the set's own ``add``), found by one look-up.
    """
    visit = reachability.visit
    stops: set[ast.AST] = reachability._no_fall_through_nodes  # what vulture's _mark_as_no_fall_through fills
    scan = reachability._can_fall_through_statements_analysis  # reports what follows a stop; False if one is met

    def body(node: Any) -> None:  # vulture's visit of these scans the body, and does nothing else
        statements = node.body
        if not stops.isdisjoint(statements[:-1]):
            scan(statements)

    def if_(node: ast.If) -> None:
        if not _undecidable(node.test):
            visit(node)
            return
        # vulture's if, for a condition it cannot evaluate: both branches scanned, marked if neither falls through
        statements, orelse = node.body, node.orelse
        if not stops.isdisjoint(statements):
            if not stops.isdisjoint(statements[:-1]):
                scan(statements)
            if not stops.isdisjoint(orelse):
                if not stops.isdisjoint(orelse[:-1]):
                    scan(orelse)
                stops.add(node)
        elif not stops.isdisjoint(orelse[:-1]):
            scan(orelse)

    def while_(node: ast.While) -> None:
        if not _undecidable(node.test):
            visit(node)
        elif not stops.isdisjoint(node.body[:-1]):
            scan(node.body)  # vulture's while, for a condition it cannot evaluate

    def if_exp(node: ast.IfExp) -> None:
        if not _undecidable(node.test):
            visit(node)

    def try_(node: ast.Try) -> None:
        if not (stops.isdisjoint(node.body) and all(stops.isdisjoint(each.body) for each in node.handlers)):
            visit(node)

    acts: dict[type, Callable[[Any], None]] = {ast.If: if_, ast.While: while_, ast.IfExp: if_exp, ast.Try: try_}
    return {**dict.fromkeys(_STOPS, stops.add), **dict.fromkeys(_BODIES, body), **acts}


def _undecidable(test: ast.expr) -> bool:
    """Whether vulture's ``_safe_eval`` can only give its default for ``test``: no constant in it decides it."""
    kind = type(test)
    if kind in _NEVER_LITERAL:
        return True
    if kind is ast.Call:  # literal_eval knows one call: set()
        func = test.func  # type: ignore[attr-defined]  # a Call
        return not (type(func) is ast.Name and func.id == "set")
    if kind is ast.BoolOp:
        return all(_undecidable(value) for value in test.values)  # type: ignore[attr-defined]  # a BoolOp
    if kind is ast.UnaryOp and type(test.op) is ast.Not:  # type: ignore[attr-defined]  # a UnaryOp
        return _undecidable(test.operand)  # type: ignore[attr-defined]
    return False


def used_names(nodes: list[ast.AST]) -> list[str]:
    """Names a file uses, without vulture's full pass: enough for files whose definitions do not matter (tests)."""
    names = set()
    name_, attribute, alias = ast.Name, ast.Attribute, ast.alias
    for node in nodes:
        kind = type(node)  # parsed trees hold no subclasses: identity tests are isinstance's answer, sooner
        if kind is name_:
            names.add(node.id)  # type: ignore[attr-defined]  # a Name
        elif kind is attribute:
            names.add(node.attr)  # type: ignore[attr-defined]  # an Attribute
        elif kind is alias:
            names.add((node.asname or node.name).split(".")[0])  # type: ignore[attr-defined]  # an alias
    return sorted(names)


def unparsed_state(text: str) -> dict[str, Any]:
    """The state of a file Python cannot parse (a notebook cell with ``x = !gcloud ...``).

    It defines nothing, and every word in it counts as used: a definition
    called only there is not reported dead.
    """
    return {"defined": [], "used": sorted(set(_IDENTIFIER.findall(text)))}


_Candidate = tuple[tuple[str, str], list[Any]]  # (the path as str and as posix, the definition's row)


def unused(
    states: Iterable[tuple[str, dict[str, Any]]], min_confidence: int = MIN_CONFIDENCE, named: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Unused code over every file: [{path, line, type, name, confidence, message}], sorted by place.

    ``named``: names that files other than Python name (``named_in_files``).
    Members of classes that a framework calls (``callbacks``) are not unused.

    What vulture's ``get_unused_code`` gives, without an ``Item`` made for every definition: the used names are
    gathered first, then only the definitions of names nothing uses are kept, each once (its first one) by
    type, and put in vulture's order. Of a file's definitions, only those its own uses leave open (its state's
    ``unused_here``, where it has one) are looked at: the file's worker found the rest used.
    """
    if not 0 <= min_confidence <= 100:
        raise ValueError("min_confidence must be between 0 and 100.")  # vulture's check, as vulture words it
    used = set(named)
    classes = Classes()
    exposed: set[str] = set()
    patterns: set[str] = set()
    defining: list[tuple[str, list[list[Any]]]] = []
    for rel, state in states:
        exposed.update(state.get("exposed", ()))
        patterns.update(state.get("patterns", ()))
        used.update(state.get("used", ()))
        parts = rel.split("/")
        classes.roots.update(parts[:-1])
        classes.roots.add(parts[-1].rsplit(".", 1)[0])
        for row in state.get("classes", ()):
            classes.add(rel, row)
        rows = state.get("defined")
        if rows:
            here = state.get("unused_here")  # absent: every row is looked at (see unused_here)
            if here is None:
                defining.append((rel, rows))
            elif here:
                defining.append((rel, [rows[i] for i in here]))
    # vulture's Items of the names nothing uses: equal by path, line and name (the first one kept), by type
    kept: dict[str, dict[tuple[str, int, str], _Candidate]] = {typ: {} for typ in _TYPES}
    unreachable: list[_Candidate] = []  # vulture reports all of it, as often as it is found, whatever its name
    for rel, rows in defining:
        where: tuple[str, str] | None = None  # the path as vulture's Path gives it, and as posix
        for row in rows:
            typ, name = row[0], row[1]
            if name in used and typ != "unreachable_code":
                continue
            if where is None:
                path = Path(rel)
                where = (str(path), path.as_posix())
            if typ == "unreachable_code":
                unreachable.append((where, row))
            else:
                kept[typ].setdefault((where[0], row[2], name), (where, row))
    candidates: list[_Candidate] = []
    for typ, items in kept.items():  # get_unused_code's order: by type, each type's by name
        candidates.extend(unreachable if typ == "unreachable_code" else sorted(items.values(), key=_lowered_name))
    candidates = [item for item in candidates if item[1][4] >= min_confidence]
    candidates.sort(key=_place)  # then by place, in that order where two are in one place
    hooks, discovered = classes.hooks() if classes.bases else ({}, set())
    commands = {key for name in exposed for key in classes.by_name.get(name, ())}
    # fnmatchcase of each pattern, as one pattern: its translation, which fnmatchcase matches, joined
    built = re.compile("|".join(translate(pattern) for pattern in sorted(patterns))).match if patterns else None
    found = []
    for (_, rel), (typ, name, first, _, confidence, message) in candidates:
        if built is not None and built(name):
            continue
        if typ in _CALLABLES:
            owner = classes.owner.get((rel, first))
            if owner is not None and (is_hook(name, hooks[owner]) or (owner in commands and name[0] != "_")):
                continue
            if typ == "class" and (rel, first) in discovered:
                continue
        found.append(
            {
                "path": rel,
                "line": first,
                "type": typ,
                "name": name,
                "confidence": confidence,
                "message": message or f"unused {typ} '{name}'",  # as vulture's Item words it
            }
        )
    return found


def _lowered_name(candidate: _Candidate) -> str:
    """get_unused_code's order within a type."""
    return str(candidate[1][1]).lower()


def _place(candidate: _Candidate) -> tuple[str, int]:
    """get_unused_code's order: the path as str, lowered, and the line."""
    return candidate[0][0].lower(), candidate[1][2]
