"""SARIF 2.1.0 for the gate: the files and lines behind a project's unmet checks.

Rules are the rubric's checks (title, why it matters, how to fix it, and a
link to the check on the scorecard). A result is one fact with a file *and*
a line behind a check that is not fully met: a fact the check reads, a fact
nested under one it reads, or a location or error fact of the same evidence
family (each TODO of ``repo.debt_markers.at`` for a check that counts debt
markers; a test file that does not parse, for a check that counts tests). Paths are
made relative to the repository root, so code-scanning tools can place
them, and percent-encoded as the URI references SARIF 2.1.0 requires
(RFC 3986: a space, ``#``, ``%`` or a non-ASCII letter in a file name would
otherwise make the URI mean another file, or none). A waived check's
findings are reported as suppressed, with the reason, and so is a finding at
a place waived on its own (`mldebt waive --at path:line`).
"""

from __future__ import annotations

import json
from posixpath import join, normpath
from typing import Any
from urllib.parse import quote

import sqlite_utils

from mldebt import __version__
from mldebt.collectors.interface import Fact
from mldebt.gate.check import GateResult
from mldebt.readmodel.backlog import check_link
from mldebt.rubric.paydown import item_id
from mldebt.scanning.scans import active_waivers, facts_of
from mldebt.store.db import from_json

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"fail": "error", "manual": "warning", "waived": "note"}


def behind(keys: list[str], fact: Fact) -> bool:
    """Whether ``fact`` is evidence for a check that reads ``keys``.

    That is a fact with a key the check reads or one nested under it, or, in
    the same evidence family (``repo.tests`` for ``repo.tests.functions``),
    a location fact (``<family>.at``, one per occurrence) or an error fact.
    """
    for key in keys:
        if fact.key == key or fact.key.startswith(key + "."):
            return True
        family = key.rsplit(".", 1)[0]
        if "." in key and fact.key.rsplit(".", 1)[0] == family and (fact.is_error or fact.key.endswith(".at")):
            return True
    return False


def rules(result: GateResult, base: str) -> list[dict[str, Any]]:
    found = []
    for check in result.rubric.checks:
        tags = [
            t
            for t in (
                check.section and f"section:{check.section}",
                check.category and f"debt:{check.category}",
                check.ml_test,
            )
            if t
        ]
        found.append(
            {
                "id": check.id,
                "name": "".join(part.capitalize() for part in check.id.split("-")),
                "shortDescription": {"text": check.title},
                "fullDescription": {"text": " ".join(check.why.split())},
                "help": {
                    "text": " ".join(check.fix.split()),
                    "markdown": f"**How to fix it:** {' '.join(check.fix.split())}\n\n"
                    f"**Why it matters:** {' '.join(check.why.split())}",
                },
                "helpUri": check_link(base, result.name, check.id),
                "defaultConfiguration": {"level": "warning"},
                "properties": {
                    "tags": tags,
                    "weight": check.weight,
                    "effortHours": check.effort_hours,
                    # cleared by that check's fix: while both are unmet they are one paydown item, with its effort
                    **({"fixedWith": check.fixed_with} if check.fixed_with else {}),
                },
            }
        )
    return found


def findings(db: sqlite_utils.Database, result: GateResult) -> list[dict[str, Any]]:
    located = [(f, f.path, f.line) for f in facts_of(db, result.scan["id"]) if f.path and f.line]
    index = {c.id: i for i, c in enumerate(result.rubric.checks)}
    subpath = (result.project.get("subpath") or "").strip("/")
    placed = {(w.check_id, w.at): w for w in active_waivers(db, result.name, result.scan["as_of"]) if w.at}
    found = []
    for row in sorted(result.results, key=lambda r: r["check_id"]):
        if row["status"] not in LEVELS or row["check_id"] not in index:
            continue
        check = result.rubric.check(row["check_id"])
        keys = from_json(row["evidence_keys"]) or []
        for fact, fact_path, line in located:
            if not behind(keys, fact):
                continue
            path = normpath(join(subpath, fact_path)) if subpath else fact_path
            uri = artifact_uri(path)
            what = f"could not be read: {fact.error}" if fact.is_error else f"= {_short(fact.value)}"
            reason = row.get("reason") or ""  # the result's plain reason (gate.check puts it on every row)
            entry: dict[str, Any] = {
                "ruleId": row["check_id"],
                "ruleIndex": index[row["check_id"]],
                "level": LEVELS[row["status"]],
                "message": {
                    "text": f"{check.title if check else row['check_id']} ({row['status']}): "
                    + (f"{reason} Here: {fact.key} {what}" if reason else f"{fact.key} {what}")
                },
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": line},
                        }
                    }
                ],
                "partialFingerprints": {"mldebtItem/v1": f"{item_id(result.name, row['check_id'])}:{path}:{fact.key}"},
            }
            waiver = placed.get((row["check_id"], f"{fact_path}:{line}"))
            if row["status"] == "waived" or waiver:
                said = f"waived at {waiver.at} {waiver.said}" if waiver else row.get("reason") or "waived"
                entry["suppressions"] = [{"kind": "external", "status": "accepted", "justification": said}]
            found.append(entry)
    return found


def artifact_uri(path: str) -> str:
    """A repository-relative POSIX path as a relative URI reference: every byte but the unreserved
    characters and ``/`` percent-encoded (UTF-8), so no ``:`` can read as a scheme, nor ``#`` or ``?``
    as a fragment or query."""
    return quote(path, safe="/")


def sarif(db: sqlite_utils.Database, result: GateResult, base: str) -> dict[str, Any]:
    scan = result.scan
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "mldebt",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": base + "/",
                "rules": rules(result, base),
            }
        },
        "automationDetails": {"id": f"mldebt/{result.name}/{scan['as_of'][:10]}"},
        "results": findings(db, result),
        "properties": {
            "project": result.name,
            "mlTestScore": scan["ml_test_score"],
            "grade": scan["grade"],
            "rubric": f"{result.rubric.name} {result.rubric.version} ({result.rubric.hash})",
            "gatePassed": result.passed,
        },
    }
    repository = _repository_uri(result.project)
    if scan["commit_sha"] and repository:
        run["versionControlProvenance"] = [{"repositoryUri": repository, "revisionId": scan["commit_sha"]}]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _repository_uri(project: dict[str, Any]) -> str:
    """The repository as a URI when the portfolio gave a URL; local paths are left out."""
    repo = project.get("repo") or ""
    return repo if repo.startswith(("https://", "http://", "ssh://", "git://")) else ""


def render(db: sqlite_utils.Database, result: GateResult, base: str) -> str:
    return json.dumps(sarif(db, result, base), indent=2, ensure_ascii=False) + "\n"


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."
