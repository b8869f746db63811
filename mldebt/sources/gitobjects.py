"""Reading a commit's trees and blobs from git's object store, object by object, when some objects are gone.

A repository copied in part (a blob-less partial clone whose source is gone,
a damaged or incomplete copy of ``.git``) lacks some objects. Git's own
commands stop at the first of them (``ls-tree -r`` at a missing folder,
``cat-file --batch`` at a damaged object), which would lose the whole scan.
Here each missing object costs only itself: ``listing`` reads a tree with one
``ls-tree -r`` and, only when that fails, walks it folder by folder, reporting
each folder it cannot read; ``read_objects`` reads objects through one
``cat-file --batch`` and reports each it cannot read, starting git again when
a damaged object made it stop.

Git never fetches a missing object here: reads go through a stand-in git
directory whose configuration names no promisor remote (``gitlocate.shadow``),
and ``GIT_NO_LAZY_FETCH`` says so again to git versions that know it.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from mldebt.sources.gitrun import GitError, batch, run

UNREADABLE = "unreadable"  # every reason given for a missing or damaged object starts with this word
UNREADABLE_FOLDER = f"{UNREADABLE} folder"
WHY = "missing or damaged (a partial or damaged copy of the repository)"
MAX_TREE_BYTES = 64 * 1024 * 1024  # a tree object larger than this is treated as unreadable
MAX_ENTRIES = 5_000_000  # a walk that finds more stops (a tree repeating one folder under many names)
DRAIN_CHUNK = 1024 * 1024


def unreadable_file(oid: str) -> str:
    return f"{UNREADABLE}: git object {oid[:12]} is {WHY}"


def unreadable_folder(oid: str) -> str:
    return f"{UNREADABLE_FOLDER}: git tree {oid[:12]} is {WHY}; nothing under it was scanned"


def is_unreadable(reason: str) -> bool:
    """Whether a skipped path's reason says its git object could not be read."""
    return reason.startswith(UNREADABLE)


@dataclass(frozen=True)
class Entry:
    mode: str
    kind: str  # blob, tree or commit (a submodule)
    oid: str
    size: int | None  # None when unknown (not asked for, or the blob cannot be read)
    path: bytes  # relative to the listed tree


@dataclass
class Listing:
    """Every entry below a tree, and the folders (path, tree id) whose tree object cannot be read."""

    entries: list[Entry] = field(default_factory=list)
    unreadable: list[tuple[bytes, str]] = field(default_factory=list)


def listing(repo: Path, tree: str, sizes: bool = False) -> Listing:
    """The files below ``tree`` (with blob sizes when ``sizes``); a folder that cannot be read is listed as such.

    GitError when ``tree`` itself cannot be read.
    """
    args = ["ls-tree", "-r", "-z", "--full-tree", *(["-l"] if sizes else []), tree]
    proc = run(args, repo)
    if proc.returncode == 0:
        return Listing([_entry(record, sizes) for record in proc.stdout.split(b"\0") if record])
    found = _walk(repo, tree)
    if found.unreadable and found.unreadable[0][0] == b"":
        raise GitError(f"cannot list tree {tree[:12]}: {proc.stderr.decode(errors='replace').strip()[-200:]}")
    return found


def _entry(record: bytes, sizes: bool) -> Entry:
    head, _, path = record.partition(b"\t")
    fields = head.decode().split()
    size = int(fields[3]) if sizes and fields[3].isdigit() else None  # "BAD" for a blob that cannot be read
    return Entry(fields[0], fields[1], fields[2], size, path)


def _walk(repo: Path, tree: str) -> Listing:
    """The listing read one folder at a time (breadth first, one ``cat-file --batch`` per depth)."""
    found = Listing()
    level = [(b"", tree)]
    while level:
        wanted = list(dict.fromkeys(oid for _, oid in level))  # a folder repeated under many names is read once
        objects = {oid: (kind, data) for oid, kind, _, data in read_objects(repo, wanted, MAX_TREE_BYTES)}
        below: list[tuple[bytes, str]] = []
        for prefix, oid in level:
            kind, data = objects[oid]
            children = _parse_tree(data, len(oid) // 2) if kind == "tree" and data is not None else None
            if children is None:
                found.unreadable.append((prefix, oid))
                continue
            for mode, name, child in children:
                path = prefix + b"/" + name if prefix else name
                if mode == "040000":
                    below.append((path, child))
                else:
                    found.entries.append(Entry(mode, "commit" if mode == "160000" else "blob", child, None, path))
            if len(found.entries) + len(below) > MAX_ENTRIES:
                raise GitError(f"cannot list tree {tree[:12]}: more than {MAX_ENTRIES} entries")
        level = below
    found.entries.sort(key=lambda e: e.path)
    return found


def _parse_tree(data: bytes, oid_bytes: int) -> list[tuple[str, bytes, str]] | None:
    """(mode, name, object id) of each entry of a raw tree object; None when it is malformed."""
    children = []
    pos = 0
    try:
        while pos < len(data):
            space = data.index(b" ", pos)
            nul = data.index(b"\0", space)
            oid = data[nul + 1 : nul + 1 + oid_bytes]
            if len(oid) != oid_bytes:
                return None
            children.append((data[pos:space].decode("ascii").zfill(6), data[space + 1 : nul], oid.hex()))
            pos = nul + 1 + oid_bytes
    except (ValueError, UnicodeDecodeError):
        return None
    return children


class _Stopped(GitError):
    """git stopped while handing over one object (a damaged object ends ``cat-file --batch``)."""


def read_objects(repo: Path, oids: Iterable[str], limit: int) -> Iterator[tuple[str, str | None, int, bytes | None]]:
    """(id, type, size, content) of each object, in order.

    The type is None when the object cannot be read; the content is None when
    it is larger than ``limit`` bytes. A damaged object stops git: it is
    reported unreadable and git starts again for the objects after it.
    GitError when git runs past its deadline.
    """
    todo = list(oids)
    at = 0
    while at < len(todo):
        try:
            with batch(["cat-file", "--batch"], repo) as proc, _feeding(proc, todo[at:]):
                assert proc.stdout is not None
                while at < len(todo):
                    oid = todo[at]
                    kind, size, data = _next_object(proc.stdout, oid, limit)
                    at += 1
                    yield oid, kind, size, data
        except _Stopped:
            at += 1
            yield todo[at - 1], None, 0, None


@contextmanager
def _feeding(proc: subprocess.Popen[bytes], oids: list[str]) -> Iterator[None]:
    """``oids`` written to git's input by a thread while the block reads its output: no round trip per object.

    Leaving the block early stops git (the thread's write then fails) and
    waits for the thread, so git's input is closed only once nobody writes it.
    """
    assert proc.stdin is not None
    fd = proc.stdin.fileno()
    payload = memoryview("".join(f"{oid}\n" for oid in oids).encode())

    def feed() -> None:
        done = 0
        with suppress(OSError):  # git stopped: a damaged object, the deadline, or the block left early
            while done < len(payload):
                done += os.write(fd, payload[done:])

    writer = threading.Thread(target=feed, name="git-cat-file-input", daemon=True)
    writer.start()
    try:
        yield
    finally:
        if writer.is_alive():
            proc.kill()
        writer.join()


def _next_object(out: IO[bytes], oid: str, limit: int) -> tuple[str | None, int, bytes | None]:
    header = out.readline().split()
    if header[:1] != [oid.encode()]:
        raise _Stopped(oid)
    if header[1:] == [b"missing"]:
        return None, 0, None
    if len(header) != 3 or not header[2].isdigit():
        raise _Stopped(oid)
    size = int(header[2])
    data: bytes | None = None
    if size > limit:
        left = size
        while left > 0:
            chunk = out.read(min(left, DRAIN_CHUNK))
            if not chunk:
                raise _Stopped(oid)
            left -= len(chunk)
    else:
        data = out.read(size)
        if len(data) != size:
            raise _Stopped(oid)
    if out.read(1) != b"\n":
        raise _Stopped(oid)
    return header[1].decode(), size, data
