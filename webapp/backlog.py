"""The paydown backlog across the portfolio: a page with filters, and its CSV and JSON exports.

The rows are ``backlog.BacklogItem``, as in `mldebt export backlog`; ``/backlog.csv``
is written by the same function as ``--format csv`` (``export_csv.render``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from mldebt.errors import InputError, NotFound
from mldebt.exports.csvfile import render as render_csv
from mldebt.readmodel.backlog import SORTS, BacklogItem, open_backlog, select
from mldebt.readmodel.campaigns import campaigns_of_items
from mldebt.readmodel.queries import latest_scans, ordered_union, results_for, rubric_data, team_row, team_rows
from mldebt.webapp import params
from mldebt.webapp.cache import cached, remember
from mldebt.webapp.db import get_db

bp = Blueprint("backlog", __name__)
FILTERS = ("team", "category", "min_priority", "max_effort", "sort", "order")
PAGE_SIZE = 100


def categories(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The categories of the rubrics the projects' latest scans were scored with."""
    hashes = dict.fromkeys(s["rubric_hash"] for s in latest_scans(db).values())
    return [
        {"id": c["id"], "title": c["title"]}
        for c in ordered_union(rubric_data(db, h).get("categories", []) for h in hashes)
    ]


def backlog_query(db: sqlite_utils.Database) -> tuple[dict[str, Any], list[BacklogItem]]:
    """The filters from the query string, checked, and the items they select."""
    team = params.text("team")
    if team is not None:
        try:
            team_row(db, team)
        except NotFound as exc:
            raise InputError(f"parameter team: {exc}") from None
    known = remember("categories", lambda: categories(db))
    category = params.choice("category", [c["id"] for c in known])
    min_priority, max_effort = params.number("min_priority"), params.number("max_effort")
    sort = params.choice("sort", SORTS, "priority") or "priority"
    order = params.choice("order", ("asc", "desc"), "desc")
    every = remember(("backlog", team), lambda: open_backlog(db, team=team))
    items = select(every, category, min_priority, max_effort, sort, order == "desc")
    chosen = {
        "team": team,
        "category": category,
        "min_priority": min_priority,
        "max_effort": max_effort,
        "sort": sort,
        "order": order,
        "categories": known,
    }
    return chosen, items


def reasons_for(db: sqlite_utils.Database, items: Sequence[BacklogItem]) -> dict[str, str]:
    """Each item's reason, by item id: the plain sentence of its check's result in the project's latest scan
    (the scan its open items were derived at)."""
    latest = latest_scans(db)
    scans = {i.project: latest[i.project]["id"] for i in items if i.project in latest}
    results = results_for(db, scans.values())
    return {
        i.id: str(results[scans[i.project]].get(i.check_id, {}).get("reason") or "")
        for i in items
        if i.project in scans
    }


def backlog_json(chosen: dict[str, Any], items: list[BacklogItem]) -> dict[str, Any]:
    """The backlog as the JSON export and the API return it: the filters, the count and every item."""
    return {
        "filters": {k: v for k, v in chosen.items() if k != "categories"},
        "count": len(items),
        "items": [item.as_dict() for item in items],
    }


@bp.route("/backlog")
@cached
def index() -> Any:
    params.only(*FILTERS, "page")
    db = get_db()
    chosen, items = backlog_query(db)
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = int(params.number("page", 1, pages) or 1)
    teams = team_rows(db)
    query: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page"}  # url_for's **values
    shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render_template(
        "backlog.html",
        filters=chosen,
        items=shown,
        reasons=reasons_for(db, shown),
        campaigns=campaigns_of_items(db, shown),
        total=len(items),
        hours=round(sum(i.effort_hours for i in items), 1),
        page=page,
        pages=pages,
        teams=teams,
        query=query,
        sorts=SORTS,
        csv_url=url_for("backlog.export_csv", **query),
        json_url=url_for("backlog.export_json", **query),
    )


@bp.route("/backlog.json")
@cached
def export_json() -> Any:
    params.only(*FILTERS)
    return jsonify(backlog_json(*backlog_query(get_db())))


@bp.route("/backlog.csv")
@cached
def export_csv() -> Any:
    params.only(*FILTERS)
    _, items = backlog_query(get_db())
    return Response(
        render_csv(items),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="mldebt-backlog.csv"'},
    )
