"""One store connection per request, kept on ``g`` and closed when the request ends (flaskr style)."""

from __future__ import annotations

import sqlite_utils
from flask import Flask, current_app, g, request

from mldebt.store.db import open_db

MMAP_BYTES = 1 << 30


def get_db() -> sqlite_utils.Database:
    if "db" not in g:
        # The app applied the migrations at start-up; each request only opens and checks the file.
        g.db = open_db(current_app.config["DATABASE"], migrate=False)
        # A new connection starts with an empty page cache; reading through a memory map
        # lets it use the operating system's cache of the file without a system call per page.
        g.db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    db: sqlite_utils.Database = g.db
    return db


def begin_read() -> None:
    """Let every read of a GET request see one snapshot of the store.

    A page reads with several queries (the latest scans, then their results, then the
    paydown items); a collector committing between two of them would hand the page rows
    that do not belong together. An open read transaction pins the snapshot (WAL mode:
    writers go on meanwhile) until the connection closes at the end of the request.
    Registered after sign-in, whose token check may write.
    """
    if request.method in ("GET", "HEAD"):
        db = get_db()
        if not db.conn.in_transaction:
            db.conn.execute("BEGIN")


def close_db(_: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
