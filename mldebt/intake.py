"""The server's side of `mldebt collect --push`: take in a bundle once, score it, store it.

A push is idempotent by scan id: the first arrival is scored with the
server's rubric and stored by ``scans.store_bundle`` (the very function a
local collect uses), and its digest is kept beside it; the same bundle again
(a client retrying after a lost answer) is answered with the stored scan and
stores nothing; another bundle under a known scan id is a conflict.
"""
from __future__ import annotations

from typing import Any

import sqlite_utils

from .bundle import Bundle
from .errors import MldebtError
from .rubric.schema import Rubric
from .scans import now, store_bundle
from .store import rows


class Conflict(MldebtError):
    """A bundle under a scan id that the store already holds with other content."""


def receive(db: sqlite_utils.Database, bundle: Bundle, rubric: Rubric, pusher: str) -> tuple[dict[str, Any], bool]:
    """Store ``bundle`` unless it already was; (the scan's answer, whether it was stored now)."""
    digest = bundle.digest()
    with db.atomic():  # the write lock is taken first, so two arrivals of one scan id cannot both store it
        known = next(rows(db, "select digest from pushed_scans where scan_id = ?", [bundle.scan_id]), None)
        if known is None and db["scans"].count_where("id = ?", [bundle.scan_id]):
            known = {"digest": None}  # a scan collected on the server itself
        if known is not None:
            if known["digest"] != digest:
                raise Conflict(f"scan {bundle.scan_id} is already stored with other content; "
                               "a new collection needs a new scan id")
            return scan_answer(db, bundle.scan_id), False
        store_bundle(db, bundle, rubric)
        db["pushed_scans"].insert({"scan_id": bundle.scan_id, "digest": digest, "token": pusher,
                                   "received_at": now().isoformat()})
    return scan_answer(db, bundle.scan_id), True


def scan_answer(db: sqlite_utils.Database, scan_id: str) -> dict[str, Any]:
    """The stored scan's headline: the same answer for its first push and for every retry of it."""
    scan = next(rows(db, """
        select s.id, s.project_id, s.commit_sha, s.as_of, s.rubric_hash, s.fact_count, s.error_count,
               f.value as ml_test_score, f.label as band, g.value as overall, g.label as grade
        from scans s
        left join scores f on f.scan_id = s.id and f.scope = 'mltest' and f.name = 'final'
        left join scores g on g.scan_id = s.id and g.scope = 'overall' and g.name = 'grade'
        where s.id = ?""", [scan_id]))
    return {"scan_id": scan["id"], "project": scan["project_id"], "commit": scan["commit_sha"],
            "as_of": scan["as_of"], "rubric_hash": scan["rubric_hash"], "facts": scan["fact_count"],
            "errors": scan["error_count"], "ml_test_score": scan["ml_test_score"], "band": scan["band"],
            "overall": scan["overall"], "grade": scan["grade"]}
