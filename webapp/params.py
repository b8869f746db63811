"""Query parameters, checked: a bad value is an InputError, which the error handler turns into a 400."""

from __future__ import annotations

import math
from collections.abc import Iterable

from flask import request

from mldebt.errors import InputError
from mldebt.readmodel.quarters import BadValue, Quarter

MAX_TEXT = 200


def text(name: str) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if len(value) > MAX_TEXT or any(ord(ch) < 32 for ch in value):
        raise InputError(f"parameter {name}: too long or not printable")
    return value


def choice(name: str, allowed: Iterable[str], default: str | None = None) -> str | None:
    value = text(name)
    if value is None:
        return default
    options = list(allowed)
    if value not in options:
        raise InputError(f"parameter {name}={value!r}: expected one of {', '.join(options)}")
    return value


def number(name: str, low: float = 0.0, high: float = 1e9) -> float | None:
    value = text(name)
    if value is None:
        return None
    try:
        parsed = float(value)
    except ValueError:
        raise InputError(f"parameter {name}={value!r}: expected a number") from None
    if not math.isfinite(parsed) or not low <= parsed <= high:
        raise InputError(f"parameter {name}={value!r}: expected a number from {low:g} to {high:g}")
    return parsed


def quarter(name: str) -> Quarter | None:
    """A quarter, written 2026Q3 (or 2026-Q3, as the pages once printed it)."""
    value = text(name)
    if value is None:
        return None
    try:
        return Quarter.parse(value)
    except BadValue as exc:
        raise InputError(exc.named(f"parameter {name}")) from None


def only(*names: str) -> None:
    """Refuse parameters a page does not know, so that a typo is not silently ignored."""
    unknown = sorted(set(request.args) - set(names))
    if unknown:
        raise InputError(f"unknown parameter {unknown[0]!r} (this page takes: {', '.join(names) or 'none'})")
