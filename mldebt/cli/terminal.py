"""Text for a terminal, laid out by Rich behind a small interface of ours: a ``Page`` of lines, tables and
labelled paragraphs that fits a width, styled only where a terminal shows styles.

Rich does the column widths and the word wrapping (a long reason wraps inside
its own column, under itself); the renderers only say what goes where. Styles
follow https://no-color.org and the stream: none when NO_COLOR is set (to
anything but an empty string), none when stdout is not a terminal (a pipe, a
file), so a pipe gets plain text without a single control code. Lines never
end in blanks, so golden files read the same in any editor.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import click
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

WIDTH = 100
"""The width when stdout is not a terminal and COLUMNS is not set."""
NARROWEST = 40
STYLE_CODE = re.compile(r"\x1b\[[0-9;]*m")
LINE_END = re.compile(r"(?:\s|\x1b\[[0-9;]*m)+$")
"""The blanks at the end of a line, among the codes that end its styles."""

Cell = str | Text | tuple[str, str | None]
"""What a table cell holds: text, styled text, or text and the name of its style (``"red"``, ``"bold"``)."""


def width() -> int:
    """COLUMNS when set, else the terminal's width, else ``WIDTH``; never under ``NARROWEST``."""
    return max(shutil.get_terminal_size((WIDTH, 24)).columns, NARROWEST)


def colour_wanted() -> bool:
    """Styles unless NO_COLOR is set. A page is styled whatever the stream: ``emit`` (click.echo) strips the
    styles where stdout is not a terminal, so a pipe gets none (and `CliRunner(color=True)` counts as one)."""
    return not os.environ.get("NO_COLOR")


def emit(text: str) -> None:
    """Print a rendered page (or JSON, CSV); click drops any style a pipe or NO_COLOR should not get."""
    click.echo(text, color=False if os.environ.get("NO_COLOR") else None)


@dataclass(frozen=True)
class Column:
    header: str
    justify: Literal["left", "right"] = "left"
    wrap: bool = False  # True: long text wraps in the column; False: the column keeps one line (cut with …)
    min_width: int | None = None  # set: the column may shrink to this width, cut with an ellipsis (``grouped``)
    width: int | None = None  # set: the column is this wide
    optional: int = 0  # above 0: ``grouped`` may leave the column out when rows do not fit, the highest first


def styled(text: str, style: str | None = None) -> Text:
    return Text(text, style=style or "")


class Page:
    """A page of text built top to bottom, rendered once by ``text``."""

    def __init__(self, columns: int = WIDTH, colour: bool = False) -> None:
        self.width = columns
        self._console = Console(
            file=io.StringIO(),
            width=columns,
            force_terminal=colour,
            color_system="standard" if colour else None,
            no_color=not colour,
            highlight=False,
            markup=False,
            emoji=False,
            legacy_windows=False,
            force_jupyter=False,
            force_interactive=False,
            soft_wrap=False,
        )

    def line(self, text: str | Text = "", style: str | None = None, indent: int = 0) -> None:
        """A paragraph: wrapped to the width, every wrapped line indented by ``indent``."""
        body = styled(text, style) if isinstance(text, str) else text
        self._print(body, indent)

    def heading(self, text: str, indent: int = 0) -> None:
        self.line(text, "bold", indent)

    def blank(self) -> None:
        self.line()

    def labelled(self, pairs: Iterable[tuple[str, Cell]], indent: int = 0, gap: int = 2) -> None:
        """``label  text`` lines, the texts wrapped under themselves (``Reason  Not met: ...``)."""
        self._print(labelled(pairs, gap), indent)

    def table(
        self, columns: Sequence[Column], rows: Iterable[Sequence[Cell | RenderableType]], indent: int = 0
    ) -> None:
        """Columns two blanks apart, a bold header, each row one line unless a column wraps."""
        self._print(table(columns, rows), indent)

    def grouped(
        self,
        columns: Sequence[Column],
        groups: Sequence[tuple[Cell | None, Sequence[Sequence[Cell]]]],
        indent: int = 0,
    ) -> None:
        """One table cut into groups, each under its own heading line (a team above its projects): the header
        once, at the top, and the same column widths in every group. Rows keep one line each; when they do not
        fit, the columns that may shrink (``min_width`` set) give way first, cut with an ellipsis."""
        widths = fitted(columns, [row for _, rows in groups for row in rows], self.width - indent)
        kept = [i for i, w in enumerate(widths) if w > 0]
        fixed = [Column(columns[i].header, columns[i].justify, False, width=widths[i]) for i in kept]
        self.table(fixed, [], indent)
        for heading, rows in groups:
            if heading is not None:
                self._print(cell(heading), 0)
            if rows:
                grid = table(fixed, [[row[i] for i in kept] for row in rows])
                grid.show_header = False
                self._print(grid, indent)

    def show(self, renderable: RenderableType, indent: int = 0) -> None:
        self._print(renderable, indent)

    def text(self) -> str:
        out = self._console.file.getvalue()  # type: ignore[attr-defined]  # the StringIO given above
        return "\n".join(unpadded(line) for line in out.rstrip("\n").split("\n"))

    def _print(self, renderable: RenderableType, indent: int) -> None:
        self._console.print(Padding(renderable, (0, 0, 0, indent)) if indent else renderable, crop=True)


def unpadded(line: str) -> str:
    """The line without blanks at its end, keeping the codes that close its styles."""
    return LINE_END.sub(lambda end: "".join(STYLE_CODE.findall(end.group())), line)


def plain(value: Cell) -> str:
    return value[0] if isinstance(value, tuple) else value.plain if isinstance(value, Text) else value


def fitted(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], room: int) -> list[int]:
    """Each column's width: its widest cell or header, two blanks between columns, within ``room``.

    When that is too wide, the columns that may shrink (``min_width``) give way
    first, then optional columns are left out (width 0), the highest
    ``optional`` first, before the shrinking columns give what they still can.
    """
    widths = [max([cell_len(c.header), *(cell_len(plain(row[i])) for row in rows)]) for i, c in enumerate(columns)]

    def over() -> int:
        kept = [w for w in widths if w > 0]
        return sum(kept) + 2 * (len(kept) - 1) - room

    for i in sorted((i for i, c in enumerate(columns) if c.optional), key=lambda i: -columns[i].optional):
        if over() <= 0:
            break
        shrink = sum(widths[j] - c.min_width for j, c in enumerate(columns) if c.min_width and widths[j] > c.min_width)
        if over() > shrink:
            widths[i] = 0
    for i, c in enumerate(columns):
        if over() > 0 and c.min_width is not None and widths[i] > c.min_width:
            widths[i] -= min(over(), widths[i] - c.min_width)
    return widths


def cell(value: Cell | RenderableType) -> RenderableType:
    if isinstance(value, tuple):
        return styled(value[0], value[1])
    if isinstance(value, str):
        return Text(value)
    return value


def table(columns: Sequence[Column], rows: Iterable[Sequence[Cell | RenderableType]]) -> Table:
    grid = Table(
        box=None,
        show_header=any(c.header for c in columns),
        header_style="bold",
        pad_edge=False,
        padding=(0, 1),
        show_edge=False,
        expand=False,
    )
    for c in columns:
        grid.add_column(
            c.header,
            justify=c.justify,
            no_wrap=not c.wrap,
            overflow="fold" if c.wrap else "ellipsis",
            min_width=c.min_width,
            width=c.width,
            ratio=1 if c.wrap else None,
        )
    for row in rows:
        grid.add_row(*(cell(v) for v in row))
    return grid


def labelled(pairs: Iterable[tuple[str, Cell]], gap: int = 2) -> Table:
    grid = Table.grid(padding=(0, gap, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for label, value in pairs:
        grid.add_row(Text(label, style="bold"), cell(value))
    return grid


def stacked(*parts: RenderableType) -> Group:
    """Renderables one under the other, in one table cell."""
    return Group(*parts)
