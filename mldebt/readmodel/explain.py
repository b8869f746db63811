"""`mldebt explain`: one check's result in a project's latest scan and every fact behind it.

This is the check's own page in a terminal: beside the result's plain reason
(what every other surface shows) it gives, apart, the condition that decided
it and whether each of the check's conditions holds.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import click
import sqlite_utils

from mldebt.errors import NotFound
from mldebt.readmodel.queries import evidence_rows, parsed_rubric, paydown_rows, results_for, scan_history, statuses_for
from mldebt.readmodel.scorecard import reasons_of
from mldebt.rubric import conditions
from mldebt.rubric.paydown import PRIORITY_FORMULA, PRIORITY_UNIT
from mldebt.scanning.scans import project_row
from mldebt.store.db import from_json, rows
from mldebt.suggest import hint

OUTCOMES = {True: "holds", False: "does not hold", None: "unknown (evidence missing)"}


def explanation(db: sqlite_utils.Database, project: str, check_id: str) -> dict[str, Any]:
    """The check's result in the project's latest scan, its conditions, the facts it read and its history."""
    project_row(db, project)
    history = scan_history(db, project)
    if not history:
        raise NotFound(f"project {project!r} has no scans yet: run `mldebt collect` first")
    latest = history[-1]
    rubric = parsed_rubric(db, latest["rubric_hash"])
    check = rubric.check(check_id)
    if check is None:
        reason = rubric.disabled.get(check_id)
        known = [c.id for c in rubric.checks]
        raise NotFound(
            f"check {check_id!r} is disabled in rubric {rubric.name}: {reason}"
            if reason
            else f"no check {check_id!r} in rubric {rubric.name}{hint(check_id, known, 'checks')}"
        )
    result = results_for(db, [latest["id"]])[latest["id"]].get(check_id)
    statuses = statuses_for(db, [s["id"] for s in history])
    used = (
        from_json(result["evidence_keys"])
        if result
        else sorted(
            conditions.keys(check.applies_when or "True")
            | conditions.keys(check.automated or "True")
            | conditions.keys(check.manual or "True")
        )
    )
    facts = _facts_for(db, latest["id"], used)
    names = conditions.namespace({f["key"]: from_json(f["value"]) for f in facts if f["error"] is None})
    tests = [
        {
            "credit": name,
            "condition": getattr(check, name),
            "outcome": OUTCOMES[conditions.evaluate(getattr(check, name), names)],
        }
        for name in ("applies_when", "automated", "manual")
        if getattr(check, name)
    ]
    item = next(iter(paydown_rows(db, project, check_id)), None)
    waiver = next(
        rows(
            db,
            "select * from waivers where project_id = ? and check_id = ? order by created_at desc",
            [project, check_id],
        ),
        None,
    )
    return {
        "project": project,
        "check": check.model_dump(exclude_none=True),
        "category_title": rubric.category_title(check.category) if check.category else None,
        "level_title": next((lv.title for lv in rubric.levels if lv.id == check.level), check.level),
        "scan": {"id": latest["id"], "as_of": latest["as_of"], "commit": latest["commit_sha"]},
        "result": None
        if result is None
        else {
            **{k: result[k] for k in ("status", "points", "weight", "detail")},
            "reason": reasons_of(db, latest["id"]).get(check_id, ""),
            "condition": result["detail"],
        },
        "conditions": tests,
        "evidence": [
            {
                "key": f["key"],
                "value": from_json(f["value"]),
                "collector": f["collector"],
                "path": f["path"],
                "line": f["line"],
                "url": f["url"],
                "error": f["error"],
            }
            for f in facts
        ],
        "paydown": item,
        "waiver": waiver,
        "history": [
            {"as_of": s["as_of"], "status": statuses[s["id"]].get(check_id, ("not scored",))[0]} for s in history
        ],
    }


def _facts_for(db: sqlite_utils.Database, scan_id: str, keys: list[str]) -> list[dict[str, Any]]:
    """Facts a check read: each key, any fact whose key it reads inside, and its collectors' failures."""
    wanted = set(keys)
    prefixes = {".".join(k.split(".")[:n]) for k in keys for n in range(1, len(k.split(".")) + 1)}
    collectors = {k.split(".")[0] for k in keys}
    found = []
    for fact in evidence_rows(db, scan_id):
        key = fact["key"]
        if (
            key in wanted
            or key in prefixes
            or any(key.startswith(w + ".") for w in wanted)
            or (fact["error"] and key in {f"{c}.error" for c in collectors})
        ):
            found.append(fact)
    return found


def render(data: dict[str, Any], width: int = 100) -> str:
    check, result = data["check"], data["result"]
    where = " · ".join(
        x
        for x in (
            f"section {check['section']}" if check.get("section") else "",
            f"ML Test Score {check['ml_test']}" if check.get("ml_test") else "",
            f"category {data['category_title']}" if data["category_title"] else "",
            f"level {data['level_title']}" if data.get("level_title") else "",
            f"expected from the {check['expected_from']} tier" if check.get("expected_from") else "",
            f"weight {check['weight']:g}",
            f"effort {check['effort_hours']:g} h",
        )
        if x
    )
    lines = [
        click.style(f"{check['id']}: {check['title']}", bold=True),
        where,
        f"project {data['project']}, scan {data['scan']['as_of'][:10]} at commit "
        f"{(data['scan']['commit'] or 'working tree')[:12]}",
        "",
    ]
    if result:
        points = "unscored" if result["points"] is None else f"{result['points']:g} point(s)"
        if result["status"] == "n/a":
            points = "does not apply: counts in no score"
        lines.append(click.style(f"Result: {result['status']} ({points})", bold=True))
        lines += textwrap.wrap(
            "Reason: " + (result["reason"] or "(no reason recorded: run `mldebt score`)"),
            width=max(width, 40),
            subsequent_indent="        ",
            break_on_hyphens=False,
        )
        lines += ["", f"Decided by: {result['condition']}"]
    else:
        lines += ["Result: not scored in this scan (out of this project's scope)", ""]
    lines.append("Conditions:")
    for test in data["conditions"]:
        lines.append(f"  {test['credit']:<12} {test['condition']}  -> {test['outcome']}")
    if check.get("attestation"):
        lines.append(f"  attested  question {check['attestation']} (a current attestation earns the manual half point)")
    lines += ["", "Evidence:"]
    for fact in data["evidence"] or []:
        origin = ", ".join(x for x in (fact["collector"], _place(fact), fact["url"] or "") if x)
        text = f"ERROR {fact['error']}" if fact["error"] else f"= {_short(fact['value'])}"
        lines.append(f"  {fact['key']} {text}" + (f"  ({origin})" if origin else ""))
    if not data["evidence"]:
        lines.append("  (no fact for the keys this check reads: the result is unknown)")
    if data["waiver"]:
        w = data["waiver"]
        at = f" at {w['location']}" if w.get("location") else ""
        lines += ["", f"Waiver{at}: {w['reason']} (owner {w['owner']}, until {w['until']})"]
    if data["paydown"]:
        p = data["paydown"]
        lines += [
            "",
            f"Paydown item {p['id']}: {p['status']}, opened {p['opened_at'][:10]}"
            + (f", closed {p['closed_at'][:10]}" if p["closed_at"] else "")
            + f", unmet for {p['interest']:g} consecutive scan(s), priority {p['priority']:g} {PRIORITY_UNIT}",
            f"  ({PRIORITY_FORMULA})",
        ]
    lines += [
        "",
        "History: " + "  ".join(f"{h['as_of'][:10]} {h['status']}" for h in data["history"]),
        "",
        "Why it matters: " + check["why"],
        "How to fix it: " + check["fix"],
    ]
    if check.get("references"):
        lines.append("References: " + "; ".join(check["references"]))
    return "\n".join(lines)


def _place(fact: dict[str, Any]) -> str:
    if not fact["path"]:
        return ""
    return f"{fact['path']}:{fact['line']}" if fact["line"] else fact["path"]


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
