"""Is this file an intact SQLite database? Checked before mldebt writes a byte to it.

A damaged file is refused with one line naming it, and left as it was, so
that it can still be restored or repaired. Three looks, cheapest first:

- the 100-byte header (https://www.sqlite.org/fileformat.html#the_database_header):
  the values the format fixes, and the page count against the file's size;
- SQLite's own ``PRAGMA quick_check`` (every b-tree page, in a read-only
  connection, which can neither write nor checkpoint the file);
- a zero-length file is refused too: it is what a failed copy or a full disk
  leaves, not a database anyone made.

Damage inside a stored value (a flipped byte in a text) is invisible to all
three; SQLite keeps no checksums.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from mldebt.errors import StoreError

SQLITE_HEADER = b"SQLite format 3\x00"
HEADER_SIZE = 100


def damaged(path: Path, why: str) -> StoreError:
    return StoreError(f"{path}: database is damaged or unreadable: {why} (the file was left untouched)")


def check_header(path: Path) -> None:
    """Refuse a file whose header is not an SQLite header, or whose pages are cut short."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(HEADER_SIZE)
    if not head:
        raise StoreError(
            f"{path}: is empty (0 bytes), not a database; move it away to start a new one (refusing to touch it)"
        )
    if head[:16] != SQLITE_HEADER and not (len(head) < 16 and SQLITE_HEADER.startswith(head)):
        raise StoreError(f"{path}: not an SQLite database (refusing to touch it)")
    if len(head) < HEADER_SIZE:
        raise damaged(path, f"truncated to {size} bytes")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise damaged(path, f"invalid page size {page_size} in the header")
    if (
        head[18] not in (1, 2)
        or head[19] not in (1, 2)
        or head[21:24] != b"\x40\x20\x20"
        or int.from_bytes(head[56:60], "big") > 3
        or any(head[72:92])
    ):  # encoding 0: not yet checkpointed
        raise damaged(path, "the header holds values the SQLite format does not allow")
    if _has_wal(path):  # the newest pages may be in the write-ahead log, not yet in the file
        return
    pages = int.from_bytes(head[28:32], "big")
    if size % page_size or (pages and head[24:28] == head[92:96] and pages * page_size > size):
        raise damaged(path, f"truncated: {size} bytes where the header promises {pages} pages of {page_size}")


def check_pages(path: Path, timeout: float) -> None:
    """SQLite's quick_check over every page, read-only."""
    uri = f"file:{quote(str(path))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open database: {exc}") from None
    try:
        found = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    except sqlite3.DatabaseError as exc:
        raise damaged(path, str(exc)) from None
    finally:
        conn.close()
    if found != ["ok"]:
        raise damaged(
            path, "; ".join(line.strip() for item in found for line in item.splitlines() if not line.startswith("***"))
        )


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.is_file() and wal.stat().st_size > 0
