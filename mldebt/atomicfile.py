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
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from mldebt.errors import MldebtError


class OutputError(MldebtError):
    """An output file could not be written; nothing was written and any earlier file is unchanged."""


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


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


@contextmanager
def replacing(path: Path | str, option: str = "") -> Iterator[BinaryIO]:
    """A binary file to write; on leaving the block it replaces ``path`` as a whole.

    ``option`` names the command-line option that chose the path (``-o``,
    ``--sarif``), for the message. Raises OutputError if the folder is missing
    or anything fails while writing, syncing or renaming.
    """
    where = f"{option} {path}" if option else str(path)
    target = Path(os.path.realpath(path))  # through a symbolic link, to the file it names
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"{where}: folder {Path(path).parent} does not exist")
    if target.is_dir():
        raise OutputError(f"{where}: is a folder, not a file")
    temporary = str(folder / f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for open()
    except OSError as exc:
        raise OutputError(f"{where}: cannot write in {folder} ({_describe(exc)}); nothing was written") from None
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
        raise OutputError(f"{where}: writing failed ({_describe(exc)}); nothing was written{kept}") from None
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(folder)


def write_bytes(path: Path | str, data: bytes, option: str = "") -> None:
    """Replace ``path`` with ``data`` as a whole, or raise OutputError leaving it unchanged."""
    with replacing(path, option) as handle:
        handle.write(data)


def write_text(path: Path | str, text: str, option: str = "") -> None:
    """Replace ``path`` with ``text`` (UTF-8) as a whole, or raise OutputError leaving it unchanged."""
    write_bytes(path, text.encode("utf-8"), option)
