"""The attest and waive forms: signed-in users only, CSRF-checked.

A posted form goes through the same write as `mldebt attest`, `mldebt waive`
and the API (``mldebt.writes``), which re-scores the project.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from mldebt.errors import InputError, NotFound
from mldebt.questions import question_choices
from mldebt.readmodel.queries import rubric_data, scan_history
from mldebt.scanning.scans import project_row
from mldebt.webapp import params
from mldebt.webapp.auth import acting_identity, identity, requires
from mldebt.webapp.db import get_db
from mldebt.writes import record_attestation, record_waiver

bp = Blueprint("forms", __name__)


def source_of_write() -> str:
    who = identity()
    return f"web:{who.name}" if who and who.kind == "user" else f"api:{who.name}" if who else "web"


@bp.route("/projects/<project>/attest", methods=["GET", "POST"])
@requires("attest")
def attest(project: str) -> Any:
    db = get_db()
    project_row(db, project)
    questions = question_choices()
    today = datetime.now(UTC).date().isoformat()
    if request.method == "POST":
        try:
            record_attestation(db, project, request.form.to_dict(), source_of_write())
        except InputError as exc:
            return render_template(
                "attest.html",
                project=project,
                questions=questions,
                values=request.form,
                error="; ".join(exc.problems),
                today=today,
            ), 400
        return redirect(url_for("projects.project", project=project, _anchor="attestations"), code=303)
    params.only("question")
    values = {
        "question": params.choice("question", [q["id"] for q in questions]),
        "by": acting_identity().name,
        "date": today,
    }
    return render_template("attest.html", project=project, questions=questions, values=values, error=None, today=today)


def _checks(project: str) -> list[dict[str, Any]]:
    scans = scan_history(get_db(), project)
    if not scans:
        raise NotFound(f"project {project!r} has no scans yet: run `mldebt collect` first")
    checks = rubric_data(get_db(), scans[-1]["rubric_hash"]).get("checks", [])
    return [{"id": c["id"], "title": c["title"]} for c in checks]


@bp.route("/projects/<project>/waive", methods=["GET", "POST"])
@requires("waive")
def waive(project: str) -> Any:
    db = get_db()
    project_row(db, project)
    checks = _checks(project)
    if request.method == "POST":
        try:
            record_waiver(db, project, request.form.to_dict())
        except InputError as exc:
            return render_template(
                "waive.html", project=project, checks=checks, values=request.form, error="; ".join(exc.problems)
            ), 400
        return redirect(url_for("projects.project", project=project, _anchor="waivers"), code=303)
    params.only("check", "at")
    values = {
        "check": params.choice("check", [c["id"] for c in checks]),
        "owner": acting_identity().name,
        "at": params.text("at") or "",
    }
    return render_template("waive.html", project=project, checks=checks, values=values, error=None)
