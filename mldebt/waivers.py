"""Waivers: a debt accepted for a while, with a reason, an owner and an end date.

They are recorded by ``writes.record_waiver`` (`mldebt waive`, the web form,
the API) and applied when a scan is scored (``scans.active_waivers``).
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from mldebt.scanning.scans import project_row
from mldebt.store.db import rows


def list_waivers(db: sqlite_utils.Database, project: str | None = None) -> list[dict[str, Any]]:
    """Every waiver recorded (of ``project``, or of all projects), by project and check."""
    if project:
        project_row(db, project)
    sql = "select * from waivers" + (" where project_id = ?" if project else "") + " order by project_id, check_id"
    return list(rows(db, sql, [project] if project else []))
