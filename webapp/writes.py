"""The two writes the web scorecard makes, shared by its forms and its API.

Each checks its input (an InputError names the field), records the row and
re-scores the project in one transaction, so the pages show the new result
at once. Who recorded it is kept in the row's ``source``.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from ..errors import InputError
from ..questions import default_expiry, load_questions, unknown_question
from ..scans import project_row, rescore_project
from ..waivers import add_waiver

MAX_ANSWER = 4000
MAX_FIELD = 300


def _text(fields: dict[str, Any], name: str, required: bool = True, limit: int = MAX_FIELD) -> str | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise InputError(f"{name}: expected text")
    value = (value or "").strip()
    if not value:
        if required:
            raise InputError(f"{name}: required")
        return None
    if len(value) > limit:
        raise InputError(f"{name}: at most {limit} characters")
    return value


def _day(fields: dict[str, Any], name: str) -> date | None:
    value = _text(fields, name, required=False)
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name}: expected a date such as 2027-03-31, not {value!r}") from None


def _link(value: str | None) -> str | None:
    """An http(s) URL or a plain document path; never another scheme (``javascript:``, ``data:``)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise InputError("link: use an http(s) URL or a document path")
    return value


def question_choices() -> list[dict[str, Any]]:
    """The attestation question catalogue, for the form's choices."""
    return [{"id": q.id, "title": q.title, "category": q.category, "litmus": q.litmus,
             "good_answer": q.good_answer, "valid_days": q.valid_days} for q in load_questions().values()]


def record_attestation(db: sqlite_utils.Database, project: str, fields: dict[str, Any], source: str) -> dict[str, Any]:
    """Record a team's answer for ``project`` and re-score it; ``fields`` as the form or API sent them."""
    project_row(db, project)
    questions = load_questions()
    question = _text(fields, "question")
    if question not in questions:
        raise InputError("question: " + unknown_question(question or "", questions))
    answer = _text(fields, "answer", limit=MAX_ANSWER)
    by = _text(fields, "by")
    link = _link(_text(fields, "link", required=False))
    today = datetime.now(timezone.utc).date()
    given_on = _day(fields, "date") or today
    if given_on > today:
        raise InputError(f"date: {given_on} is in the future")
    expires = _day(fields, "expires") or default_expiry(questions[question], given_on)  # type: ignore[index]
    if expires < given_on:
        raise InputError(f"expires: {expires} is before the day of the answer ({given_on})")
    record = {"project_id": project, "question": question, "answer": answer, "link": link, "attested_by": by,
              "attested_on": given_on.isoformat(), "expires_on": expires.isoformat(), "source": source,
              "recorded_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}
    with db.atomic():
        table = db["attestations"]
        table.insert(record)
        record["id"] = table.last_pk
        rescore_project(db, project)
    return record


def record_waiver(db: sqlite_utils.Database, project: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Record a waiver through ``add_waiver`` (which checks the check and the date, and re-scores)."""
    project_row(db, project)
    check = _text(fields, "check")
    reason = _text(fields, "reason", limit=MAX_ANSWER)
    owner = _text(fields, "owner")
    until = _day(fields, "until")
    if until is None:
        raise InputError("until: required")
    if until < datetime.now(timezone.utc).date():
        raise InputError(f"until: {until} has passed")
    return add_waiver(db, project, check, reason, owner, until.isoformat())  # type: ignore[arg-type]
