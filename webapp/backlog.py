"""The paydown backlog across the portfolio: a page with filters, and its CSV and JSON exports."""
from __future__ import annotations

from typing import Any

import sqlite_utils
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from ..csvsafe import render as render_csv
from ..errors import InputError, NotFound
from ..readmodel import BACKLOG_SORTS, latest_scans, open_items, ordered_union, rubric_data, select_items, team_row
from . import params
from .cache import cached, remember
from .db import get_db

bp = Blueprint("backlog", __name__)
FILTERS = ("team", "category", "min_priority", "max_effort", "sort", "order")
PAGE_SIZE = 100
CSV_COLUMNS = ("id", "project_id", "team", "team_name", "check_id", "title", "category", "section", "ml_test", "priority",
               "effort_hours", "gap", "weight", "interest", "churn", "opened_at")


def categories(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The categories of the rubrics the projects' latest scans were scored with."""
    hashes = dict.fromkeys(s["rubric_hash"] for s in latest_scans(db).values())
    return [{"id": c["id"], "title": c["title"]}
            for c in ordered_union(rubric_data(db, h).get("categories", []) for h in hashes)]


def backlog_query(db: sqlite_utils.Database) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The filters from the query string, checked, and the items they select."""
    team = params.text("team")
    if team is not None:
        try:
            team_row(db, team)
        except NotFound as exc:
            raise InputError(f"parameter team: {exc}") from None
    known = remember("categories", lambda: categories(db))
    chosen = {
        "team": team,
        "category": params.choice("category", [c["id"] for c in known]),
        "min_priority": params.number("min_priority"),
        "max_effort": params.number("max_effort"),
        "sort": params.choice("sort", BACKLOG_SORTS, "priority"),
        "order": params.choice("order", ("asc", "desc"), "desc"),
    }
    every = remember(("backlog", team), lambda: open_items(db, team))
    items = select_items(every, chosen["category"], chosen["min_priority"], chosen["max_effort"],
                         chosen["sort"], chosen["order"] == "desc")  # type: ignore[arg-type]
    return {**chosen, "categories": known}, items


@bp.route("/backlog")
@cached
def index() -> Any:
    params.only(*FILTERS, "page")
    db = get_db()
    chosen, items = backlog_query(db)
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = int(params.number("page", 1, pages) or 1)
    teams = list(db.query("select id, name from teams order by name, id"))
    query = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("backlog.html", filters=chosen, items=items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE],
                           total=len(items), hours=round(sum(i["effort_hours"] or 0 for i in items), 1),
                           page=page, pages=pages, teams=teams, query=query, sorts=BACKLOG_SORTS,
                           csv_url=url_for("backlog.export_csv", **query),
                           json_url=url_for("backlog.export_json", **query))


@bp.route("/backlog.json")
@cached
def export_json() -> Any:
    params.only(*FILTERS)
    chosen, items = backlog_query(get_db())
    filters = {k: v for k, v in chosen.items() if k != "categories"}
    return jsonify({"filters": filters, "count": len(items), "items": items})


@bp.route("/backlog.csv")
@cached
def export_csv() -> Any:
    params.only(*FILTERS)
    _, items = backlog_query(get_db())
    text = render_csv(CSV_COLUMNS, ([item.get(column) for column in CSV_COLUMNS] for item in items))
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="mldebt-backlog.csv"'})
