"""The portfolio page (every team and project) and one page per team."""

from __future__ import annotations

from typing import Any

import sqlite_utils
from flask import Blueprint, render_template, request

from mldebt import charts
from mldebt.errors import InputError, NotFound
from mldebt.readmodel.backlog import open_backlog
from mldebt.readmodel.quarters import Quarter
from mldebt.readmodel.queries import (
    Headline,
    check_groups,
    ordered_union,
    results_for,
    rubric_data,
    scores_by_scope,
    team_row,
    team_rows,
)
from mldebt.readmodel.scorecard import band_range, band_text, target_text
from mldebt.readmodel.scorecard import standing as place_of
from mldebt.readmodel.standing import ProjectState, TeamState, mean_of, standing
from mldebt.rubric.schema import TIER_IDS
from mldebt.webapp import params
from mldebt.webapp.cache import cached, remember
from mldebt.webapp.db import get_db
from mldebt.webapp.filters import family

bp = Blueprint("portfolio", __name__)
SORTS = ("gap", "project", "team", "tier", "overall", "ml_test_score", "effort_hours", "change")
TIER_ORDER = {tier: n for n, tier in enumerate(TIER_IDS)}  # research, prototype, production
DEFAULT_SORT = "gap"  # the first question: how far from our target; the largest gap first
TREND_QUARTERS = 8
MAX_SERIES = len(charts.SHAPES)  # beyond this, series would differ by colour alone
PAGE_SIZE = 100


def portfolio_data(
    db: sqlite_utils.Database, quarter: Quarter | None = None, team: str | None = None
) -> dict[str, Any]:
    """Every project (of ``team``) at the end of ``quarter``, as the page shows it and the API returns it."""
    state = standing(db, quarter, team)
    by_hash = {h: rubric_data(db, h) for h in state.rubric_hashes}
    rubrics = list(by_hash.values())
    shown = state.shown_quarters
    gaps = scores_by_scope(db, [p.scan["id"] for p in state.projects], "gap")
    return {
        "quarter": _text(state.quarter),
        "previous_quarter": _text(state.previous),
        "quarters": [str(q) for q in state.quarters],
        "team": team,
        "categories": [
            {"id": c["id"], "title": c["title"]} for c in ordered_union(r.get("categories", []) for r in rubrics)
        ],
        "rubrics": [{"name": r.get("rubric"), "version": r.get("version")} for r in rubrics],
        "teams": [team_data(t) for t in state.teams],
        "projects": [
            project_data(p, shown, by_hash.get(p.scan["rubric_hash"], {}), gaps[p.scan["id"]]) for p in state.projects
        ],
    }


def target_data(scan: Headline, rubric: dict[str, Any], gap: dict[str, Any]) -> dict[str, Any]:
    """Where a scan stands: tier, level held, the tier's target and the gap (levels and points short, in words),
    and the words to show beside its ML Test Score (the band's sentence only when the target is met)."""
    place = place_of(scan, rubric)
    place["gap"]["levels"] = gap.get("levels")
    place["gap"]["ml_test_score"] = gap.get("ml_test_score")
    return {
        **place,
        "target_text": target_text(place) if place["tier"] is not None else None,
        "band_range": None if scan["ml_test_score"] is None else band_range(scan["ml_test_score"]),
        "band_text": band_text(scan["ml_test_score"], scan["band"], place),
    }


def project_data(
    p: ProjectState, quarters: list[Quarter], rubric: dict[str, Any] | None = None, gap: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One row of the portfolio: the project's scan at the quarter's end, where it stands against its tier's
    target, its change and its trend."""
    return {
        "project": p.id,
        "team": p.team,
        "team_name": p.team_name,
        "owner": p.owner,
        **target_data(p.scan, rubric or {}, gap or {}),
        "scan": {
            "id": p.scan["id"],
            "as_of": p.scan["as_of"],
            "commit_sha": p.scan["commit_sha"],
            "rubric_hash": p.scan["rubric_hash"],
        },
        "ml_test_score": p.scan["ml_test_score"],
        "band": p.scan["band"],
        "overall": p.scan["overall"],
        "grade": p.scan["grade"],
        "effort_hours": p.effort_hours,
        "previous_scan": p.previous["id"] if p.previous else None,
        "change": {"overall": p.delta_overall, "ml_test_score": p.delta_ml, "effort_hours": p.delta_effort}
        if p.comparable
        else None,
        "change_note": p.change_note,
        "trend": [
            {
                "quarter": str(q),
                "overall": s["overall"] if s else None,
                "ml_test_score": s["ml_test_score"] if s else None,
                "rubric_hash": s["rubric_hash"] if s else None,
            }
            for q in quarters
            for s in [p.history.get(q)]
        ],
        "categories": p.categories,
    }


def team_data(t: TeamState) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "owner": t.owner,
        "projects": len(t.projects),
        "short_of_target": sum(1 for p in t.projects if (p.scan["gap_size"] or 0) > 0),
        "mean_overall": t.overall,
        "lowest_ml_test_score": t.lowest_ml_test_score,
        "effort_hours": t.effort_hours,
        "mean_change": t.mean_change,
    }


def _text(quarter: Quarter | None) -> str | None:
    return None if quarter is None else str(quarter)


def portfolio_view(
    db: sqlite_utils.Database, quarter: Quarter | None, team: str | None, sort: str | None, descending: bool
) -> dict[str, Any]:
    """The portfolio data, sorted; ``sort`` is a column or ``category:<id>``."""
    if team is not None:
        try:
            team_row(db, team)
        except NotFound as exc:
            raise InputError(f"parameter team: {exc}") from None
    data = remember(("portfolio", quarter, team), lambda: portfolio_data(db, quarter, team))
    allowed = list(SORTS) + [f"category:{c['id']}" for c in data["categories"]]
    if sort is not None and sort not in allowed:
        raise InputError(f"parameter sort={sort!r}: expected one of {', '.join(allowed)}")
    sort = sort or DEFAULT_SORT
    projects = sorted(data["projects"], key=_sort_key(sort), reverse=descending)
    return {**data, "projects": projects, "sort": sort, "descending": descending}


def _sort_key(sort: str) -> Any:
    """Unknown values sort last whichever the direction (compare as (known, value))."""

    def pick(row: dict[str, Any]) -> Any:
        if sort.startswith("category:"):
            return row["categories"].get(sort.split(":", 1)[1])
        if sort == "change":
            return (row["change"] or {}).get("overall")
        if sort == "gap":
            return row["gap"]["size"]
        if sort == "tier":
            return TIER_ORDER.get(row["tier"] or "", len(TIER_ORDER))
        if sort in ("project", "team"):
            return row["team_name" if sort == "team" else "project"] or ""
        return row[sort]

    return lambda row: (pick(row) is not None, pick(row) if pick(row) is not None else 0)


def trend_chart(row: dict[str, Any]) -> charts.Chart:
    trend = row["trend"][-TREND_QUARTERS:]
    return charts.sparkline(
        f"Overall score of {row['project']} by quarter",
        [t["quarter"] for t in trend],
        [t["overall"] for t in trend],
        100,
    )


def spread(title: str, named: dict[str, list[float | None]]) -> list[charts.Series]:
    """One series per name, or, past what a chart can tell apart, the mean, lowest and highest of them."""
    if len(named) <= MAX_SERIES:
        return [charts.Series(name, values) for name, values in named.items()]
    columns = list(zip(*named.values()))
    known = [[v for v in column if v is not None] for column in columns]
    return [
        charts.Series(f"mean of {len(named)} {title}", [mean_of(list(k)) for k in known]),
        charts.Series(f"lowest {title[:-1]}", [min(k) if k else None for k in known]),
        charts.Series(f"highest {title[:-1]}", [max(k) if k else None for k in known]),
    ]


def teams_chart(data: dict[str, Any]) -> charts.Chart:
    """Each team's mean overall score by quarter (the spread of teams when there are many)."""
    quarters = [q for q in data["quarters"] if q <= (data["quarter"] or "")][-12:]
    by_team: dict[str, list[dict[str, float | None]]] = {}
    for p in data["projects"]:
        by_team.setdefault(p["team"], []).append({t["quarter"]: t["overall"] for t in p["trend"]})
    named = {
        team["name"] or team["id"]: [mean_of([trend.get(q) for trend in by_team.get(team["id"], [])]) for q in quarters]
        for team in data["teams"]
    }
    return charts.lines("Mean overall score by team", quarters, spread("teams", named), 100)


@bp.route("/")
@cached
def index() -> Any:
    params.only("quarter", "team", "sort", "order", "page")
    order = params.choice("order", ("asc", "desc"), "desc")
    db = get_db()
    data = portfolio_view(db, params.quarter("quarter"), params.text("team"), params.text("sort"), order == "desc")
    pages = max(1, -(-len(data["projects"]) // PAGE_SIZE))
    page = int(params.number("page", 1, pages) or 1)
    shown = data["projects"][(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    sparklines = {row["project"]: trend_chart(row) for row in shown}
    teams = team_rows(db)
    return render_template(
        "portfolio.html",
        data=data,
        shown=shown,
        page=page,
        pages=pages,
        query={k: v for k, v in request.args.items() if k != "page"},
        sparklines=sparklines,
        all_teams=teams,
        chart=teams_chart(data) if data["teams"] and not data["team"] else None,
    )


def team_view(db: sqlite_utils.Database, team: str) -> dict[str, Any]:
    """A team's projects now, their checks side by side, their history and their open paydown items."""
    row = team_row(db, team)
    data = portfolio_data(db, None, team)
    projects = sorted(data["projects"], key=_sort_key(DEFAULT_SORT), reverse=True)  # the largest gap first
    ids = [p["scan"]["id"] for p in projects]
    sections = scores_by_scope(db, ids, "section")
    results = results_for(db, ids)
    rubrics = [rubric_data(db, h) for h in dict.fromkeys(p["scan"]["rubric_hash"] for p in reversed(projects))]
    merged = {
        "sections": ordered_union(r.get("sections", []) for r in rubrics),
        "categories": ordered_union(r.get("categories", []) for r in rubrics),
        "checks": ordered_union(r.get("checks", []) for r in rubrics),
    }
    for p in projects:
        p["sections"] = sections[p["scan"]["id"]]
        p["results"] = {
            cid: {"status": r["status"], "points": r["points"], "reason": r["reason"]}
            for cid, r in results[p["scan"]["id"]].items()
        }
    return {
        "team": row,
        "quarter": data["quarter"],
        "quarters": data["quarters"],
        "summary": data["teams"][0],
        "sections": [{"id": s["id"], "title": s["title"]} for s in merged["sections"]],
        "categories": data["categories"],
        "projects": projects,
        "groups": [
            {**g, "checks": [{"id": c["id"], "title": c["title"], "ml_test": c.get("ml_test")} for c in g["checks"]]}
            for g in check_groups(merged)
        ],
        "paydown": [item.as_dict() for item in open_backlog(db, team=team)],
    }


def team_charts(data: dict[str, Any]) -> list[charts.Chart]:
    quarters = data["quarters"]
    projects = data["projects"]
    by_quarter = [{t["quarter"]: t for t in p["trend"]} for p in projects]

    def values(i: int, key: str) -> list[float | None]:
        return [by_quarter[i].get(q, {}).get(key) for q in quarters]

    marks = []
    for trend in by_quarter:
        hashes = [trend.get(q, {}).get("rubric_hash") for q in quarters]
        marks += [
            (n, "rubric changed")
            for n in range(1, len(hashes))
            if hashes[n] and hashes[n - 1] and hashes[n] != hashes[n - 1]
        ]
    marks = sorted(set(marks))
    return [
        charts.lines(
            "Overall score by quarter",
            quarters,
            spread("projects", {p["project"]: values(i, "overall") for i, p in enumerate(projects)}),
            100,
            marks,
        ),
        charts.lines(
            "ML Test Score by quarter",
            quarters,
            spread("projects", {p["project"]: values(i, "ml_test_score") for i, p in enumerate(projects)}),
            7,
            marks,
        ),
    ]


@bp.route("/teams/<team>")
@cached
def team(team: str) -> Any:
    params.only()
    data = team_view(get_db(), team)
    categories = [
        (family(c["title"]), mean_of([p["categories"].get(c["id"]) for p in data["projects"]]))
        for c in data["categories"]
    ]
    by_project = {p["project"]: p["results"] for p in data["projects"]}
    reasons = {
        item["id"]: by_project.get(item["project"], {}).get(item["check_id"], {}).get("reason") or ""
        for item in data["paydown"]
    }
    return render_template(
        "team.html",
        data=data,
        reasons=reasons,
        history=team_charts(data),
        categories=charts.bars("Mean category health over the team's projects, higher is better", categories, 100),
    )
