"""A small persistent cache for collector results, keyed by git object ids.

Git ids name content, so a result computed from a tree or a blob stays true
for as long as the code that computed it is unchanged: every key carries the
version of that code. Values are JSON (never pickle), compressed, in one SQLite
file in the mldebt cache folder. The cache is only a speed-up: when it cannot be
opened or written, lookups miss and scans go on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mldebt.sources.gitsource import cache_dir

KEEP_DAYS = 60  # entries unused for longer are dropped
_HERE = Path(__file__).resolve().parents[1]  # collectors/: patterns name its folders
# values are plain JSON trees built by the collectors, never cyclic: skipping the cycle check writes the same
# bytes as json.dumps with these separators, a third faster on a scan's summaries
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def code_version(*patterns: str) -> str:
    """A short hash of the collector modules matching ``patterns``: any change to them retires old entries."""
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(_HERE.glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def encode(value: Any) -> bytes:
    """A value as the cache keeps it (compact JSON, compressed); any process may make it (``Cache.put_encoded``)."""
    return pack(as_json(value))


def as_json(value: Any) -> bytes:
    """A value as compact JSON: what the cache compresses (``pack``), and what ``json.loads`` reads back."""
    return _ENCODER.encode(value).encode()


def pack(raw: bytes) -> bytes:
    """``as_json``'s bytes as the cache keeps them."""
    return zlib.compress(raw, 1)


class Cache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "collect-cache.sqlite"
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("pragma journal_mode=wal")
            # a cache: a commit need not wait for the disk (a crash may lose the last writes, never the file's sense)
            db.execute("pragma synchronous=normal")
            db.execute("create table if not exists entries (key text primary key, value blob, used integer)")
            self._db = db
        except (OSError, sqlite3.Error):
            self._db = None

    def get(self, key: str) -> Any | None:
        return self.get_many([key]).get(key)

    def has(self, key: str) -> bool:
        """Whether ``key`` is kept (its value is not read)."""
        if self._db is None:
            return False
        try:
            return self._db.execute("select 1 from entries where key = ?", [key]).fetchone() is not None
        except sqlite3.Error:
            return False

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        keys = list(keys)
        found: dict[str, Any] = {}
        if self._db is None or not keys:
            return found
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, value in self._db.execute(f"select key, value from entries where key in ({marks})", chunk):
                    found[key] = json.loads(zlib.decompress(value))
            if found:
                self._touch(list(found))
        except (sqlite3.Error, zlib.error, ValueError):
            return {}
        return found

    def put(self, key: str, value: Any) -> None:
        self.put_many({key: value})

    def put_many(self, items: dict[str, Any]) -> None:
        if self._db is None or not items:
            return
        self.put_encoded({key: encode(value) for key, value in items.items()})

    def put_encoded(self, items: dict[str, bytes]) -> None:
        """Keep values ``encode`` made already: where that work is spread, such as over a pool's workers."""
        if self._db is None or not items:
            return
        now = int(time.time())
        rows = [(key, value, now) for key, value in items.items()]
        try:
            self._db.execute("begin")
            self._db.executemany("insert or replace into entries values (?, ?, ?)", rows)
            self._db.execute("delete from entries where used < ?", [now - KEEP_DAYS * 86400])
            self._db.execute("commit")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("rollback")

    def _touch(self, keys: list[str]) -> None:
        if self._db is None:
            return
        day = int(time.time()) - 86400  # refresh at most daily, so reads stay reads
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            self._db.execute(
                f"update entries set used = ? where used < ? and key in ({marks})",
                [int(time.time()), day, *chunk],
            )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
