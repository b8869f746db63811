"""Where the web scorecard lives: one address that `serve` listens on and every link points at.

`mldebt serve` listens on ``DEFAULT_HOST``:``DEFAULT_PORT`` unless told
otherwise, and the links that exports, the PDF report and the CI gate write
to the scorecard start with ``base_url()``: the ``--base-url`` option, else
the ``MLDEBT_BASE_URL`` environment variable, else ``DEFAULT_BASE_URL``,
which is that same local address. Set ``MLDEBT_BASE_URL`` once (a shared
server, a proxy in front of it) and every surface links to it.
"""

from __future__ import annotations

import os

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_BASE_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
BASE_URL_ENV = "MLDEBT_BASE_URL"
GITHUB_API_URL = "https://api.github.com"  # `mldebt export github` talks to it unless told another (GitHub Enterprise)


def base_url(given: str | None = None) -> str:
    """The scorecard's address for links: ``given``, else MLDEBT_BASE_URL, else the local default; no trailing /."""
    return (given or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")


def served_url(host: str, port: int) -> str:
    """The address `mldebt serve` answers on (an IPv6 host in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"
