"""The report's and campaign pages' own charts: grouped columns and a campaign burn-up.

They follow ``mldebt.charts`` (same palette, dash patterns, fonts and text
equivalents) and are kept here because that module is being rewritten by
the web scorecard's work; they belong beside its functions once it settles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from mldebt.charts import DASHES, PALETTE, Chart, Series, number


def _marker(shape: str, x: float, y: float) -> str:
    if shape == "square":
        return f'<rect x="{round(x - 3.5, 1)}" y="{round(y - 3.5, 1)}" width="7" height="7"/>'
    return f'<circle cx="{x}" cy="{y}" r="4"/>'


def _svg_open(kind: str, label: str, width: int, height: int) -> str:
    text = escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" aria-label="{text}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="DejaVu Sans, Verdana, sans-serif" font-size="11"><title>{text}</title>'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
    )


def _count_top(value: float) -> float:
    """A round axis maximum for counts: four whole ticks of 1, 2, 3 or 5 times a power of ten."""
    step = max(math.ceil(value / 4), 1)
    magnitude = 10 ** (len(str(step)) - 1)
    return float(4 * next(m * magnitude for m in (1, 2, 3, 5, 10) if m * magnitude >= step))


def columns(
    title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "", width: int = 320, height: int = 190
) -> Chart:
    """Vertical columns, one group per label and one column per series (e.g. last quarter beside this one).

    The first series is drawn as outlined columns and the others solid, so the
    groups read in greyscale; every column carries its value as text.
    """
    left, right, top, bottom = 30, width - 8, 14, height - 44
    highest = max((v or 0.0 for s in series for v in s.values), default=0.0)
    maximum = _count_top(highest)
    group = (right - left) / max(len(labels), 1)
    bar = min(26.0, (group - 6) / max(len(series), 1))
    described = "; ".join(
        s.name + ": " + ", ".join(f"{label} {number(v)}{unit}" for label, v in zip(labels, s.values)) for s in series
    )
    parts = [_svg_open("columns", f"{title}. {described}.", width, height)]
    for k in range(5):
        y = round(bottom - (bottom - top) * k / 4, 1)
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="#d0d0d0"/>'
            f'<text x="{left - 4}" y="{y + 4}" text-anchor="end" fill="#333333">{number(maximum * k / 4)}</text>'
        )
    for i, label in enumerate(labels):
        x0 = left + group * i + (group - bar * len(series)) / 2
        for n, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            x = round(x0 + bar * n, 1)
            h = 0.0 if value is None else round((bottom - top) * min(max(value, 0.0), maximum) / maximum, 1)
            colour = PALETTE[n % len(PALETTE)]
            fill, stroke = ("#ffffff", "#333333") if n == 0 and len(series) > 1 else (colour, colour)
            parts.append(
                f'<rect x="{x + 1}" y="{round(bottom - h, 1)}" width="{round(bar - 2, 1)}" height="{h}" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>'
            )
            parts.append(
                f'<text x="{round(x + bar / 2, 1)}" y="{round(bottom - h - 3, 1)}" text-anchor="middle" '
                f'font-size="9" fill="#000000">{escape(number(value))}</text>'
            )
        parts.append(
            f'<text x="{round(left + group * (i + 0.5), 1)}" y="{bottom + 14}" text-anchor="middle" '
            f'font-size="10" fill="#000000">{escape(label)}</text>'
        )
    parts.append(f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#333333"/>')
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        fill, stroke = ("#ffffff", "#333333") if n == 0 and len(series) > 1 else (colour, colour)
        x = left + n * 120
        parts.append(
            f'<rect x="{x}" y="{bottom + 26}" width="12" height="10" fill="{fill}" stroke="{stroke}"/>'
            f'<text x="{x + 17}" y="{bottom + 35}" fill="#000000">{escape(s.name)}</text>'
        )
    parts.append("</svg>")
    rows = tuple(
        (label, *(number(s.values[i] if i < len(s.values) else None) for s in series)) for i, label in enumerate(labels)
    )
    return Chart(Markup("".join(parts)), f"{title}. {described}.", ("", *(s.name for s in series)), rows)


def burnup(
    title: str, start: date, target: date, points: Sequence[tuple[date, int, int]], width: int = 560, height: int = 220
) -> Chart:
    """A campaign's burn-up over time: its scope and the items done, on a date axis from start to target.

    ``points`` are (day, scope, done), oldest first. A dotted line joins the
    start to the scope at the target: the pace the campaign needs.
    """
    left, right, top, bottom = 40, width - 14, 16, height - 50
    days = [p[0] for p in points]
    last = max([target, *days])
    span = max((last - start).days, 1)
    maximum = _count_top(max([p[1] for p in points] or [0]))

    def x_at(day: date) -> float:
        return round(left + (right - left) * (day - start).days / span, 1)

    def y_at(value: float) -> float:
        return round(bottom - (bottom - top) * value / maximum, 1)

    summary = (
        f"{title}: "
        + "; ".join(f"{d.isoformat()} {done} of {scope} done" for d, scope, done in points)
        + f"; target {target.isoformat()}."
        if points
        else f"{title}: no scans since the start."
    )
    parts = [_svg_open("burnup", summary, width, height)]
    for k in range(5):
        y = y_at(maximum * k / 4)
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="#d0d0d0"/>'
            f'<text x="{left - 4}" y="{y + 4}" text-anchor="end" fill="#333333">{number(maximum * k / 4)}</text>'
        )
    for day, text, anchor in ((start, start.isoformat(), "start"), (target, target.isoformat(), "end")):
        parts.append(f'<text x="{x_at(day)}" y="{bottom + 15}" text-anchor="{anchor}" fill="#333333">{text}</text>')
    tx = x_at(target)
    parts.append(
        f'<line x1="{tx}" x2="{tx}" y1="{top - 4}" y2="{bottom}" stroke="#000000" stroke-dasharray="2 3"/>'
        f'<text x="{tx - 3}" y="{top + 6}" text-anchor="end" font-size="10" fill="#000000">target</text>'
    )
    if points:
        parts.append(
            f'<line x1="{x_at(start)}" y1="{y_at(points[0][2])}" x2="{tx}" y2="{y_at(points[-1][1])}" '
            f'stroke="#555555" stroke-width="1" stroke-dasharray="1 3"/>'
        )
    lines = (
        ("scope", "square", [(day, scope) for day, scope, _ in points]),
        ("done", "circle", [(day, done) for day, _, done in points]),
    )
    for n, (name, shape, counts) in enumerate(lines):
        colour, dash = PALETTE[n + 1 if n else 0], DASHES[1 if n == 0 else 0]
        steps = []
        for i, (day, count) in enumerate(counts):
            if i:
                steps.append(f"{x_at(day)},{y_at(counts[i - 1][1])}")
            steps.append(f"{x_at(day)},{y_at(count)}")
        parts.append(
            f'<g stroke="{colour}" fill="{colour}"><polyline points="{" ".join(steps)}" fill="none" '
            f'stroke-width="2" stroke-dasharray="{dash}"/>'
            + "".join(_marker(shape, x_at(day), y_at(count)) for day, count in counts)
            + "</g>"
        )
        lx = left + n * 110
        parts.append(
            f'<g transform="translate({lx},{bottom + 34})"><line x1="0" x2="22" y1="0" y2="0" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/><g fill="{colour}" '
            f'stroke="{colour}">{_marker(shape, 11, 0)}</g><text x="28" y="4" fill="#000000">{name}</text></g>'
        )
    parts.append(
        f'<g transform="translate({left + 220},{bottom + 34})"><line x1="0" x2="22" y1="0" y2="0" '
        f'stroke="#555555" stroke-dasharray="1 3"/><text x="28" y="4" fill="#000000">pace to target</text></g>'
    )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="#333333"/>'
        f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#333333"/></svg>'
    )
    rows = tuple((d.isoformat(), str(scope), str(done), str(scope - done)) for d, scope, done in points)
    return Chart(Markup("".join(parts)), summary, ("day", "scope", "done", "not done"), rows)
