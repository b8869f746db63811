"""`mldebt check --server URL`: ask the mldebt server for the gate's verdict on a scan it stores.

In CI the scan is pushed (`mldebt collect --push`) and scored by the server
with its rubric, against the project's history there; the gate is judged
there too, so the baseline is the server's previous scan, not a runner's
empty store. A server that cannot be reached, or that refuses, ends the gate
with one line saying so (exit 2): a gate that cannot judge never passes.

The token (``MLDEBT_PUSH_TOKEN``, or ``MLDEBT_TOKEN``) goes only into the
Authorization header; reading needs one only on a server that requires a
login to read, and then it needs the read scope.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mldebt import __version__
from mldebt.errors import MldebtError
from mldebt.push.client import failure_reason, server_url
from mldebt.redact import without_credentials

TOKEN_ENVS = ("MLDEBT_PUSH_TOKEN", "MLDEBT_TOKEN")
TIMEOUT_S = (10, 120)


class GateUnavailable(MldebtError):
    """The server could not be reached for the verdict, or refused to give it."""


def server_base(url: str) -> str:
    """The server's base URL; FieldError ``server`` when it is not http(s)."""
    return server_url(url, "server")


def remote_verdict(url: str, project: str, query: dict[str, str]) -> dict[str, Any]:
    """The server's verdict document (``exports.verdict``) on ``project`` with the gate's ``query`` parameters."""
    base = server_base(url)
    shown = without_credentials(base)
    session = requests.Session()
    retry = Retry(total=3, backoff_factor=0.5, status_forcelist=(502, 503, 504), allowed_methods=None)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    headers = {"User-Agent": f"mldebt/{__version__}", "Accept": "application/json"}
    token = next((os.environ[name].strip() for name in TOKEN_ENVS if os.environ.get(name, "").strip()), "")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    where = f"{base}/api/v1/projects/{quote(project, safe='')}/gate"
    try:
        answer = session.get(where, params=query, headers=headers, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise GateUnavailable(
            f"cannot reach the mldebt server at {shown} to judge {project}: {failure_reason(exc)}; "
            "the gate did not pass"
        ) from None
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code == 200 and isinstance(body, dict) and isinstance(body.get("passed"), bool):
        return body
    message = (
        body.get("error", {}).get("message") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    )
    raise GateUnavailable(
        f"the server at {shown} gave no verdict on {project}: "
        f"{answer.status_code} {message or answer.reason or 'unexpected answer'}"
    )
