"""Server-side sign-in sessions, and the throttle on password guessing.

Sessions: the sign-in cookie carries only a random session id; the store keeps
its SHA-256 in ``web_sessions`` (as tokens are kept), with the user, when it
started, when it was last seen and when it was revoked. Signing out, or
removing the user, sets ``revoked_at``; from then on the cookie, even a copy
of it, is anonymous. A session unused for ``SESSION_IDLE`` ends by itself.

Throttle: every attempt is written to ``signin_attempts`` before its password
is checked, in the same write transaction as the counts that allow it, so
parallel attempts (server threads, or several server processes on one store)
cannot slip past the limits together. An account that failed
``ACCOUNT_LIMIT`` times, or an address that failed ``ADDRESS_LIMIT`` times,
within ``WINDOW`` is refused until the oldest of those failures leaves the
window; a successful sign-in clears the account's failures (not the
address's). Refused attempts are not recorded, so a lock ends on time even
while the guessing goes on. Each failure, refusal and success is logged on the
``mldebt.auth`` logger; the password never is.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from datetime import UTC, datetime, timedelta

import sqlite_utils

from mldebt.access import Identity, authenticate, user_identity
from mldebt.store.db import inserted_id

LOG = logging.getLogger("mldebt.auth")
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
KEEP_ATTEMPTS = timedelta(days=1)
SESSION_IDLE = timedelta(days=14)
SEEN_EVERY = timedelta(minutes=5)
MAX_NAME = 200


class Throttled(Exception):
    """Too many failed sign-ins for an account or from an address; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(f"too many failed sign-ins {reason}: try again in {retry_after} s")
        self.retry_after = retry_after
        self.reason = reason


def _stamp(moment: datetime) -> str:
    """A UTC time as fixed-width ISO text, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _recent_failures(db: sqlite_utils.Database, column: str, value: str, since: str, limit: int) -> list[str]:
    found = db.execute(
        f"select at from signin_attempts where {column} = ? and ok = 0 and at > ? order by at desc limit ?",
        [value, since, limit],
    ).fetchall()
    return [row[0] for row in found]


def begin_attempt(db: sqlite_utils.Database, name: str, address: str, now: datetime | None = None) -> int:
    """Record a sign-in attempt (as failed until settled) and return its id; Throttled if the limits refuse it."""
    now = now or datetime.now(UTC)
    since = _stamp(now - WINDOW)
    with db.atomic():  # BEGIN IMMEDIATE: the counts and the insert are one step for every process
        cleared = db.execute(
            "select max(at) from signin_attempts where name = ? and ok = 1 and at > ?", [name, since]
        ).fetchone()[0]
        account = _recent_failures(db, "name", name, max(since, cleared or ""), ACCOUNT_LIMIT)
        origin = _recent_failures(db, "address", address, since, ADDRESS_LIMIT)
        for failures, limit, reason in (
            (account, ACCOUNT_LIMIT, "for this account"),
            (origin, ADDRESS_LIMIT, "from this address"),
        ):
            if len(failures) >= limit:
                ends = datetime.fromisoformat(failures[-1]) + WINDOW
                wait = max(1, math.ceil((ends - now).total_seconds()))
                LOG.warning(
                    "sign-in refused for user %r from %s: %d failed attempts %s within %d minutes; retry in %d s",
                    name,
                    address,
                    len(failures),
                    reason,
                    WINDOW.total_seconds() // 60,
                    wait,
                )
                raise Throttled(wait, reason)
        db.execute("delete from signin_attempts where at < ?", [_stamp(now - KEEP_ATTEMPTS)])
        cursor = db.execute(
            "insert into signin_attempts (name, address, at, ok) values (?, ?, ?, 0)", [name, address, _stamp(now)]
        )
        return inserted_id(cursor.lastrowid)


def sign_in(db: sqlite_utils.Database, name: str, password: str, address: str) -> Identity | None:
    """Check ``password`` for user ``name`` under the throttle: the user, or None when it is wrong.

    Raises Throttled, without checking the password, while the account or the
    address is locked out.
    """
    name, address = name[:MAX_NAME], (address or "unknown")[:MAX_NAME]
    attempt = begin_attempt(db, name, address)
    who = authenticate(db, name, password)
    if who is None:
        LOG.warning("sign-in failed for user %r from %s", name, address)
        return None
    with db.atomic():
        db.execute("update signin_attempts set ok = 1 where id = ?", [attempt])
    LOG.info("user %r signed in from %s", name, address)
    return who


def start_session(db: sqlite_utils.Database, user: str) -> str:
    """A new session for ``user``: its id goes into the cookie, only its hash into the store."""
    session_id = secrets.token_urlsafe(32)
    now = _stamp(datetime.now(UTC))
    with db.atomic():
        db.table("web_sessions").insert(
            {"id": _digest(session_id), "user": user, "created_at": now, "last_seen_at": now}
        )
    return session_id


def session_identity(db: sqlite_utils.Database, session_id: object) -> Identity | None:
    """The user of a live session; None for an unknown, revoked or idle session, or a removed user."""
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 100:
        return None
    found = db.execute(
        "select id, user, last_seen_at, revoked_at from web_sessions where id = ?", [_digest(session_id)]
    ).fetchone()
    if found is None or found[3]:
        return None
    now = datetime.now(UTC)
    seen = datetime.fromisoformat(found[2])
    if now - seen > SESSION_IDLE:
        return None
    who = user_identity(db, found[1])
    if who is not None and now - seen > SEEN_EVERY:
        with db.atomic():
            db.execute("update web_sessions set last_seen_at = ? where id = ?", [_stamp(now), found[0]])
    return who


def end_session(db: sqlite_utils.Database, session_id: object) -> None:
    """Revoke one session (signing out): its cookie, and every copy of it, is anonymous from now on."""
    if isinstance(session_id, str) and session_id:
        with db.atomic():
            db.execute(
                "update web_sessions set revoked_at = ? where id = ? and revoked_at is null",
                [_stamp(datetime.now(UTC)), _digest(session_id)],
            )
