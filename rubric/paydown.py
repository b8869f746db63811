"""Paydown items: the debt a project still owes, from its history of check results.

One item per project and check that has ever been unmet (fail or manual),
with a stable id. It opens at the first scan where the check is unmet,
closes at the first later scan where it earns the automated point, and opens
again if the check slips back. A waived check's item is ``waived``.

One fix, one item: a check whose rubric entry says ``fixed_with: OTHER`` is
cleared by the same work as OTHER. While both items are open they are one:
OTHER's item carries the effort (OTHER's estimate, counted once) and clears
both, and this check's item is ``merged`` (no effort, no priority of its
own; its id is kept, so it comes back as it was when it stands alone again).
When only this check is unmet, its item stands alone with its own estimate.

Priority follows weighted-shortest-job-first: the value of fixing (weight x
gap, raised by the interest the debt has been charging: how many consecutive
scans it has stayed unmet and how much the files it concerns churn) divided
by the effort to fix it. An item that clears several checks adds up their
values. ``PRIORITY_FORMULA`` and ``PRIORITY_HELP`` say so in words, for every
surface that shows a priority.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

UNMET = {"fail", "manual"}
MERGED = "merged"  # the state of an item whose fix is another open item's (fixed_with)

PRIORITY_UNIT = "points per hour"
PRIORITY_FORMULA = (
    "priority = weight × gap × (1 + 0.25 × scans unmet in a row) × (1 + churn ÷ 1000) ÷ effort hours (at least 1)"
)
PRIORITY_HELP = (
    f"Priority, in {PRIORITY_UNIT} of work: {PRIORITY_FORMULA}. Weight × gap counts the rubric points the "
    "check still owes; they grow by a quarter for every scan in a row it has stayed unmet, and with the churn "
    "of the files it concerns (lines changed, when known); an item whose fix clears several checks adds up "
    "their points. Highest first."
)


@dataclass(frozen=True)
class ScanResults:
    """One scan of a project, in time order: its moment and each check's result."""

    scan_id: str
    as_of: str
    statuses: Mapping[str, tuple[str, float | None, float]]  # check -> (status, points, weight)
    churn: Mapping[str, float] | None = None  # check -> churn of the files it concerns, when known


@dataclass(frozen=True)
class Item:
    id: str
    project_id: str
    check_id: str
    status: str  # open | closed | waived | dropped | merged
    opened_scan_id: str
    opened_at: str
    closed_scan_id: str | None
    closed_at: str | None
    last_scan_id: str
    gap: float
    weight: float
    effort_hours: float
    interest: float  # consecutive scans unmet, up to the latest
    churn: float
    priority: float


def item_id(project: str, check: str) -> str:
    """Stable across scans and exports, so a re-export updates instead of duplicating."""
    return "MLD-" + hashlib.sha1(f"{project}\x00{check}".encode()).hexdigest()[:10]


def value(weight: float, gap: float, streak: float, churn: float) -> float:
    """What fixing one check is worth: its points owed (weight x gap), raised by the interest it has charged."""
    return weight * gap * (1 + 0.25 * streak) * (1 + churn / 1000.0)


def priority(weight: float, gap: float, streak: int, churn: float, effort_hours: float) -> float:
    return round(value(weight, gap, streak, churn) / max(effort_hours, 1.0), 4)


def merged(states: Mapping[str, str], fixed_with: Mapping[str, str]) -> dict[str, str]:
    """The open items another open item carries, as check -> the check whose item clears it.

    ``states`` is each check's item state at a scan and ``fixed_with`` the
    rubric's ``fixed_with`` (check -> the check whose fix clears it too).
    """
    return {
        check: lead
        for check, lead in fixed_with.items()
        if states.get(check) == "open" and states.get(lead) == "open" and lead != check
    }


def effort_basis(check: str, hours: float, clears: Sequence[str] = ()) -> str:
    """Where an item's effort comes from, in words: ``8 h: rubric estimate for A, also clears B``."""
    also = [c for c in clears if c != check]
    return f"{hours:g} h: rubric estimate for {check}" + (f", also clears {', '.join(also)}" if also else "")


def priority_basis(terms: Sequence[tuple[float, float, float, float]], hours: float, result: float) -> str:
    """The priority worked out: each cleared check's (weight, gap, scans unmet, churn), the effort, the result.

    The churn factor is left out where the churn is 0 (unknown, or no change): it is 1 there."""
    parts = [f"{w:g} × {g:g} × (1 + 0.25 × {s:g})" + (f" × (1 + {c:g} ÷ 1000)" if c else "") for w, g, s, c in terms]
    points = parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"
    return f"{points} ÷ {max(hours, 1.0):g} h = {result:g} {PRIORITY_UNIT}"


def paydown(
    project: str,
    history: Iterable[ScanResults],
    effort: Mapping[str, float],
    fixed_with: Mapping[str, str] | None = None,
) -> list[Item]:
    """Every item of ``project`` given its scans oldest first, each check's effort in hours and the rubric's
    ``fixed_with`` (check -> the check whose fix clears it too)."""
    scans = list(history)
    if not scans:
        return []
    latest = scans[-1]
    items = {}
    for check in sorted({c for s in scans for c in s.statuses}):
        opened: ScanResults | None = None
        closed: ScanResults | None = None
        streak = 0
        ever_unmet = False
        for scan in scans:
            if check not in scan.statuses:
                continue
            status = scan.statuses[check][0]
            if status in UNMET or status == "waived":
                ever_unmet = True
                if opened is None or closed is not None:
                    opened, closed = scan, None
                streak += 1
            elif status == "automated":
                if opened is not None and closed is None:
                    closed = scan
                streak = 0
        if not ever_unmet or opened is None:
            continue
        current = latest.statuses.get(check)
        if current is None or current[0] == "n/a":
            state = "dropped"  # out of the rubric, or no longer applies
        elif current[0] == "waived":
            state = "waived"
        elif closed is not None:
            state = "closed"
        else:
            state = "open"
        last_points = current[1] if current and current[1] is not None else 0.0
        weight = current[2] if current else 1.0
        gap = round(1.0 - last_points, 2) if state in ("open", "waived") else 0.0
        churn = float((latest.churn or {}).get(check, 0.0))
        hours = float(effort.get(check, 0.0))
        items[check] = Item(
            id=item_id(project, check),
            project_id=project,
            check_id=check,
            status=state,
            opened_scan_id=opened.scan_id,
            opened_at=opened.as_of,
            closed_scan_id=closed.scan_id if closed else None,
            closed_at=closed.as_of if closed else None,
            last_scan_id=latest.scan_id,
            gap=gap,
            weight=weight,
            effort_hours=hours,
            interest=float(streak),
            churn=churn,
            priority=priority(weight, gap, streak, churn, hours) if state == "open" else 0.0,
        )
    carried = merged({c: i.status for c, i in items.items()}, fixed_with or {})
    for check in carried:
        items[check] = _merged(items[check])
    for lead in set(carried.values()):
        item = items[lead]
        terms = [item, *(items[c] for c in sorted(carried) if carried[c] == lead)]
        total = sum(value(i.weight, i.gap, i.interest, i.churn) for i in terms)
        items[lead] = replace(item, priority=round(total / max(item.effort_hours, 1.0), 4))
    return sorted(items.values(), key=lambda i: (-i.priority, i.check_id))


def _merged(item: Item) -> Item:
    """The item of a check another open item clears: kept with its id and history, no effort or priority."""
    return replace(item, status=MERGED, effort_hours=0.0, priority=0.0)
