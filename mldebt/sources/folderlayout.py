"""Lay out a plain folder (no git) for a scan: only its regular files and folders, so nothing else is ever opened.

Collectors open files by name (``dvc.yaml``, ``requirements.txt``...); in the
scanned folder such a name may be a FIFO (opening it blocks forever), a
device (reading ``/dev/zero`` never ends) or a socket. The scan therefore reads
a copy of the folder's tree in the cache: each regular file hard-linked (no
data copied; copied when a link cannot be made, up to ``MAX_COPY_BYTES``),
each folder made anew, and everything else left out and listed as skipped,
as a git layout lists links and submodules. The copy is removed after the scan.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAX_DEPTH = 48  # as deep as the repository collector walks (collectors.repo_files.MAX_DEPTH)
MAX_COPY_BYTES = 8 * 1024 * 1024  # a file that cannot be linked is copied only up to this size


def _name(rel: str) -> str:
    return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


@contextmanager
def laid_out(folder: Path, base: Path) -> Iterator[tuple[Path, list[tuple[str, str]]]]:
    """(a folder holding ``folder``'s regular files, what was left out and why), removed afterwards."""
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="folder-", dir=base))
    try:
        root = work / "files"
        skipped = _copy(folder, root)
        yield root, skipped
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _copy(source: Path, dest: Path) -> list[tuple[str, str]]:
    skipped: list[tuple[str, str]] = []
    dest.mkdir()
    pending: list[tuple[str, int]] = [("", 0)]
    while pending:
        rel, depth = pending.pop()
        try:
            with os.scandir(source / rel if rel else source) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append((_name(rel) or ".", f"cannot list folder: {exc.strerror}"))
            continue
        for child in children:
            name = f"{rel}/{child.name}" if rel else child.name
            try:
                info = child.stat(follow_symlinks=False)
            except OSError as exc:
                skipped.append((_name(name), f"cannot read: {exc.strerror}"))
                continue
            if stat.S_ISLNK(info.st_mode):
                skipped.append((_name(name), "symbolic link not followed"))
            elif stat.S_ISDIR(info.st_mode):
                if depth + 1 > MAX_DEPTH:
                    skipped.append((_name(name), f"nested deeper than {MAX_DEPTH} folders"))
                else:
                    (dest / name).mkdir()
                    pending.append((name, depth + 1))
            elif stat.S_ISREG(info.st_mode):
                problem = _place(Path(child.path), dest / name, info.st_size)
                if problem:
                    skipped.append((_name(name), problem))
            else:
                skipped.append((_name(name), "not a regular file"))
    return sorted(skipped)


def _place(source: Path, target: Path, size: int) -> str | None:
    """Link (or copy) one regular file; the reason when it was not placed."""
    try:
        os.link(source, target, follow_symlinks=False)
        return None
    except OSError:
        pass
    if size > MAX_COPY_BYTES:
        return f"larger than {MAX_COPY_BYTES} bytes ({size}) and cannot be linked"
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as src:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return "not a regular file"
            with open(target, "xb") as out:
                shutil.copyfileobj(src, out)
        shutil.copystat(source, target, follow_symlinks=False)
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    return None
