"""Campaign pages: every cleanup campaign with its progress, one page per campaign with its burn-up, and the
forms that create and edit a campaign.

The burn-up is read from stored scans (``mldebt.readmodel.campaigns.burnup``) and drawn
with the same chart the PDF report uses. The forms are for signed-in team leads (a user
whose name is a team's owner in the portfolio), CSRF-checked like every form; they
write through ``create_campaign`` and ``update_campaign``, as `mldebt campaign create`
and `mldebt campaign edit` do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec

import sqlite_utils
from flask import Blueprint, redirect, render_template, request, url_for

from mldebt.errors import FieldError, InputError
from mldebt.readmodel.backlog import open_backlog
from mldebt.readmodel.campaign_writes import FIELDS, create_campaign, form_values, update_campaign
from mldebt.readmodel.campaigns import Campaign, burnup, get_campaign, item_ids, list_campaigns, teams_led_by
from mldebt.readmodel.quarters import BadValue, Quarter
from mldebt.readmodel.queries import latest_scans, ordered_union, project_rows, rubric_data
from mldebt.report import charts as report_charts
from mldebt.webapp import params
from mldebt.webapp.auth import Refused, identity
from mldebt.webapp.cache import cached
from mldebt.webapp.db import get_db

bp = Blueprint("campaigns", __name__)
P = ParamSpec("P")
LISTS = ("checks", "projects")  # sent as one value per ticked box


@bp.route("/campaigns")
@cached
def index() -> Any:
    params.only()
    db = get_db()
    rows = [{"campaign": c, "burnup": burnup(db, c)} for c in list_campaigns(db)]
    return render_template("campaigns.html", campaigns=rows, campaign=None)


@bp.route("/campaigns/<name>")
@cached
def show(name: str) -> Any:
    params.only()
    db = get_db()
    campaign = get_campaign(db, name)
    progress = burnup(db, campaign)
    chart = report_charts.burnup(
        f"Burn-up of campaign {campaign.name}",
        campaign.start_on,
        campaign.target_on,
        [(p.day, p.scope, p.done) for p in progress.points],
    )
    items = open_backlog(db, only=campaign.pairs())
    return render_template(
        "campaigns.html",
        campaigns=None,
        campaign=campaign,
        burnup=progress,
        chart=chart,
        items=items,
        hours=sum(i.effort_hours for i in items),
    )


def lead_required(view: Callable[P, Any]) -> Callable[P, Any]:
    """Refuse the view to anyone but a signed-in team lead: the sign-in page for a reader's GET, else 401 or 403."""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
        who = identity()
        if who is None:
            if request.method == "GET":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            raise Refused(401, "sign in as a team's lead to create or edit campaigns")
        name = kwargs.get("name")
        if isinstance(name, str):  # an unknown campaign is a 404 whoever asks: the list is public
            get_campaign(get_db(), name)
        if who.kind != "user":
            raise Refused(403, f"{who.label} may not create or edit campaigns: a signed-in team lead does that")
        if not teams_led_by(get_db(), who.name):
            raise Refused(
                403,
                f"{who.name} leads no team: only a team's owner in the portfolio may create or edit campaigns",
            )
        return view(*args, **kwargs)

    return guarded


def choices(db: sqlite_utils.Database) -> dict[str, list[dict[str, Any]]]:
    """What the form offers: the scanned projects (with their teams) and the checks of their latest rubrics."""
    latest = latest_scans(db)
    hashes = dict.fromkeys(s["rubric_hash"] for s in latest.values())
    checks = ordered_union(rubric_data(db, h).get("checks", []) for h in hashes)
    return {
        "projects": [
            {"id": p["id"], "team": p["team_name"] or p["team_id"]} for p in project_rows(db) if p["id"] in latest
        ],
        "checks": [{"id": c["id"], "title": c["title"]} for c in checks],
    }


def posted() -> dict[str, Any]:
    """The form as sent: the ticked boxes as lists, every other field as its text."""
    return {f: request.form.getlist(f) if f in LISTS else request.form.get(f, "") for f in FIELDS}


def errors_of(exc: InputError) -> dict[str, str]:
    """The library's error, keyed by the field it names (``form`` when it names none)."""
    if isinstance(exc, FieldError):
        return {exc.field: str(exc)}
    if isinstance(exc, BadValue) and exc.what in FIELDS:
        return {exc.what: str(exc)}
    return {"form": "; ".join(exc.problems)}


def form(campaign: Campaign | None, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return render_template(
        "campaign_form.html", campaign=campaign, values=values, errors=errors, **choices(get_db())
    ), status


@bp.route("/campaigns/new", methods=["GET", "POST"])
@lead_required
def create() -> Any:
    db = get_db()
    if request.method == "POST":
        values = posted()
        try:
            made = create_campaign(db, **form_values(values, new=True))
        except InputError as exc:
            return form(None, values, errors_of(exc), 400)
        return redirect(url_for("campaigns.show", name=made.name), code=303)
    params.only("project")
    project = params.choice("project", [p["id"] for p in choices(db)["projects"]])
    today = datetime.now(UTC).date()
    who = identity()
    values = {
        "owner": who.name if who else "",
        "projects": [project] if project else [],
        "checks": [],
        "start": today.isoformat(),
        "target": Quarter.of(today + timedelta(days=1)).last_day.isoformat(),  # this quarter's end, if to come
    }
    return form(None, values, {})


@bp.route("/campaigns/<name>/edit", methods=["GET", "POST"])
@lead_required
def edit(name: str) -> Any:
    db = get_db()
    campaign = get_campaign(db, name)
    if request.method == "POST":
        values = posted()
        try:
            changed = update_campaign(db, campaign.name, **form_values(values, new=False))
        except InputError as exc:
            return form(campaign, values, errors_of(exc), 400)
        return redirect(url_for("campaigns.show", name=changed.name), code=303)
    params.only()
    values = {
        "name": campaign.name,
        "owner": campaign.owner,
        "checks": list(campaign.checks),
        "projects": list(campaign.projects),
        "items": ", ".join(item_ids(campaign)),
        "start": campaign.start_on.isoformat(),
        "target": campaign.target_on.isoformat(),
    }
    return form(campaign, values, {})
