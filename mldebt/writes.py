"""The writes people make, one function per action, shared by the CLI, the web forms and the API.

``record_attestation`` and ``record_waiver`` check their input, record the
row and re-score the project (every scan, each with the rubric it was scored
with: ``scans.rescore_project``) in one transaction, so whichever surface
made the write, the store holds the same results, scores and paydown items
afterwards. Input is taken as the form or the JSON body sends it (text, dates
as ``YYYY-MM-DD``); a bad value raises FieldError naming the field, which the
web shows as it is and the CLI rewords with its option's name.

The three other writes already have one function each, called by every
surface that makes them:

- collect: ``scans.store_bundle`` scores a new scan and stores it with the
  project's paydown items (``mldebt collect`` through ``collecting``);
- push: ``intake.receive`` (``POST /api/v1/scans``) checks the token's
  binding, then stores the bundle with ``store_bundle``;
- score: ``scans.rescore`` applies a rubric again to every stored scan
  (``mldebt score``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from mldebt.errors import FieldError, InputError
from mldebt.questions import default_expiry, load_questions, unknown_question
from mldebt.scanning.scans import now, project_row, rescore_project, stored_rubric
from mldebt.store.db import rows
from mldebt.suggest import hint
from mldebt.waivers import check_place, parse_location

MAX_ANSWER = 4000
MAX_FIELD = 300


def record_attestation(
    db: sqlite_utils.Database, project: str, fields: Mapping[str, Any], source: str
) -> dict[str, Any]:
    """Record a team's answer for ``project`` and re-score the project; return the stored row.

    ``fields``: ``question``, ``answer``, ``by``, and optionally ``link``,
    ``date`` (the day of the answer, default today, never in the future) and
    ``expires`` (default: the question's validity from ``date``). ``source``
    says who recorded it (``cli``, ``web:NAME``, ``api:TOKEN``).
    """
    project_row(db, project)
    questions = load_questions()
    question = _text(fields, "question")
    if question not in questions:
        raise FieldError("question", unknown_question(question, questions))
    answer = _text(fields, "answer", limit=MAX_ANSWER)
    by = _text(fields, "by")
    link = _link(_optional_text(fields, "link"))
    today = now().date()
    given_on = _day(fields, "date") or today
    if given_on > today:
        raise FieldError("date", f"{given_on} is in the future")
    expires = _day(fields, "expires") or default_expiry(questions[question], given_on)
    if expires < given_on:
        raise FieldError("expires", f"{expires} is before the day of the answer ({given_on})")
    record: dict[str, Any] = {
        "project_id": project,
        "question": question,
        "answer": answer,
        "link": link,
        "attested_by": by,
        "attested_on": given_on.isoformat(),
        "expires_on": expires.isoformat(),
        "source": source,
        "recorded_at": now().isoformat(),
    }
    with db.atomic():
        table = db.table("attestations")
        table.insert(record)
        record["id"] = table.last_pk
        rescore_project(db, project)
    return record


def record_waiver(db: sqlite_utils.Database, project: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Waive a check of ``project`` from its latest scan until a day, and re-score the project; return the row.

    ``fields``: ``check`` (a check of the rubric the latest scan was scored
    with), ``reason``, ``owner`` and ``until`` (the last day it holds, not
    already past), and optionally ``at``: one place of the check's evidence in
    the latest scan (``path:line``), to waive only the finding there.
    """
    project_row(db, project)
    check = _text(fields, "check")
    at = _optional_text(fields, "at")
    location = parse_location(at) if at is not None else None
    reason = _text(fields, "reason", limit=MAX_ANSWER)
    owner = _text(fields, "owner")
    until = _day(fields, "until")
    if until is None:
        raise FieldError("until", "required")
    today = now().date()
    if until < today:
        raise FieldError("until", f"{until} has passed")
    with db.atomic():  # the latest scan is read under the write lock: a push cannot slip in between
        latest = next(
            rows(
                db,
                "select id, as_of, rubric_hash from scans where project_id = ? "
                "order by as_of desc, collected_at desc limit 1",
                [project],
            ),
            None,
        )
        if latest is None:
            raise InputError(f"project {project!r} has no scans yet: run `mldebt collect` first")
        rubric = stored_rubric(db, latest["rubric_hash"])
        if rubric.check(check) is None:
            known = [c.id for c in rubric.checks]
            raise FieldError("check", f"no check {check!r} in rubric {rubric.name}{hint(check, known, 'checks')}")
        if location is not None:
            check_place(db, latest["id"], check, location)
        record = {
            "project_id": project,
            "check_id": check,
            "reason": reason,
            "owner": owner,
            "until": until.isoformat(),
            "created_at": now().isoformat(),
            "starts_on": min(today.isoformat(), latest["as_of"][:10]),
            "location": location,
        }
        db.table("waivers").insert(record)
        rescore_project(db, project)
    return record


def _optional_text(fields: Mapping[str, Any], name: str, limit: int = MAX_FIELD) -> str | None:
    """The field's text without surrounding blanks; None when it is absent or blank."""
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise FieldError(name, "expected text")
    value = (value or "").strip()
    if len(value) > limit:
        raise FieldError(name, f"at most {limit} characters")
    return value or None


def _text(fields: Mapping[str, Any], name: str, limit: int = MAX_FIELD) -> str:
    value = _optional_text(fields, name, limit)
    if value is None:
        raise FieldError(name, "required")
    return value


def _day(fields: Mapping[str, Any], name: str) -> date | None:
    value = _optional_text(fields, name)
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError(name, f"expected a date such as 2027-03-31, not {value!r}") from None


def _link(value: str | None) -> str | None:
    """An http(s) URL or a plain document path; never another scheme (``javascript:``, ``data:``)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise FieldError("link", "use an http(s) URL or a document path")
    return value
