"""tox environments and nox sessions read as data (never run): what each one's commands are, and where.

tox: ``tox.ini``, ``setup.cfg`` (``[tox:tox]`` and ``[testenv...]``), ``tox.toml``
and ``pyproject.toml`` (``[tool.tox]``, either ``legacy_tox_ini`` or the native
tables). An environment's commands come from ``[testenv:NAME]`` (generative
names such as ``py{39,310}-lint`` expanded) or else the base ``[testenv]``;
factor-conditional lines (``lint: flake8``) are kept when the env's factors
match; ``{posargs:default}``, ``{envpython}`` and ``{[section]key}`` are
substituted. A command with a ``-`` prefix, or an env with ``ignore_outcome =
true``, cannot fail tox.

nox: ``noxfile.py`` is parsed with ``ast`` (never imported): functions decorated
with ``@nox.session`` (or ``@session``) are sessions, and their
``session.run("pytest", ...)`` calls with literal arguments are the commands;
``success_codes`` that allow 1 make a command unable to fail.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from mldebt.nested import toml_loads

BRACES = re.compile(r"\{([^{}]*)\}")
MAX_NAMES = 200  # env names from one generative name or env list
MAX_COMMANDS = 500  # commands of one env, references included
FACTOR_LINE = re.compile(r"^\s*(!?[\w.]+(?:[-,]\s*!?[\w.]+)*)\s*:\s+(.*)$")
SUBSTITUTION = re.compile(r"\{([^{}]*)\}")


@dataclass
class Command:
    text: str
    line: int | None
    ignored: str | None = None


@dataclass
class Env:
    name: str
    line: int | None
    commands: list[Command] = field(default_factory=list)
    ignored: str | None = None  # the whole env cannot fail (ignore_outcome)
    notify: list[str] = field(default_factory=list)  # nox sessions it queues


Ini = dict[str, dict[str, tuple[str, int]]]  # section -> key -> (value, line)


def read_ini(text: str, first_line: int = 1) -> tuple[Ini, dict[str, int]]:
    """Sections of an INI text with each key's value and line, and each section's line."""
    sections: Ini = {}
    lines_of: dict[str, int] = {}
    section: dict[str, tuple[str, int]] | None = None
    key: str | None = None
    for offset, raw in enumerate(text.split("\n")):
        number = first_line + offset
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        if line[:1] in " \t" and section is not None and key is not None:
            value, start = section[key]
            section[key] = (f"{value}\n{line.strip()}", start)
            continue
        header = re.match(r"^\[([^\]]+)\]", line)
        if header:
            name = header.group(1).strip()
            section = sections.setdefault(name, {})
            lines_of.setdefault(name, number)
            key = None
            continue
        if section is not None and ("=" in line or ":" in line):
            sep = "=" if "=" in line else ":"
            key, _, value = line.partition(sep)
            key = key.strip()
            section[key] = (value.strip(), number)
    return sections, lines_of


def expand_braces(name: str) -> list[str]:
    """``py{39,310}-lint`` -> ``py39-lint``, ``py310-lint`` (at most ``MAX_NAMES`` of them)."""
    names: list[str] = [name]
    done: list[str] = []
    while names and len(done) < MAX_NAMES:
        current = names.pop(0)
        found = BRACES.search(current)
        if not found:
            done.append(current)
            continue
        head, tail = current[: found.start()], current[found.end() :]
        names += [head + option.strip() + tail for option in found.group(1).split(",")][: MAX_NAMES - len(names)]
    return done


def env_names(value: str) -> list[str]:
    names: list[str] = []
    for part in re.split(r"[,\n]", re.sub(r"\{[^{}]*\}", lambda m: m.group(0).replace(",", "\x00"), value)):
        part = part.replace("\x00", ",").strip()
        if part and not part.startswith("#"):
            names += expand_braces(part)
        if len(names) >= MAX_NAMES:
            break
    return names[:MAX_NAMES]


class ToxConfig:
    """One project's tox configuration, from whichever file holds it."""

    def __init__(self, path: str, sections: Ini, section_lines: dict[str, int], core: str = "tox") -> None:
        self.path = path
        self.sections = sections
        self.section_lines = section_lines
        self.core = core

    def env_list(self) -> list[str]:
        core = self.sections.get(self.core, {})
        value = core.get("env_list", core.get("envlist", ("", 0)))[0]
        return env_names(value)

    def all_envs(self) -> list[str]:
        named = [n for s in self.sections if s.startswith("testenv:") for n in expand_braces(s[len("testenv:") :])]
        return list(dict.fromkeys(self.env_list() + named))

    def env(self, name: str) -> Env:
        section_name = next(
            (s for s in self.sections if s.startswith("testenv:") and name in expand_braces(s[len("testenv:") :])),
            None,
        )
        own = self.sections.get(section_name, {}) if section_name else {}
        base = self.sections.get("testenv", {})
        factors = set(name.split("-"))
        result = Env(name, self.section_lines.get(section_name or "testenv"))
        outcome = own.get("ignore_outcome", base.get("ignore_outcome"))
        if outcome and outcome[0].strip().lower() == "true":
            result.ignored = f"ignore_outcome = true ({self.path}:{outcome[1]}): tox succeeds whatever the env returns"
        for key in ("commands_pre", "commands"):
            entry = own.get(key, base.get(key))
            if entry:
                result.commands += self._commands(entry, factors)
        return result

    def _commands(self, entry: tuple[str, int], factors: set[str], depth: int = 0) -> list[Command]:
        value, line = entry
        out: list[Command] = []
        for offset, text in enumerate(value.split("\n")[:MAX_COMMANDS]):
            text = text.strip()
            conditional = FACTOR_LINE.match(text)
            if conditional and not text.startswith(("-", "{")):
                if not _factors_match(conditional.group(1), factors):
                    continue
                text = conditional.group(2).strip()
            reference = re.fullmatch(r"\{\[([^\]]+)\]([\w-]+)\}", text)
            if reference and depth < 5:
                other = self.sections.get(reference.group(1), {}).get(reference.group(2))
                out += self._commands(other, factors, depth + 1)[: MAX_COMMANDS - len(out)] if other else []
                continue
            ignored = None
            if text.startswith("-"):
                text = text[1:].strip()
                ignored = f"'-' before the tox command ({self.path}:{line + offset}): tox ignores its exit status"
            text = SUBSTITUTION.sub(_substitute, text).strip()
            if text and not text.startswith("#"):
                out.append(Command(text, line + offset, ignored))
        return out


def _factors_match(condition: str, factors: set[str]) -> bool:
    for alternative in condition.split(","):
        parts = [p.strip() for p in alternative.split("-") if p.strip()]
        if all((p[1:] not in factors) if p.startswith("!") else (p in factors) for p in parts):
            return True
    return False


def _substitute(match: re.Match[str]) -> str:
    inner = match.group(1)
    if inner.startswith("posargs"):
        return inner.partition(":")[2]
    if inner in ("envpython", "env_python"):
        return "python"
    if inner in ("toxinidir", "tox_root", "toxworkdir", "work_dir"):
        return "."
    return ""


def tox_from_ini(path: str, text: str, first_line: int = 1) -> ToxConfig | None:
    sections, lines = read_ini(text, first_line)
    if path.endswith("setup.cfg"):
        if "tox:tox" not in sections and not any(s.startswith("testenv") for s in sections):
            return None
        return ToxConfig(path, sections, lines, core="tox:tox")
    return ToxConfig(path, sections, lines)


def tox_from_toml(path: str, text: str) -> ToxConfig | None:
    """``tox.toml`` or ``pyproject.toml``'s ``[tool.tox]`` (its legacy INI string, or native tables)."""
    try:
        data = toml_loads(text)
    except tomllib.TOMLDecodeError:
        return None
    table: Any = data
    if path.endswith("pyproject.toml"):
        table = data.get("tool", {}).get("tox") if isinstance(data.get("tool"), dict) else None
    if not isinstance(table, dict):
        return None
    legacy = table.get("legacy_tox_ini")
    if isinstance(legacy, str):
        start = next((n for n, line in enumerate(text.split("\n"), 1) if "legacy_tox_ini" in line), 1)
        return tox_from_ini(path, legacy, start + 1)
    sections: Ini = {"tox": {}}
    lines: dict[str, int] = {}
    if isinstance(table.get("env_list"), list):
        sections["tox"]["env_list"] = (",".join(str(e) for e in table["env_list"]), 0)
    base = table.get("env_run_base")
    if isinstance(base, dict):
        sections["testenv"] = _toml_env(base, text, "env_run_base")
        lines["testenv"] = _header_line(text, "env_run_base")
    envs = table.get("env")
    for name, env in envs.items() if isinstance(envs, dict) else []:
        if isinstance(env, dict):
            sections[f"testenv:{name}"] = _toml_env(env, text, f"env.{name}")
            lines[f"testenv:{name}"] = _header_line(text, f"env.{name}")
    return ToxConfig(path, sections, lines)


def _toml_env(env: dict[str, Any], text: str, header: str) -> dict[str, tuple[str, int]]:
    line = _header_line(text, header)
    out: dict[str, tuple[str, int]] = {}
    for key in ("commands", "commands_pre"):
        value = env.get(key)
        if isinstance(value, list):
            rows = [" ".join(str(w) for w in row) if isinstance(row, list) else str(row) for row in value]
            out[key] = ("\n".join(rows), line)
    if env.get("ignore_outcome") is True:
        out["ignore_outcome"] = ("true", line)
    return out


def _header_line(text: str, header: str) -> int:
    pattern = re.compile(r"^\[(tool\.tox\.)?" + re.escape(header) + r"\]", re.M)
    found = pattern.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else 1


# --- nox ------------------------------------------------------------------------------------------


def nox_sessions(text: str) -> tuple[dict[str, Env], list[str] | None]:
    """The sessions of a noxfile (by name) and ``nox.options.sessions`` when it is set."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}, None
    sessions: dict[str, Env] = {}
    default: list[str] | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(_dotted(t) in ("nox.options.sessions",) for t in node.targets):
            default = _strings(node.value)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        name = _session_name(node)
        if name is None:
            continue
        param = node.args.args[0].arg if node.args.args else "session"
        env = Env(name, node.lineno)
        for call in ast.walk(node):
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
                continue
            owner = _dotted(call.func.value)
            if owner != param:
                continue
            if call.func.attr == "notify" and call.args:
                env.notify += _strings(call.args[0]) or []
            if call.func.attr not in ("run", "run_always", "run_install"):
                continue
            words: list[str] = []
            for arg in call.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    words.append(arg.value)
                else:
                    break
            if not words:
                continue
            ignored = None
            for keyword in call.keywords:
                if keyword.arg == "success_codes" and 1 in (_ints(keyword.value) or []):
                    ignored = f"success_codes allow exit status 1 (noxfile.py:{call.lineno})"
            env.commands.append(Command(" ".join(words), call.lineno, ignored))
        sessions[name] = env
    return sessions, default


def _session_name(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _dotted(target).rsplit(".", 1)[-1] not in ("session",):
            continue
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
        return node.name
    return None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _strings(node: ast.AST) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return None


def _ints(node: ast.AST) -> list[int] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, int)]
    return None
