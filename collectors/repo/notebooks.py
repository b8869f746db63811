"""Jupyter notebooks read as JSON: cells, committed outputs, and their code as one module.

Also finds notebooks that production code runs or imports: papermill,
nbconvert or nbclient calls naming an ``.ipynb`` (from the code summaries and
from shell scripts and Makefiles), and imports through notebook importers.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mldebt.collectors.code import patterns as P
from mldebt.collectors.interface import Fact

MAX_NOTEBOOK_BYTES = 16 * 1024 * 1024  # notebooks carry their outputs (images); read larger ones than code


@dataclass
class Notebook:
    rel: str
    size: int
    cells: int
    has_outputs: bool
    markers: dict[str, int]  # debt markers by kind, in the cells' text (not in the JSON encoding of it)
    lines: int
    code: list[str]  # the code cells' sources


def read(rel: str, text: str, size: int) -> Notebook | Fact:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return Fact.failure("repo.notebooks.unparsed", f"not valid notebook JSON: {exc.msg}", path=rel, line=exc.lineno)
    except RecursionError:
        return Fact.failure("repo.notebooks.unparsed", "not valid notebook JSON: nested too deeply", path=rel)
    raw_cells = doc.get("cells", []) if isinstance(doc, dict) else []
    cells = [c for c in raw_cells if isinstance(c, dict)] if isinstance(raw_cells, list) else []
    sources = [_source(c) for c in cells]
    code = [s for c, s in zip(cells, sources) if c.get("cell_type") == "code"]
    return Notebook(
        rel=rel,
        size=size,
        cells=len(cells),
        has_outputs=any(c.get("cell_type") == "code" and c.get("outputs") for c in cells),
        markers=dict(Counter(m for s in sources for m in P.DEBT_MARKER.findall(s))),
        lines=sum(s.count("\n") + 1 for s in sources if s),
        code=code,
    )


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(str(part) for part in source) if isinstance(source, list) else str(source)


def used_by_code(
    notebooks: set[str], summaries: dict[str, dict[str, Any]], tests: set[str], scripts: dict[str, str]
) -> list[tuple[str, int | None, str]]:
    """(path, line, what) for each place where non-test code runs or imports a notebook."""
    stems = {nb.rsplit("/", 1)[-1][:-6]: nb for nb in notebooks}
    found = []
    for rel, summary in summaries.items():
        if rel in tests or rel in notebooks:
            continue
        for line, target, how in summary.get("found", {}).get("notebook_refs", ()):
            found.append((rel, line, f"{how} {target}"))
        if set(summary.get("roots", ())) & P.NOTEBOOK_IMPORTERS:
            for name in summary.get("imports", ()):
                if name.rsplit(".", 1)[-1] in stems:
                    found.append((rel, None, f"imports {stems[name.rsplit('.', 1)[-1]]}"))
    for rel, text in scripts.items():
        for match in P.NOTEBOOK_RUNNER.finditer(text):
            found.append((rel, text.count("\n", 0, match.start()) + 1, f"runs {match.group(0)[-80:]}"))
    return sorted(found, key=lambda f: (f[0], f[1] or 0))


def facts(notebooks: list[Notebook], used: list[tuple[str, int | None, str]]) -> Iterator[Fact]:
    yield Fact("repo.notebooks.count", len(notebooks))
    yield Fact("repo.notebooks.bytes", sum(nb.size for nb in notebooks))
    with_outputs = sorted(nb.rel for nb in notebooks if nb.has_outputs)
    yield Fact("repo.notebooks.with_outputs", len(with_outputs))
    for rel in with_outputs[:20]:
        yield Fact("repo.notebooks.with_outputs.at", "committed with cell outputs", path=rel)
    yield Fact("repo.notebooks.used_by_code", len(used))
    for rel, line, what in used[:20]:
        yield Fact("repo.notebooks.used_by_code.at", what, path=rel, line=line)


KEYS = {
    "repo.notebooks.count": "Jupyter notebooks",
    "repo.notebooks.bytes": "total size of the notebooks (outputs included)",
    "repo.notebooks.with_outputs": "notebooks committed with cell outputs",
    "repo.notebooks.with_outputs.at": "one fact per notebook committed with outputs (at most 20)",
    "repo.notebooks.used_by_code": "places where production code runs or imports a notebook",
    "repo.notebooks.used_by_code.at": "where: one fact per place (at most 20)",
    "repo.notebooks.unparsed": "(error facts) notebooks that are not JSON",
}
