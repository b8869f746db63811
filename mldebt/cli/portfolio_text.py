"""`mldebt show` without a project: the portfolio summary, one line per project under its team, as text or CSV.

The data is ``readmodel.scorecard.portfolio`` (the portfolio page's read
model): teams by their largest gap to target, projects by gap within each
team. A line gives the project's tier, the level it holds, its gap to the
tier's target in levels and ML Test Score points, grade and overall score,
ML Test Score, the change since the previous quarter's end and its open
effort; each team's line gives its projects and their open effort.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

from mldebt.cli.terminal import Cell, Column, Page
from mldebt.exports import csvsafe
from mldebt.readmodel.scorecard import target_text

COLUMNS = (
    Column("Project", min_width=12),
    Column("Tier", optional=3),
    Column("Level", optional=2),
    Column("Gap to target"),
    Column("Grade"),
    Column("ML Test", justify="right"),
    Column("Since"),  # the previous quarter's name is added
    Column("Effort", justify="right"),
)
CSV_HEADER = (
    "quarter",
    "team",
    "team_name",
    "project",
    "tier",
    "level",
    "target_level",
    "target_ml_test_score",
    "gap",
    "gap_size",
    "gap_levels",
    "gap_ml_test_score",
    "grade",
    "overall",
    "ml_test_score",
    "effort_hours",
    "open_items",
    "since",
    "trend_note",
    "previous_grade",
    "change_overall",
    "change_ml_test_score",
    "change_effort_hours",
)


def number(value: float | None, unit: str = "") -> str:
    """``3.5``, ``12``, ``1,204 h``; ``–`` for an unknown value."""
    if value is None:
        return "–"
    text = f"{value:,.1f}".removesuffix(".0")
    return f"{text} {unit}" if unit else text


def signed(value: float) -> str:
    """``+8.5``, ``−2`` (a true minus sign), ``0``."""
    text = number(abs(value))
    return "0" if value == 0 else f"+{text}" if value > 0 else f"−{text}"


def plural(count: float, word: str) -> str:
    return f"{number(count)} {word}" + ("" if count == 1 else "s")


def short_gap(row: Mapping[str, Any]) -> str:
    """``2 levels, 2 pts``, ``1 level``, ``on target``; ``no target`` for a scan scored before tiers."""
    gap = row["gap"]
    if row["tier"] is None or gap["size"] is None:
        return "no target"
    if gap["size"] == 0:
        return "on target"
    levels, points = gap.get("levels"), gap.get("ml_test_score")
    if levels is None and points is None:
        return number(gap["size"])
    parts = [plural(levels, "level")] if levels else []
    parts += [f"{number(points)} pt" + ("" if points == 1 else "s")] if points else []
    return ", ".join(parts)


def trend(row: Mapping[str, Any]) -> Text:
    """The change since the previous quarter's end: ``▲ +8.5 (D→C)``, ``▼ −2``, ``= 0``, ``new``; the arrow
    weighs the overall score and the ML Test Score together (``±`` when one rose and the other fell)."""
    t = row["trend"]
    if t["note"] is not None:
        return Text("new" if t["note"] == "new this quarter" else "other rubric", style="dim")
    overall, ml = t["overall"], t["ml_test_score"]
    if overall is None and ml is None:
        return Text("–")
    up = (overall or 0) > 0 or (ml or 0) > 0
    down = (overall or 0) < 0 or (ml or 0) < 0
    arrow, style = ("±", "yellow") if up and down else ("▲", "green") if up else ("▼", "red") if down else ("=", "")
    text = f"{arrow} {signed(overall)}" if overall is not None else arrow
    if t["grade"] and t["grade"] != row["grade"]:
        text += f" ({t['grade']}→{row['grade']})"
    return Text(text, style=style)


def ml_test(row: Mapping[str, Any]) -> str:
    """``3.5``, or ``3.5 (+0.5)`` when it moved since the previous quarter."""
    change = row["trend"]["ml_test_score"]
    return number(row["ml_test_score"]) + (f" ({signed(change)})" if change else "")


def grade(row: Mapping[str, Any]) -> str:
    return (
        "–"
        if row["grade"] is None
        else f"{row['grade']} {number(None if row['overall'] is None else round(row['overall']))}"
    )


def render(data: Mapping[str, Any], page: Page) -> None:
    rows = data["projects"]
    page.heading(
        f"Portfolio at the end of {data['quarter']}: {plural(data['project_count'], 'project')} in "
        f"{plural(len(data['teams']), 'team')}, grade {data['grade']} ({number(data['overall'])} / 100), "
        f"open effort {number(data['effort_hours'], 'h')}"
    )
    page.line(
        f"Latest scan {data['as_of']}. Largest gap to target first: the team with the largest gap, then "
        "its projects by gap.",
        style="dim",
    )
    page.blank()
    since = data["previous_quarter"] or "last quarter"
    columns = [*COLUMNS[:6], Column(f"Since {since}", optional=1), COLUMNS[7]]
    by_team: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_team.setdefault(row["team"], []).append(row)
    groups: list[tuple[Cell | None, Sequence[Sequence[Cell]]]] = [
        (
            Text(
                f"{team['team_name']}: {plural(team['project_count'], 'project')}, "
                f"{number(team['effort_hours'], 'h')} open effort",
                style="bold",
            ),
            [_line(row) for row in by_team[team["team"]]],
        )
        for team in data["teams"]
    ]
    page.grouped(columns, groups, indent=2)
    page.blank()
    for text in footnotes(data):
        page.line(text, style="dim")


def _line(row: Mapping[str, Any]) -> list[Cell]:
    gap = short_gap(row)
    return [
        row["project"],
        row["tier_title"] or "–",
        row["level_title"] or "none",
        (gap, None if gap in ("on target", "no target") else "bold"),
        grade(row),
        ml_test(row),
        trend(row),
        number(row["effort_hours"], "h"),
    ]


def footnotes(data: Mapping[str, Any]) -> list[str]:
    """What the columns mean, in short sentences under the table."""
    targets: dict[str, list[str]] = {}  # each target, and the tiers that have it
    for row in data["projects"]:
        if row["tier"] is not None:
            tiers = targets.setdefault(target_text(row), [])
            tiers += [] if row["tier_title"] in tiers else [row["tier_title"]]
    notes = []
    if targets:
        notes.append(
            "Gap to target: levels and ML Test Score points short of the tier's target ("
            + "; ".join(f"{', '.join(tiers)}: {target}" for target, tiers in targets.items())
            + ")."
        )
    if data["previous_quarter"]:
        notes.append(
            f"Since {data['previous_quarter']}: change of the overall score (0-100; the grade before and after "
            f"when it changed), against the project's scan in force at the end of {data['previous_quarter']}; "
            "the ML Test Score's change is beside it. Grade: the grade and its overall score."
        )
    if data["not_scanned"]:
        notes.append(f"Not scanned yet: {', '.join(data['not_scanned'])}.")
    notes.append("`mldebt show PROJECT` lists one project's checks; `mldebt compare` says what changed.")
    return notes


def csv_text(data: Mapping[str, Any]) -> str:
    """One row per project, in the summary's order."""
    return csvsafe.render(
        CSV_HEADER,
        (
            (
                data["quarter"],
                r["team"],
                r["team_name"],
                r["project"],
                r["tier"],
                r["level"],
                r["target"]["level"],
                r["target"]["ml_test_score"],
                r["gap"]["text"],
                r["gap"]["size"],
                r["gap"]["levels"],
                r["gap"]["ml_test_score"],
                r["grade"],
                r["overall"],
                r["ml_test_score"],
                r["effort_hours"],
                r["open_items"],
                r["trend"]["since"],
                r["trend"]["note"],
                r["trend"]["grade"],
                r["trend"]["overall"],
                r["trend"]["ml_test_score"],
                r["trend"]["effort_hours"],
            )
            for r in data["projects"]
        ),
    )
