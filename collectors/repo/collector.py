"""Repository collector: static evidence of ML debt read from the project's files.

Files are only read, never imported or run: Python is parsed with ``ast``,
notebooks as JSON, configuration with safe loaders. Anything unreadable (too
large, binary, not UTF-8, bad syntax, a link, too deeply nested) becomes an
error fact and the walk goes on.

The work is cached twice: each source file's summary by its blob id (a new
commit re-reads only what changed), and the whole result by the git id of the
project's tree (an unchanged commit is not read at all).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, replace
from typing import Any

from mldebt.collectors.code import configuration as code_configuration
from mldebt.collectors.code import facts as code_facts
from mldebt.collectors.code import libraries as code_libraries
from mldebt.collectors.code.heap import collector_paused
from mldebt.collectors.code.patterns import DEBT_MARKER
from mldebt.collectors.code.references import named_in_files
from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.repo import data as repo_data
from mldebt.collectors.repo import deps, history
from mldebt.collectors.repo import hygiene as repo_hygiene
from mldebt.collectors.repo import notebooks as repo_notebooks
from mldebt.collectors.repo import testfiles as repo_tests
from mldebt.collectors.repo.cache import Cache, code_version
from mldebt.collectors.repo.files import MAX_READ_BYTES, Entry, blob_id, count_lines, decode, read, walk
from mldebt.collectors.repo.tree import tree_id, unreadable

VERSION = code_version("repo/*.py", "code/*.py")  # the facts of a tree change only with this code
SMALL_FILE = 256 * 1024  # config files and READMEs read for hygiene facts
LINK = "symbolic link not followed"
SCRIPT_NAMES = {"Makefile", "makefile", "Justfile", "Dockerfile"}
GLUE_LANGUAGES = {"Shell"}  # scripts that start the program, not the program (Makefiles, Dockerfiles have no language)
PYTHON_MARKERS = {"TODO", "FIXME", "HACK", "XXX"}
NOT_PROGRAM_FOLDERS = {"docs", "doc", "site", "website", ".github"}  # a docs site's scripts, CI helpers
_KERNEL_LANGUAGE = re.compile(
    r'"(?:kernelspec"\s*:\s*\{[^{}]*?"language|language_info"\s*:\s*\{[^{}]*?"name)"\s*:\s*"([^"]{1,40})"'
)
_KERNELS = {"python": "Python", "python3": "Python", "r": "R", "scala": "Scala", "julia": "Julia", "sql": "SQL"}


class RepoCollector(Collector):
    name = "repo"
    keys = {
        "repo.files.total": "files in the project at the scanned commit",
        "repo.languages": "code files per language (the multiple-language smell)",
        "repo.languages.lines": "lines of code per language",
        "repo.languages.count": "number of programming languages with code in the project",
        "repo.languages.program": "languages of the project's own program code, glue left out (shell scripts, "
        "Makefiles, Dockerfiles); a notebook counts as its kernel's language (the multiple-language smell)",
        "repo.python.files": "Python source files",
        "repo.python.lines": "lines of Python source",
        "repo.python.modules": "Python source files that are not tests",
        "repo.debt_markers.count": "TODO, FIXME, HACK, XXX and KLUDGE markers in code and notebooks",
        "repo.debt_markers.density": "debt markers per thousand lines of code",
        "repo.debt_markers.kinds": "debt markers by kind",
        "repo.debt_markers.python": "TODO, FIXME, HACK and XXX markers in Python source files (.py) only",
        "repo.debt_markers.at": "where: one fact per marker (at most 20)",
        "repo.files.skipped": "(error facts) files not read, with the reason",
        "repo.files.undecodable": "(error facts) files that are not UTF-8, read with replacement characters",
        "repo.python.unparsed": "(error facts) Python files (not tests) that do not parse",
        **repo_notebooks.KEYS,
        **repo_tests.KEYS,
        **deps.SUMMARY_KEYS,
        **repo_hygiene.KEYS,
        **repo_data.KEYS,
        **code_facts.KEYS,
        **code_libraries.KEYS,
        **code_configuration.KEYS,
    }

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        cache = Cache()
        try:
            key = self._cache_key(snapshot)
            cached = cache.get(key) if key else None
            if cached is not None:
                yield from (Fact(**fact) for fact in cached)
                return
            facts = []
            with collector_paused():  # the file summaries it holds are millions of objects, none in a cycle
                for fact in _collect(snapshot, cache):
                    facts.append(fact)
                    yield fact
            if key:
                cache.put(key, [asdict(fact) for fact in facts])
        finally:
            cache.close()

    @staticmethod
    def kept(snapshot: Snapshot) -> bool:
        """Whether the facts of ``snapshot``'s tree are kept: collecting then reads them, and reads no file."""
        key = RepoCollector._cache_key(snapshot)
        if key is None:
            return False
        cache = Cache()
        try:
            return cache.has(key)
        finally:
            cache.close()

    @staticmethod
    def _cache_key(snapshot: Snapshot) -> str | None:
        if snapshot.git_dir is None or snapshot.commit is None or unreadable(snapshot):
            return None  # a layout missing unreadable files is not the tree's: never kept under its id
        tree = tree_id(snapshot)
        return f"repo:{VERSION}:{tree}" if tree else None


def _collect(snapshot: Snapshot, cache: Cache) -> Iterator[Fact]:
    # Only a tree not cached reads files: the analyser and its process pool load then, not at every start.
    from mldebt.collectors.code.batch import Job, summarise_project
    from mldebt.collectors.code.scan import notebook_code

    links = []  # symbolic links: never read or followed, but a link named Dockerfile still says there is one
    for path, reason in snapshot.skipped:
        yield Fact.failure("repo.files.skipped", reason, path=path)
        if reason == LINK:
            links.append(path)
    entries: list[Entry] = []
    for item in walk(snapshot.root):
        if isinstance(item, Fact):
            if item.error == LINK and item.path:
                links.append(item.path)
            yield item
        else:
            entries.append(item)
    by_rel = {e.rel: e for e in entries}
    small = _SmallFiles(by_rel)
    paths = sorted(by_rel)
    test_patterns = repo_tests.python_files(paths, small.text)
    languages: Counter[str] = Counter()
    program: set[str] = set()  # languages of the program code (glue left out)
    lines: Counter[str] = Counter()
    markers: list[tuple[str, int, str]] = []
    marker_count = 0
    marker_kinds: Counter[str] = Counter()
    jobs, notebooks, candidates, scripts = [], [], set(), {}
    hot = history.hotspot_candidates(snapshot, cache)  # git reads the log while the files are read below
    python_lines = 0
    for entry in entries:
        language = entry.language
        if language:
            languages[language] += 1
            if language not in GLUE_LANGUAGES and entry.suffix != ".ipynb" and not _outside_program(entry.rel):
                program.add(language)
        if entry.suffix not in (".py", ".ipynb") and not language and entry.name not in SCRIPT_NAMES:
            continue
        data = read(entry, repo_notebooks.MAX_NOTEBOOK_BYTES if entry.suffix == ".ipynb" else MAX_READ_BYTES)
        if isinstance(data, Fact):
            yield data
            continue
        text, note = _text(entry, data)
        if note:
            yield note
        if entry.suffix == ".py":
            python_lines += count_lines(data)
            candidate = repo_tests.is_candidate(entry.rel, test_patterns)  # a test file if it holds tests
            if candidate:
                candidates.add(entry.rel)
            jobs.append(Job(entry.rel, blob_id(data), text, is_test=candidate))
        elif entry.suffix == ".ipynb":
            notebook = repo_notebooks.read(entry.rel, text, entry.size)
            if isinstance(notebook, Fact):
                yield notebook
                continue
            notebooks.append(notebook)
            program.add(_notebook_language(text))
            if language:  # always: .ipynb is a known language
                lines[language] += notebook.lines
            marker_count += sum(notebook.markers.values())
            marker_kinds.update(notebook.markers)
            jobs.append(Job(entry.rel, blob_id(data), notebook_code(notebook.code), notebook=True))
        else:
            if language:
                lines[language] += count_lines(data)
                for match in DEBT_MARKER.finditer(text):
                    marker_count += 1
                    marker_kinds[match.group(1)] += 1
                    markers.append((entry.rel, text.count("\n", 0, match.start()) + 1, match.group(0)))
            if language == "Shell" or entry.name in SCRIPT_NAMES:
                scripts[entry.rel] = text
    measured = hot()  # hotspot candidates: measured on this parse, so the history need not parse them
    if measured:
        small_enough = {e.rel for e in entries if e.rel in measured and e.size <= history.MAX_COMPLEXITY_BYTES}
        jobs = [replace(job, complexity=True) if job.rel in small_enough and not job.notebook else job for job in jobs]
    summaries, dead = summarise_project(jobs, cache)
    try:
        named = named_in_files(paths, small.text)
        if dead is not None:
            dead.start(named)  # the process beside finds the dead code while the other facts are made here
        cache.put_many(
            {
                history.complexity_key(job.blob): summaries[job.rel]["complexity"]
                for job in jobs
                if job.complexity and summaries.get(job.rel, {}).get("complexity") is not None
            }
        )
        tests = {rel for rel in candidates if repo_tests.holds_tests(summaries.get(rel, {}))}
        notebook_paths = {nb.rel for nb in notebooks}
        python_markers = 0
        for rel, summary in sorted(summaries.items()):
            if rel in notebook_paths:
                continue
            marker_count += summary["markers"]["count"]
            marker_kinds.update(summary["markers"]["kinds"])
            python_markers += sum(n for kind, n in summary["markers"]["kinds"].items() if kind in PYTHON_MARKERS)
            markers.extend((rel, line, text) for line, text in summary["markers"]["at"])
            if "error" in summary and rel not in tests:
                error = summary["error"]
                yield Fact.failure("repo.python.unparsed", error["message"], path=rel, line=error["line"])
        lines["Python"] = python_lines if languages.get("Python") else 0
        yield Fact("repo.files.total", len(entries))
        yield Fact("repo.languages", dict(sorted(languages.items())))
        yield Fact("repo.languages.lines", {k: v for k, v in sorted(lines.items()) if k in languages})
        yield Fact("repo.languages.count", len([k for k in languages if k != "Jupyter Notebook"]))
        yield Fact("repo.languages.program", sorted(program))
        yield Fact("repo.python.files", languages.get("Python", 0))
        yield Fact("repo.python.lines", python_lines)
        yield Fact("repo.python.modules", sum(1 for e in entries if e.suffix == ".py" and e.rel not in tests))
        yield from repo_notebooks.facts(
            notebooks, repo_notebooks.used_by_code(notebook_paths, summaries, tests, scripts)
        )
        yield from repo_tests.facts(summaries, candidates, tests)
        code_lines = sum(lines.values())
        yield Fact("repo.debt_markers.count", marker_count)
        yield Fact("repo.debt_markers.density", round(1000 * marker_count / code_lines, 2) if code_lines else 0.0)
        yield Fact("repo.debt_markers.kinds", dict(sorted(marker_kinds.items())))
        yield Fact("repo.debt_markers.python", python_markers)
        for rel, line, text in sorted(markers)[:20]:
            yield Fact("repo.debt_markers.at", text, path=rel, line=line)
        yield from deps.summary_facts(paths, small.text)
        yield from repo_hygiene.facts(paths, small.text, links)
        yield from repo_data.facts(paths, small.text)
        yield from code_facts.facts(summaries, tests, notebook_paths, named, dead.found if dead is not None else None)
        yield from code_libraries.facts(summaries, tests)
        yield from code_configuration.facts(summaries, tests, paths, small.text)
        yield from small.errors
    finally:
        if dead is not None:
            dead.close()  # a scan that stops early: the process beside is not left running


def _outside_program(rel: str) -> bool:
    return "/" in rel and rel.split("/", 1)[0] in NOT_PROGRAM_FOLDERS


def _notebook_language(text: str) -> str:
    """A notebook's kernel language, from its metadata (at the end of the file, or at the start as Colab writes
    it); Python when it does not say."""
    found = _KERNEL_LANGUAGE.findall(text[-4000:]) or _KERNEL_LANGUAGE.findall(text[:4000])
    name = found[0].strip().lower() if found else "python"
    return _KERNELS.get(name, name.capitalize() or "Python")


def _text(entry: Entry, data: bytes) -> tuple[str, Fact | None]:
    """Decode a file; a Python file's own coding declaration (PEP 263) is honoured."""
    text, note = decode(data, entry.rel)
    if note is not None and entry.suffix == ".py":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            if encoding not in ("utf-8", "utf-8-sig"):
                return data.decode(encoding), None
        except (SyntaxError, LookupError, UnicodeDecodeError):
            pass
    return text, note


class _SmallFiles:
    """Reads small text files on demand (README, config) and keeps their error facts."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self.entries = entries
        self.errors: list[Fact] = []
        self._texts: dict[str, str | None] = {}

    def text(self, rel: str) -> str | None:
        if rel not in self._texts:
            entry = self.entries.get(rel)
            data: Any = read(entry, SMALL_FILE) if entry else None
            if isinstance(data, Fact):
                self.errors.append(data)
                data = None
            self._texts[rel] = decode(data, rel)[0] if data is not None else None
        return self._texts[rel]
