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
# A command line's secret: the value of an option or assignment named as one (--token X, --api-key=X,
# PASSWORD=X), as a CI step or a pipeline stage may write it. The name stays, the value goes.
_SECRET_NAME = r"[\w-]*(?:token|passw(?:or)?d|secret|api[-_]?key|access[-_]?key|credentials?)[\w-]*"
SECRET_OPTION = re.compile(rf"(?i)(--?{_SECRET_NAME})(=|\s+)(['\"]?)(?!<redacted>)[^\s'\"]+\3")
SECRET_ASSIGNMENT = re.compile(rf"(?i)(?<![\w-])({_SECRET_NAME})=(['\"]?)(?!<redacted>)[^\s'\"]+\2")
REDACTED = "<redacted>"


def without_secrets(text: str) -> str:
    """``text`` with the values of secret-named options and assignments replaced by ``<redacted>``."""
    if "=" not in text and "-" not in text:
        return text
    text = SECRET_OPTION.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def without_credentials(value: Any) -> Any:
    """``value`` (text, or JSON-like data of any depth) with the user and password of every URL taken out,
    and the values of secret-named command-line options (``without_secrets``)."""
    if isinstance(value, str):
        value = CREDENTIALS.sub(r"\1", value) if "://" in value else value
        return without_secrets(value)
    if isinstance(value, list):
        return [without_credentials(item) for item in value]
    if isinstance(value, tuple):
        return tuple(without_credentials(item) for item in value)
    if isinstance(value, dict):
        return {without_credentials(k): without_credentials(v) for k, v in value.items()}
    return value
