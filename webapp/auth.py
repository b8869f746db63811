"""Signing in, API tokens, CSRF protection, and who may read and write.

A request acts as a user (signed in through the form; the session cookie
carries the id of a session kept in the store, which signing out revokes) or
as an API token (``Authorization: Bearer mldebt_...``). Writes need one of
them with the right scope. A form sent with the session cookie must also carry
the session's CSRF token (field ``csrf_token`` or header ``X-CSRF-Token``); a
request with a bearer token carries no ambient credential, so it needs none.
Reading is open unless ``READ_REQUIRES_LOGIN``; a write guarded by its own
scope (``requires``) needs that scope only, whatever the read policy, so a
push or attest token works on a private server too. Sign-in is throttled per
account and per address (``mldebt.signin``).
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for

from mldebt.access import Identity, outside_binding, token_identity
from mldebt.signin import Throttled, end_session, session_identity, sign_in, start_session
from mldebt.webapp.db import get_db

bp = Blueprint("auth", __name__)
P = ParamSpec("P")
OPEN_ENDPOINTS = {"auth.login", "static", "api.health"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class Refused(Exception):
    """A request without the identity, scope or CSRF token it needs (401 or 403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def csrf_token() -> str:
    """The session's CSRF token, made on first use (which starts a session)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    token: str = session["csrf"]
    return token


def _load_identity() -> None:
    g.identity = None
    g.via_token = False
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Refused(401, "the Authorization header must be 'Bearer <token>'")
        g.identity = token_identity(get_db(), presented.strip())
        if g.identity is None:
            raise Refused(401, "the API token is unknown, revoked or expired")
        g.via_token = True
    elif session.get("sid"):
        g.identity = session_identity(get_db(), session["sid"])
        if g.identity is None:  # signed out elsewhere, user removed, or idle too long
            session.pop("sid", None)
    # Only a request that carries the session's credential can be forged across sites; one
    # with no identity at all is refused by `requires` instead (the login form is checked too).
    if request.method in UNSAFE and not g.via_token and (g.identity is not None or request.endpoint == "auth.login"):
        _check_csrf()
    if (
        current_app.config["READ_REQUIRES_LOGIN"]
        and request.endpoint not in OPEN_ENDPOINTS
        and not _guarded_write()
        and not (g.identity and g.identity.may("read"))
    ):
        if g.identity is not None:
            raise Refused(403, f"{g.identity.label} lacks the read scope this server requires for reading")
        raise Refused(401, "sign in (or send an API token with the read scope) to read this server")


def _guarded_write() -> bool:
    """Whether the request is a write whose view checks its own scope (push, attest, waive).

    Such a write needs that scope and nothing else: the read policy is about
    reading, and a write-only token must work on a private server too.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method in UNSAFE and getattr(view, "required_scope", None) is not None


def _check_csrf() -> None:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    held = session.get("csrf") or ""
    if not held or not sent or not secrets.compare_digest(sent, held):
        raise Refused(403, "the form's CSRF token is missing or wrong: reload the page and send it again")


def identity() -> Identity | None:
    """Who the request acts as: a signed-in user, an API token, or None (anonymous)."""
    who: Identity | None = g.get("identity")
    return who


def acting_identity() -> Identity:
    """Who a view guarded by ``requires`` acts as; such a view is never reached anonymously.

    A view without the guard gets the 401 that ``requires`` would have given.
    """
    who = identity()
    if who is None:
        raise Refused(401, "sign in or send an API token to do this")
    return who


def requires(scope: str) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
    """Refuse the view to anyone without ``scope``: 401 when nobody is signed in, 403 without the scope."""

    def decorate(view: Callable[P, Any]) -> Callable[P, Any]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
            who = identity()
            if who is None:
                if request.method == "GET" and not request.path.startswith("/api/"):
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                raise Refused(401, f"sign in or send an API token with the {scope} scope to do this")
            if not who.may(scope):
                raise Refused(403, f"{who.label} lacks the {scope} scope")
            project = kwargs.get("project")  # the project a write names in its path
            beyond = outside_binding(get_db(), who, project) if isinstance(project, str) else None
            if beyond:  # a token bound to a project or team writes for it alone, on forms and the API alike
                raise Refused(403, beyond)
            return view(*args, **kwargs)

        guarded.required_scope = scope  # type: ignore[attr-defined]  # the mark _guarded_write looks for
        return guarded

    return decorate


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL (an open redirect), nor a control character.

    A CR or LF would split the Location header; other control, format and
    separator characters have no place in a path either.
    """
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target)
    ):
        return url_for("portfolio.index")
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else url_for("portfolio.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    headers: dict[str, str] = {}
    if request.method == "POST":
        db = get_db()
        try:
            who = sign_in(
                db, request.form.get("name", ""), request.form.get("password", ""), request.remote_addr or "unknown"
            )
        except Throttled as exc:
            minutes = -(-exc.retry_after // 60)
            error, status = (
                (f"Too many failed sign-ins {exc.reason}. Try again in {minutes} minute{'s' if minutes != 1 else ''}."),
                429,
            )
            headers["Retry-After"] = str(exc.retry_after)
        else:
            if who is not None:
                session.clear()  # a new session id at every sign-in: none chosen by someone else survives it
                session["sid"] = start_session(db, who.name)
                csrf_token()
                return redirect(_safe_next(request.form.get("next")), code=303)
            error, status = "Unknown user or wrong password.", 401
    return (render_template("login.html", error=error, next=_safe_next(request.values.get("next"))), status, headers)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if session.get("sid"):
        _check_csrf()
        end_session(get_db(), session["sid"])
    session.clear()
    return redirect(url_for("portfolio.index"), code=303)


def init_app(app: Flask) -> None:
    app.before_request(_load_identity)
    app.context_processor(lambda: {"identity": identity()})
    app.jinja_env.globals["csrf_token"] = csrf_token
