"""Load YAML and remember where every value came from.

Validation errors must name the file, the line and the key. PyYAML's composed
node tree carries marks; we walk it beside the constructed data and keep the
line and column of every key and value by its path (a tuple of keys and list
indexes). Duplicate keys, which PyYAML accepts silently, are reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from .errors import InputError

Path_ = tuple[str | int, ...]
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class Document:
    """A loaded YAML file: its data and the position of each path in it."""

    path: Path
    data: Any
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def where(self, loc: Iterable[str | int], *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the longest known prefix of ``loc``."""
        loc = tuple(loc)
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            table = self.keys if key and end == len(loc) else self.values
            if prefix in table:
                return table[prefix]
            if prefix in self.keys:
                return self.keys[prefix]
        return (1, 1)

    def message(self, loc: Iterable[str | int], text: str, *, key: bool = False) -> str:
        loc = tuple(loc)
        line, col = self.where(loc, key=key)
        return f"{self.path}:{line}:{col}: {dotted(loc) or '(top level)'}: {text}"


def dotted(loc: Iterable[str | int]) -> str:
    """Render a path the way a user reads it: ``teams[0].projects[1].repo``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load(path: Path | str, *, what: str = "YAML file") -> Document:
    """Read and parse ``path``; raise InputError naming file, line and column."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"{path}: {what} is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a {what}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return parse(text, path)


# What PyYAML's safe loader raises, besides YAMLError, for a scalar it cannot build: 2026-13-01 and
# !!int x (ValueError), an empty !!timestamp (AttributeError), !!bool maybe (KeyError), an empty !!float (IndexError).
UNBUILDABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError)


def parse(text: str, path: Path | str = "<string>") -> Document:
    path = Path(path)
    loader = None
    node = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise InputError(f"{path}:{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:  # e.g. a reader error on control characters
        raise InputError(f"{path}: YAML error: {exc}") from None
    except UNBUILDABLE as exc:  # a scalar PyYAML cannot build, e.g. the date 2026-13-01
        where = _bad_scalar(node) if node is not None else None
        at = f"{where[0]}:{where[1]}:" if where else ""
        raise InputError(f"{path}:{at} YAML value error: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: YAML nests too deeply (a self-referencing alias?)") from None
    finally:
        if loader is not None:
            loader.dispose()
    doc = Document(path=path, data=data)
    if node is not None:
        try:
            _walk(node, (), doc)
        except RecursionError:
            raise InputError(f"{path}: YAML nests too deeply (a self-referencing alias?)") from None
    if doc.problems:
        raise InputError(doc.problems[0], doc.problems)
    return doc


def _bad_scalar(root: yaml.Node) -> tuple[int, int] | None:
    """Line and column of the first scalar that PyYAML cannot construct."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                yaml.SafeLoader("").construct_object(node)
            except (*UNBUILDABLE, yaml.YAMLError):
                return _mark(node)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in reversed(node.value) for item in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _walk(node: yaml.Node, loc: Path_, doc: Document) -> None:
    doc.values.setdefault(loc, _mark(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.tag)
            if key == "<<":  # merge key: positions of merged values stay on the anchor
                continue
            if key in seen:
                line, col = _mark(key_node)
                doc.problems.append(f"{doc.path}:{line}:{col}: {dotted(loc + (key,))}: duplicate key")
            seen.add(key)
            doc.keys[loc + (key,)] = _mark(key_node)
            _walk(value_node, loc + (key,), doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, loc + (index,), doc)
