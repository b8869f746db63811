"""Waivers: a debt accepted for a while, with a reason, an owner and an end date."""
from __future__ import annotations

from datetime import date
from typing import Any

import sqlite_utils

from .errors import InputError
from .scans import now, project_row, rescore_project, scans_of, stored_rubric
from .store import rows


def add_waiver(db: sqlite_utils.Database, project: str, check: str, reason: str, owner: str,
               until: str) -> dict[str, Any]:
    """Record a waiver from the project's latest scan until ``until`` and rescore the project."""
    project_row(db, project)
    try:
        end = date.fromisoformat(until)
    except ValueError:
        raise InputError(f"--until {until!r}: expected a date such as 2027-03-31") from None
    today = now().date()
    if end < today:
        raise InputError(f"--until {until}: the date has passed")
    if not reason.strip() or not owner.strip():
        raise InputError("a waiver needs a non-empty --reason and --owner")
    history = scans_of(db, project)
    if not history:
        raise InputError(f"project {project!r} has no scans yet: run `mldebt collect` first")
    rubric = stored_rubric(db, history[-1]["rubric_hash"])
    if rubric.check(check) is None:
        raise InputError(f"no check {check!r} in rubric {rubric.name} (see `mldebt show {project}`)")
    record = {"project_id": project, "check_id": check, "reason": reason.strip(), "owner": owner.strip(),
              "until": end.isoformat(), "created_at": now().isoformat(),
              "starts_on": min(today.isoformat(), history[-1]["as_of"][:10])}
    with db.atomic():
        db["waivers"].insert(record)
        rescore_project(db, project)
    return record


def list_waivers(db: sqlite_utils.Database, project: str | None = None) -> list[dict[str, Any]]:
    if project:
        project_row(db, project)
    sql = "select * from waivers" + (" where project_id = ?" if project else "") + " order by project_id, check_id"
    return list(rows(db, sql, [project] if project else []))
