"""How a shell runs a CI script, read and never run: which commands' failures can fail the step.

A step fails when its script exits non-zero, and whether a failing command
makes it so depends on the shell's options and on what follows the command:

- ``cmd || true`` (or ``|| :``, ``|| echo ...``, ``|| exit 0``): the failure is
  handled, the list succeeds;
- ``cmd | tee log`` without ``pipefail``: a pipeline's status is its last
  command's;
- without ``set -e`` (Azure Pipelines scripts, make recipe lines, npm scripts,
  ``bash -c`` in Cloud Build, or after ``set +e``) a command that is not the
  last one of the script is followed by others whose status replaces its own
  (``pytest; exit 0`` is the plain case); with ``set -e`` the first failing
  command ends the script, so ``pytest; exit 0`` still fails there;
- ``cmd &`` runs in the background.

A later ``$?`` (the status kept and checked) or ``PIPESTATUS`` keeps a failure
that would otherwise be lost, and inside ``if``, loops and functions nothing is
claimed beyond ``||`` handlers: a failure is only called ignored when the text
proves it. Heredoc bodies are skipped; ``cd DIR`` is followed so a command
knows the folder it runs in.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

HANDLED = {"true", ":", "echo", "printf", "/bin/true", "/usr/bin/true"}  # a `||` branch that always succeeds
CONTROL = {"if", "then", "else", "elif", "fi", "while", "until", "for", "do", "done", "case", "esac", "select"}
LEADING = {"then", "else", "do", "{", "(", "!", "if", "elif", "while", "until", "time"}
CONDITION = {"if", "elif", "while", "until", "!"}
SEPARATORS = {";", "\n", "&", ";;", ""}
HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
FUNCTION = re.compile(r"^(function\s+\w+|\w+\s*\(\s*\))")
MAX_GROUPS = 8


@dataclass(frozen=True)
class Shell:
    """The options a script starts with, and how reasons name the shell."""

    errexit: bool = True  # set -e: the first failing list ends the script
    pipefail: bool = False  # a pipeline fails when any of its commands fails
    label: str = "bash -e"
    commands: bool = True  # False: the text is not shell (``shell: python``): nothing is read from it


BASH_E = Shell(True, False, "bash -e")
STRICT = Shell(True, True, "bash -eo pipefail")
NO_ERREXIT = Shell(False, False, "a shell without 'set -e'")
NOT_SHELL = Shell(commands=False, label="not a shell")


def shell_of(spec: str | None, default: Shell = BASH_E) -> Shell:
    """The options of a shell named by a CI setting (``bash``, ``sh``, ``bash -l {0}``, ``/bin/bash -eo pipefail``)."""
    if not spec:
        return default
    words = spec.replace("{0}", "").split()
    program = words[0].rsplit("/", 1)[-1].lower() if words else ""
    if program in ("python", "python3", "cmd", "node", "rscript"):
        return NOT_SHELL if program != "cmd" else Shell(False, False, "cmd")
    if program in ("pwsh", "powershell"):
        return Shell(False, False, program)
    flags = [w for w in words[1:] if w.startswith("-") and not w.startswith("--")]
    errexit = any("e" in f[1:] and f != "-o" for f in flags) or "errexit" in words
    pipefail = "pipefail" in words
    return Shell(errexit, pipefail, spec.replace("{0}", "").strip())


@dataclass(frozen=True)
class Command:
    text: str  # one simple command, leading keywords (then, do, if, !) taken off
    line: int  # 0-based line of the script it starts on
    ignored: str | None  # why its failure cannot fail the script
    cwd: str  # the folder it runs in, relative to the repository ("" is the root)


@dataclass
class _Piece:
    text: str
    op: str  # the operator after it
    line: int


def pieces(script: str) -> list[_Piece]:
    """Simple commands with the operator that follows each (``&&``, ``||``, ``|``, ``;``, newline, ``&``)."""
    out: list[_Piece] = []
    current: list[str] = []
    quote, depth, line, start, i = "", 0, 0, 0, 0
    heredocs: list[str] = []
    n = len(script)
    while i < n:
        ch = script[i]
        if ch == "\\" and i + 1 < n and script[i + 1] == "\n" and quote != "'":
            i, line = i + 2, line + 1
            current.append(" ")
            continue
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < n:
                current.append(ch)
                i += 1
                ch = script[i]
            if ch == "\n":
                line += 1
            current.append(ch)
            i += 1
            continue
        if ch in "'\"`":
            quote = ch
        elif ch == "\\" and i + 1 < n:
            current += [ch, script[i + 1]]
            i += 2
            continue
        elif ch == "#" and (not current or current[-1] in " \t\n;"):
            while i < n and script[i] != "\n":
                i += 1
            continue
        elif ch == "(" and (not "".join(current).strip() or current[-1] in "$<>"):
            depth += 1  # $( ), <( ) and a ( ) group at the start of a command are read as one piece
        elif ch == ")" and depth:
            depth -= 1
        elif ch == "{" and not "".join(current).strip() and script[i + 1 : i + 2] in (" ", "\t", "\n"):
            depth += 1  # a { ...; } group
        elif ch == "}" and depth and (not current or current[-1] in " \t\n;"):
            depth -= 1
        elif depth == 0 and (op := _operator(script, i, current)):
            text = "".join(current).strip()
            out.append(_Piece(text, op, start))
            if text:
                heredocs += [m.group(2) for m in HEREDOC.finditer(text) if not text[m.start() :].startswith("<<<")]
            current = []
            i += len(op)
            if op == "\n":
                line += 1
                while heredocs:
                    delimiter = heredocs.pop(0)
                    while i < n:
                        end = script.find("\n", i)
                        end = n if end < 0 else end
                        body_line = script[i:end]
                        i, line = end + 1, line + 1
                        if body_line.strip() == delimiter:
                            break
            start = line
            continue
        if not current and ch in " \t":
            i += 1
            continue
        if not current:
            start = line
        if ch == "\n":
            line += 1
        current.append(ch)
        i += 1
    out.append(_Piece("".join(current).strip(), "", start))
    return [p for p in out if p.text or p.op in ("&&", "||", "|")]


def _operator(script: str, i: int, current: list[str]) -> str:
    two = script[i : i + 2]
    if two in ("&&", "||", ";;"):
        return two
    ch = script[i]
    if ch == "|":
        return "|&" if two == "|&" else "|"
    if ch in ";\n":
        return ch
    if ch == "&" and not (current and current[-1] in "<>") and script[i + 1 : i + 2] != ">":
        return "&"
    return ""


def words_of(command: str) -> list[str]:
    try:
        return shlex.split(command, posix=True)
    except ValueError:
        return command.split()


def _strip_keywords(text: str) -> tuple[str, bool]:
    """The command without leading ``then``/``do``/``if``/``!``/``{``/``(``; True when it is a condition."""
    condition = False
    for _ in range(6):
        head, _, rest = text.partition(" ")
        if head in LEADING:
            condition = condition or head in CONDITION
            text = rest.strip()
        elif head[:1] in "({" and len(head) > 1 and not head.startswith("${"):
            text = text[1:].strip()
        else:
            break
    while (text.endswith((")", "}")) and text.count("(") < text.count(")")) or text.endswith(" }"):
        text = text[:-1].strip()
    return text, condition


def _group(text: str) -> str | None:
    """The inside of a ``( ... )`` or ``{ ...; }`` group, or None."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")") and not text.startswith("(("):
        return text[1:-1]
    if text.startswith("{") and text.endswith("}") and text[1:2] in (" ", "\t", "\n"):
        return text[1:-1]
    return None


def _outcome(text: str, depth: int = 0) -> str:
    """What a ``||``/``&&`` branch leaves: ok, fail, exit_ok (script ends well) or exit_fail."""
    inner = _group(text)
    if inner is not None:
        parts = [p for p in pieces(inner) if p.text]
        return _outcome(parts[-1].text, depth + 1) if parts and depth < MAX_GROUPS else "fail"
    words = words_of(_strip_keywords(text)[0])
    if not words:
        return "fail"
    head = words[0]
    if head in HANDLED:
        return "ok"
    if head in ("exit", "return"):
        return "exit_ok" if words[1:2] == ["0"] else "exit_fail"
    return "fail"  # false, or anything else: it may fail, so the failure may still count


def _set_options(words: list[str], errexit: bool, pipefail: bool) -> tuple[bool, bool, bool]:
    """Options after a ``set`` command; third value: errexit was turned off here."""
    turned_off = False
    i = 1
    while i < len(words):
        w = words[i]
        if w in ("-o", "+o") and i + 1 < len(words):
            name = words[i + 1]
            if name == "errexit":
                errexit = w == "-o"
                turned_off = turned_off or w == "+o"
            elif name == "pipefail":
                pipefail = w == "-o"
            i += 2
            continue
        if w[:1] in "-+" and len(w) > 1 and w != "--":
            letters = w[1:]
            if "e" in letters:
                errexit = w[0] == "-"
                turned_off = turned_off or w[0] == "+"
            if "o" in letters and i + 1 < len(words) and words[i + 1] == "pipefail":
                pipefail = w[0] == "-"
                i += 1
        i += 1
    return errexit, pipefail, turned_off


def commands(script: str, shell: Shell = BASH_E, cwd: str = "", depth: int = 0) -> list[Command]:
    """Every simple command of ``script`` with why its failure cannot fail the script (None: it can)."""
    if not shell.commands:
        return []
    parts = pieces(script)
    control = any((w := words_of(p.text)[:1]) and (w[0] in CONTROL or FUNCTION.match(p.text)) for p in parts if p.text)
    checks_status = "PIPESTATUS" in script
    # lists: runs of pieces up to a separator; each list a chain of pipelines joined by && and ||
    lists: list[list[_Piece]] = []
    run: list[_Piece] = []
    for p in parts:
        run.append(p)
        if p.op in SEPARATORS:
            lists.append(run)
            run = []
    if run:
        lists.append(run)
    lists = [lst for lst in lists if any(p.text for p in lst)]
    last_exit_zero = bool(lists) and _outcome(lists[-1][-1].text) == "exit_ok" and len(lists[-1]) == 1
    errexit, pipefail, set_off_line = shell.errexit, shell.pipefail, None
    out: list[Command] = []
    for index, lst in enumerate(lists):
        pipelines: list[list[_Piece]] = [[]]
        joins: list[str] = []
        for p in lst:
            pipelines[-1].append(p)
            if p.op in ("&&", "||"):
                joins.append(p.op)
                pipelines.append([])
        pipelines = [pl for pl in pipelines if pl]
        later = " ".join(p.text for p in lists[index + 1]) if index + 1 < len(lists) else ""
        for pi, pipeline in enumerate(pipelines):
            for ci, piece in enumerate(pipeline):
                if not piece.text:
                    continue
                text, condition = _strip_keywords(piece.text)
                words = words_of(text)
                why = None
                if not condition:
                    why = _why_lost(
                        pipelines, joins, pi, ci, errexit, pipefail, checks_status, control,
                        is_last=index == len(lists) - 1, background=lst[-1].op == "&", later=later,
                        set_off_line=set_off_line, last_exit_zero=last_exit_zero, shell=shell,
                    )  # fmt: skip
                inner = _group(piece.text)
                if inner is not None and depth < MAX_GROUPS:
                    state = Shell(errexit, pipefail, shell.label)
                    for sub in commands(inner, state, cwd, depth + 1):
                        out.append(Command(sub.text, piece.line + sub.line, sub.ignored or why, sub.cwd))
                    continue
                out.append(Command(text, piece.line, why, cwd))
                if words[:1] == ["set"]:
                    errexit, pipefail, off = _set_options(words, errexit, pipefail)
                    set_off_line = piece.line if off else (None if errexit else set_off_line)
                elif words[:1] == ["cd"]:
                    cwd = _cd(cwd, words[1:2])
    return out


def _why_lost(
    pipelines: list[list[_Piece]],
    joins: list[str],
    pi: int,
    ci: int,
    errexit: bool,
    pipefail: bool,
    checks_status: bool,
    control: bool,
    *,
    is_last: bool,
    background: bool,
    later: str,
    set_off_line: int | None,
    last_exit_zero: bool,
    shell: Shell,
) -> str | None:
    pipeline = pipelines[pi]
    if ci < len(pipeline) - 1 and not pipefail and not checks_status:
        after = words_of(pipeline[-1].text)[:1] or ["..."]
        return f"piped into '{after[0]}' without pipefail: a pipeline's status is its last command's"
    status, handler = "fail", None
    for j in range(pi + 1, len(pipelines)):
        op = joins[j - 1]
        if (op == "&&" and status == "ok") or (op == "||" and status == "fail"):
            status = _outcome(pipelines[j][-1].text)
            handler = handler or (pipelines[j][-1].text if op == "||" else None)
            if status.startswith("exit"):
                break
    if status in ("ok", "exit_ok"):
        return f"'|| {handler[:80] if handler else 'true'}'"
    if status == "exit_fail":
        return None
    if background and "wait" not in later:
        return "run in the background ('&')"
    if errexit or control or is_last or "$?" in later or checks_status:
        return None
    if set_off_line is not None:
        return f"'set +e' (script line {set_off_line + 1}) before it: a later command's status replaces its own"
    if last_exit_zero:
        return "'exit 0' after it: the script ends successfully whatever it returned"
    return f"not the last command, and {shell.label} does not stop at a failing command"


def _cd(cwd: str, target: list[str]) -> str:
    if not target or target[0].startswith(("/", "~", "$", "-")):
        return cwd
    joined = posixpath.normpath(posixpath.join(cwd, target[0]))
    return "" if joined == "." else joined if not joined.startswith("..") else cwd
