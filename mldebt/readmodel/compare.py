"""What changed: between two scans of a project, or between two quarters of the portfolio or of one project.

Each check that changed lands in one list: *paid down* (unmet before, full
automated credit now), *improved* (more credit, or decided where it was
unknown), *regressed* (less credit), *new* (debt that was not there or not
known before: unmet now, not scored or unknown then), *waived* (newly
waived) and *other* (evidence lost, or no longer scored). Scans scored under
different rubrics are compared with a warning, never silently.

The web's compare pages and API and `mldebt compare` read these functions,
so the terminal and the pages list the same changes. Paydown items that
opened or closed between two scans (``paydown_changes``) are the backlog's
items in force at each (``backlog.items_in_force``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from mldebt.errors import InputError, NotFound
from mldebt.readmodel.backlog import BacklogItem, items_in_force
from mldebt.readmodel.effort import Effort, effort_in_force
from mldebt.readmodel.quarters import Quarter, quarters_between
from mldebt.readmodel.queries import (
    Headline,
    check_index,
    project_rows,
    results_for,
    rubric_data,
    scan_history,
    scores_by_scope,
    timelines,
)
from mldebt.readmodel.scorecard import health_title
from mldebt.readmodel.standing import check_quarter, scanned_quarters
from mldebt.scanning.scans import project_row

RANK = {"fail": 0, "manual": 1, "automated": 2}
KINDS = ("paid_down", "improved", "regressed", "new", "waived", "other")


def classify(before: str | None, after: str | None) -> str | None:
    """The list a check's change of status belongs to (None: no change worth listing)."""
    if before == after:
        return None
    if after == "waived":
        return "waived"
    if after in ("fail", "manual") and before in (None, "unknown"):
        return "new"
    if after == "automated" and before in ("fail", "manual", "waived"):
        return "paid_down"
    if after in RANK and before in RANK:
        return "improved" if RANK[after] > RANK[before] else "regressed"
    if after == "automated" and before in (None, "unknown"):
        return "improved"
    if before == "waived" and after in ("fail", "manual"):
        return "new"
    return "other"


def _check_changes(
    db: sqlite_utils.Database,
    a: Headline,
    b: Headline,
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    titles = {**check_index(db, a["rubric_hash"]), **check_index(db, b["rubric_hash"])}
    lists: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    for check_id in sorted(set(before) | set(after)):
        was, now = (before.get(check_id) or {}).get("status"), (after.get(check_id) or {}).get("status")
        kind = classify(was, now)
        if kind:
            lists[kind].append(
                {
                    "check_id": check_id,
                    "title": titles.get(check_id, {}).get("title", check_id),
                    "before": was,
                    "after": now,
                    "reason": (after.get(check_id) or {}).get("reason")  # why it stands where it stands now
                    or "Not scored in the later scan.",
                }
            )
    return lists


def _scan_summary(scan: Headline, effort: Effort) -> dict[str, Any]:
    return {
        "id": scan["id"],
        "as_of": scan["as_of"],
        "commit_sha": scan["commit_sha"],
        "rubric_hash": scan["rubric_hash"],
        "ml_test_score": scan["ml_test_score"],
        "overall": scan["overall"],
        "grade": scan["grade"],
        "level": scan["level"],
        "tier": scan["tier"],
        "gap": scan["gap"],
        "gap_size": scan["gap_size"],
        "effort_hours": effort.open_hours,
    }


def compare_scans(db: sqlite_utils.Database, project: str, a: str | None, b: str | None) -> dict[str, Any]:
    """Scan ``a`` (default: the one before ``b``) against scan ``b`` (default: the latest) of ``project``."""
    project_row(db, project)
    scans = scan_history(db, project)
    if len(scans) < 2 and not (a and b):
        raise NotFound(f"project {project!r} has {len(scans)} scan(s): nothing to compare yet")
    by_id = {s["id"]: s for s in scans}
    for value in (a, b):
        if value is not None and value not in by_id:
            raise NotFound(f"no scan {value!r} of project {project!r}")
    after = by_id[b] if b else scans[-1]
    # the scan just before it in the project's history (as_of, then collection time): two scans of the same
    # moment, one collected again, compare too
    place = next(i for i, s in enumerate(scans) if s["id"] == after["id"])
    before = by_id[a] if a else (scans[place - 1] if place else None)
    if before is None:
        raise InputError(f"scan {after['id']} is the project's first: name the scan to compare it with (a=...)")
    results = results_for(db, [before["id"], after["id"]])
    effort = effort_in_force(db, [before, after])
    sections = scores_by_scope(db, [before["id"], after["id"]], "section")
    categories = scores_by_scope(db, [before["id"], after["id"]], "category")
    rubric = rubric_data(db, after["rubric_hash"])
    return {
        "project": project,
        "a": _scan_summary(before, effort[before["id"]]),
        "b": _scan_summary(after, effort[after["id"]]),
        "same_rubric": before["rubric_hash"] == after["rubric_hash"],
        "scores": [
            {
                "name": "Gap to target",
                "before": before["gap_size"],
                "after": after["gap_size"],
                "better": "lower",
                "help": "gap",
            },
            {
                "name": "ML Test Score",
                "before": before["ml_test_score"],
                "after": after["ml_test_score"],
                "better": "higher",
                "help": "ml-test-score",
            },
            {
                "name": "Overall (0-100)",
                "before": before["overall"],
                "after": after["overall"],
                "better": "higher",
                "help": "grade",
            },
            {
                "name": "Open effort (hours)",
                "before": effort[before["id"]].open_hours,
                "after": effort[after["id"]].open_hours,
                "better": "lower",
                "help": "effort",
            },
        ]
        + [
            {
                "name": f"Section: {s['title']}",
                "before": sections[before["id"]].get(s["id"]),
                "after": sections[after["id"]].get(s["id"]),
                "better": "higher",
                "help": "ml-test-score",
            }
            for s in rubric.get("sections", [])
        ]
        + [
            {
                "name": health_title(c["title"]),
                "before": categories[before["id"]].get(c["id"]),
                "after": categories[after["id"]].get(c["id"]),
                "better": "higher",
                "help": "categories",
            }
            for c in rubric.get("categories", [])
        ],
        "changes": _check_changes(db, before, after, results[before["id"]], results[after["id"]]),
        "scans": [
            {"id": s["id"], "as_of": s["as_of"], "quarter": str(Quarter.of(s["as_of"]))} for s in reversed(scans)
        ],
    }


def compare_quarters(
    db: sqlite_utils.Database, first: Quarter | None, second: Quarter | None, *, paydown: bool = False
) -> dict[str, Any]:
    """The portfolio at the end of quarter ``first`` against the end of ``second`` (default: the last two).

    With ``paydown``, each project also lists its new and closed paydown items (``paydown_changes``)."""
    lines = timelines(db, quarterly=True)
    scanned = scanned_quarters(lines.values())
    quarters = quarters_between(scanned[0], scanned[-1]) if scanned else []
    for given in (first, second):
        if given is not None:
            check_quarter(given, scanned)
    if len(quarters) < 2 and not (first and second):
        raise NotFound("the portfolio has fewer than two quarters of scans: nothing to compare yet")
    second = second or quarters[-1]
    first = first or next((q for q in reversed(quarters) if q < second), None)
    if first is None:
        raise NotFound(f"no quarter of scans before {second}: nothing to compare it with")
    if first >= second:
        raise InputError(f"parameter from={first} must be a quarter before to={second}")
    rows_out, pairs, ends = [], [], []
    for proj in project_rows(db):
        line = lines.get(proj["id"])
        a, b = (line.at(first.end), line.at(second.end)) if line else (None, None)
        if b is None:
            continue
        ends.append((proj, a, b))
        if a is not None:
            pairs.append((proj["id"], a, b))
    effort = effort_in_force(db, [s for _, a, b in ends for s in (a, b) if s])
    opened = paydown_changes(db, [(a, b) for _, a, b in ends]) if paydown else {}
    for proj, a, b in ends:
        rows_out.append(
            {
                "project": proj["id"],
                "team": proj["team_id"],
                "team_name": proj["team_name"],
                "a": _scan_summary(a, effort[a["id"]]) if a else None,
                "b": _scan_summary(b, effort[b["id"]]),
                "same_rubric": a is not None and a["rubric_hash"] == b["rubric_hash"],
                **({"paydown": opened[b["id"]]} if paydown else {}),
            }
        )
    results = results_for(db, [s["id"] for _, a, b in pairs for s in (a, b)])
    changes: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    for project, a, b in pairs:
        for kind, items in _check_changes(db, a, b, results[a["id"]], results[b["id"]]).items():
            changes[kind] += [{"project": project, **item} for item in items]
    return {
        "from": str(first),
        "to": str(second),
        "quarters": [str(q) for q in quarters],
        "projects": rows_out,
        "new_projects": [r["project"] for r in rows_out if r["a"] is None],
        "changes": changes,
    }


def quarters_with_scans(db: sqlite_utils.Database, project: str | None = None) -> list[Quarter]:
    """The quarters that hold a scan (of ``project`` when named; of any project otherwise), in order."""
    return scanned_quarters(timelines(db, project=project, quarterly=True).values())


def compare_project(db: sqlite_utils.Database, project: str, first: Quarter, second: Quarter) -> dict[str, Any]:
    """``project`` as it stood at the end of quarter ``first`` against the end of ``second``: ``compare_scans`` of
    the two scans in force then, with the quarters and the paydown items that opened or closed in between.

    NotFound when either quarter is outside the project's scans (``standing.check_quarter``).
    """
    project_row(db, project)
    line = timelines(db, project=project, quarterly=True).get(project)
    scanned = scanned_quarters([line] if line else [])
    for given in (first, second):
        check_quarter(given, scanned)
    if first >= second:
        raise InputError(f"quarter {first} must come before quarter {second}")
    a, b = (line.at(first.end), line.at(second.end)) if line else (None, None)
    if a is None or b is None:  # check_quarter refuses a quarter before the first scan: kept for the type checker
        raise NotFound(f"project {project!r} has no scan by the end of {first}")
    return {
        "from": str(first),
        "to": str(second),
        **compare_scans(db, project, a["id"], b["id"]),
        "paydown": paydown_changes(db, [(a, b)])[b["id"]],
    }


def paydown_changes(
    db: sqlite_utils.Database, pairs: Iterable[tuple[Headline | None, Headline]]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """For each (before, after) pair of one project's scans, by the later scan's id: the paydown items open
    after but not before (``new``) and open before but not after (``closed``, with the check's status after:
    ``automated`` paid down, ``waived``, ``n/a`` no longer applies, None no longer scored). Before may be None
    (the project was not scanned yet: every open item is new). Highest priority first, as the backlog."""
    chosen = list(pairs)
    items = items_in_force(db, [s for pair in chosen for s in pair if s])
    after_results = results_for(db, [b["id"] for _, b in chosen])
    found = {}
    for a, b in chosen:
        before = {i.id: i for i in items[a["id"]]} if a else {}
        after = {i.id: i for i in items[b["id"]]}
        now = after_results[b["id"]]
        found[b["id"]] = {
            "new": [_item(i) for i in after.values() if i.id not in before],
            "closed": [
                {**_item(i), "status_after": (now.get(i.check_id) or {}).get("status")}
                for i in before.values()
                if i.id not in after
            ],
        }
    return found


def _item(item: BacklogItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "check_id": item.check_id,
        "title": item.title,
        "section": item.section,
        "category": item.category,
        "effort_hours": item.effort_hours,
        "priority": item.priority,
        "clears": list(item.clears),
    }
