"""Waivers: a debt accepted for a while, with a reason, an owner and an end date.

A waiver names a whole check, or one place of its evidence (``--at
path:line``, the ``at`` field of the web form and the API): the place as
mldebt shows it in the check's reason, relative to the project's folder. A
check unmet only at waived places counts as waived; with other places left it
stays unmet and its reason names both (``rubric.engine.waive``); the gate's
SARIF marks a waived place's result as suppressed.

They are recorded by ``writes.record_waiver`` (`mldebt waive`, the web form,
the API) and applied when a scan is scored (``scans.active_waivers``).
"""

from __future__ import annotations

import re
from posixpath import normpath
from typing import Any

import sqlite_utils

from mldebt.errors import FieldError
from mldebt.rubric.engine import locations
from mldebt.rubric.reasons import Evidence
from mldebt.scanning.scans import located_of, project_row
from mldebt.store.db import from_json, rows
from mldebt.suggest import did_you_mean

LOCATION = re.compile(r"^(?P<path>.+):(?P<line>[0-9]+)$")
LOCATION_EXAMPLE = "src/train.py:42"


def parse_location(text: str) -> str:
    """``path:line`` checked and written as mldebt writes places: a relative path without ``..``, a line from 1.

    ``./src//a.py:042`` reads as ``src/a.py:42``. A bad value raises FieldError for the field ``at``.
    """
    found = LOCATION.match(text.strip())
    if not found:
        raise FieldError("at", f"{text.strip()!r}: expected a file and a line, such as {LOCATION_EXAMPLE}")
    path, line = found.group("path").strip(), int(found.group("line"))
    if line < 1:
        raise FieldError("at", f"{text.strip()!r}: the line must be a positive number")
    if any(ord(ch) < 32 for ch in path) or "\\" in path:
        raise FieldError("at", f"{text.strip()!r}: write the path with / between folders")
    if path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", path):
        raise FieldError("at", f"{text.strip()!r}: the path must be relative to the project's folder")
    if ".." in path.split("/"):
        raise FieldError("at", f"{text.strip()!r}: the path must not go up a folder ('..')")
    path = normpath(path)
    if path in (".", ""):
        raise FieldError("at", f"{text.strip()!r}: expected a file and a line, such as {LOCATION_EXAMPLE}")
    return f"{path}:{line}"


def evidence_places(db: sqlite_utils.Database, scan_id: str, check: str) -> list[str]:
    """The places (``path:line``) of a check's evidence in a scan, as its reason names them."""
    result = next(
        rows(db, "select evidence_keys from results where scan_id = ? and check_id = ?", [scan_id, check]), None
    )
    keys = from_json(result["evidence_keys"]) if result else []
    return [p for p in locations(keys or [], Evidence({}, where=located_of(db, scan_id))) if LOCATION.match(p)]


def check_place(db: sqlite_utils.Database, scan_id: str, check: str, place: str) -> None:
    """Refuse a place where the check has no evidence in the scan (a typo would otherwise waive nothing)."""
    places = evidence_places(db, scan_id, check)
    if place in places:
        return
    if not places:
        raise FieldError(
            "at", f"{place}: check {check} points at no file and line in the latest scan; waive the whole check"
        )
    said = did_you_mean(place, places) or "its places: " + ", ".join(places)
    raise FieldError("at", f"{place}: check {check} has no evidence there in the latest scan ({said})")


def list_waivers(db: sqlite_utils.Database, project: str | None = None) -> list[dict[str, Any]]:
    """Every waiver recorded (of ``project``, or of all projects), by project, check and place."""
    if project:
        project_row(db, project)
    sql = (
        "select * from waivers"
        + (" where project_id = ?" if project else "")
        + " order by project_id, check_id, location is not null, location, id"
    )
    return list(rows(db, sql, [project] if project else []))
