"""Load YAML and remember where every value came from.

Validation errors must name the file, the line and the key. PyYAML's composed
node tree carries marks; we walk it beside the constructed data and keep the
line and column of every key and value by its path (a tuple of keys and list
indexes). Duplicate keys, which PyYAML accepts silently, are reported.

This is also the one YAML loader of mldebt: every YAML text, the user's or a
scanned repository's, goes through a loader bounded here. A short file whose
aliases stand for hundreds of millions of values (a "billion laughs" alias bomb),
an alias inside the value it names, or nesting deeper than ``MAX_DEPTH`` is
refused with ``LimitError`` (a ``yaml.MarkedYAMLError``, so it carries the line)
while the events stream past, before anything walks the data.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mldebt.errors import InputError

if TYPE_CHECKING:
    from yaml._yaml import Mark as CMark  # libyaml's, present only where PyYAML was built with it

Path_ = tuple[str | int, ...]
MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 100  # nested mappings and sequences, aliases expanded
MAX_ALIAS_VALUES = 100_000  # values that the aliases of one stream stand for, counted as if expanded


class LimitError(yaml.MarkedYAMLError):
    """YAML refused because it nests too deeply or its aliases stand for too many values."""


class _Budget:
    """Watches a stream of parser events and raises LimitError past the limits.

    For each anchor it remembers how many values its node holds and how deep
    it nests, so every alias costs what its expansion would, without expanding.
    """

    def __init__(self) -> None:
        self.stack: list[list[Any]] = []  # open collections: [anchor, values, levels of collections]
        self.anchors: dict[str, tuple[int, int]] = {}
        self.expanded = 0

    def see(self, event: yaml.Event) -> None:
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(self.stack) >= MAX_DEPTH:
                self._refuse(f"nested deeper than {MAX_DEPTH} levels", event)
            self.stack.append([event.anchor, 1, 1])
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, values, height = self.stack.pop()
            if anchor is not None:
                self.anchors[anchor] = (values, height)
            self._add(values, height)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                self.anchors[event.anchor] = (1, 0)
            self._add(1, 0)
        elif isinstance(event, yaml.AliasEvent):
            if any(frame[0] == event.anchor for frame in self.stack):
                self._refuse(f"the alias *{event.anchor} is inside the value it names", event)
            # an undefined anchor costs one value: the composer reports it
            values, height = self.anchors.get(event.anchor, (1, 0)) if event.anchor is not None else (1, 0)
            self.expanded += values
            if self.expanded > MAX_ALIAS_VALUES:
                self._refuse(f"its aliases stand for more than {MAX_ALIAS_VALUES:,} values (an alias bomb?)", event)
            if len(self.stack) + height > MAX_DEPTH:
                self._refuse(f"nested deeper than {MAX_DEPTH} levels once the alias *{event.anchor} is expanded", event)
            self._add(values, height)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.anchors.clear()  # anchors do not cross documents; the alias budget is the stream's

    def _add(self, values: int, height: int) -> None:
        if self.stack:
            top = self.stack[-1]
            top[1] += values
            top[2] = max(top[2], height + 1)

    @staticmethod
    def _refuse(problem: str, event: yaml.Event) -> None:
        raise LimitError(problem=problem, problem_mark=_pure_mark(event.start_mark))


def _pure_mark(mark: yaml.error.Mark | CMark | None) -> yaml.error.Mark | None:
    """A libyaml event's mark as PyYAML's own: the same name, line and column, and the same text."""
    if mark is None or isinstance(mark, yaml.error.Mark):
        return mark
    return yaml.error.Mark(mark.name, mark.index, mark.line, mark.column, mark.buffer, mark.pointer)


class _Bounded:
    """Mixin for a pure-Python PyYAML loader: every event the composer takes is counted."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)  # type: ignore[call-arg]  # the loader class it is mixed into takes the stream
        self._budget = _Budget()

    def get_event(self) -> yaml.Event:
        event: yaml.Event = super().get_event()  # type: ignore[misc]  # a method of the loader it is mixed into
        self._budget.see(event)
        return event


class SafeLoader(_Bounded, yaml.SafeLoader):
    """PyYAML's safe loader within the limits; subclass it to add constructors."""


@functools.cache
def bounded(loader: type) -> type:
    """``loader`` (a PyYAML loader class) made to keep the limits; libyaml-based ones are checked beforehand."""
    if issubclass(loader, _Bounded) or _is_libyaml(loader):
        return loader
    return type(f"Bounded{loader.__name__}", (_Bounded, loader), {})


def _is_libyaml(loader: type) -> bool:
    parser = getattr(getattr(yaml, "cyaml", None), "CParser", None)
    return parser is not None and issubclass(loader, parser)


def check(text: str, loader: type = yaml.SafeLoader) -> None:
    """Raise LimitError if ``text`` is past the limits, reading only its events with ``loader``'s parser.

    libyaml composes documents in C, where no Python hook sees the events and
    deep nesting overflows the C stack (a crash, not an exception); so its
    loaders have the stream checked by this pass first.
    """
    budget = _Budget()
    parser = loader(text)
    try:
        while (event := parser.get_event()) is not None:
            budget.see(event)
            if isinstance(event, yaml.StreamEndEvent):
                break
    finally:
        parser.dispose()


def load_all(text: str, loader: type = SafeLoader) -> list[Any]:
    """Every document of a YAML stream, built by ``loader`` within the limits.

    Raises ``yaml.YAMLError`` (``LimitError`` past the limits) and whatever
    ``loader``'s constructors raise for a value they cannot build (UNBUILDABLE).
    """
    if _is_libyaml(loader):
        check(text, loader)
    instance = bounded(loader)(text)
    try:
        docs = []
        while instance.check_data():
            docs.append(instance.get_data())
        return docs
    finally:
        instance.dispose()


def safe_load(text: str) -> Any:
    """The single YAML document of ``text`` (None when empty), as ``yaml.safe_load`` builds it, within the limits."""
    instance = SafeLoader(text)
    try:
        return instance.get_single_data()
    finally:
        instance.dispose()


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


def _composed_by_libyaml(text: str) -> tuple[yaml.Node | None, Any] | None:
    """The document's node tree and data composed by libyaml, or None when that did not work out.

    libyaml composes a file about twenty times faster than PyYAML's own Python
    code (the built-in rubric: 0.01 s against 0.2 s, on every command that
    scores). Its nodes carry the same line and column marks. The stream is
    checked within the limits first (``check``). Any problem, or no libyaml,
    gives None: the caller then reads the text the pure-Python way, which
    reports the error with its usual words and position.
    """
    loader_class = getattr(yaml, "CSafeLoader", None)
    if loader_class is None:
        return None
    try:
        check(text, loader_class)
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            return node, (loader.construct_document(node) if node is not None else None)
        finally:
            loader.dispose()
    except (yaml.YAMLError, *UNBUILDABLE, RecursionError):
        return None


def parse(text: str, path: Path | str = "<string>") -> Document:
    path = Path(path)
    fast = _composed_by_libyaml(text)
    if fast is not None:
        return _located(path, *fast)
    loader = None
    node = None
    try:
        loader = SafeLoader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except LimitError as exc:
        mark = exc.problem_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise InputError(f"{path}:{where}: YAML refused: {exc.problem}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise InputError(f"{path}:{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:  # e.g. a reader error on control characters
        raise InputError(f"{path}: YAML error: {exc}") from None
    except UNBUILDABLE as exc:  # a scalar PyYAML cannot build, e.g. the date 2026-13-01
        scalar = _bad_scalar(node) if node is not None else None
        at = f"{scalar[0]}:{scalar[1]}:" if scalar else ""
        raise InputError(f"{path}:{at} YAML value error: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: YAML nests too deeply (a self-referencing alias?)") from None
    finally:
        if loader is not None:
            loader.dispose()
    return _located(path, node, data)


def _located(path: Path, node: yaml.Node | None, data: Any) -> Document:
    """The document with the position of every key and value; duplicate keys are its problems."""
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
