"""GitLab's Code Quality report for the gate: the files and lines behind a project's unmet checks.

The report is what a job hands GitLab under ``artifacts: reports:
codequality:``: a JSON array of issues, each with a description, a
``check_name`` (the rubric check's id), a fingerprint, a severity (``info``,
``minor``, ``major``, ``critical`` or ``blocker``) and a location (a path
relative to the repository root and the line it begins on). The issues are
the SARIF findings' (``exports.sarif.behind``): a fact with a file and a line
behind a check that is not fully met. GitLab tells new issues from fixed ones
by fingerprint, so a fingerprint depends only on the project, the check, the
file, the fact and which occurrence of that fact in the file it is: the same
scan of the same tree gives the same fingerprints, run after run, and two
issues never share one.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from posixpath import join, normpath
from typing import Any

import sqlite_utils

from mldebt.exports.sarif import behind
from mldebt.gate.check import GateResult
from mldebt.scanning.scans import facts_of
from mldebt.store.db import from_json

SEVERITIES = {"fail": "major", "manual": "minor", "waived": "info"}


def fingerprint(project: str, check_id: str, path: str, key: str, occurrence: int) -> str:
    """A stable 32-hex-digit id of one issue (MD5-sized, as GitLab's examples are; SHA-256 underneath)."""
    text = "\0".join((project, check_id, path, key, str(occurrence)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def issues(db: sqlite_utils.Database, result: GateResult) -> list[dict[str, Any]]:
    """One Code Quality issue per located fact behind each check that is failed, half met or waived."""
    located = sorted(
        ((f, f.path, f.line) for f in facts_of(db, result.scan["id"]) if f.path and f.line),
        key=lambda found: (found[1], found[2], found[0].key),
    )
    subpath = (result.project.get("subpath") or "").strip("/")
    found: list[dict[str, Any]] = []
    for row in sorted(result.results, key=lambda r: r["check_id"]):
        if row["status"] not in SEVERITIES:
            continue
        check = result.rubric.check(row["check_id"])
        title = check.title if check else row["check_id"]
        keys = from_json(row["evidence_keys"]) or []
        seen: Counter[tuple[str, str]] = Counter()
        for fact, fact_path, line in located:
            if not behind(keys, fact):
                continue
            path = normpath(join(subpath, fact_path)) if subpath else fact_path
            seen[(path, fact.key)] += 1
            what = f"{fact.key} could not be read: {fact.error}" if fact.is_error else f"found here: {fact.key}"
            reason = " ".join((row.get("reason") or "").split())
            found.append(
                {
                    "description": f"{title} ({row['status']}): " + (f"{reason} ({what})" if reason else what),
                    "check_name": row["check_id"],
                    "fingerprint": fingerprint(result.name, row["check_id"], path, fact.key, seen[(path, fact.key)]),
                    "severity": SEVERITIES[row["status"]],
                    "location": {"path": path, "lines": {"begin": int(line)}},
                }
            )
    return found


def render(db: sqlite_utils.Database, result: GateResult) -> str:
    return json.dumps(issues(db, result), indent=2, ensure_ascii=False) + "\n"
