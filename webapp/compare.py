"""The compare pages: between two scans of a project, or between two quarters of the portfolio.

What changed, and which list each change lands in, is the read model's
(``mldebt.readmodel.compare``), shared with the API and `mldebt compare`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from mldebt.readmodel.compare import KINDS, compare_quarters, compare_scans
from mldebt.webapp import params
from mldebt.webapp.cache import cached
from mldebt.webapp.db import get_db

__all__ = ["KINDS", "bp", "compare_quarters", "compare_scans"]

bp = Blueprint("compare", __name__)


@bp.route("/projects/<project>/compare")
@cached
def scans(project: str) -> Any:
    params.only("a", "b")
    data = compare_scans(get_db(), project, params.text("a"), params.text("b"))
    return render_template("compare_scans.html", data=data, kinds=KINDS)


@bp.route("/compare")
@cached
def quarters() -> Any:
    params.only("from", "to")
    data = compare_quarters(get_db(), params.quarter("from"), params.quarter("to"))
    return render_template("compare_quarters.html", data=data, kinds=KINDS)
