"""Listing and reading the files of an untrusted project folder.

The walk never follows a link, never leaves the folder, stops at a depth
limit and turns every unreadable entry into an error fact instead of raising.
Reads are capped in size, binary content is refused, and text that is not
UTF-8 is decoded with replacement characters and reported.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mldebt.collectors.interface import Fact

MAX_READ_BYTES = 1024 * 1024  # larger files are counted but not read
MAX_DEPTH = 48  # folders nested deeper are not entered
SKIPPED = "repo.files.skipped"

LANGUAGES = {
    ".py": "Python",
    ".ipynb": "Jupyter Notebook",
    ".r": "R",
    ".scala": "Scala",
    ".java": "Java",
    ".kt": "Kotlin",
    ".sql": "SQL",
    ".sh": "Shell",
    ".bash": "Shell",
    ".js": "JavaScript",
    ".ts": "TypeScript",
    ".go": "Go",
    ".rs": "Rust",
    ".c": "C/C++",
    ".cc": "C/C++",
    ".cpp": "C/C++",
    ".h": "C/C++",
    ".hpp": "C/C++",
    ".jl": "Julia",
    ".cu": "CUDA",
    ".m": "MATLAB",
    ".rb": "Ruby",
    ".php": "PHP",
    ".swift": "Swift",
    ".cs": "C#",
    ".pyx": "Cython",
    ".lua": "Lua",
    ".pl": "Perl",
    ".tf": "HCL",  # Terraform
    ".hcl": "HCL",
}


@dataclass(frozen=True)
class Entry:
    rel: str  # as facts show it: UTF-8, undecodable bytes escaped
    path: Path
    size: int

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        dot = self.name.rfind(".")
        return self.name[dot:].lower() if dot > 0 else ""

    @property
    def language(self) -> str | None:
        return LANGUAGES.get(self.suffix)


def display(rel: str) -> str:
    """A file-system name as facts show it (names that are not UTF-8 keep their bytes escaped)."""
    return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


def walk(root: Path) -> Iterator[Entry | Fact]:
    """Every regular file below root, sorted by path, or an error fact for what cannot be listed."""
    pending: list[tuple[str, int]] = [("", 0)]
    while pending:
        folder, depth = pending.pop()
        try:
            with os.scandir(root / folder if folder else root) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Fact.failure(SKIPPED, f"cannot list folder: {exc.strerror}", path=display(folder) or ".")
            continue
        subfolders = []
        for child in children:
            rel = f"{folder}/{child.name}" if folder else child.name
            try:
                info = child.stat(follow_symlinks=False)
            except OSError as exc:
                yield Fact.failure(SKIPPED, f"cannot read: {exc.strerror}", path=display(rel))
                continue
            if stat.S_ISLNK(info.st_mode):
                yield Fact.failure(SKIPPED, "symbolic link not followed", path=display(rel))
            elif stat.S_ISDIR(info.st_mode):
                if child.name == ".git" and not folder:
                    continue
                if depth + 1 > MAX_DEPTH:
                    yield Fact.failure(SKIPPED, f"nested deeper than {MAX_DEPTH} folders", path=display(rel))
                else:
                    subfolders.append((rel, depth + 1))
            elif stat.S_ISREG(info.st_mode):
                yield Entry(display(rel), Path(child.path), info.st_size)
            else:
                yield Fact.failure(SKIPPED, "not a regular file", path=display(rel))
        pending.extend(reversed(subfolders))


def read(entry: Entry, limit: int = MAX_READ_BYTES) -> bytes | Fact:
    """The file's bytes, or an error fact saying why they were not read."""
    if entry.size > limit:
        return Fact.failure(SKIPPED, f"larger than {limit} bytes ({entry.size})", path=entry.rel)
    try:
        fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return Fact.failure(SKIPPED, f"cannot read: {exc.strerror}", path=entry.rel)
    if len(data) > limit:
        return Fact.failure(SKIPPED, f"larger than {limit} bytes", path=entry.rel)
    if b"\x00" in data[:8192]:
        return Fact.failure(SKIPPED, "binary content", path=entry.rel)
    return data


def decode(data: bytes, rel: str) -> tuple[str, Fact | None]:
    """Text of a file; undecodable bytes become U+FFFD and an error fact names the first one."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        note = Fact.failure(
            "repo.files.undecodable",
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); read with replacement characters",
            path=rel,
            line=line,
        )
        return data.decode("utf-8", errors="replace"), note


def blob_id(data: bytes) -> str:
    """The git blob id of ``data``: the same key whether a file came from git or a plain folder."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def count_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
