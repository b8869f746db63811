"""Charts as SVG, drawn on the server, for the web scorecard and the PDF report alike.

Plain SVG from small Jinja templates (``templates/charts/``; the sparkline,
drawn a hundred times a page, by string formatting) rather than a charting
library: a library renders each chart tens of times slower, embeds scripts
by default, and gives less control over the text equivalent. Nothing is
fetched from the network. Colours are the Okabe-Ito palette, safe for
colour-blind readers; up to ``len(SHAPES)`` series differ by marker shape
and dash pattern too, never by colour alone. Every chart comes with a
sentence and a table that say what it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape


def _templates_folder() -> Path:
    """``mldebt/templates`` once installed; ``templates/`` beside the package in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "charts").is_dir():
            return candidate
    raise RuntimeError(f"the mldebt templates are missing (looked beside {here})")


TEMPLATES = _templates_folder()
# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3", "10 4")
SHAPES = ("circle", "square", "triangle", "diamond", "cross", "circle-open")
_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES / "charts")),
    autoescape=select_autoescape(["svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Chart:
    """An SVG and its text equivalent: a one-sentence summary and the data as a table."""

    svg: Markup
    summary: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.{digits}f}"
    return text[:-2] if text.endswith(".0") else text


def _marker(shape: str, x: float, y: float) -> Markup:
    x, y = round(x, 1), round(y, 1)
    if shape == "square":
        return Markup(f'<rect x="{x - 3.5}" y="{y - 3.5}" width="7" height="7"/>')
    if shape == "triangle":
        return Markup(f'<polygon points="{x},{y - 4.5} {x + 4.5},{y + 3.5} {x - 4.5},{y + 3.5}"/>')
    if shape == "diamond":
        return Markup(f'<polygon points="{x},{y - 5} {x + 5},{y} {x},{y + 5} {x - 5},{y}"/>')
    if shape == "cross":
        return Markup(
            f'<path d="M{x - 4},{y - 4}L{x + 4},{y + 4}M{x - 4},{y + 4}L{x + 4},{y - 4}" stroke-width="2" fill="none"/>'
        )
    if shape == "circle-open":
        return Markup(f'<circle cx="{x}" cy="{y}" r="4" fill="#ffffff" stroke-width="2"/>')
    return Markup(f'<circle cx="{x}" cy="{y}" r="4"/>')


def _segments(points: list[dict[str, float] | None]) -> list[list[dict[str, float]]]:
    """Runs of consecutive known points: a missing value breaks the line instead of inventing one."""
    out: list[list[dict[str, float]]] = [[]]
    for p in points:
        if p is None:
            if out[-1]:
                out.append([])
        else:
            out[-1].append(p)
    return [seg for seg in out if len(seg) > 1]


def lines(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    maximum: float,
    marks: Sequence[tuple[int, str]] = (),
    unit: str = "",
    width: int = 640,
    height: int = 260,
) -> Chart:
    """A line chart over ``labels`` (quarters or scans); ``marks`` draw a labelled rule at an index."""
    left, right, top = 44, width - 36, 18
    bottom = height - 58
    steps = max(len(labels) - 1, 1)

    def x_at(i: int) -> float:
        return round(left + (right - left) * (i / steps if len(labels) > 1 else 0.5), 1)

    def y_at(v: float) -> float:
        return round(bottom - (bottom - top) * (min(max(v, 0.0), maximum) / maximum), 1)

    every = max(1, -(-len(labels) // 10))
    columns = 2 if any(len(s.name) > 18 for s in series) else 4
    drawn = []
    for n, s in enumerate(series):
        pts = [None if v is None else {"x": x_at(i), "y": y_at(v)} for i, v in enumerate(s.values)]
        drawn.append(
            {
                "name": _clip(s.name, 40 if columns == 2 else 20),
                "colour": PALETTE[n % len(PALETTE)],
                "dash": DASHES[n % len(DASHES)],
                "shape": SHAPES[n % len(SHAPES)],
                "segments": _segments(pts),
                "points": [p for p in pts if p is not None],
                "legend_x": left + (n % columns) * ((right - left) // columns),
                "legend_y": bottom + 36 + 18 * (n // columns),
            }
        )
    height += 18 * max(-(-len(series) // columns) - 1, 0)
    summary = f"{title}. {_describe(labels, series, unit)}" + (
        " " + "; ".join(f"{labels[i]}: {text}" for i, text in marks if 0 <= i < len(labels)) + "." if marks else ""
    )
    svg = _env.get_template("lines.svg").render(
        label=summary,
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        series=drawn,
        marker=_marker,
        yticks=[{"y": y_at(v), "text": number(v)} for v in _ticks(maximum)],
        xticks=[{"x": x_at(i), "text": labels[i]} for i in range(len(labels) - 1, -1, -every)],  # the last always
        marks=[{"x": x_at(i), "text": text} for i, text in marks if 0 <= i < len(labels)],
    )
    notes = {i: text for i, text in marks}
    rows = tuple((label, *(number(s.values[i]) for s in series), notes.get(i, "")) for i, label in enumerate(labels))
    return Chart(Markup(svg), summary, ("", *(s.name for s in series), "note"), rows)


def _ticks(maximum: float) -> list[float]:
    """Round grid values: whole points up to 10, quarters of the range above."""
    if maximum <= 10:
        return [float(v) for v in range(int(maximum) + 1)]
    return [maximum * k / 4 for k in range(5)]


def _describe(labels: Sequence[str], series: Sequence[Series], unit: str) -> str:
    if not labels:
        return "No data yet."
    parts = []
    for s in series:
        known = [(labels[i], v) for i, v in enumerate(s.values) if v is not None]
        if not known:
            parts.append(f"{s.name}: no data")
        elif len(known) == 1:
            parts.append(f"{s.name}: {number(known[0][1])}{unit} in {known[0][0]}")
        else:
            parts.append(
                f"{s.name}: {number(known[0][1])}{unit} in {known[0][0]} to "
                f"{number(known[-1][1])}{unit} in {known[-1][0]}"
            )
    return "; ".join(parts) + "."


def bars(
    title: str, items: Sequence[tuple[str, float | None]], maximum: float, unit: str = "", width: int = 640
) -> Chart:
    """Horizontal bars, one per labelled value; a value of None shows as ``n/a`` with no bar."""
    left, plot = 250, width - 250 - 70
    drawn = [
        {
            "label": _clip(label, 38),
            "y": 6 + 20 * i,
            "width": None if value is None else round(plot * min(max(value, 0.0), maximum) / maximum, 1),
            "text": number(value) + (unit if value is not None else ""),
        }
        for i, (label, value) in enumerate(items)
    ]
    height = 12 + 20 * len(items)
    described = "; ".join(f"{label} {number(value)}{unit if value is not None else ''}" for label, value in items)
    svg = _env.get_template("bars.svg").render(
        label=f"{title} (out of {number(maximum)}): {described}.",
        width=width,
        height=height,
        left=left,
        plot=plot,
        bars=drawn,
        colour=PALETTE[0],
    )
    return Chart(
        Markup(svg),
        f"{title} (out of {number(maximum)}): {described}.",
        ("", "score"),
        tuple((label, number(value)) for label, value in items),
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sparkline(
    title: str, labels: Sequence[str], values: Sequence[float | None], maximum: float, width: int = 96, height: int = 24
) -> Chart:
    """A small trend line for a table cell; its aria-label states every value.

    Drawn with string formatting rather than a template: a portfolio page draws hundreds.
    """
    steps = max(len(values) - 1, 1)
    pts = [
        None
        if v is None
        else {
            "x": round(2 + (width - 4) * i / steps, 1),
            "y": round(height - 3 - (height - 6) * min(max(v, 0.0), maximum) / maximum, 1),
        }
        for i, v in enumerate(values)
    ]
    known = [p for p in pts if p is not None]
    described = ", ".join(f"{label} {number(v)}" for label, v in zip(labels, values))
    summary = f"{title}: {described or 'no data'}"
    label = escape(summary)
    lines = "".join(
        '<polyline points="'
        + " ".join(f"{p['x']},{p['y']}" for p in seg)
        + f'" fill="none" stroke="{PALETTE[0]}" stroke-width="1.5"/>'
        for seg in _segments(pts)
    )
    dot = f'<circle cx="{known[-1]["x"]}" cy="{known[-1]["y"]}" r="2.5" fill="{PALETTE[0]}"/>' if known else ""
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart sparkline" role="img" aria-label="{label}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}"><title>{label}</title>{lines}{dot}</svg>'
    )
    return Chart(Markup(svg), summary, ("", title), tuple((label, number(v)) for label, v in zip(labels, values)))
