"""Reading configuration files from an untrusted tree, with the line of every value.

The CI and monitoring collectors read YAML, JSON and Groovy written by others.
Every read here is capped in size, refuses symbolic links and paths leaving the
tree, and decodes any bytes. YAML and JSON come back as plain dicts and lists
that also remember the line they started on (``line_of``), so a fact can point
at the job, rule or panel it describes. A file that cannot be read or parsed
raises ``ConfigError`` with a message and, when known, a line.
"""

from __future__ import annotations

import json
import json.scanner
import os
from bisect import bisect_left
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from mldebt import yamlfile
from mldebt.yamlfile import UNBUILDABLE

MAX_BYTES = 2 * 1024 * 1024
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", "site-packages"}


class ConfigError(Exception):
    """A file that could not be read or parsed; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class YDict(dict[Any, Any]):
    """A mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        lines: dict[Any, int] = getattr(self, "key_lines", {})  # only YAML mappings know their keys' lines
        return lines.get(key, self.line)


class YList(list[Any]):
    """A sequence that remembers its own line."""

    line: int = 0


def scalar(value: Any) -> str | None:
    """``value`` as text when it is a scalar; None for mappings and lists (which may be alias bombs)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (str, int, float)) else None


def mapping(value: Any) -> dict[Any, Any]:
    """``value`` itself when it is a mapping, else an empty one (a file may hold anything anywhere)."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    """``value`` itself when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def scalars(mapping: Any) -> dict[str, str]:
    """The scalar entries of a mapping, as text (nested values left out)."""
    if not isinstance(mapping, dict):
        return {}
    return {str(k): text for k, v in mapping.items() if (text := scalar(v)) is not None and scalar(k) is not None}


def line_of(value: Any, key: Any = None, default: int | None = None) -> int | None:
    """The line of ``value`` (or of ``key`` inside it), or ``default``."""
    if key is not None and isinstance(value, YDict):
        return value.line_of(key) or default
    return getattr(value, "line", None) or default


def walk(root: Path) -> Iterator[tuple[str, Path]]:
    """Every file below ``root`` that is not a link, sorted, without entering links or vendored folders.

    Top-down, a folder's files before its sub-folders (as ``os.walk``), from
    ``os.scandir`` entries, whose types need no further system call.
    """
    pending = [("", os.fspath(root))]
    while pending:
        rel, folder = pending.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            name = f"{rel}/{entry.name}" if rel else entry.name
            if is_dir:
                if entry.name not in SKIP_DIRS:
                    subfolders.append((name, entry.path))
            else:
                yield name, Path(entry.path)
        pending.extend(reversed(subfolders))


def read_text(root: Path, rel: str, max_bytes: int = MAX_BYTES) -> str:
    """The text of ``root/rel``; refuses links, paths outside ``root``, big and binary files."""
    return decode(read_bytes(root, rel, max_bytes))


def read_bytes(root: Path, rel: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of ``root/rel``; refuses links, paths outside ``root`` and big files."""
    path = root / rel
    try:
        parts = Path(rel).parts
        if Path(rel).is_absolute() or ".." in parts:
            raise ConfigError("path leaves the project tree")
        if any((root.joinpath(*parts[:i])).is_symlink() for i in range(1, len(parts) + 1)):
            raise ConfigError("symbolic link not followed")
        size = path.stat().st_size
        if size > max_bytes:
            raise ConfigError(f"larger than {max_bytes} bytes ({size})")
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("no such file") from None
    except IsADirectoryError:
        raise ConfigError("is a directory") from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}") from None


def decode(raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise ConfigError("binary content")
    return raw.decode("utf-8-sig", errors="replace")


# --- YAML -----------------------------------------------------------------

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]  # the base is picked at import: libyaml's when PyYAML has it
    """Safe loading; mappings and sequences keep their lines; timestamps stay text."""


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[YDict]:
    data = YDict()
    data.line = node.start_mark.line + 1
    yield data
    data.update(loader.construct_mapping(node))
    data.key_lines = {}
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = loader.construct_object(key_node)
            data.key_lines.setdefault(key, key_node.start_mark.line + 1)


def _construct_seq(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> Iterator[YList]:
    data = YList()
    data.line = node.start_mark.line + 1
    yield data
    data.extend(loader.construct_sequence(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
_Loader.add_constructor("tag:yaml.org,2002:binary", lambda loader, node: "<binary>")
_Loader.add_constructor(None, lambda loader, node: None)  # unknown tags (!Ref, !reference, ...) read as null


def load_yaml_all(text: str) -> list[Any]:
    """Every document of a YAML stream (``---`` separated), with lines."""
    try:
        return yamlfile.load_all(text, _Loader)  # within mldebt's limits on aliases and nesting
    except yamlfile.LimitError as exc:
        refused_at = exc.problem_mark
        raise ConfigError(f"YAML refused: {exc.problem}", refused_at.line + 1 if refused_at else None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"YAML syntax error: {problem}", mark.line + 1 if mark else None) from None
    except (yaml.YAMLError, RecursionError, *UNBUILDABLE) as exc:
        raise ConfigError(f"YAML error: {type(exc).__name__}: {str(exc)[:200]}") from None


def load_yaml(text: str) -> Any:
    """The first YAML document of ``text`` (None when empty)."""
    docs = load_yaml_all(text)
    return docs[0] if docs else None


# --- JSON -----------------------------------------------------------------


class JsonWithLines:
    """Decode JSON into YDict/YList whose ``line`` is where each object or array opens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        decoder = json.JSONDecoder()
        # parse_object, parse_array and scan_once are hooks of CPython's pure-Python decoder, which
        # typeshed leaves out (they are undocumented); the C scanner would not call them.
        plain_object, plain_array = decoder.parse_object, decoder.parse_array  # type: ignore[attr-defined]  # hooks typeshed omits

        def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[YDict, int]:
            value, end = plain_object(s_and_end, *args)
            out = YDict(value)
            out.line = self._line(s_and_end[1] - 1)
            return out, end

        def parse_array(s_and_end: tuple[str, int], scan_once: Callable[[str, int], Any]) -> tuple[YList, int]:
            value, end = plain_array(s_and_end, scan_once)
            out = YList(value)
            out.line = self._line(s_and_end[1] - 1)
            return out, end

        decoder.parse_object = parse_object  # type: ignore[attr-defined]  # a hook typeshed omits
        decoder.parse_array = parse_array  # type: ignore[attr-defined]  # a hook typeshed omits
        decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]  # a hook typeshed omits
        self.decoder = decoder

    def _line(self, offset: int) -> int:
        return bisect_left(self.newlines, offset) + 1

    def load(self) -> Any:
        try:
            return self.decoder.decode(self.text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON: {exc.msg}", exc.lineno) from None
        except RecursionError:
            raise ConfigError("JSON nested too deeply") from None


def load_json(text: str) -> Any:
    """JSON with the line of each object and array (see ``JsonWithLines``)."""
    return JsonWithLines(text.lstrip("\ufeff")).load()
