"""Jinja filters the templates share (the PDF report registers the same ones)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app, url_for
from jinja2 import Environment

from mldebt import __version__
from mldebt.charts import number
from mldebt.rubric.paydown import PRIORITY_FORMULA, PRIORITY_HELP, PRIORITY_UNIT

STATUS = {  # symbol and words, so that status never depends on colour alone
    "automated": ("✔", "automated"),
    "manual": ("½", "manual"),
    "fail": ("✘", "failing"),
    "unknown": ("?", "unknown"),
    "waived": ("~", "waived"),
    "n/a": ("–", "does not apply"),
    None: ("·", "not scored"),
}


def signed(value: float | None, digits: int = 1) -> str:
    """A change with its sign: ``+2.5``, ``−1``, ``±0``; ``n/a`` when unknown."""
    if value is None:
        return "n/a"
    if abs(value) < 10**-digits / 2:
        return "±0"
    return ("+" if value > 0 else "−") + number(abs(value), digits)


def link_url(value: Any) -> str | None:
    """The URL when it is safe to put in an href (http or https only), else None."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def day(value: Any) -> str:
    return str(value or "")[:10]


def short_sha(value: Any) -> str:
    return str(value)[:10] if value else "working tree"


def pretty(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def status_symbol(status: str | None) -> str:
    return STATUS.get(status, STATUS[None])[0]


def status_words(status: str | None) -> str:
    return STATUS.get(status, (None, str(status)))[1]


def status_class(status: str | None) -> str:
    """A status as a CSS class name: ``n/a`` is ``na``; no status is ``none``."""
    return (status or "none").replace("/", "")


def family(title: str | None) -> str:
    """A debt category's family without the word debt: ``Configuration debt`` is ``Configuration``."""
    text = str(title or "").strip()
    return text[:-5].rstrip() if text.lower().endswith(" debt") else text


def health(title: str | None) -> str:
    """A debt category's title as the name of its score, where higher is better: ``Configuration debt`` is
    ``Configuration health`` (100 = no debt found); a title without "debt" gains "health" all the same."""
    return f"{family(title)} health"


FILTERS: dict[str, Callable[..., str | None]] = {
    "number": number,
    "signed": signed,
    "link_url": link_url,
    "day": day,
    "short_sha": short_sha,
    "pretty": pretty,
    "status_symbol": status_symbol,
    "status_words": status_words,
    "status_class": status_class,
    "health": health,
    "family": family,
}


def register(env: Environment) -> None:
    env.filters.update(FILTERS)


def register_filters(app: Any) -> None:
    register(app.jinja_env)
    app.jinja_env.globals["mldebt_version"] = __version__
    app.jinja_env.globals["link"] = link
    app.jinja_env.globals["priority_unit"] = PRIORITY_UNIT  # wherever a priority is shown, its unit
    app.jinja_env.globals["priority_help"] = PRIORITY_HELP  # and its formula, in the paydown rule's words
    app.jinja_env.globals["priority_formula"] = PRIORITY_FORMULA
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def link(endpoint: str, **values: Any) -> str:
    """``url_for`` for a big table: the route is built once per endpoint and filled in by quoting.

    Values are quoted exactly as Werkzeug's default converter quotes a path segment.
    """
    keys = tuple(sorted(values))
    cache = current_app.extensions.setdefault("mldebt_links", {})
    template: str | None = cache.get((endpoint, keys))
    if template is None:
        holes: dict[str, Any] = {k: f"\x00{k}\x00" for k in keys}  # url_for's **values
        template = cache[(endpoint, keys)] = url_for(endpoint, **holes).replace("%00", "\x00")
    for key in keys:
        template = template.replace(f"\x00{key}\x00", quote(str(values[key]), safe="!$&'()*+,/:;=@"))
    return template
