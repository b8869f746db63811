"""What a file was found to mean, kept so the next process need not validate it again.

The built-in rubric and question catalogue are validated by pydantic models
at every collect, and importing pydantic and building the models costs more
than the rest of an unchanged collect's set-up. Here the result of a
successful load (plain JSON) is kept in the mldebt cache folder, under a key
made of the loader's own inputs (the file's path, the known evidence keys)
and the bytes of the code that validates; the entry also names every file the
result was read from (a rubric's ``extends`` chain) with a hash of its bytes.
An entry is used only when all of them still hash the same, so an edited file
is validated again. The cache is only a speed-up: an entry that is missing,
stale, unreadable or not JSON is a miss, and a failed write is ignored. Only
successful loads are kept: a file with an error is read, and reported, anew.

What mldebt ships (the built-in rubric and catalogue) is kept the way Python
keeps its bytecode: in the ``__pycache__`` folder beside the file (or under
``PYTHONPYCACHEPREFIX``), written only when Python would write bytecode there.
An installed copy then validates its own files once, not once per cache: a CI
job that starts with an empty cache folder still loads no pydantic. Where
that folder cannot be written, the entry goes to the cache folder instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from mldebt.sources.gitsource import cache_dir

FOLDER = "validated"
_PREFIX = "mldebt-validated-"  # beside a shipped file, among Python's bytecode, the name says whose it is
T = TypeVar("T")


def remembered(
    kind: str,
    code: Iterable[Path],
    inputs: Iterable[str],
    load: Callable[[], tuple[T, Iterable[Path]]],
    dump: Callable[[T], Any],
    rebuild: Callable[[Any], T],
    *,
    shipped: Path | None = None,
) -> T:
    """What ``load`` gives (a value and the files it was read from), or the same rebuilt from a kept entry.

    ``dump`` makes the JSON kept, ``rebuild`` the value from it; an entry
    ``rebuild`` cannot read (KeyError, TypeError, ValueError) is a miss. What
    ``load`` raises (a file with an error) is raised, and nothing is kept.
    ``shipped``: the file is one mldebt ships, kept beside it (``beside``) first.
    """
    try:
        name: str | None = key(kind, code, *inputs)
    except OSError:
        name = None
    near = beside(shipped) if shipped is not None else None
    folders = [near, cache_dir() / FOLDER] if near is not None else [cache_dir() / FOLDER]
    if name:
        for folder in folders:
            kept = recall(name, folder)
            if kept is not None:
                try:
                    return rebuild(kept)
                except (KeyError, TypeError, ValueError):
                    pass  # not what this code keeps: look further, or load the files
    value, files = load()
    if name:
        dumped = dump(value)
        for folder in folders:
            if folder == near and sys.dont_write_bytecode:
                continue  # Python writes no bytecode beside its files here: nor does mldebt
            if keep(name, dumped, files, folder):
                if folder == near:
                    _prune(folder, name)
                break  # else the next folder: beside a shipped file may not be writable
    return value


def beside(shipped: Path) -> Path:
    """The folder Python keeps ``shipped``'s neighbours' bytecode in (``__pycache__``, or under PYTHONPYCACHEPREFIX)."""
    return Path(importlib.util.cache_from_source(str(shipped))).parent


def key(kind: str, code: Iterable[Path], *inputs: str) -> str:
    """The entry name for ``kind`` loaded from ``inputs`` by the modules ``code``: ``kind-<code>-<inputs>``."""
    made = hashlib.sha256(kind.encode())
    for path in code:
        made.update(b"\0" + path.read_bytes())
    given = hashlib.sha256()
    for text in inputs:
        given.update(b"\0" + text.encode())
    return f"{kind}-{made.hexdigest()[:16]}-{given.hexdigest()[:16]}"


def _prune(folder: Path, name: str) -> None:
    """Remove the entries of ``name``'s kind that another version of the code made (beside a shipped file,
    where nothing else would: each upgrade would leave its own)."""
    kind, made, _ = name.rsplit("-", 2)
    for entry in folder.glob(f"{_PREFIX}{kind}-*.json"):
        if not entry.name.startswith(f"{_PREFIX}{kind}-{made}-"):
            with contextlib.suppress(OSError):
                entry.unlink()


def recall(name: str, folder: Path) -> Any | None:
    """The value kept under ``name`` in ``folder`` when every file it was read from is unchanged, else None."""
    try:
        entry = json.loads((folder / f"{_PREFIX}{name}.json").read_text(encoding="utf-8"))
        files = entry["files"]
        if not isinstance(files, dict) or any(_hash(Path(path)) != digest for path, digest in files.items()):
            return None
        return entry["value"]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def keep(name: str, value: Any, files: Iterable[Path], folder: Path) -> bool:
    """Keep ``value`` under ``name`` in ``folder``, valid while ``files`` keep their bytes; whether it was kept."""
    entry = {"files": {str(path): _hash(path) for path in files}, "value": value}
    temporary = folder / f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(entry, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
        os.replace(
            temporary, folder / f"{_PREFIX}{name}.json"
        )  # whole or not at all; not synced: a lost entry is a miss
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    return True


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
