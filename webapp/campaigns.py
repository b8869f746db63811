"""Campaign pages: every cleanup campaign with its progress, and one page per campaign with its burn-up.

The burn-up is read from stored scans (``mldebt.readmodel.campaigns.burnup``) and drawn
with the same chart the PDF report uses.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from mldebt.readmodel.backlog import open_backlog
from mldebt.readmodel.campaigns import burnup, get_campaign, list_campaigns
from mldebt.report import charts as report_charts
from mldebt.webapp import params
from mldebt.webapp.cache import cached
from mldebt.webapp.db import get_db

bp = Blueprint("campaigns", __name__)


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
