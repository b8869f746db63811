"""Open effort, counted one way on every surface: the sum of the open paydown items' effort, each item once.

At a project's latest scan that is its stored items (what the backlog and the
exports list). At an earlier scan (a past quarter, a comparison of scans) the
items are derived again with the paydown rule (``rubric.paydown``): a check's
item is open while the check is unmet, and stays open while it is unknown
after being unmet or waived. That needs the scan's own results and, for its
unknown checks only, their last decided result before it, so a past quarter
of a large portfolio costs one read of its scans' results.

Checks one fix clears (the rubric's ``fixed_with``) are one item while both
are open, with the effort of the check the fix is named for: counted once,
here as in the stored items (``rubric.paydown.merged``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlite_utils

from mldebt.readmodel.queries import Headline, Outcome, check_index, efforts, statuses_for
from mldebt.rubric.paydown import MERGED, UNMET, merged
from mldebt.store.db import rows


@dataclass(frozen=True)
class Effort:
    """What a project owes at one scan: its open items and their effort, and the effort it waived."""

    open_hours: float = 0.0
    open_items: int = 0
    waived_hours: float = 0.0


def effort_in_force(db: sqlite_utils.Database, scans: Iterable[Headline]) -> dict[str, Effort]:
    """The open and waived effort at each of ``scans``, by scan id: stored items at a latest scan, else derived."""
    chosen = list({s["id"]: s for s in scans}.values())
    found = _stored_effort(db, chosen)
    earlier = [s for s in chosen if s["id"] not in found]
    statuses = statuses_for(db, [s["id"] for s in earlier], unmet=True)  # a met check is no open or waived item
    decided = _last_decided(db, earlier, statuses)
    hashes = {s["rubric_hash"] for s in earlier}
    hours, fixed = {h: efforts(db, h) for h in hashes}, {h: fixed_with(db, h) for h in hashes}
    for scan in earlier:
        prior, effort = decided[scan["id"]], hours[scan["rubric_hash"]]
        states = {
            check: _item_state(status, prior.get(check)) for check, (status, _, _) in statuses[scan["id"]].items()
        }
        carried = merged(states, fixed[scan["rubric_hash"]])  # one fix, one item: counted once, on the lead
        found[scan["id"]] = _effort(
            (MERGED if check in carried else state, effort.get(check, 0.0)) for check, state in states.items()
        )
    return found


def fixed_with(db: sqlite_utils.Database, rubric_hash: str) -> dict[str, str]:
    """The rubric's ``fixed_with``: each check another check's fix clears, and that check."""
    return {c["id"]: c["fixed_with"] for c in check_index(db, rubric_hash).values() if c.get("fixed_with")}


def _item_state(status: str, decided: Outcome | None) -> str:
    """The state of a check's item at a scan, by the paydown rule (``rubric.paydown``), from the check's status
    there and, when that is unknown, its last decided status before: open while the check is unmet, and while it
    is unknown after being unmet or waived; waived while waived. (test_read_model holds this to the rule.)"""
    if status in UNMET:
        return "open"
    if status == "unknown":
        return "open" if decided is not None and decided[0] in UNMET | {"waived"} else "closed"
    return status


def _stored_effort(db: sqlite_utils.Database, scans: Sequence[Headline]) -> dict[str, Effort]:
    """The effort of the stored items of each of ``scans`` that is its project's latest and owes any."""
    wanted = {s["id"] for s in scans}
    totals: dict[str, list[tuple[str, float, int]]] = {}
    for scan_id, status, hours, count in db.execute(
        "select last_scan_id, status, sum(effort_hours), count(*) from paydown_items "
        "where project_id in (select value from json_each(?)) and status in ('open', 'waived') "
        "group by last_scan_id, status",
        [_json({s["project_id"] for s in scans})],
    ):
        if scan_id in wanted:
            totals.setdefault(scan_id, []).append((status, hours or 0.0, count))
    return {
        scan_id: Effort(
            round(sum(h for s, h, _ in found if s == "open"), 1),
            sum(n for s, _, n in found if s == "open"),
            round(sum(h for s, h, _ in found if s == "waived"), 1),
        )
        for scan_id, found in totals.items()
    }


def _effort(items: Iterable[tuple[str, float | None]]) -> Effort:
    """The effort of paydown items given as (status, effort in hours)."""
    opened, waived = [], []
    for status, hours in items:
        if status == "open":
            opened.append(float(hours or 0.0))
        elif status == "waived":
            waived.append(float(hours or 0.0))
    return Effort(round(float(sum(opened)), 1), len(opened), round(float(sum(waived)), 1))


def _last_decided(
    db: sqlite_utils.Database, scans: Sequence[Headline], statuses: Mapping[str, Mapping[str, Outcome]]
) -> dict[str, dict[str, Outcome]]:
    """For each scan, the last result before it of each check it reads as unknown and was decided then.

    An item stays open while its check is unknown, until a later scan decides it:
    that earlier decision is all the paydown rule needs besides the scan itself.
    """
    found: dict[str, dict[str, Outcome]] = {s["id"]: {} for s in scans}
    unknown = {s["id"]: {c for c, r in statuses[s["id"]].items() if r[0] == "unknown"} for s in scans}
    wanted = [s for s in scans if unknown[s["id"]]]
    if not wanted:
        return found
    earlier: dict[str, list[tuple[tuple[str, str], str, Outcome]]] = {}
    for row in rows(
        db,
        "select s.project_id, s.as_of, s.collected_at, r.check_id, r.status, r.points, r.weight "
        "from results r join scans s on s.id = r.scan_id where r.status != 'unknown' "
        "and s.project_id in (select value from json_each(?)) "
        "and r.check_id in (select value from json_each(?))",
        [_json({s["project_id"] for s in wanted}), _json(set().union(*unknown.values()))],
    ):
        earlier.setdefault(row["project_id"], []).append(
            ((row["as_of"], row["collected_at"] or ""), row["check_id"], (row["status"], row["points"], row["weight"]))
        )
    for found_earlier in earlier.values():
        found_earlier.sort(key=lambda e: e[0])
    for scan in wanted:
        moment = (scan["as_of"], scan["collected_at"] or "")  # the order the stored items were derived in
        for at, check, result in earlier.get(scan["project_id"], []):
            if at < moment and check in unknown[scan["id"]]:
                found[scan["id"]][check] = result
    return found


def _json(values: Iterable[str]) -> str:
    return json.dumps(sorted(values))
