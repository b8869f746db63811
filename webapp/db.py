"""One store connection per request, kept on ``g`` and closed when the request ends (flaskr style)."""
from __future__ import annotations

import sqlite_utils
from flask import Flask, current_app, g

from ..store import open_db

MMAP_BYTES = 1 << 30


def get_db() -> sqlite_utils.Database:
    if "db" not in g:
        # The app applied the migrations at start-up; each request only opens and checks the file.
        g.db = open_db(current_app.config["DATABASE"], migrate=False)
        # A new connection starts with an empty page cache; reading through a memory map
        # lets it use the operating system's cache of the file without a system call per page.
        g.db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    return g.db


def close_db(_: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
