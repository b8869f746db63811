"""The web scorecard: a Flask app over the store. Its pages read; only the attest and waive forms write.

``create_app`` is the factory (flaskr style): one blueprint per area, the
database connection kept on ``g`` and closed on teardown. Configuration:

- ``DATABASE``: the SQLite store (default ``MLDEBT_DB`` or ``mldebt.db``);
- ``READ_REQUIRES_LOGIN``: read pages need a signed-in user or a token with
  the ``read`` scope (default false; ``MLDEBT_READ_REQUIRES_LOGIN=1``);
- ``SECRET_KEY``: signs the sign-in cookie (default ``MLDEBT_SECRET_KEY``, else
  a key made once and kept in the database, shared by every worker);
- ``SESSION_COOKIE_SECURE``: send the cookie over HTTPS only (``MLDEBT_SECURE_COOKIES=1``);
- ``PAGE_CACHE``: how many rendered responses to keep (``MLDEBT_PAGE_CACHE``; 0 turns caching off);
- ``PROXY_HOPS``: how many reverse proxies stand in front (``MLDEBT_PROXY_HOPS``, default 0): their
  ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are then believed, so the sign-in throttle counts the
  client's address rather than the proxy's. Left at 0, those headers are ignored (anyone can send them).

For a production WSGI server: ``waitress-serve --call mldebt.webapp:create_app``
or ``gunicorn 'mldebt.webapp:create_app()'``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from mldebt.access import session_secret
from mldebt.charts import TEMPLATES
from mldebt.errors import InputError
from mldebt.store.db import open_db
from mldebt.webapp import api, auth, backlog, campaigns, checks, compare, db, errors, forms, help, portfolio, projects
from mldebt.webapp.cache import PageCache
from mldebt.webapp.filters import register_filters


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _count(name: str, default: int) -> int:
    """A whole number of 0 or more from the environment; anything else is one clear error."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise InputError(f"{name}={text!r}: expected a whole number of 0 or more")
    return int(text)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(TEMPLATES / "static"))
    app.json = errors.JSONProvider(app)  # a body nested too deeply to decode is bad JSON (400), not a crash
    app.config.update(
        DATABASE=os.environ.get("MLDEBT_DB", "mldebt.db"),
        READ_REQUIRES_LOGIN=_flag("MLDEBT_READ_REQUIRES_LOGIN"),
        SESSION_COOKIE_SECURE=_flag("MLDEBT_SECURE_COOKIES"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="mldebt_session",
        PAGE_CACHE=_count("MLDEBT_PAGE_CACHE", 256),
        MAX_CONTENT_LENGTH=1024 * 1024,  # larger bodies get a 413; the push endpoint sets its own limit
        PROXY_HOPS=_count("MLDEBT_PROXY_HOPS", 0),
    )
    if config:
        app.config.update(config)
    app.config["DATABASE"] = str(Path(app.config["DATABASE"]))
    store = open_db(app.config["DATABASE"])  # creates or upgrades the schema once, before any request
    try:
        app.config.setdefault("SECRET_KEY", None)
        app.config["SECRET_KEY"] = (
            app.config["SECRET_KEY"] or os.environ.get("MLDEBT_SECRET_KEY") or session_secret(store)
        )
    finally:
        store.close()
    if app.config["PROXY_HOPS"]:
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]  # how Flask adds WSGI middleware
    app.extensions["mldebt_cache"] = PageCache(app.config["DATABASE"], app.config["PAGE_CACHE"])
    app.json.sort_keys = False  # keep the rubric's order of sections, categories and checks
    register_filters(app)
    db.init_app(app)
    auth.init_app(app)
    app.before_request(db.begin_read)  # after sign-in: its token check may write
    errors.init_app(app)
    for module in (auth, portfolio, projects, checks, compare, backlog, forms, api, campaigns, help):
        app.register_blueprint(module.bp)
    return app
