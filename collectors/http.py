"""The one way collectors talk to HTTP APIs: bounded, token-safe, replayable.

A token is read from the environment variable the portfolio names, sent only
to the host of the configured base URL (never on a redirect elsewhere), and
never appears in an error message. Every request has a connect and read
timeout (each wait for the server), and the body must arrive whole within
``total_timeout`` (a server sending one byte at a time, each within the read
timeout, is cut there); failures raise ``ApiError`` with a message that is
safe to store.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from mldebt.nested import json_loads

if TYPE_CHECKING:
    import requests

DEFAULT_TIMEOUT = (3.0, 10.0)  # connect, read (seconds)
DEFAULT_TOTAL_TIMEOUT = 60.0  # seconds for a whole answer
CHUNK = 64 * 1024
MAX_BYTES = 20 * 1024 * 1024


def _session() -> requests.Session:
    import requests

    return requests.Session()


class ApiError(Exception):
    """An API call that failed; ``status`` is the HTTP status when there was one."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        retry_after: str | None = None,
        rate_limit: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.rate_limit = rate_limit or {}  # the response's x-ratelimit-* / ratelimit-* headers, lower-cased

    @property
    def rate_limited(self) -> bool:
        """A 429, or a 403 whose rate-limit headers say nothing is left (GitHub's way)."""
        remaining = self.rate_limit.get("x-ratelimit-remaining", self.rate_limit.get("ratelimit-remaining"))
        return self.status == 429 or (self.status == 403 and remaining == "0")


@dataclass
class ApiClient:
    """A JSON API at ``base_url``; ``token_env`` names the variable holding its token."""

    base_url: str
    token_env: str | None = None
    auth_scheme: str = "Bearer"
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    session: requests.Session = field(default_factory=_session, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ApiError(f"not an http(s) URL: {self._safe(self.base_url)}")
        self.base_url = self.base_url.rstrip("/") + "/"
        self._host = parts.netloc
        self.session.trust_env = False  # no proxies or .netrc credentials picked up implicitly

    def _token(self) -> str | None:
        return os.environ.get(self.token_env) if self.token_env else None

    def _safe(self, text: str) -> str:
        token = self._token() if self.token_env else None
        return text.replace(token, "***") if token else text

    def _body(self, response: requests.Response, url: str, started: float) -> bytes:
        """The body, up to MAX_BYTES + 1 bytes, read piece by piece until the total deadline."""
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            if time.monotonic() - started > self.total_timeout:
                response.close()
                raise ApiError(f"timed out after {self.total_timeout:g} s: {self._safe(url)}")
            chunk = response.raw.read1(CHUNK, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)

    def get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        """GET ``path`` (relative to the base URL, or an absolute URL on the same host)."""
        url = urljoin(self.base_url, path.lstrip("/")) if not path.startswith("http") else path
        if urlsplit(url).netloc != self._host:
            raise ApiError(f"refusing to send a request to another host: {urlsplit(url).netloc}")
        headers = {"Accept": "application/json", "User-Agent": "mldebt"}
        token = self._token()
        if token:
            headers["Authorization"] = f"{self.auth_scheme} {token}"
        import requests  # loaded with the first request: a scan with no API source never pays for it
        import urllib3

        try:
            started = time.monotonic()
            response = self.session.get(
                url, params=params, headers=headers, timeout=self.timeout, allow_redirects=False, stream=True
            )
            body = self._body(response, url, started)
        except (requests.Timeout, urllib3.exceptions.TimeoutError):  # the body read raises urllib3's own
            raise ApiError(f"timed out after {self.timeout[1]:.0f} s: {self._safe(url)}") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise ApiError(f"cannot reach {self._safe(url)}: {type(exc).__name__}") from None
        if len(body) > MAX_BYTES:
            raise ApiError(f"response larger than {MAX_BYTES} bytes: {self._safe(url)}")
        response._content = body
        if response.status_code >= 400 or 300 <= response.status_code < 400:
            raise ApiError(
                f"HTTP {response.status_code} from {self._safe(url)}",
                status=response.status_code,
                retry_after=response.headers.get("Retry-After"),
                rate_limit={
                    k.lower(): v
                    for k, v in response.headers.items()
                    if k.lower().startswith(("x-ratelimit-", "ratelimit-"))
                },
            )
        return response

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.get(path, params)
        try:
            return json_loads(response.content)  # a hostile server's deep nesting is "not JSON", not a crash
        except ValueError:
            raise ApiError(f"not JSON: {self._safe(response.url)}") from None

    def post_json(self, path: str, body: Any) -> Any:
        """POST ``body`` as JSON to ``path`` (same host, token and size rules as ``get``); return the JSON reply.

        Some read-only APIs take their query as a POST body (MLflow's runs/search, OSV's /v1/query).
        """
        url = urljoin(self.base_url, path.lstrip("/")) if not path.startswith("http") else path
        if urlsplit(url).netloc != self._host:
            raise ApiError(f"refusing to send a request to another host: {urlsplit(url).netloc}")
        headers = {"Accept": "application/json", "User-Agent": "mldebt"}
        token = self._token()
        if token:
            headers["Authorization"] = f"{self.auth_scheme} {token}"
        import requests  # loaded with the first request: a scan with no API source never pays for it
        import urllib3

        try:
            started = time.monotonic()
            response = self.session.post(
                url, json=body, headers=headers, timeout=self.timeout, allow_redirects=False, stream=True
            )
            content = self._body(response, url, started)
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            raise ApiError(f"timed out after {self.timeout[1]:g} s: {self._safe(url)}") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise ApiError(f"cannot reach {self._safe(url)}: {type(exc).__name__}") from None
        if len(content) > MAX_BYTES:
            raise ApiError(f"response larger than {MAX_BYTES} bytes: {self._safe(url)}")
        if response.status_code >= 300:
            raise ApiError(
                f"HTTP {response.status_code} from {self._safe(url)}",
                status=response.status_code,
                retry_after=response.headers.get("Retry-After"),
            )
        try:
            return json_loads(content)
        except ValueError:
            raise ApiError(f"not JSON: {self._safe(url)}") from None
