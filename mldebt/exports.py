"""Backlog exports: one small interface, one module per format, and the registry that names them.

Every format writes the same items (``mldebt.backlog.BacklogItem``) and keeps
their stable ids (``MLD-...``), so importing a later export into the same
tool updates the tickets it made before instead of adding duplicates. An
export holds nothing that changes from one run to the next by itself (no
export time), so two exports differ exactly where the items differ.
"""
from __future__ import annotations

from typing import Callable, Sequence

from . import export_csv, export_github, export_jira, export_json, export_markdown
from .backlog import BacklogItem
from .errors import InputError

Exporter = Callable[[Sequence[BacklogItem]], str]

FORMATS: dict[str, Exporter] = {
    "csv": export_csv.render,
    "jira": export_jira.render,
    "github": export_github.render,
    "markdown": export_markdown.render,
    "json": export_json.render,
}


def render(items: Sequence[BacklogItem], fmt: str) -> str:
    """The items in format ``fmt``, as text ready to write to a file."""
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return FORMATS[fmt](items)
