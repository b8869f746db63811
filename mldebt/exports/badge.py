"""An SVG badge for a README: the project's grade and ML Test Score, in the flat shields style.

Text widths are estimated from per-character advances of Verdana 11px (the
font such badges use), which is close enough for a label to fit its box.
"""

from __future__ import annotations

from markupsafe import escape

# Okabe-Ito colours with white text of enough contrast; the grade is in the text, never in colour alone.
COLOURS = {"A": "#0072B2", "B": "#0072B2", "C": "#6A5D00", "D": "#B34700", "F": "#B34700"}
UNKNOWN = "#595959"
SHORT = "#6A5D00"  # short of the tier's target, whatever the grade
NARROW, WIDE = set("fijlrt.:,;!|' ()"), set("mwMW@%")


def text_width(text: str) -> int:
    return int(sum(3.5 if c in NARROW else 10.5 if c in WIDE else 7.0 for c in text)) + 10


def badge(label: str, message: str, colour: str) -> str:
    left, right = text_width(label), text_width(message)
    total = left + right
    title = escape(f"{label}: {message}")
    label_text, message_text = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        f'<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{escape(colour)}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{label_text}</text>'
        f'<text x="{left + right / 2}" y="14">{message_text}</text></g></svg>\n'
    )


def grade_badge(grade: str | None, ml_test_score: float | None, tier: str | None = None, gap: str | None = None) -> str:
    """``mldebt | grade B · ML Test 2.5/7 · prototype: on target``.

    With a tier, the badge says the gap to the tier's target; a project short
    of its target never wears the colour of a good grade.
    """
    score = "n/a" if ml_test_score is None else f"{ml_test_score:g}/7"
    letter = grade or "?"
    message = f"grade {letter} · ML Test {score}"
    colour = COLOURS.get(letter, UNKNOWN)
    if tier:
        message += f" · {tier}: {gap or 'target unknown'}"
        if gap != "on target" and colour == COLOURS["A"]:
            colour = SHORT
    return badge("mldebt", message, colour)
