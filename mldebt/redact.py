"""The one redaction helper: credentials written into URLs (``scheme://user:password@host``) never leave.

A scanned repository's files and a portfolio's settings may hold URLs with a
user name and password in them (a DVC remote, an MLflow tracking URI, a
package index, a Prometheus address). Collectors pass such URLs to the
libraries that use them, but whatever they report (fact values, error
messages, origins) and whatever the store keeps of a portfolio go through
``without_credentials`` first: ``collectors.registry.collect`` for every
fact, ``scans.save_portfolio`` for each project's sources.
"""

from __future__ import annotations

import re
from typing import Any

CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s'\"<>]*@", re.IGNORECASE)


def without_credentials(value: Any) -> Any:
    """``value`` (text, or JSON-like data of any depth) with the user and password of every URL taken out."""
    if isinstance(value, str):
        return CREDENTIALS.sub(r"\1", value) if "://" in value else value
    if isinstance(value, list):
        return [without_credentials(item) for item in value]
    if isinstance(value, tuple):
        return tuple(without_credentials(item) for item in value)
    if isinstance(value, dict):
        return {without_credentials(k): without_credentials(v) for k, v in value.items()}
    return value
