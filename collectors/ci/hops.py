"""Following a CI command into the repository, reading and never running what it names.

``make check`` runs the ``check`` target's prerequisites and recipe lines;
``tox -e py311`` an env's commands; ``nox -s tests`` a session's
``session.run`` calls; ``npm test`` / ``yarn lint`` a package.json script (with
its pre and post scripts); ``hatch run test``, ``pdm run test`` and ``poe
test`` the scripts or tasks of pyproject.toml; ``bash scripts/test.sh``,
``./run_tests.sh`` and ``python run_tests.py`` a repository script. Each
command reached is classified again (so ``make ci`` -> ``tox`` -> ``pytest``
works, up to ``MAX_DEPTH`` hops) and keeps its chain of hops with files and
lines. What can make a failure unable to fail the build is read on the way: a
``-`` before a make recipe line or a tox command, ``make -i``, ``.IGNORE``,
tox's ``ignore_outcome``, nox ``success_codes``, ``|| true`` or a missing
``set -e`` inside a recipe or script (recipe lines run with ``sh -c``), and a
Python script that drops ``pytest.main()``'s result instead of passing it to
``sys.exit``.

``Hops`` is a ``Follow`` (``ci_commands``): called with a command's words and
folder, it answers None when the command is no runner it can read (the target's
name then decides, as before), or what the target runs.
"""

from __future__ import annotations

import ast
import posixpath
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from mldebt.collectors.ci import makefile, toxnox
from mldebt.collectors.ci.commands import Followed, Hop, Match, classify_command, is_routine, strip_wrappers
from mldebt.collectors.ci.shell import NO_ERREXIT, Shell, commands, shell_of
from mldebt.collectors.repo.configfiles import ConfigError, read_text
from mldebt.nested import json_loads, toml_loads

MAX_DEPTH = 6
MAX_CALLS = 3000  # follow calls per scan: a budget, whatever the files hold
MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
MAKE_OPTIONS_WITH_VALUE = {"-C", "-f", "-I", "-o", "-W", "-l", "--directory", "--file", "--makefile"}
SHELL_PROGRAMS = {"bash", "sh", "zsh", "dash", "ksh"}
MAKE_SHELL = Shell(False, False, "make's sh -c for each recipe line (no -e)")
NPM_SHELL = Shell(False, False, "npm's sh -c (no -e)")
SCRIPT_SHELL = Shell(False, False, "a script without 'set -e'")
PYTHON_EXITS = {"sys.exit", "exit", "quit", "os._exit", "SystemExit"}
SUBPROCESSES = {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "os.system"}


class Hops:
    """Follows runners into the files of the repository at ``root`` (read once each, cached)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._texts: dict[str, str | None] = {}
        self._makefiles: dict[str, makefile.Makefile] = {}
        self._results: dict[tuple[tuple[str, ...], str, int], Followed | None] = {}
        self._calls = 0

    def __call__(self, words: list[str], cwd: str, depth: int) -> Followed | None:
        if depth >= MAX_DEPTH or self._calls >= MAX_CALLS or not words:
            return None
        key = (tuple(words), cwd, depth)
        if key not in self._results:
            self._calls += 1
            self._results[key] = self._follow(words, cwd, depth)
        return self._results[key]

    # --- files ------------------------------------------------------------------------------------

    def text(self, rel: str) -> str | None:
        if rel not in self._texts:
            try:
                self._texts[rel] = read_text(self.root, rel) if rel and not rel.startswith("..") else None
            except ConfigError:
                self._texts[rel] = None
        return self._texts[rel]

    def locate(self, cwd: str, name: str) -> str | None:
        """The repository path of ``name`` as seen from ``cwd`` (or from the root, when ``cwd`` is not in the tree)."""
        name = name.removeprefix("./")
        if name.startswith(("/", "~", "$")) or not name:
            return None
        for base in dict.fromkeys([cwd, ""]):
            rel = posixpath.normpath(posixpath.join(base, name))
            if not rel.startswith("..") and rel != "." and self.text(rel) is not None:
                return rel
        return None

    # --- dispatch ---------------------------------------------------------------------------------

    def _follow(self, words: list[str], cwd: str, depth: int) -> Followed | None:
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]
        if len(words) > 2 and words[0] in ("hatch", "pdm") and words[1] == "run":
            found = self._pyproject_script(words[0], words[2], cwd, depth)
            if found is not None:
                return found
        if len(words) > 1 and words[0] == "poetry" and words[1] == "poe":
            words = ["poe", *words[2:]]
        words = strip_wrappers(words)
        if not words:
            return None
        head = words[0].rsplit("/", 1)[-1]
        if head in ("make", "gmake"):
            return self._make(words, cwd, depth)
        if head == "tox":
            return self._tox(words, cwd, depth)
        if head == "nox":
            return self._nox(words, cwd, depth)
        if head in ("npm", "pnpm", "yarn", "bun"):
            return self._npm(head, words[1:], cwd, depth)
        if head == "poe" and len(words) > 1:
            return self._pyproject_script("poe", words[1], cwd, depth)
        if head in SHELL_PROGRAMS:
            return self._shell_program(words, cwd, depth)
        if head.endswith((".py", ".sh", ".bash")) or "/" in words[0]:
            rel = self.locate(cwd, words[0])
            return self._script(rel, None, depth) if rel else None
        return None

    def _reached(
        self, script: str, shell: Shell, cwd: str, depth: int, path: str, line: int | None, ignored: str | None = None
    ) -> Followed:
        """What the commands of ``script`` (at ``path``:``line``) do, each match carrying its hop."""
        matches: list[Match] = []
        opaque = False
        for command in commands(script, shell, cwd):
            found = classify_command(command.text, command.ignored, None, command.cwd, follow=self, depth=depth + 1)
            if not found and not is_routine(command.text):
                opaque = True
            hop: Hop = (command.text[:200], path, line + command.line if line is not None else None)
            matches += [replace(m, ignored=ignored or m.ignored, chain=(hop, *m.chain)) for m in found]
        return Followed(matches, opaque)

    # --- make -------------------------------------------------------------------------------------

    def _make(self, words: list[str], cwd: str, depth: int) -> Followed | None:
        directory, file, ignore_all = cwd, None, False
        targets: list[str] = []
        overrides: dict[str, str] = {}
        i = 1
        while i < len(words):
            w = words[i]
            option, _, value = w.partition("=")
            if w == "-j" and i + 1 < len(words) and words[i + 1].isdigit():
                i += 2
                continue
            if w in MAKE_OPTIONS_WITH_VALUE and i + 1 < len(words):
                value, option = words[i + 1], w
                i += 1
            elif w.startswith(("-C", "-f")) and len(w) > 2:
                option, value = w[:2], w[2:]
            if option in ("-C", "--directory"):
                directory = posixpath.normpath(posixpath.join(directory, value))
            elif option in ("-f", "--file", "--makefile"):
                file = value
            elif w in ("-i", "--ignore-errors") or (
                w[:1] == "-" and w[1:2] != "-" and "i" in w[1:] and w[1:].isalpha()
            ):
                ignore_all = True
            elif "=" in w and not w.startswith("-"):
                overrides[option] = value
            elif not w.startswith("-") and option not in MAKE_OPTIONS_WITH_VALUE:
                targets.append(w)
            i += 1
        directory = "" if directory == "." else directory
        rel = next((found for name in ([file] if file else MAKEFILES) if (found := self.locate(directory, name))), None)
        if rel is None:
            return None
        mk = self._makefile(rel)
        goals = targets or [g for g in [mk.goal()] if g]
        ignored = "make -i: make ignores every recipe's errors" if ignore_all else None
        matches: list[Match] = []
        opaque = False
        visited: set[str] = set()
        for goal in goals:
            if goal not in mk.rules:
                continue
            reached = self._target(mk, goal, visited, overrides, ignored, depth)
            matches += reached.matches
            opaque = opaque or reached.opaque
        if not any(goal in mk.rules for goal in goals):
            return None  # a file target or one defined where we cannot see: decide by its name
        return Followed(matches, opaque)

    def _makefile(self, rel: str) -> makefile.Makefile:
        if rel not in self._makefiles:
            folder = posixpath.dirname(rel)
            self._makefiles[rel] = makefile.parse(
                self.text(rel) or "", rel, lambda name: self.text(posixpath.normpath(posixpath.join(folder, name)))
            )
        return self._makefiles[rel]

    def _target(
        self,
        mk: makefile.Makefile,
        name: str,
        visited: set[str],
        overrides: dict[str, str],
        ignored: str | None,
        depth: int,
    ) -> Followed:
        if name in visited or len(visited) > 200:
            return Followed([])
        visited.add(name)
        rule = mk.rules[name]
        hop: Hop = (name, mk.path, rule.line)
        matches: list[Match] = []
        opaque = False
        for prerequisite in rule.prerequisites:
            if prerequisite in mk.rules:
                found = self._target(mk, prerequisite, visited, overrides, ignored, depth)
                matches += [replace(m, chain=(hop, *m.chain)) for m in found.matches]
                opaque = opaque or found.opaque
        if ignored is None and ({"*", name} & mk.ignored_targets):
            ignored = f".IGNORE ({mk.path}): make ignores the errors of {name}'s recipe"
        folder = posixpath.dirname(mk.path)
        flags = mk.variables.get(".SHELLFLAGS", "-c")
        shell = MAKE_SHELL if "e" not in flags.replace("-c", "") else shell_of(f"sh {flags}")
        recipe = [(mk.expand(text, name, overrides), number) for text, number in rule.recipe]
        lines = [("\n".join(t for t, _ in recipe), recipe[0][1])] if mk.oneshell and recipe else recipe
        for text, number in lines:
            stripped = text.lstrip()
            prefix = ""
            while stripped[:1] in ("@", "-", "+") and stripped:
                prefix += stripped[0]
                stripped = stripped[1:].lstrip()
            why = ignored or (
                f"'-' before the recipe line ({mk.path}:{number}): make ignores its errors" if "-" in prefix else None
            )
            found = self._reached(stripped, shell, folder, depth, mk.path, number, why)
            matches += [replace(m, chain=(hop, *m.chain)) for m in found.matches]
            opaque = opaque or found.opaque
        return Followed(matches, opaque)

    # --- tox and nox ------------------------------------------------------------------------------

    def _tox_config(self, cwd: str) -> toxnox.ToxConfig | None:
        for name in ("tox.ini", "tox.toml", "setup.cfg", "pyproject.toml"):
            rel = self.locate(cwd, name)
            text = self.text(rel) if rel else None
            if rel is None or text is None:
                continue
            config = toxnox.tox_from_toml(rel, text) if name.endswith(".toml") else toxnox.tox_from_ini(rel, text)
            if config is not None and (config.all_envs() or "testenv" in config.sections):
                return config
        return None

    def _tox(self, words: list[str], cwd: str, depth: int) -> Followed | None:
        config = self._tox_config(cwd)
        if config is None:
            return None
        chosen: list[str] = []
        for i, w in enumerate(words):
            if w in ("-e", "--env", "-f") and i + 1 < len(words):
                chosen += toxnox.env_names(words[i + 1]) if w != "-f" else []
                if w == "-f":
                    chosen += [e for e in config.all_envs() if words[i + 1] in e.split("-")]
            elif w.startswith("-e") and len(w) > 2:
                chosen += toxnox.env_names(w[2:])
        if not chosen or "ALL" in chosen:
            chosen = config.env_list() or (config.all_envs() if "ALL" in chosen else ["py"])
        envs = [config.env(name) for name in dict.fromkeys(chosen)]
        return self._envs(envs, config.path, depth, "env")

    def _nox(self, words: list[str], cwd: str, depth: int) -> Followed | None:
        rel = self.locate(cwd, "noxfile.py")
        text = self.text(rel) if rel else None
        if rel is None or text is None:
            return None
        sessions, default = toxnox.nox_sessions(text)
        chosen: list[str] = []
        tags: list[str] = []
        for i, w in enumerate(words[1:], 1):
            if w in ("-s", "-e", "--session", "--sessions"):
                chosen += [s for s in words[i + 1 :] if not s.startswith("-")][:20]
            if w in ("-t", "--tags") and i + 1 < len(words):
                tags.append(words[i + 1])
        names = [n for n in sessions if any(c == n or c.split("-")[0].split("(")[0] == n for c in chosen)]
        if not chosen:
            names = [n for n in default or sessions if n in sessions] if not tags else list(sessions)
        queue = list(dict.fromkeys(names))
        for name in queue:
            queue += [n for n in sessions[name].notify if n in sessions and n not in queue]
        return self._envs([sessions[n] for n in queue], rel, depth, "session")

    def _envs(self, envs: list[toxnox.Env], path: str, depth: int, what: str) -> Followed:
        matches: list[Match] = []
        opaque = False
        folder = posixpath.dirname(path)
        for env in envs:
            hop: Hop = (f"{what} {env.name}", path, env.line)
            for command in env.commands:
                found = classify_command(command.text, None, None, folder, follow=self, depth=depth + 1)
                opaque = opaque or (not found and not is_routine(command.text))
                step: Hop = (command.text[:200], path, command.line)
                matches += [
                    replace(m, ignored=env.ignored or command.ignored or m.ignored, chain=(hop, step, *m.chain))
                    for m in found
                ]
        return Followed(matches, opaque)

    # --- package.json and pyproject scripts -------------------------------------------------------

    def _npm(self, head: str, args: list[str], cwd: str, depth: int) -> Followed | None:
        args = [a for a in args if not a.startswith("-")]
        if head == "bun" and args[:1] == ["test"]:
            return None  # bun's own test runner: decided by name
        if args[:1] in (["run"], ["run-script"]):
            args = args[1:]
        elif args[:1] == ["t"]:
            args = ["test"]
        elif head == "npm" and args[:1] != ["test"]:
            return None  # npm install, npm ci ...: no script
        if not args:
            return None
        rel = self.locate(cwd, "package.json")
        text = self.text(rel) if rel else None
        if rel is None or text is None:
            return None
        try:
            data = json_loads(text)
        except ValueError:
            return None
        scripts = data.get("scripts") if isinstance(data, dict) else None
        if not isinstance(scripts, dict):
            return Followed([])
        name = args[0]
        if not isinstance(scripts.get(name), str):
            return None if head != "npm" and name not in ("test",) else Followed([])
        matches: list[Match] = []
        opaque = False
        for script in (f"pre{name}", name, f"post{name}"):
            body = scripts.get(script)
            if not isinstance(body, str):
                continue
            line = _json_key_line(text, script)
            found = self._reached(body, NPM_SHELL, posixpath.dirname(rel), depth, rel, line)
            hop: Hop = (f"script {script}", rel, line)
            matches += [replace(m, chain=(hop, *m.chain)) for m in found.matches]
            opaque = opaque or found.opaque
        return Followed(matches, opaque)

    def _pyproject_script(self, tool: str, name: str, cwd: str, depth: int) -> Followed | None:
        rel = self.locate(cwd, "pyproject.toml")
        text = self.text(rel) if rel else None
        if rel is None or text is None:
            return None
        try:
            data = toml_loads(text)
        except tomllib.TOMLDecodeError:
            return None
        tools = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        env, _, script = name.rpartition(":")
        table: Any = None
        if tool == "hatch":
            table = _get(tools, "hatch", "envs", env or "default", "scripts")
        elif tool == "pdm":
            table = _get(tools, "pdm", "scripts")
        else:
            table = _get(tools, "poe", "tasks")
        if not isinstance(table, dict) or script not in table:
            return None
        bodies = [
            re.sub(r"\{args(?::([^}]*))?\}", lambda m: m.group(1) or "", b) for b in _script_bodies(table, script, 0)
        ]
        line = next(
            (n for n, t in enumerate(text.split("\n"), 1) if re.match(rf"^\s*['\"]?{re.escape(script)}['\"]?\s*=", t)),
            None,
        )
        matches: list[Match] = []
        opaque = False
        hop: Hop = (f"{tool} script {script}", rel, line)
        for body in bodies:
            found = self._reached(body, NO_ERREXIT, posixpath.dirname(rel), depth, rel, line)
            matches += [replace(m, chain=(hop, *m.chain)) for m in found.matches]
            opaque = opaque or found.opaque
        return Followed(matches, opaque)

    # --- repository scripts -----------------------------------------------------------------------

    def _shell_program(self, words: list[str], cwd: str, depth: int) -> Followed | None:
        flags: list[str] = []
        for i, w in enumerate(words[1:], 1):
            if w == "-c" and i + 1 < len(words):
                shell = shell_of(" ".join([words[0], *flags]), NO_ERREXIT)
                return self._reached(words[i + 1], shell, cwd, depth, "", None)
            if w.startswith("-"):
                flags.append(w)
                continue
            rel = self.locate(cwd, w)
            return self._script(rel, shell_of(" ".join([words[0], *flags]), NO_ERREXIT), depth) if rel else None
        return None

    def _script(self, rel: str, shell: Shell | None, depth: int) -> Followed | None:
        text = self.text(rel) or ""
        first = text.split("\n", 1)[0]
        python = rel.endswith(".py") or (first.startswith("#!") and "python" in first)
        if python:
            return self._python_script(rel, text, depth)
        if shell is None:
            if not (
                rel.endswith((".sh", ".bash")) or (first.startswith("#!") and re.search(r"\b(ba|z|da|k)?sh\b", first))
            ):
                return None
            shell = (
                shell_of(first[2:].replace("/usr/bin/env ", "").strip(), SCRIPT_SHELL)
                if first.startswith("#!")
                else SCRIPT_SHELL
            )
            if not shell.errexit:
                shell = replace(shell, label="a script without 'set -e'")
        found = self._reached(text, shell, posixpath.dirname(rel), depth, rel, 1)
        return found

    def _python_script(self, rel: str, text: str, depth: int) -> Followed | None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        wired = _exit_status_used(tree)
        matches: list[Match] = []
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = _dotted(call.func)
            line = call.lineno
            keywords = {k.arg: k.value.value for k in call.keywords if k.arg and isinstance(k.value, ast.Constant)}
            dropped = None if wired else f"{rel}:{line}: the status is not passed to sys.exit"
            if name in ("pytest.main", "unittest.TextTestRunner.run") or name.endswith("TestRunner().run"):
                matches.append(Match("tests", "command", name, dropped, None, ((f"{name}()", rel, line),)))
            elif name == "unittest.main":
                quiet = keywords.get("exit", True) is False
                why = dropped if quiet else None
                matches.append(Match("tests", "command", name, why, None, ((f"{name}()", rel, line),)))
            elif name in SUBPROCESSES:
                command = _command_text(call.args[0]) if call.args else None
                if command is None:
                    continue
                checked = name.startswith("subprocess.check") or keywords.get("check") is True
                why = None if checked or wired else f"{rel}:{line}: {name}'s status is not checked"
                for found in classify_command(command, why, None, posixpath.dirname(rel), follow=self, depth=depth + 1):
                    matches.append(replace(found, chain=((command[:200], rel, line), *found.chain)))
        return Followed(matches, True, by_name_too=True)  # python train.py still trains, whatever it calls


def _get(table: Any, *keys: str) -> Any:
    for key in keys:
        table = table.get(key) if isinstance(table, dict) else None
    return table


def _script_bodies(table: dict[str, Any], name: str, depth: int) -> list[str]:
    """The shell text of a hatch/pdm script or poe task (a string, a list, or a table with cmd/shell/sequence)."""
    value = table.get(name)
    if depth > 5:
        return []
    if isinstance(value, str):
        first = value.split()[:1]
        return (
            _script_bodies(table, first[0], depth + 1) if first and first[0] in table and first[0] != name else [value]
        )
    if isinstance(value, list):
        return [
            b
            for item in value
            if isinstance(item, str)
            for b in ([item] if item not in table else _script_bodies(table, item, depth + 1))
        ]
    if isinstance(value, dict):
        for key in ("cmd", "shell", "script"):
            if isinstance(value.get(key), str):
                return [value[key]]
            if isinstance(value.get(key), list):
                return [" ".join(str(w) for w in value[key])]
        for key in ("sequence", "composite"):
            if isinstance(value.get(key), list):
                out: list[str] = []
                for item in value[key]:
                    if isinstance(item, str):
                        out += _script_bodies(table, item, depth + 1) if item in table else [item]
                    elif isinstance(item, dict) and isinstance(item.get("cmd"), str):
                        out.append(item["cmd"])
                return out
        if isinstance(value.get("ref"), str):
            return [value["ref"]]
    return []


def _json_key_line(text: str, key: str) -> int | None:
    scripts = text.find('"scripts"')
    found = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, max(scripts, 0))
    return text.count("\n", 0, found.start()) + 1 if found else None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func)}()"
    return ""


def _command_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        words = []
        for element in node.elts:
            if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
                break
            words.append(element.value)
        return " ".join(words) or None
    return None


def _exit_status_used(tree: ast.AST) -> bool:
    """Whether the script exits with a status it computed (``sys.exit(x)``, ``raise SystemExit(x)``, x no constant)."""
    for node in ast.walk(tree):
        call = node.exc if isinstance(node, ast.Raise) else node
        if (
            isinstance(call, ast.Call)
            and _dotted(call.func) in PYTHON_EXITS
            and call.args
            and not isinstance(call.args[0], ast.Constant)
        ):
            return True
    return False
