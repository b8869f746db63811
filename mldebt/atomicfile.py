"""Write an output file whole or not at all: a temporary file in the same folder, fsync, then rename.

A report, an export or a gate output written in place is left truncated when
the disk fills up (or a file-size limit is hit) half way, and the good copy
from the run before is gone with it. Here the bytes go to a temporary file
beside the target; only when every byte is written and synced does
``os.replace`` put it in the target's place, which on POSIX is atomic: a
reader sees the old file or the new one, never a part. When writing fails,
the temporary file is removed, the old file is left as it was, and the error
says that nothing was written.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from mldebt.errors import MldebtError


class OutputError(MldebtError):
    """An output file could not be written; nothing was written and any earlier file is unchanged.

    The message names the file (``out/r.pdf: folder out does not exist``); the
    command line puts the option that chose it in front (``named``).
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem

    def named(self, option: str) -> str:
        """The message with the option that chose the file in front: ``-o out/r.pdf: ...``."""
        return f"{option} {self.path}: {self.problem}"


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _remove(path: str) -> None:
    with suppress(OSError):
        os.unlink(path)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every file system lets a folder be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def writable_target(path: Path | str) -> Path:
    """The file ``path`` names (through a symbolic link), once it is clear it can be replaced.

    Raises OutputError if its folder is missing or it is a folder; a caller
    with a long job before the write (the report's render) checks first.
    """
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise OutputError(path, f"folder {Path(path).parent} does not exist")
    if target.is_dir():
        raise OutputError(path, "is a folder, not a file")
    return target


@contextmanager
def replacing(path: Path | str) -> Iterator[BinaryIO]:
    """A binary file to write; on leaving the block it replaces ``path`` as a whole.

    Raises OutputError if the folder is missing or anything fails while
    writing, syncing or renaming.
    """
    target = writable_target(path)
    folder = target.parent
    temporary = str(folder / f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for open()
    except OSError as exc:
        raise OutputError(path, f"cannot write in {folder} ({_describe(exc)}); nothing was written") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
        os.replace(temporary, target)
    except OSError as exc:
        _remove(temporary)
        kept = " and the file already there is unchanged" if target.exists() else ""
        raise OutputError(path, f"writing failed ({_describe(exc)}); nothing was written{kept}") from None
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(folder)


def write_bytes(path: Path | str, data: bytes) -> None:
    """Replace ``path`` with ``data`` as a whole, or raise OutputError leaving it unchanged."""
    with replacing(path) as handle:
        handle.write(data)


def write_text(path: Path | str, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) as a whole, or raise OutputError leaving it unchanged."""
    write_bytes(path, text.encode("utf-8"))
