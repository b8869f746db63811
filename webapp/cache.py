"""Rendered responses, and the read models behind them, kept until the store changes.

A page is a pure function of the store, so a response (or the data it was
drawn from, shared by its sorted and filtered variants) can be reused until
anything commits to the database. ``PRAGMA data_version`` on a connection
that never writes changes exactly when another connection (any process)
has committed, which makes the check one cheap query per request.

After a change, one request renders the page again while requests arriving
meanwhile wait for it, except anonymous readers, who are given the page as
it was one commit ago rather than wait. Signed-in users and tokens (whoever
can write) always see the store as it is, their own writes included.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, make_response, request, session


class PageCache:
    def __init__(self, db_path: str, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()  # key -> (value, store version)
        self._watch = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None) if size else None
        # Pages and data have their own locks, always taken page first: no two threads can wait on each other.
        self._stripes = {"page": [threading.RLock() for _ in range(32)], "data": [threading.RLock() for _ in range(32)]}

    def single_flight(self, key: Hashable, kind: str = "page") -> Any:
        """The lock to hold while making the value of ``key``, so that one request makes it."""
        stripes = self._stripes[kind]
        return stripes[hash(key) % len(stripes)]

    def version(self) -> int | None:
        if self._watch is None:  # no cache (size 0)
            return None
        with self._lock:
            found: int = self._watch.execute("PRAGMA data_version").fetchone()[0]
        return found

    def lookup(self, key: Hashable) -> tuple[Any | None, Any | None, int | None]:
        """``(current value, older value, store version)``; a value is None when there is none."""
        version = self.version()
        if version is None:
            return None, None, None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None, None, version
            self._entries.move_to_end(key)
            value, made_at = entry
            return (value, None, version) if made_at == version else (None, value, version)

    def get(self, key: Hashable) -> tuple[Any | None, int | None]:
        """The current value under ``key`` (or None) and the store's version it is valid for."""
        current, _, version = self.lookup(key)
        return current, version

    def put(self, key: Hashable, value: Any, version: int | None) -> None:
        """Keep ``value`` as made at ``version``, unless the store has changed since (it may be stale then)."""
        if version is None or self.version() != version:
            return
        with self._lock:
            self._entries[key] = (value, version)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def remember(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, or its value kept from an earlier call while the store is unchanged.

        The value is shared between requests: callers must not change it.
        """
        found, version = self.get(("data", key))
        if found is None:
            with self.single_flight(("data", key), "data"):
                found, version = self.get(("data", key))
                if found is None:
                    found = compute()
                    self.put(("data", key), found, version)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cached(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve the view's response from the cache while the store is unchanged.

    The key is the full path with its query, the identity and the session's
    CSRF token, so nobody is served a page made for someone else.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache: PageCache = current_app.extensions["mldebt_cache"]
        who = g.get("identity")
        key = (request.full_path, who.name if who else None, who.kind if who else None, session.get("csrf"))
        current, older, version = cache.lookup(key)
        if current is None and version is not None:
            lock = cache.single_flight(key)
            if older is not None and who is None and not lock.acquire(blocking=False):
                current = older  # someone is rendering it again: the page as of one commit ago will do
            else:
                if older is None or who is not None:
                    lock.acquire()
                try:
                    current, version = cache.get(key)
                    if current is None:
                        return _render(cache, key, version, view, args, kwargs)
                finally:
                    lock.release()
        if current is not None:
            body, status, headers = current
            return Response(body, status=status, headers=headers)
        return _render(cache, key, version, view, args, kwargs)

    return wrapper


def _render(
    cache: PageCache,
    key: Hashable,
    version: int | None,
    view: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    response = make_response(view(*args, **kwargs))
    if response.status_code == 200 and not response.direct_passthrough:
        cache.put(key, (response.get_data(), 200, list(response.headers.items())), version)
    return response


def remember(key: Hashable, compute: Callable[[], Any]) -> Any:
    return current_app.extensions["mldebt_cache"].remember(key, compute)
