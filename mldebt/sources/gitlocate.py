"""Which repository a folder is, decided without asking git, and the stand-in git directory git reads it through.

``locate`` looks at the folder alone (never at git's discovery, which walks
up to any parent repository and follows ``.git`` files anywhere): its own
``.git`` folder; a ``.git`` file or link only when its target stays inside
the folder (a worktree or submodule link to another place is refused, not
followed); the folder itself when it is a bare repository. A folder with no
repository of its own but inside one is reported with that repository's top
and the sub-path, for the caller to refuse or scope explicitly.

``shadow`` builds the git directory every read goes through (see gitrun):
our own ``config`` and ``HEAD``, and links to the repository's ``objects``,
``refs``, ``packed-refs`` and ``shallow``. Nothing else of the repository's git
directory (its config and includes, hooks, ``info/attributes``, grafts) is
there for git to read.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mldebt.errors import InputError
from mldebt.sources.gitrun import run

MAX_SMALL_FILE = 64 * 1024  # HEAD, .git files, commondir
MAX_CONFIG_BYTES = 1024 * 1024
HEAD_LINE = re.compile(r"^(ref: refs/[\x21-\x7e]+|[0-9a-f]{40}|[0-9a-f]{64})$")


@dataclass(frozen=True)
class Located:
    """A folder's repository: its git directory and common directory, or the enclosing repository."""

    folder: Path
    git_dir: Path | None = None  # holds HEAD
    common_dir: Path | None = None  # holds objects and refs (differs for a linked worktree)
    top: Path | None = None  # the repository the folder is inside, when it has none of its own
    subpath: str | None = None  # the folder's path inside ``top``


def read_small(path: Path, limit: int = MAX_SMALL_FILE) -> bytes | None:
    """The bytes of a regular file (never a FIFO or device: nothing else is opened), None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return handle.read(limit)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def locate(folder: Path) -> Located:
    """The repository of ``folder``; InputError when its ``.git`` leads outside it or is not a repository."""
    folder = folder.resolve()
    dot_git = folder / ".git"
    try:
        mode = dot_git.lstat().st_mode
    except OSError:
        mode = None
    if mode is None:
        if _is_git_dir(folder):
            return Located(folder, folder, folder)
        return _enclosing(folder)
    if stat.S_ISREG(mode):
        text = (read_small(dot_git) or b"").decode(errors="replace").strip()
        if not text.startswith("gitdir:"):
            raise InputError(f"{folder}: {dot_git} is a file but not a gitdir link")
        target = (folder / text[len("gitdir:") :].strip()).resolve()
        kind = "a gitdir link (a git worktree or submodule)"
    elif stat.S_ISLNK(mode):
        target, kind = dot_git.resolve(), "a symbolic link"
    elif stat.S_ISDIR(mode):
        target, kind = dot_git, "a folder"
    else:
        raise InputError(f"{folder}: {dot_git} is neither a folder nor a gitdir file")
    if not _inside(target, folder):
        raise InputError(f"{folder}: {dot_git} is {kind} to {target}, outside the folder; not followed")
    common = target
    pointer = read_small(target / "commondir")
    if pointer is not None:
        common = (target / pointer.decode(errors="replace").strip()).resolve()
        if not _inside(common, folder):
            raise InputError(f"{folder}: {target / 'commondir'} points to {common}, outside the folder; not followed")
    if not ((target / "HEAD").is_file() and (common / "objects").is_dir() and (common / "refs").is_dir()):
        raise InputError(f"{folder}: {dot_git} is not a git repository (no HEAD, objects or refs)")
    return Located(folder, target, common)


def _enclosing(folder: Path) -> Located:
    """``folder`` as a plain folder, or inside the nearest repository above it (on the same file system)."""
    try:
        device = folder.stat().st_dev
    except OSError:
        return Located(folder)
    for parent in folder.parents:
        try:
            if parent.stat().st_dev != device:
                break
            os.lstat(parent / ".git")
        except OSError:
            continue
        return Located(folder, top=parent, subpath=folder.relative_to(parent).as_posix())
    return Located(folder)


@contextmanager
def shadow(located: Located) -> Iterator[Path]:
    """A git directory of ours standing in for ``located``'s, for as long as the block runs."""
    assert located.git_dir is not None and located.common_dir is not None
    head = (read_small(located.git_dir / "HEAD") or b"").decode(errors="replace").strip()
    if not HEAD_LINE.match(head) or "/../" in head or head.endswith("/.."):
        raise InputError(f"{located.folder}: {located.git_dir / 'HEAD'} is not a valid HEAD")
    home = Path(tempfile.mkdtemp(prefix="mldebt-git-"))
    try:
        (home / "HEAD").write_text(head + "\n")
        common = located.common_dir
        os.symlink(common / "objects", home / "objects")
        os.symlink(common / "refs", home / "refs")
        for name in ("packed-refs", "shallow"):
            if read_small(common / name, 0) is not None:  # a regular file (a FIFO would block git)
                os.symlink(common / name, home / name)
        (home / "config").write_text(_config(common, home))
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _config(common: Path, home: Path) -> str:
    """Our configuration for the stand-in: the repository's object format, and nothing else of its config."""
    settings = "[core]\n\trepositoryformatversion = {version}\n\tbare = true\n"
    data = read_small(common / "config", MAX_CONFIG_BYTES)
    fmt = "sha1"
    # a key's name is spelt out in the file (in any case, never escaped): without it, git has nothing to find
    if data and b"objectformat" in data.lower():
        copy = home / "scanned-config"
        copy.write_bytes(data)
        proc = run(["config", "--file", str(copy), "--no-includes", "--get", "extensions.objectformat"], cwd=home)
        fmt = proc.stdout.decode(errors="replace").strip().lower() or "sha1"
        copy.unlink()
    if fmt not in ("sha1", "sha256"):
        raise InputError(f"{common / 'config'}: unknown object format {fmt!r}")
    text = settings.format(version=1 if fmt == "sha256" else 0)
    return text + ("[extensions]\n\tobjectformat = sha256\n" if fmt == "sha256" else "")
