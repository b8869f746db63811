"""The one place where errors become responses: a page for a browser, JSON for the API.

mldebt's own errors travel up from where they are found: NotFound is a 404,
InputError (a bad parameter or form value) a 400, StoreError a 503. A
quarter with no scans (NoScans) is a 404 that lists the quarters with scans:
as links to the portfolio in each on the page, as ``quarters`` in the JSON. A request
body nested too deeply for Python's JSON decoder (``[`` repeated a few thousand
times) is a 400, whichever route decodes it; a body over the size limit a 413.
"""

from __future__ import annotations

import json
import json.decoder
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from mldebt.errors import InputError, NoScans, NotFound, StoreError
from mldebt.nested import TOO_DEEP
from mldebt.webapp.auth import Refused


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a document nested too deeply to decode is malformed JSON like any other.

    ``request.get_json`` then treats it as it treats a syntax error (None when
    ``silent``, else a 400) instead of letting ``RecursionError`` become a 500.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise json.JSONDecodeError(TOO_DEEP, s if isinstance(s, str) else "", 0) from None


def wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path.endswith((".json", ".csv", ".yaml")) or path == "/healthz"


def respond(status: int, message: str, quarters: list[str] | None = None) -> Any:
    """The error as JSON for the API (``{"error": {...}}``), else as a page; ``quarters``: those with scans."""
    if wants_json():
        error: dict[str, Any] = {"status": status, "message": message}
        if quarters is not None:
            error["quarters"] = quarters
        response = jsonify({"error": error})
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message, quarters=quarters or []), status


def _refused(exc: Refused) -> Any:
    if exc.status == 401 and request.method == "GET" and not wants_json():
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    response = respond(exc.status, str(exc))
    if exc.status == 401 and wants_json():
        response.headers["WWW-Authenticate"] = 'Bearer realm="mldebt"'
    return response


def _http(exc: HTTPException) -> Any:
    messages = {404: "no such page", 405: f"{request.method} is not allowed here", 413: "the request is too large"}
    return respond(exc.code or 500, messages.get(exc.code or 500, exc.description or exc.name))


def _decoding(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while the json module decoded something (the request body, in a view)."""
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == json.decoder.__file__:
            return True
        frame = frame.tb_next
    return False


def _too_deep(exc: RecursionError) -> Any:
    """A view that decoded the body itself (``json.loads(request.get_data())``) and met a too deeply nested one."""
    if request.method in ("POST", "PUT", "PATCH") and _decoding(exc):
        return respond(400, f"the request body is not valid JSON: {TOO_DEEP}")
    raise exc  # anything else stays an internal error


def init_app(app: Flask) -> None:
    app.register_error_handler(RecursionError, _too_deep)
    app.register_error_handler(NoScans, lambda exc: respond(404, str(exc), exc.quarters))
    app.register_error_handler(NotFound, lambda exc: respond(404, str(exc)))
    app.register_error_handler(InputError, lambda exc: respond(400, "; ".join(exc.problems)))
    app.register_error_handler(StoreError, lambda exc: respond(503, str(exc)))
    app.register_error_handler(Refused, _refused)
    app.register_error_handler(HTTPException, _http)

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
