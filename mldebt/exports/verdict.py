"""The gate's verdict as one JSON document: what `mldebt check` prints and writes, in one place.

The server answers ``GET /api/v1/projects/<project>/gate`` with it, so a CI
job that pushed its scan (`mldebt collect --push`) is judged on the scan the
server stored and scored, against the server's history (`mldebt check
--server`); a local `mldebt check` builds the same document from its own
store. Either way the command line prints and writes from this document
alone: the summary, SARIF, the Code Quality report and the badge are the same
whichever store the gate read.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import quote

import sqlite_utils

from mldebt.exports.codequality import issues
from mldebt.exports.sarif import sarif
from mldebt.gate.check import GateResult
from mldebt.gate.summary import markdown
from mldebt.readmodel.queries import Headline
from mldebt.readmodel.scorecard import standing_lines

SCAN_KEYS = ("id", "as_of", "commit_sha", "grade", "overall", "ml_test_score", "band", "rubric_hash", "tier", "gap")


def scorecard_url(base: str, project: str) -> str:
    return f"{base}/projects/{quote(project, safe='')}"


def verdict(db: sqlite_utils.Database, result: GateResult, base: str) -> dict[str, Any]:
    """The verdict, its reasons, where the project stands, and every output the gate writes; links under ``base``."""
    return {
        "project": result.name,
        "passed": result.passed,
        "failures": result.failures,
        "notes": result.notes,
        "scan": _scan(result.scan),
        "baseline": None if result.baseline is None else _scan(result.baseline),
        "standing": result.standing,
        "standing_lines": standing_lines(result.standing),
        "regressions": [asdict(c) for c in result.regressions],
        "new_failures": [asdict(c) for c in result.new_failures],
        "scorecard_url": scorecard_url(base, result.name),
        "markdown": markdown(result, base),
        "sarif": sarif(db, result, base),
        "codequality": issues(db, result),
    }


def _scan(scan: Headline) -> dict[str, Any]:
    return {key: scan.get(key) for key in SCAN_KEYS}


def outputs(found: dict[str, Any]) -> dict[str, str]:
    """The verdict's headline as ``name: value`` pairs for a CI's step outputs (one line each, no newline)."""
    scan, place = found["scan"], found["standing"]
    score = scan["ml_test_score"]
    return {
        "passed": "true" if found["passed"] else "false",
        "grade": scan["grade"] or "",
        "score": "" if score is None else f"{score:g}",
        "level": place.get("level") or "none",
        "tier": place.get("tier") or "",
        "gap": " ".join(str(place.get("gap", {}).get("text") or "").split()),
        "scan_id": scan["id"],
        "scorecard_url": found["scorecard_url"],
    }
