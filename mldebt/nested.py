"""TOML and JSON from untrusted files, where deep nesting is a parse error like any other.

``tomllib`` and ``json`` recurse once per level of nesting: about 20 KB of
``[`` in a scanned repository's pyproject.toml, Pipfile.lock or notebook raise
``RecursionError``, which ends whatever collector was reading it, not just
the file. These wrappers turn it into the parser's own error type
(``tomllib.TOMLDecodeError``, ``json.JSONDecodeError``, both ``ValueError``), so
the handlers that already turn a malformed file into an error fact naming it
cover this case too. YAML has its own limits in ``mldebt.yamlfile``.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

TOO_DEEP = "nested too deeply to read"


def toml_loads(text: str) -> dict[str, Any]:
    """``tomllib.loads``; too deep a nesting raises ``TOMLDecodeError`` like any malformed TOML."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError(TOO_DEEP) from None


def json_loads(text: str | bytes) -> Any:
    """``json.loads``; too deep a nesting raises ``JSONDecodeError`` (at the start) like any malformed JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        doc = text if isinstance(text, str) else text[:200].decode("utf-8", errors="replace")
        raise json.JSONDecodeError(TOO_DEEP, doc, 0) from None
