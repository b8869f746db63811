"""The one way mldebt writes CSV: no cell a spreadsheet would run as a formula, no row a stray CR splits.

Names, owners and titles come from portfolios and repositories mldebt does
not control, and a CSV export is opened in Excel, LibreOffice or Google
Sheets, which run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some of them, one that starts with a tab or a carriage return, or with
such a character after blanks) as a formula. Following OWASP's guidance on
CSV injection, such a text cell gets a leading single quote, which the
spreadsheet shows as text and does not run; the rest of the text is kept.

Rows end with CRLF (RFC 4180). Python's csv writer quotes a cell only when it
holds a character of the line terminator, so with a bare LF terminator a
carriage return inside a cell went out unquoted, and every spreadsheet (and
the csv module itself) read it as the end of the row: the text after it
started a cell of its own, unescaped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
LINE_END = "\r\n"


def cell(value: object) -> object:
    """One cell, safe to open in a spreadsheet: numbers stay numbers, None is empty, text is defused."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip().startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def render(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A whole CSV document: the header, then the rows, every cell through ``cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)
    writer.writerow([cell(c) for c in header])
    for row in rows:
        writer.writerow([cell(c) for c in row])
    return out.getvalue()
