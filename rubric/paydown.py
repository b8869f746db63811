"""Paydown items: the debt a project still owes, from its history of check results.

One item per project and check that has ever been unmet (fail or manual),
with a stable id. It opens at the first scan where the check is unmet,
closes at the first later scan where it earns the automated point, and opens
again if the check slips back. A waived check's item is ``waived``.

Priority follows weighted-shortest-job-first: the value of fixing (weight x
gap, raised by the interest the debt has been charging: how many consecutive
scans it has stayed unmet and how much the files it concerns churn) divided
by the effort to fix it.

    priority = weight * gap * (1 + 0.25 * streak) * (1 + churn / 1000) / max(effort_hours, 1)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

UNMET = {"fail", "manual"}


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
    status: str  # open | closed | waived | dropped
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


def priority(weight: float, gap: float, streak: int, churn: float, effort_hours: float) -> float:
    return round(weight * gap * (1 + 0.25 * streak) * (1 + churn / 1000.0) / max(effort_hours, 1.0), 4)


def paydown(project: str, history: Iterable[ScanResults], effort: Mapping[str, float]) -> list[Item]:
    """Every item of ``project`` given its scans oldest first and each check's effort in hours."""
    scans = list(history)
    if not scans:
        return []
    latest = scans[-1]
    items = []
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
        items.append(
            Item(
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
        )
    return sorted(items, key=lambda i: (-i.priority, i.check_id))
