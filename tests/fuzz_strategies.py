"""Hypothesis strategies for fuzzing mldebt's loaders and parsers, and the harness that runs a collector.

Inputs come in three shapes: structured documents built from each format's
own vocabulary (near-valid YAML, JSON, XML, TOML, INI, Python, requirement
lines), the same documents with their text mutated, and mutations of real
files (the shared corpus and the sample projects).

The ``mldebt-fuzz`` profile bounds the number of examples for CI (30 per
target, derandomized, so the fuzz tests take about half a minute in all);
set ``MLDEBT_FUZZ_EXAMPLES`` (e.g. 5000) for a long local run, which also
turns off derandomization so each long run explores new inputs. For
coverage-guided runs, see ``tests/fuzz_atheris.py``.
"""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from mldebt.collectors.interface import Fact, Snapshot
from mldebt.collectors.registry import COLLECTORS
from mldebt.store.db import to_json

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("MLDEBT_CORPUS") or ROOT.parent / "shared" / "corpus")
LONG_RUN = "MLDEBT_FUZZ_EXAMPLES" in os.environ

settings.register_profile(
    "mldebt-fuzz",
    max_examples=int(os.environ.get("MLDEBT_FUZZ_EXAMPLES", "30")),
    deadline=None,
    derandomize=not LONG_RUN,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FUZZ = settings.get_profile("mldebt-fuzz")

# Pieces that break parsers: YAML anchors, tags and merge keys, control characters, BOMs, odd quotes.
NASTY = [
    "\x00",
    "\ufeff",
    "\t",
    "\r",
    "\r\n",
    ":",
    ": ",
    "- ",
    "? ",
    "{",
    "}",
    "[",
    "]",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!python/object:os.system ",
    "!!binary ",
    "!!timestamp ",
    "!!float ",
    "!!int ",
    "!!bool ",
    "!!set ",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "'",
    '"',
    "\\",
    "#",
    "|\n",
    ">-\n",
    "\n  ",
    "\n    - ",
    "=",
    "==",
    ">=",
    "~=",
    "@",
    ";",
    "${{ ",
    " }}",
    "{{",
    "}}",
    "$(",
    "`",
    "<",
    ">",
    "&",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE x [<!ENTITY e 'x'>]>",
    "&e;",
    "&amp;",
    '<?xml version="1.0" encoding="x-none"?>',
    '<?xml version="1.1"?>',
    "\u2028",
    "\udcff",
    "é",
    "\U0001f600",
    "1e309",
    "-0",
    "0x1F",
    "9" * 40,
    "null",
    "true",
    "~",
]


def seeds(*patterns: str) -> list[bytes]:
    """The bytes of real files matching ``patterns`` (globs under the corpus or the repository)."""
    found: list[bytes] = []
    for pattern in patterns:
        root, glob = (CORPUS, pattern[len("corpus:") :]) if pattern.startswith("corpus:") else (ROOT, pattern)
        found += [p.read_bytes()[:200_000] for p in sorted(root.glob(glob)) if p.is_file()]
    return found


def scalars(words: Iterable[str] = ()) -> st.SearchStrategy[Any]:
    pool = sorted(set(words)) or ["x"]
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**64),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=24),
        st.sampled_from(pool),
        st.sampled_from(NASTY),
        st.dates().map(str),
        st.sampled_from(pool).map(lambda w: f"{w} {w}"),
    )


def trees(keys: Iterable[str], words: Iterable[str] = (), leaves: int = 30) -> st.SearchStrategy[Any]:
    """Nested mappings and lists keyed mostly by the format's own vocabulary."""
    names = sorted(set(keys)) or ["x"]
    key = st.one_of(st.sampled_from(names), st.sampled_from(names), st.text(max_size=8), st.integers(-3, 3))
    return st.recursive(
        scalars(words),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=6)),
        max_leaves=leaves,
    )


def mappings(keys: Iterable[str], words: Iterable[str] = ()) -> st.SearchStrategy[dict]:
    names = sorted(set(keys))
    return st.dictionaries(st.sampled_from(names), trees(names, words), min_size=1, max_size=8)


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=False)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes]) -> bytes:
    """``base`` with one to five edits: cuts, deletions, insertions of nasty pieces, byte flips, repeated lines."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(1, 5))):
        size = len(data)
        at = draw(st.integers(0, size))
        op = draw(st.sampled_from(["cut", "delete", "insert", "flip", "repeat", "indent"]))
        if op == "cut":
            del data[at:]
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "insert":
            piece = draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)))
            data[at:at] = piece.encode("utf-8", "surrogatepass")
        elif op == "flip" and size:
            data[min(at, size - 1)] = draw(st.integers(0, 255))
        elif op == "repeat":
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = size if end < 0 else end + 1
            data[end:end] = bytes(data[start:end]) * draw(st.integers(1, 3))
        elif op == "indent":
            start = data.rfind(b"\n", 0, at) + 1
            data[start:start] = b" " * draw(st.integers(1, 5))
    return bytes(data)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, prefix + (index,))
    return found


@st.composite
def reshaped(draw: st.DrawFn, real: list[Any], keys: Iterable[str], words: Iterable[str] = ()) -> Any:
    """A real document (already parsed) with a few values replaced by generated ones, dropped or doubled."""
    doc = json.loads(json.dumps(draw(st.sampled_from(real)), default=str))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        op = draw(st.sampled_from(["replace", "replace", "drop", "double"]))
        if op == "replace":
            parent[last] = draw(trees(keys, words, leaves=8))
        elif op == "drop":
            del parent[last]
        elif isinstance(parent, list):
            parent.insert(last, json.loads(json.dumps(parent[last])))
        else:
            parent[f"{last}_2" if isinstance(last, str) else last + 1] = parent[last]
    return doc


def parsed_yaml(files: list[bytes]) -> list[Any]:
    out = []
    for data in files:
        try:
            out.append(yaml.safe_load(data))
        except yaml.YAMLError:
            continue
    return [d for d in out if isinstance(d, (dict, list))]


def parsed_json(files: list[bytes]) -> list[Any]:
    out = []
    for data in files:
        try:
            out.append(json.loads(data))
        except ValueError:
            continue
    return [d for d in out if isinstance(d, (dict, list))]


def documents(structured: st.SearchStrategy[str], real: list[bytes] = ()) -> st.SearchStrategy[bytes]:
    """Structured documents, the same mutated, and mutated real files (when there are any)."""
    encoded = structured.map(lambda text: text.encode("utf-8", "surrogatepass"))
    shapes = [encoded, mutated(encoded)]
    if real:
        shapes += [mutated(st.sampled_from(list(real))), st.sampled_from(list(real))]
    return st.one_of(*shapes)


def yaml_documents(keys: Iterable[str], words: Iterable[str] = (), real: list[bytes] = ()) -> st.SearchStrategy[bytes]:
    shapes = [mappings(keys, words)]
    if parsed := parsed_yaml(real):
        shapes += [reshaped(parsed, keys, words)] * 2
    return documents(st.one_of(*shapes).map(_yaml), real)


def json_documents(keys: Iterable[str], words: Iterable[str] = (), real: list[bytes] = ()) -> st.SearchStrategy[bytes]:
    shapes = [mappings(keys, words), trees(keys, words)]
    if parsed := parsed_json(real):
        shapes += [reshaped(parsed, keys, words)] * 2
    return documents(st.one_of(*shapes).map(_json), real)


@st.composite
def _elements(draw: st.DrawFn, tags: list[str], attrs: list[str], depth: int = 0) -> ET.Element:
    element = ET.Element(draw(st.sampled_from(tags)))
    for name in draw(st.lists(st.sampled_from(attrs), max_size=5, unique=True)):
        element.set(
            name,
            str(
                draw(
                    st.one_of(
                        st.integers(-5, 10**6),
                        st.floats(allow_nan=True),
                        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
                    )
                )
            ),
        )
    if draw(st.booleans()):
        element.text = draw(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
    if depth < 4:
        element.extend(draw(st.lists(_elements(tags, attrs, depth + 1), max_size=4)))
    return element


def xml_documents(tags: Iterable[str], attrs: Iterable[str], real: list[bytes] = ()) -> st.SearchStrategy[bytes]:
    structured = _elements(sorted(set(tags)), sorted(set(attrs))).map(
        lambda e: '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(e, encoding="unicode")
    )
    return documents(structured, real)


def lines(pieces: Iterable[str], real: list[bytes] = (), joiner: str = "\n") -> st.SearchStrategy[bytes]:
    """Text made of lines drawn from ``pieces`` (with random indentation), e.g. requirements or Python."""
    pool = sorted(set(pieces))
    line = st.tuples(st.sampled_from(["", "", "    ", "        ", "\t"]), st.sampled_from(pool)).map("".join)
    return documents(st.lists(line, min_size=1, max_size=25).map(joiner.join), real)


def run_collector(name: str, files: dict[str, bytes], sources: dict[str, Any] | None = None) -> list[Fact]:
    """Lay ``files`` out in a fresh folder and run one collector over it; every fact must be storable."""
    with tempfile.TemporaryDirectory(prefix="mldebt-fuzz-") as tmp:
        root = Path(tmp)
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        snapshot = Snapshot(project="fuzz", root=root, sources=sources or {}, as_of=datetime(2026, 6, 30, tzinfo=UTC))
        facts = list(COLLECTORS[name]().collect(snapshot))
    for fact in facts:
        assert isinstance(fact, Fact) and isinstance(fact.key, str), fact
        assert fact.error is None or isinstance(fact.error, str), fact
        assert fact.line is None or isinstance(fact.line, int), fact
        to_json(fact.value)  # the store must be able to keep it
    return facts


def raises_only(errors: tuple[type[BaseException], ...], call: Callable[[], Any]) -> Any:
    """Run ``call``; our own error types are the expected outcome of bad input, anything else fails the test."""
    try:
        return call()
    except errors:
        return None
