"""Repository collector: static evidence read from the project's files.

Files are only read, never imported or run: Python is parsed with ``ast``,
notebooks as JSON. Anything unreadable (too large, binary, bad syntax,
a symlink) becomes an error fact and the walk goes on.
"""
from __future__ import annotations

import ast
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .interface import Collector, Fact, Snapshot

MAX_FILE_BYTES = 2 * 1024 * 1024

LANGUAGES = {
    ".py": "Python", ".ipynb": "Jupyter Notebook", ".r": "R", ".scala": "Scala",
    ".java": "Java", ".kt": "Kotlin", ".sql": "SQL", ".sh": "Shell", ".bash": "Shell",
    ".js": "JavaScript", ".ts": "TypeScript", ".go": "Go", ".rs": "Rust",
    ".c": "C/C++", ".cc": "C/C++", ".cpp": "C/C++", ".h": "C/C++", ".hpp": "C/C++",
    ".jl": "Julia", ".cu": "CUDA",
}
LOCK_NAMES = {"poetry.lock", "Pipfile.lock", "pdm.lock", "uv.lock", "conda-lock.yml"}
CI_FILES = {".gitlab-ci.yml", ".circleci/config.yml", "azure-pipelines.yml", "Jenkinsfile"}
UPDATE_BOTS = {".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json",
               ".renovaterc", ".renovaterc.json"}
README_NAMES = {"README", "README.md", "README.rst"}
DEBT_MARKER = re.compile(r"\b(TODO|FIXME|HACK|XXX)\b")
TEST_FILE = re.compile(r"^(test_.*|.*_test)\.py$")
REQUIREMENTS_FILE = re.compile(r"^requirements.*\.txt$")
PINNED = re.compile(r"^[A-Za-z0-9._\-\[\],]+\s*===?\s*[^\s;,]+")


@dataclass
class _Tally:
    files: int = 0
    languages: Counter = field(default_factory=Counter)
    python_lines: int = 0
    notebooks: int = 0
    notebooks_with_outputs: int = 0
    test_files: int = 0
    test_functions: int = 0
    requirements: int = 0
    pinned: int = 0
    manifests: list[str] = field(default_factory=list)
    lockfiles: list[str] = field(default_factory=list)
    ci_configs: list[str] = field(default_factory=list)
    update_bot: bool = False
    readme: bool = False
    debt_markers: int = 0


class RepoCollector(Collector):
    name = "repo"
    keys = {
        "repo.files.total": "files in the project at the scanned commit",
        "repo.languages": "code files per language (the multiple-language smell)",
        "repo.python.files": "Python source files",
        "repo.python.lines": "lines of Python source",
        "repo.notebooks.count": "Jupyter notebooks",
        "repo.notebooks.with_outputs": "notebooks committed with cell outputs",
        "repo.tests.files": "Python test files (test_*.py, *_test.py)",
        "repo.tests.functions": "test functions and methods in those files",
        "repo.deps.manifests": "dependency manifests (requirements*.txt, pyproject.toml, ...)",
        "repo.deps.pinned_ratio": "share of requirements pinned to one version",
        "repo.deps.lockfiles": "lock files (poetry.lock, uv.lock, pip-compile output, ...)",
        "repo.deps.update_bot": "Dependabot or Renovate is configured",
        "repo.ci.configs": "CI configuration files",
        "repo.readme.present": "a top-level README",
        "repo.debt_markers.count": "TODO, FIXME, HACK and XXX markers in code and notebooks",
        "repo.files.skipped": "(error facts) files not read, with the reason",
        "repo.tests.unparsed": "(error facts) test files that do not parse",
        "repo.notebooks.unparsed": "(error facts) notebooks that are not JSON",
    }

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        tally = _Tally()
        for path, reason in snapshot.skipped:
            yield Fact.failure("repo.files.skipped", reason, path=path)
        for rel, full in _walk(snapshot.root):
            if full.is_symlink():
                yield Fact.failure("repo.files.skipped", "symbolic link not followed", path=rel)
                continue
            tally.files += 1
            yield from self._file(rel, full, tally)
        yield from _summary(tally)

    def _file(self, rel: str, full: Path, tally: _Tally) -> Iterator[Fact]:
        name = full.name
        suffix = full.suffix.lower()
        if suffix in LANGUAGES:
            tally.languages[LANGUAGES[suffix]] += 1
        if rel in UPDATE_BOTS:
            tally.update_bot = True
        if "/" not in rel and name in README_NAMES:
            tally.readme = True
        if rel in CI_FILES or (rel.startswith(".github/workflows/") and rel.count("/") == 2
                               and suffix in (".yml", ".yaml")):
            tally.ci_configs.append(rel)
        is_requirements = bool(REQUIREMENTS_FILE.match(name))
        if is_requirements or name in {"pyproject.toml", "setup.cfg", "setup.py", "Pipfile",
                                       "environment.yml", "environment.yaml"}:
            tally.manifests.append(rel)
        if name in LOCK_NAMES or (suffix == ".lock" and name != "dvc.lock"):
            tally.lockfiles.append(rel)
        if suffix not in (".py", ".ipynb") and not is_requirements:
            return
        try:
            size = full.stat().st_size
            if size > MAX_FILE_BYTES:
                yield Fact.failure("repo.files.skipped", f"larger than {MAX_FILE_BYTES} bytes ({size})", path=rel)
                return
            raw = full.read_bytes()
        except OSError as exc:
            yield Fact.failure("repo.files.skipped", f"cannot read: {exc.strerror}", path=rel)
            return
        if b"\x00" in raw[:8192]:
            yield Fact.failure("repo.files.skipped", "binary content", path=rel)
            return
        text = raw.decode("utf-8", errors="replace")
        if suffix == ".py":
            tally.debt_markers += len(DEBT_MARKER.findall(text))
            tally.python_lines += text.count("\n") + (0 if text.endswith("\n") or not text else 1)
            if TEST_FILE.match(name):
                tally.test_files += 1
                yield from _test_functions(rel, text, tally)
        elif suffix == ".ipynb":
            tally.notebooks += 1
            yield from _notebook(rel, text, tally)
        else:
            _requirements(text, tally)
            if "--hash=" in text or "autogenerated by pip-compile" in text:
                tally.lockfiles.append(rel)


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    """Every file below root, sorted, without entering .git or following links."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        base = Path(dirpath)
        for filename in sorted(filenames):
            full = base / filename
            yield full.relative_to(root).as_posix(), full


def _test_functions(rel: str, text: str, tally: _Tally) -> Iterator[Fact]:
    try:
        tree = ast.parse(text, filename=rel)
    except (SyntaxError, ValueError) as exc:
        yield Fact.failure("repo.tests.unparsed", f"Python syntax error: {getattr(exc, 'msg', exc)}",
                           path=rel, line=getattr(exc, "lineno", None))
        return
    funcs = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, funcs) and node.name.startswith("test"):
            tally.test_functions += 1
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            tally.test_functions += sum(
                1 for item in node.body if isinstance(item, funcs) and item.name.startswith("test")
            )


def _notebook(rel: str, text: str, tally: _Tally) -> Iterator[Fact]:
    try:
        notebook = json.loads(text)
        cells = notebook.get("cells", []) if isinstance(notebook, dict) else []
    except json.JSONDecodeError as exc:
        yield Fact.failure("repo.notebooks.unparsed", f"not valid notebook JSON: {exc.msg}",
                           path=rel, line=exc.lineno)
        return
    cells = [c for c in cells if isinstance(c, dict)]
    if any(c.get("cell_type") == "code" and c.get("outputs") for c in cells):
        tally.notebooks_with_outputs += 1
    for cell in cells:  # markers in the cells' own text, not in the JSON encoding of it
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        tally.debt_markers += len(DEBT_MARKER.findall(text))


def _requirements(text: str, tally: _Tally) -> None:
    for raw_line in text.splitlines():
        line = raw_line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        tally.requirements += 1
        tally.pinned += bool(PINNED.match(line))


def _summary(t: _Tally) -> Iterator[Fact]:
    yield Fact("repo.files.total", t.files)
    yield Fact("repo.languages", dict(sorted(t.languages.items())))
    yield Fact("repo.python.files", t.languages.get("Python", 0))
    yield Fact("repo.python.lines", t.python_lines)
    yield Fact("repo.notebooks.count", t.notebooks)
    yield Fact("repo.notebooks.with_outputs", t.notebooks_with_outputs)
    yield Fact("repo.tests.files", t.test_files)
    yield Fact("repo.tests.functions", t.test_functions)
    yield Fact("repo.deps.manifests", sorted(t.manifests))
    if t.requirements:
        yield Fact("repo.deps.pinned_ratio", round(t.pinned / t.requirements, 2))
    yield Fact("repo.deps.lockfiles", sorted(set(t.lockfiles)))
    yield Fact("repo.deps.update_bot", t.update_bot)
    yield Fact("repo.ci.configs", sorted(t.ci_configs))
    yield Fact("repo.readme.present", t.readme)
    yield Fact("repo.debt_markers.count", t.debt_markers)
