"""Makefiles read as data (never run): rules, their prerequisites and recipe lines, and variables.

Enough of GNU make for following ``make check`` to the commands it runs:
continuation lines, ``=``/``:=``/``::=``/``?=``/``+=`` assignments (``export``
and ``override`` too), rules with prerequisites and an inline ``; recipe``,
``include`` of other makefiles (through a reader given by the caller),
``.ONESHELL``, ``.SHELLFLAGS``, ``.IGNORE`` and ``.DEFAULT_GOAL``. Both branches
of ``ifeq``/``ifdef`` are read (their union: a target defined in either
counts). Pattern rules and ``define`` blocks are skipped. ``expand`` replaces
``$(VAR)``, ``${VAR}`` and ``$@``-style automatic variables; functions such as
``$(shell ...)`` expand to nothing, as nothing is run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

ASSIGNMENT = re.compile(r"^(?:(?:export|override)\s+)*([A-Za-z0-9_.\-]+)\s*(:::=|::=|:=|\?=|\+=|!=|=)\s*(.*)$")
RULE = re.compile(r"^([^:=#]+?)\s*(::?)(?!=)\s*(.*)$")
CONDITIONAL = re.compile(r"^(ifeq|ifneq|ifdef|ifndef|else|endif)\b")
INCLUDE = re.compile(r"^-?(?:include|sinclude)\s+(.+)$")
FUNCTIONS = {
    *("shell", "wildcard", "if", "or", "and", "foreach", "call", "eval", "value", "origin", "flavor", "error"),
    *("warning", "info", "patsubst", "subst", "filter", "filter-out", "sort", "word", "words", "wordlist"),
    *("lastword", "dir", "notdir", "suffix", "basename", "addsuffix", "addprefix", "join", "realpath"),
    *("abspath", "findstring", "file", "let", "guile", "intcmp"),
}
PASS_THROUGH = {"strip", "firstword"}
MAX_EXPANSION = 20  # nesting of variable references
MAX_REFERENCES = 2000  # references expanded for one text: $(A) = $(A)$(A) cannot grow without end
MAX_TEXT = 16 * 1024  # characters of an expanded text or a variable's value
MAX_INCLUDES = 5  # nesting of includes
MAX_FILES = 20  # makefiles read for one


@dataclass
class Rule:
    target: str
    line: int
    prerequisites: list[str] = field(default_factory=list)
    recipe: list[tuple[str, int]] = field(default_factory=list)  # (line text without its tab, line number)


@dataclass
class Makefile:
    path: str
    rules: dict[str, Rule] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    default_goal: str | None = None
    oneshell: bool = False
    ignored_targets: set[str] = field(default_factory=set)  # .IGNORE: name (all targets: "*")

    def expand(self, text: str, target: str = "", overrides: dict[str, str] | None = None) -> str:
        """``text`` with variables replaced (command-line ``overrides`` first, as make does)."""
        variables = {**self.variables, **(overrides or {})}
        rule = self.rules.get(target)
        automatic = {
            "@": target,
            "<": rule.prerequisites[0] if rule and rule.prerequisites else "",
            "^": " ".join(rule.prerequisites) if rule else "",
            "+": " ".join(rule.prerequisites) if rule else "",
            "*": "",
            "?": "",
        }
        return _expand(text, variables, automatic, 0, [MAX_REFERENCES])

    def goal(self) -> str | None:
        return self.variables.get(".DEFAULT_GOAL") or self.default_goal


def parse(text: str, path: str, read: Callable[[str], str | None] | None = None) -> Makefile:
    """The rules and variables of one makefile; ``read(name)`` gives an included makefile's text (each read once)."""
    found = Makefile(path)
    _parse_into(found, text, path, read, 0, {path})
    return found


def _parse_into(
    mk: Makefile, text: str, path: str, read: Callable[[str], str | None] | None, depth: int, included: set[str]
) -> None:
    lines = text.split("\n")
    current: list[Rule] = []
    in_define = False
    i = 0
    while i < len(lines):
        number = i + 1
        raw = lines[i].rstrip("\r")
        while raw.endswith("\\") and i + 1 < len(lines):
            i += 1
            raw = raw[:-1] + " " + lines[i].rstrip("\r").lstrip()
        i += 1
        if in_define:
            in_define = not raw.strip().startswith("endef")
            continue
        if raw.startswith("\t"):
            for rule in current:
                rule.recipe.append((raw[1:], number))
            continue
        stripped = _uncomment(raw).strip()
        if not stripped:
            continue
        if stripped.startswith("define ") or stripped == "define":
            in_define, current = True, []
            continue
        if CONDITIONAL.match(stripped):
            continue  # both branches are read
        include = INCLUDE.match(stripped)
        if include:
            current = []
            if read is not None and depth < MAX_INCLUDES:
                for name in mk.expand(include.group(1)).split():
                    other = read(name) if name not in included and len(included) < MAX_FILES else None
                    included.add(name)
                    if other is not None:
                        _parse_into(mk, other, name, read, depth + 1, included)
            continue
        assignment = ASSIGNMENT.match(stripped)
        if assignment:
            current = []
            name, op, value = assignment.groups()
            value = value[:MAX_TEXT]
            if op == "+=":
                mk.variables[name] = f"{mk.variables.get(name, '')} {value}".strip()[:MAX_TEXT]
            elif op == "?=":
                mk.variables.setdefault(name, value)
            elif op == "!=":
                mk.variables[name] = ""
            elif op in (":=", "::=", ":::="):
                mk.variables[name] = mk.expand(value)
            else:
                mk.variables[name] = value
            continue
        header = RULE.match(stripped)
        if not header:
            current = []
            continue
        targets, _, rest = header.groups()
        rest, _, inline = rest.partition(";")
        if ASSIGNMENT.match(rest.strip()) and "=" in rest:
            current = []  # a target-specific variable
            continue
        names = mk.expand(targets).split()
        prerequisites = [p for p in mk.expand(rest.replace("|", " ")).split() if "%" not in p]
        current = []
        for name in names:
            if name == ".ONESHELL":
                mk.oneshell = True
            elif name == ".IGNORE":
                mk.ignored_targets |= set(prerequisites) or {"*"}
            if name.startswith(".") or "%" in name:
                continue
            if mk.default_goal is None:
                mk.default_goal = name
            existing = mk.rules.setdefault(name, Rule(name, number))
            existing.prerequisites += [p for p in prerequisites if p not in existing.prerequisites]
            if inline.strip():
                existing.recipe.append((inline.strip(), number))
            current.append(existing)


def _uncomment(line: str) -> str:
    out = re.split(r"(?<!\\)#", line, maxsplit=1)[0]
    return out


def _expand(text: str, variables: dict[str, str], automatic: dict[str, str], depth: int, budget: list[int]) -> str:
    if depth > MAX_EXPANSION or "$" not in text or budget[0] <= 0:
        return text if "$" not in text else ""
    out: list[str] = []
    size = 0
    i = 0
    while i < len(text) and size < MAX_TEXT:
        ch = text[i]
        if ch != "$" or i + 1 >= len(text):
            piece, i = ch, i + 1
        elif text[i + 1] == "$":
            piece, i = "$", i + 2
        elif text[i + 1] in "({":
            opening = text[i + 1]
            close = ")" if opening == "(" else "}"
            level, j = 1, i + 2
            while j < len(text) and level:
                level += {opening: 1, close: -1}.get(text[j], 0)
                j += 1
            inner = text[i + 2 : j - 1] if level == 0 else text[i + 2 :]
            budget[0] -= 1
            piece, i = _reference(inner, variables, automatic, depth, budget), j
        else:
            piece, i = automatic.get(text[i + 1], variables.get(text[i + 1], "")), i + 2
        out.append(piece)
        size += len(piece)
    return "".join(out)[:MAX_TEXT]


def _reference(inner: str, variables: dict[str, str], automatic: dict[str, str], depth: int, budget: list[int]) -> str:
    head, _, argument = inner.partition(" ")
    if argument and head in PASS_THROUGH:
        expanded = _expand(argument, variables, automatic, depth + 1, budget).split()
        if head == "firstword":
            return expanded[0] if expanded else ""
        return " ".join(expanded)
    if argument and head in FUNCTIONS:
        return ""
    name = _expand(inner.split(":", 1)[0], variables, automatic, depth + 1, budget).strip()  # $(VAR:.c=.o) reads VAR
    if name in automatic:
        return automatic[name]
    if name in ("MAKE", "MAKE_COMMAND"):
        return "make"
    if name == "CURDIR":
        return "."
    if name in variables:
        return _expand(variables[name], variables, automatic, depth + 1, budget)
    return f"$({name})"  # unset here (perhaps set in the CI's environment): kept, so $(PYTHON) still reads as python
