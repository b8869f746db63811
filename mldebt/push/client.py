"""`mldebt collect --push URL`: send evidence bundles to the server instead of a local store.

The token comes from ``MLDEBT_PUSH_TOKEN`` and goes only into the request's
Authorization header: never into a message, a log or a file. Transient
failures (connection refused or reset, a timeout, a 5xx answer) are retried
with exponential backoff by urllib3's Retry, a bounded number of times; that
is safe because the server is idempotent by scan id (a retried push that had
in fact arrived is answered 200 with the same scan). Any other refusal (a bad
token, a body too large, a schema error) is final and reported in one line.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mldebt import __version__
from mldebt.errors import FieldError, InputError, MldebtError
from mldebt.redact import without_credentials
from mldebt.scanning.bundle import Bundle

TOKEN_ENV = "MLDEBT_PUSH_TOKEN"
ENDPOINT = "/api/v1/scans"
RETRIES = 4  # so 5 attempts; with the default backoff the last comes ~7 s after the first
BACKOFF_S = 0.5
TIMEOUT_S = (10, 120)  # connect, read


class PushError(MldebtError):
    """A push the server refused, or could not be reached for."""


@dataclass(frozen=True)
class Pushed:
    scan_id: str
    created: bool  # False: the server already had this scan (a retried push)
    answer: dict[str, Any]


def server_url(url: str, field: str) -> str:
    """``url`` without a trailing /, when it is the server's http(s) URL; else FieldError ``field``."""
    if not url.startswith(("http://", "https://")):
        shown = without_credentials(url)
        raise FieldError(
            field,
            "expected the server's http:// or https:// URL",
            sentence=lambda n: f"{n(field)} {shown!r}: expected the server's http:// or https:// URL",
        )
    return url.rstrip("/")


def endpoint(url: str) -> str:
    """The scans endpoint of the server at ``url`` (a base URL, or the endpoint itself); else FieldError ``push``."""
    base = server_url(url, "push")
    return base if base.endswith(ENDPOINT) else base + ENDPOINT


def _number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{name}={text!r}: expected a number") from None
    if value < 0:
        raise InputError(f"{name}={text!r}: expected a number of at least 0")
    return value


class Pusher:
    """One session to the server; ``MLDEBT_PUSH_RETRIES`` and ``MLDEBT_PUSH_BACKOFF`` tune the retries.

    The token is ``token`` or else ``MLDEBT_PUSH_TOKEN``; FieldError ``token`` when there is none.
    """

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = endpoint(url)
        self.shown = without_credentials(self.url)
        token = token if token is not None else os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise FieldError(
                "token",
                f"an API token with the push scope is needed in {TOKEN_ENV}",
                sentence=lambda n: f"{n('push')} needs an API token with the push scope in {TOKEN_ENV}",
            )
        self.retries = int(_number("MLDEBT_PUSH_RETRIES", RETRIES))
        noisy = type("PushRetry", (_SayingRetry,), {"where": self.shown})
        retry = noisy(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            other=0,
            backoff_factor=_number("MLDEBT_PUSH_BACKOFF", BACKOFF_S),
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=None,
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.session.headers.update({"Authorization": f"Bearer {token}", "User-Agent": f"mldebt/{__version__}"})

    def push(self, bundle: Bundle) -> Pushed:
        """Send one bundle; the server scores and stores it (or already had it)."""
        name = bundle.project["name"]
        attempts = self.retries + 1
        try:
            answer = self.session.post(self.url, json=bundle.to_json(), timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            raise PushError(
                f"cannot push {name} to {self.shown}: {failure_reason(exc)} (gave up after {attempts} attempts)"
            ) from None
        body = _json(answer)
        if answer.status_code in (200, 201) and isinstance(body.get("scan_id"), str):
            return Pushed(body["scan_id"], answer.status_code == 201, body)
        message = (body.get("error") or {}).get("message") if isinstance(body.get("error"), dict) else None
        detail = f"{answer.status_code} {message or answer.reason or 'unexpected answer'}"
        if answer.status_code >= 500:
            detail += f" (gave up after {attempts} attempts)"
        raise PushError(f"the server at {self.shown} refused the push of {name}: {detail}")


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class _SayingRetry(Retry):
    """urllib3's Retry, saying on stderr what failed before each wait (a CI log then shows why a push was slow)."""

    where = ""

    def sleep(self, response: Any = None) -> None:
        last = self.history[-1] if self.history else None
        why = (
            f"answered {last.status}"
            if last is not None and last.status
            else (failure_reason(last.error) if last is not None and last.error is not None else "failed")
        )
        print(
            f"mldebt: push to {self.where}: {why}; retrying in {self.get_backoff_time():.1f} s "
            f"(attempt {len(self.history) + 1} of {len(self.history) + 1 + (self.total or 0)})",
            file=sys.stderr,
            flush=True,
        )
        super().sleep(response)


def failure_reason(exc: BaseException) -> str:
    """A short cause for a failed request: the innermost reason urllib3 gives, without the URL."""
    text = str(exc)
    for marker, short in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "unknown host"),
        ("timed out", "timed out"),
        ("Connection reset", "connection reset"),
        ("RemoteDisconnected", "the server closed the connection"),
        ("CERTIFICATE_VERIFY_FAILED", "the server's TLS certificate is not trusted"),
    ):
        if marker in text:
            return short
    return type(exc).__name__
