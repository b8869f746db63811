"""The JSON API: the pages' data as JSON, the writes, the OpenAPI document that describes it all, and health.

Every read returns exactly the data its page is drawn from. Writes need a
token with the scope (``Authorization: Bearer ...``) or a signed-in session
with the ``X-CSRF-Token`` header. ``POST /api/v1/scans`` takes in an evidence
bundle pushed from a project's CI (`mldebt collect --push`; push scope) and
scores it with the server's rubric (``RUBRIC``, default ``MLDEBT_RUBRIC`` or the
built-in one); bodies above ``PUSH_MAX_BYTES`` (``MLDEBT_PUSH_MAX_BYTES``,
default 16 MiB) are refused with a 413.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml
from flask import Blueprint, Response, current_app, jsonify, request

from mldebt import __version__
from mldebt.collectors.registry import declared_keys
from mldebt.errors import InputError, MldebtError
from mldebt.exports.verdict import verdict
from mldebt.gate.check import evaluate, parse_grade, parse_score
from mldebt.push.intake import Conflict, Forbidden, pushed_by, receive
from mldebt.questions import question_choices
from mldebt.readmodel.quarters import BadValue
from mldebt.readmodel.queries import headlines, rubric_data, scores_by_scope
from mldebt.rubric.schema import Rubric, load_rubric
from mldebt.scanning.bundle_schema import BundleError, parse_bundle
from mldebt.store.db import schema_version
from mldebt.webapp import params
from mldebt.webapp.auth import acting_identity, requires
from mldebt.webapp.backlog import FILTERS, backlog_json, backlog_query
from mldebt.webapp.cache import cached
from mldebt.webapp.checks import check_view, checks_view
from mldebt.webapp.compare import compare_quarters, compare_scans
from mldebt.webapp.db import get_db
from mldebt.webapp.errors import respond
from mldebt.webapp.forms import source_of_write
from mldebt.webapp.portfolio import portfolio_data, portfolio_view, target_data, team_view
from mldebt.webapp.projects import evidence_view, project_view
from mldebt.writes import record_attestation, record_waiver

bp = Blueprint("api", __name__)
OPENAPI = Path(__file__).with_name("openapi.yaml")
PUSH_MAX_BYTES = 16 * 1024 * 1024


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    document["info"]["version"] = __version__
    return document


@bp.route("/api/v1/openapi.yaml")
def openapi_yaml() -> Any:
    return Response(
        yaml.safe_dump(openapi_document(), sort_keys=False, allow_unicode=True), mimetype="application/yaml"
    )


@bp.route("/api/v1/openapi.json")
def openapi_json() -> Any:
    return jsonify(openapi_document())


@bp.route("/healthz")
def health() -> Any:
    try:
        db = get_db()
        counts = {t: db[t].count for t in ("projects", "scans")}
        return jsonify({"status": "ok", "version": __version__, "schema": schema_version(db), **counts})
    except MldebtError as exc:
        response = jsonify({"status": "error", "version": __version__, "message": str(exc)})
        response.status_code = 503
        return response


@bp.route("/api/v1/portfolio")
@cached
def api_portfolio() -> Any:
    params.only("quarter", "team", "sort", "order")
    order = params.choice("order", ("asc", "desc"), "desc")
    return jsonify(
        portfolio_view(get_db(), params.quarter("quarter"), params.text("team"), params.text("sort"), order == "desc")
    )


@bp.route("/api/v1/teams")
@cached
def api_teams() -> Any:
    params.only()
    return jsonify({"teams": portfolio_data(get_db())["teams"]})


@bp.route("/api/v1/teams/<team>")
@cached
def api_team(team: str) -> Any:
    params.only()
    return jsonify(team_view(get_db(), team))


@bp.route("/api/v1/projects")
@cached
def api_projects() -> Any:
    params.only()
    rows = portfolio_data(get_db())["projects"]
    return jsonify(
        {
            "projects": [
                {
                    k: r[k]
                    for k in (
                        "project",
                        "team",
                        "team_name",
                        "owner",
                        "ml_test_score",
                        "band",
                        "overall",
                        "grade",
                        "effort_hours",
                        "tier",
                        "level",
                        "target",
                        "gap",
                    )
                }
                | {"scan_id": r["scan"]["id"]}
                for r in rows
            ]
        }
    )


@bp.route("/api/v1/projects/<project>")
@cached
def api_project(project: str) -> Any:
    params.only()
    return jsonify(project_view(get_db(), project))


@bp.route("/api/v1/projects/<project>/scans")
@cached
def api_scans(project: str) -> Any:
    params.only()
    data = project_view(get_db(), project)
    return jsonify({"project": project, "scans": data["scans"]})


@bp.route("/api/v1/projects/<project>/checks/<check_id>")
@cached
def api_evidence(project: str, check_id: str) -> Any:
    params.only()
    return jsonify(evidence_view(get_db(), project, check_id))


@bp.route("/api/v1/projects/<project>/compare")
@cached
def api_compare_scans(project: str) -> Any:
    params.only("a", "b")
    return jsonify(compare_scans(get_db(), project, params.text("a"), params.text("b")))


@bp.route("/api/v1/projects/<project>/gate")
def api_gate(project: str) -> Any:
    """The CI gate's verdict on a stored scan (`mldebt check --server`): thresholds as query parameters."""
    names = ("scan", "baseline", "fail_under_grade", "fail_under_score", "fail_under_level")
    flags = ("fail_below_target", "fail_on_new_failures")
    params.only(*names, *flags)
    given = {name: params.text(name) for name in names}
    try:
        result = evaluate(
            get_db(),
            project,
            scan=given["scan"],
            baseline=given["baseline"] or "previous",
            fail_under_grade=None if given["fail_under_grade"] is None else parse_grade(given["fail_under_grade"]),
            fail_under_score=None if given["fail_under_score"] is None else parse_score(given["fail_under_score"]),
            fail_under_level=given["fail_under_level"],
            **{flag: params.choice(flag, ("true", "false"), "false") == "true" for flag in flags},
        )
    except BadValue as exc:
        raise InputError(exc.named(f"parameter {exc.what}")) from None
    base = (os.environ.get("MLDEBT_BASE_URL") or request.url_root).rstrip("/")
    return jsonify(verdict(get_db(), result, base))


@bp.route("/api/v1/checks")
@cached
def api_checks() -> Any:
    params.only()
    return jsonify(checks_view(get_db()))


@bp.route("/api/v1/checks/<check_id>")
@cached
def api_check(check_id: str) -> Any:
    params.only()
    return jsonify(check_view(get_db(), check_id))


@bp.route("/api/v1/compare")
@cached
def api_compare_quarters() -> Any:
    params.only("from", "to")
    return jsonify(compare_quarters(get_db(), params.quarter("from"), params.quarter("to")))


@bp.route("/api/v1/backlog")
@cached
def api_backlog() -> Any:
    params.only(*FILTERS)
    return jsonify(backlog_json(*backlog_query(get_db())))


@bp.route("/api/v1/questions")
def api_questions() -> Any:
    params.only()
    return jsonify({"questions": question_choices()})


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise InputError("the request body must be a JSON object (Content-Type: application/json)")
    return data


@bp.route("/api/v1/projects/<project>/attestations", methods=["POST"])
@requires("attest")
def api_attest(project: str) -> Any:
    record = record_attestation(get_db(), project, _body(), source_of_write())
    response = jsonify(record)
    response.status_code = 201
    return response


@bp.route("/api/v1/projects/<project>/waivers", methods=["POST"])
@requires("waive")
def api_waive(project: str) -> Any:
    record = record_waiver(get_db(), project, _body())
    response = jsonify(record)
    response.status_code = 201
    return response


@bp.route("/api/v1/scans", methods=["POST"])
@requires("push")
def api_push() -> Any:
    """Take in one evidence bundle: 201 stored, 200 already stored (a retry), 409 another bundle under its id.

    403 when the token may not push for the bundle's project (see ``intake``), 422 when the bundle is off
    the schema, its dates included (``bundle_schema.DATE_WINDOW``).
    """
    limit = int(current_app.config.get("PUSH_MAX_BYTES") or os.environ.get("MLDEBT_PUSH_MAX_BYTES") or PUSH_MAX_BYTES)
    if request.content_length is not None and request.content_length > limit:
        return respond(413, f"the evidence bundle is {request.content_length} bytes; this server takes at most {limit}")
    request.max_content_length = limit  # a body sent without a length is cut off there (413)
    if not request.is_json:
        raise InputError("the evidence bundle must be sent as JSON (Content-Type: application/json)")
    try:
        data = json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the request body is not valid JSON: {exc}") from None
    try:
        bundle = parse_bundle(data)
    except BundleError as exc:
        response = jsonify({"error": {"status": 422, "message": str(exc), "problems": exc.problems}})
        response.status_code = 422
        return response
    try:
        rubric = _server_rubric()
    except MldebtError as exc:
        return respond(503, f"the server's rubric cannot be loaded: {exc}")
    try:
        created = receive(get_db(), bundle, rubric, acting_identity())
    except Forbidden as exc:
        return respond(403, str(exc))
    except Conflict as exc:
        return respond(409, str(exc))
    response = jsonify(pushed_scan(get_db(), bundle.scan_id))
    response.status_code = 201 if created else 200
    return response


def pushed_scan(db: sqlite_utils.Database, scan_id: str) -> dict[str, Any]:
    """A stored scan's headline: the same answer for its first push and for every retry of it."""
    scan = headlines(db, "where s.id = ?", [scan_id])[0]
    place = target_data(scan, rubric_data(db, scan["rubric_hash"]), scores_by_scope(db, [scan_id], "gap")[scan_id])
    return {
        "scan_id": scan["id"],
        "project": scan["project_id"],
        "commit": scan["commit_sha"],
        "as_of": scan["as_of"],
        "rubric_hash": scan["rubric_hash"],
        "facts": scan["fact_count"],
        "errors": scan["error_count"],
        "ml_test_score": scan["ml_test_score"],
        "band": scan["band"],
        "overall": scan["overall"],
        "grade": scan["grade"],
        **{k: place[k] for k in ("tier", "level", "target", "gap")},
        "pushed_by": pushed_by(db, [scan_id]).get(scan_id),
    }


def _server_rubric() -> Rubric:
    """The rubric pushed bundles are scored with, loaded once per app."""
    found = current_app.extensions.get("mldebt_push_rubric")
    if found is None:
        path = current_app.config.get("RUBRIC") or os.environ.get("MLDEBT_RUBRIC") or None
        found = current_app.extensions["mldebt_push_rubric"] = load_rubric(path, declared_keys())
    return found
