"""`mldebt report`: the leadership PDF, rendered by WeasyPrint from the templates in ``templates/report/``.

The page furniture (page numbers, running headers, rows kept whole) is print
CSS in ``templates/report/report.css``; the charts are the web scorecard's
own SVG charts (``mldebt.charts``), so both show the same pictures.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from mldebt import __version__, charts
from mldebt.atomicfile import replacing, writable_target
from mldebt.readmodel.campaigns import Burnup, burnup, list_campaigns
from mldebt.readmodel.quarters import Quarter
from mldebt.report import charts as report_charts
from mldebt.report.appendix import attested, guide, method, rubric_summaries, waivers
from mldebt.report.data import BLOCKERS, ProjectView, Report, TeamView, band_ranges, report_data, status_words
from mldebt.rubric.schema import SECTION_IDS
from mldebt.settings import base_url

SERIES_LIMIT = 6  # more projects than this in a team: its trend shows the mean, lowest and highest
PROJECT_ROWS = 8  # more projects than this: the summary's target table has a row per team, the worst gaps first
TEAM_ROWS = 6
THEMES = 5  # themes on the summary; the rest are added up in one line


@dataclass(frozen=True)
class Rendered:
    path: Path
    pages: int
    quarter: Quarter
    teams: int
    projects: int


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(charts.TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=_num,
        delta=_delta,
        hours=_hours,
        day=lambda s: (s or "")[:10],
        image=image,
        status=status_words,
        closer=_closer,
        percent=_percent,
    )
    return env


def image(chart: charts.Chart) -> Markup:
    """A chart as an image: WeasyPrint then reads the SVG on its own instead of styling every shape as HTML,
    which keeps a report of hundreds of charts fast."""
    data = base64.b64encode(str(chart.svg).encode()).decode()
    return Markup(f'<img class="chart-image" src="data:image/svg+xml;base64,{data}" alt="{escape(chart.summary)}">')


def _num(value: float | None, digits: int = 1) -> str:
    """A number; a dash when there is none (n/a is a result's status, never a missing number)."""
    return "—" if value is None else charts.number(value, digits)


def _delta(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/c"
    if round(value, digits) == 0:
        return "±0"
    return ("+" if value > 0 else "−") + charts.number(abs(value), digits)


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}\u00a0h"  # a figure and its unit stay on one line


def _percent(value: float | None) -> str:
    if value is None:
        return "—"
    return "under 1%" if 0 < value < 0.5 else f"{value:.0f}%"


def _closer(change: float | None) -> str:
    """A change of the gap to the target in words: "closer by 1", "further by 0.5", "unchanged"."""
    if change is None:
        return "—"
    if round(change, 2) == 0:
        return "unchanged"
    return ("closer by " if change < 0 else "further by ") + charts.number(abs(change), 2)


def team_trend(team: TeamView) -> charts.Chart:
    """The team's grade score by quarter: one line per project, or mean, lowest and highest for big teams."""
    labels = [str(p.quarter) for p in team.trend]
    marks = [(i, "other rubric") for i, p in enumerate(team.trend) if not p.same_rubric]
    if len(team.projects) <= SERIES_LIMIT:
        series = [charts.Series(v.id, [_overall_at(v, p.quarter) for p in team.trend]) for v in team.projects]
    else:
        per_quarter = [[_overall_at(v, p.quarter) for v in team.projects] for p in team.trend]
        known = [[x for x in values if x is not None] for values in per_quarter]
        series = [
            charts.Series("team mean", [p.overall for p in team.trend]),
            charts.Series("lowest project", [min(k) if k else None for k in known]),
            charts.Series("highest project", [max(k) if k else None for k in known]),
        ]
    return charts.lines(
        f"Grade score (0-100) of team {team.name} by quarter", labels, series, 100.0, marks=marks, width=640, height=170
    )


def _overall_at(view: ProjectView, quarter: Quarter) -> float | None:
    scan = view.history.get(quarter)
    return scan["overall"] if scan else None


def _ml_at(view: ProjectView, quarter: Quarter) -> float | None:
    scan = view.history.get(quarter)
    return scan["ml_test_score"] if scan else None


def summary_charts(data: Report) -> dict[str, charts.Chart]:
    labels = [label for label, _, _ in band_ranges()]
    previous = charts.Series(str(data.previous), [n for _, n in data.distribution(previous=True)])
    current = charts.Series(str(data.quarter), [n for _, n in data.distribution()])
    grades_now, grades_before = data.grades(), dict(data.grades(previous=True))
    return {
        "distribution": report_charts.columns(
            "Projects by ML Test Score band", labels, [previous, current], height=120
        ),
        "grades": report_charts.columns(
            "Projects by grade",
            [g for g, _ in grades_now],
            [
                charts.Series(str(data.previous), [grades_before.get(g, 0) for g, _ in grades_now]),
                charts.Series(str(data.quarter), [n for _, n in grades_now]),
            ],
            height=120,
        ),
    }


def campaign_progress(db: sqlite_utils.Database, data: Report, base: str | None = None) -> list[dict[str, Any]]:
    """Campaigns touching the report's projects, with their burn-up up to the quarter's end (drawn by the chart
    the campaign's web page draws) and the address of that page."""
    names = {p.id for p in data.projects}
    found = []
    for campaign in list_campaigns(db):
        if campaign.start_on > data.quarter.last_day or not set(campaign.all_projects) & names:
            continue
        progress: Burnup = burnup(db, campaign, until=data.quarter.end)
        chart = report_charts.burnup(
            f"Burn-up of campaign {campaign.name}",
            campaign.start_on,
            campaign.target_on,
            [(p.day, p.scope, p.done) for p in progress.points],
            width=600,
            height=200,
        )
        link = f"{base_url(base)}/campaigns/{quote(campaign.name, safe='')}"
        found.append({"campaign": campaign, "burnup": progress, "chart": chart, "link": link})
    return found


def render_html(
    db: sqlite_utils.Database,
    quarter: Quarter | None = None,
    team: str | None = None,
    title: str = "ML technical debt",
    base: str | None = None,
) -> tuple[str, Report]:
    data = report_data(db, quarter, team, base)
    shown = data.shown_quarters
    labels = [str(q) for q in shown]
    context = {
        "title": title,
        "data": data,
        "version": __version__,
        "today": date.today().isoformat(),
        "sections": SECTION_IDS,
        "charts": summary_charts(data),
        "trends": {t.id: team_trend(t) for t in data.teams},
        "sparklines": {
            v.id: charts.sparkline(f"ML Test Score of {v.id}", labels, [_ml_at(v, q) for q in shown], 7.0)
            for v in data.projects
        },
        "campaigns": campaign_progress(db, data, base),
        "rubrics": rubric_summaries(data),
        "method": method(),
        "guide": guide(data),
        "project_rows": PROJECT_ROWS,
        "team_rows": TEAM_ROWS,
        "theme_count": THEMES,
        "blockers_shown": BLOCKERS,
        "attested": attested(db, data),
        "waivers": waivers(db, data),
    }
    return environment().get_template("report/report.html").render(**context), data


def write_report(
    db: sqlite_utils.Database,
    output: Path,
    quarter: Quarter | None = None,
    team: str | None = None,
    title: str = "ML technical debt",
    base: str | None = None,
) -> Rendered:
    """Render the report to ``output`` (a PDF file) and say how many pages it took.

    The PDF is written whole or not at all (``atomicfile``): a disk that fills
    up half way leaves the report that was there before. An ``output`` that
    cannot be written (a missing folder) raises OutputError before the render.
    """
    from weasyprint import HTML  # imported here: loading Pango costs a second the other commands need not pay

    writable_target(output)  # before the render, which takes seconds
    html, data = render_html(db, quarter, team, title, base)
    document = HTML(string=html, base_url=str(charts.TEMPLATES / "report")).render()
    with replacing(output) as handle:
        document.write_pdf(handle)
    return Rendered(output, len(document.pages), data.quarter, len(data.teams), len(data.projects))
