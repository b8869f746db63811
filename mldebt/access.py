"""Who may write through the web scorecard: users with passwords, and scoped API tokens.

Neither a password nor a token is ever stored. A password is kept as a salted
scrypt hash (werkzeug.security); a token is 256 random bits shown once at
creation and kept as its SHA-256, which is enough for a secret that cannot be
guessed and lets a request find its token by index. Tokens carry scopes, may
expire, and are revoked by setting ``revoked_at`` (the row stays, for audit).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import sqlite_utils

from mldebt.errors import FieldError, InputError, NotFound
from mldebt.scopes import SCOPES, USER_SCOPES
from mldebt.store.db import from_json, rows, to_json
from mldebt.suggest import did_you_mean

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
TOKEN_PREFIX = "mldebt_"
MIN_PASSWORD = 10


@cache
def _dummy_hash() -> str:
    """A hash to check an unknown name's password against, so that costs what a known name's does.

    Made on first use, not at import: scrypt takes a few hundred milliseconds,
    which every command would otherwise pay at start-up.
    """
    from werkzeug.security import generate_password_hash

    return generate_password_hash("not a password of anyone")


@dataclass(frozen=True)
class Identity:
    """Who is acting: a signed-in user or an API token, and what they may do."""

    name: str
    kind: str  # "user" | "token"
    scopes: frozenset[str]
    # the api_tokens row of a token, so a push can be checked against its binding and recorded with the scan
    token_id: int | None = field(default=None, compare=False)

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def label(self) -> str:
        return self.name if self.kind == "user" else f"token {self.name}"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _check_name(name: str, what: str) -> str:
    if not NAME.match(name or ""):
        raise InputError(f"{what} {name!r}: use 1-64 letters, digits and . _ @ + - (starting with a letter or digit)")
    return name


def add_user(db: sqlite_utils.Database, name: str, password: str) -> None:
    _check_name(name, "user name")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password must have at least {MIN_PASSWORD} characters")
    if db["users"].count_where("name = ?", [name]):
        raise InputError(f"user {name!r} already exists")
    from werkzeug.security import generate_password_hash  # on use: `mldebt --help` need not load werkzeug

    db.table("users").insert({"name": name, "password_hash": generate_password_hash(password), "created_at": _now()})


def remove_user(db: sqlite_utils.Database, name: str) -> None:
    """Remove a user and revoke their sign-in sessions, so a user added later under the name gets none of them."""
    if not db["users"].count_where("name = ?", [name]):
        close = did_you_mean(name, [r["name"] for r in rows(db, "select name from users")])
        raise NotFound(f"no user {name!r}" + (f" ({close})" if close else ""))
    with db.atomic():
        db.table("users").delete(name)
        db.execute("update web_sessions set revoked_at = ? where user = ? and revoked_at is null", [_now(), name])


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(rows(db, "select name, created_at from users order by name"))


def authenticate(db: sqlite_utils.Database, name: str, password: str) -> Identity | None:
    """The user if ``password`` is theirs; the same work is done for an unknown name."""
    found = next(rows(db, "select name, password_hash from users where name = ?", [name]), None)
    stored = found["password_hash"] if found else _dummy_hash()
    from werkzeug.security import check_password_hash

    if check_password_hash(stored, password) and found:
        return Identity(found["name"], "user", USER_SCOPES)
    return None


def user_identity(db: sqlite_utils.Database, name: str) -> Identity | None:
    """The identity of a user named in a session, if the user still exists."""
    found = next(rows(db, "select name from users where name = ?", [name]), None)
    return Identity(found["name"], "user", USER_SCOPES) if found else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    db: sqlite_utils.Database,
    name: str,
    scopes: Iterable[str],
    expires_on: str | None = None,
    *,
    project: str | None = None,
    team: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """A new token and its stored row; the token itself is returned once and never stored.

    A token with the push scope must be bound to one ``project`` or one
    ``team`` of the store: it may push scans of that project (or of that
    team's projects) only. Other tokens take no binding.
    """
    _check_name(name, "token name")
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    listed = ", ".join(SCOPES)
    if unknown:
        raise InputError(f"unknown scope {unknown[0]!r} (scopes: {listed})")
    if not wanted:
        raise FieldError(
            "scope",
            f"at least one is needed ({listed})",
            sentence=lambda n: f"a token needs at least one {n('scope')} ({listed})",
        )
    binding = _binding(db, name, wanted, project, team)
    if expires_on is not None:
        try:
            if len(expires_on) != 10:
                raise ValueError(expires_on)
            last_day = date.fromisoformat(expires_on)
        except ValueError:
            raise FieldError(
                "expires",
                "expected a date such as 2027-03-31",
                sentence=lambda n: f"{n('expires')} {expires_on!r}: expected a date such as 2027-03-31",
            ) from None
        if last_day < datetime.now(UTC).date():
            raise FieldError(
                "expires",
                f"{expires_on} has passed",
                sentence=lambda n: f"{n('expires')} {expires_on}: the date has passed",
            )
    if db["api_tokens"].count_where("name = ? and revoked_at is null", [name]):
        raise InputError(f"a token named {name!r} already exists (revoke it first)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = {
        "name": name,
        "token_hash": _digest(token),
        "prefix": token[: len(TOKEN_PREFIX) + 6],
        "scopes": to_json(wanted),
        "created_at": _now(),
        "expires_on": expires_on,
        **binding,
    }
    table = db.table("api_tokens")
    table.insert(row)
    return token, {**row, "id": table.last_pk}


def _binding(
    db: sqlite_utils.Database, name: str, scopes: list[str], project: str | None, team: str | None
) -> dict[str, str | None]:
    """The project_id and team_id of a new token: exactly one for a push token, none for any other."""
    if "push" not in scopes:
        if project is None and team is None:
            return {"project_id": None, "team_id": None}  # attest, waive and read tokens may be left unbound
        if not {"attest", "waive"} & set(scopes):
            raise FieldError(
                "project" if project is not None else "team",
                f"only a token with a write scope is bound; token {name} has none (push, attest or waive)",
                sentence=lambda n: (
                    f"{n('project')} and {n('team')} limit what a token writes; "
                    f"token {name} has no write scope (push, attest or waive)"
                ),
            )
    if project is None and team is None:
        raise FieldError(
            "project",
            "a push token must be bound to one project or one team",
            sentence=lambda n: (
                f"a push token must be bound to one project or one team: add {n('project')} NAME or {n('team')} NAME"
            ),
        )
    if project is not None and team is not None:
        raise FieldError(
            "team",
            "a push token is bound to one project or one team, not both",
            sentence=lambda n: (
                f"a push token is bound to one project or one team, not both: give {n('project')} or {n('team')}"
            ),
        )
    field, value = ("project", project) if project is not None else ("team", team)
    table = field + "s"
    if not db[table].count_where("id = ?", [value]):
        known = [r["id"] for r in rows(db, f"select id from {table} order by id")]
        listed = (", ".join(known[:20]) + (", ..." if len(known) > 20 else "")) or "none yet"
        said = did_you_mean(value or "", known) or f"{table}: {listed}"
        raise FieldError(
            field,
            f"no such {field} in the store",
            sentence=lambda n: (
                f"{n(field)} {value}: no such {field} in the store ({said}); record the server's "
                f"portfolio first (`{n('portfolio')} FILE`, or `mldebt collect PORTFOLIO` on the server)"
            ),
        )
    return {"project_id": project, "team_id": team}


def token_binding(db: sqlite_utils.Database, token_id: int) -> dict[str, str | None]:
    """What a token may push for: ``{"project_id": ..., "team_id": ...}``, both None for an unbound token."""
    found = next(rows(db, "select project_id, team_id from api_tokens where id = ?", [token_id]), None)
    return (
        {"project_id": found["project_id"], "team_id": found["team_id"]}
        if found
        else {"project_id": None, "team_id": None}
    )


def outside_binding(db: sqlite_utils.Database, who: Identity, project: str) -> str | None:
    """Why a bound token may not write for ``project`` (None when it may).

    A token bound to a project or team writes (pushes, attests, waives) for that
    project or the team's projects only; users and unbound tokens are not limited.
    """
    if who.token_id is None:
        return None
    binding = token_binding(db, who.token_id)
    if binding["project_id"] is not None and binding["project_id"] != project:
        return f"token {who.name} is bound to project {binding['project_id']} and may not write for {project}"
    if binding["team_id"] is not None:
        team = next(rows(db, "select team_id from projects where id = ?", [project]), None)
        if team is None or team["team_id"] != binding["team_id"]:
            return f"token {who.name} is bound to team {binding['team_id']}, which does not hold project {project}"
    return None


def list_tokens(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every token ever made, without its hash, with what it is bound to."""
    return [
        {**r, "scopes": from_json(r["scopes"])}
        for r in rows(
            db,
            "select id, name, prefix, scopes, project_id, team_id, created_at, expires_on, revoked_at, last_used_at "
            "from api_tokens order by id",
        )
    ]


def revoke_token(db: sqlite_utils.Database, ident: str) -> dict[str, Any]:
    """Revoke the live token with this name or id."""
    found = next(
        rows(
            db,
            "select * from api_tokens where (name = ? or cast(id as text) = ?) and revoked_at is null",
            [ident, ident],
        ),
        None,
    )
    if found is None:
        live = [r["name"] for r in rows(db, "select name from api_tokens where revoked_at is null order by name")]
        close = did_you_mean(ident, live)
        raise NotFound(f"no live token named {ident!r} ({close or 'see `mldebt token list`'})")
    db.table("api_tokens").update(found["id"], {"revoked_at": _now()})
    return found


def token_identity(db: sqlite_utils.Database, presented: str) -> Identity | None:
    """The live token matching ``presented``; records its last day of use."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        return None
    found = next(rows(db, "select * from api_tokens where token_hash = ?", [_digest(presented)]), None)
    if found is None or found["revoked_at"]:
        return None
    today = datetime.now(UTC).date().isoformat()
    if found["expires_on"] and found["expires_on"] < today:
        return None
    if (found["last_used_at"] or "")[:10] != today:
        db.table("api_tokens").update(found["id"], {"last_used_at": _now()})
    return Identity(found["name"], "token", frozenset(from_json(found["scopes"])), token_id=found["id"])


def session_secret(db: sqlite_utils.Database) -> str:
    """The key that signs sign-in cookies: made once per database, so every worker process shares it."""
    found = next(rows(db, "select value from web_settings where key = 'secret_key'"), None)
    if found:
        return str(found["value"])
    db.table("web_settings").insert({"key": "secret_key", "value": secrets.token_hex(32)}, pk="key", ignore=True)
    return str(next(rows(db, "select value from web_settings where key = 'secret_key'"))["value"])
