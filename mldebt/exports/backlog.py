"""Backlog exports: one small interface, one module per format, and the registry that names them.

Every format writes the same items (``mldebt.readmodel.backlog.BacklogItem``) and keeps
their stable ids (``MLD-...``), so importing a later export into the same
tool updates the tickets it made before instead of adding duplicates. An
export holds nothing that changes from one run to the next by itself (no
export time), so two exports differ exactly where the items differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mldebt.errors import FieldError
from mldebt.exports import csvfile as export_csv
from mldebt.exports import github as export_github
from mldebt.exports import jira as export_jira
from mldebt.exports import jsonfile as export_json
from mldebt.exports import markdown as export_markdown

if TYPE_CHECKING:
    from mldebt.readmodel.backlog import BacklogItem

Exporter = Callable[[Sequence["BacklogItem"]], str]

FORMATS: dict[str, Exporter] = {
    "csv": export_csv.render,
    "jira": export_jira.render,
    "github": export_github.render,
    "markdown": export_markdown.render,
    "json": export_json.render,
}


def exporter(fmt: str) -> Exporter:
    """The exporter of format ``fmt``; FieldError ``format`` for a format there is none of."""
    if fmt not in FORMATS:
        known = ", ".join(FORMATS)
        raise FieldError(
            "format", f"expected one of {known}", sentence=lambda n: f"{n('format')} {fmt!r}: expected one of {known}"
        )
    return FORMATS[fmt]
