"""The portfolio as it stood at the end of a quarter: what the portfolio and team pages, the API and the report show.

A project's state in a quarter is its latest scan by the quarter's last
instant (UTC); its previous state is the same for the quarter before. A change
is given only when both states were scored with the same rubric: history
under another rubric is marked, never silently compared. Open effort is the
open paydown items' (``effort.effort_in_force``), as on every other surface.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean, median

import sqlite_utils

from mldebt.errors import NoScans
from mldebt.readmodel.effort import Effort, effort_in_force
from mldebt.readmodel.quarters import Quarter, Timeline, moment_of, quarters_between
from mldebt.readmodel.queries import Headline, project_rows, scores_by_scope, team_row, team_rows, timelines
from mldebt.rubric.engine import grade

LISTED_QUARTERS = 8


@dataclass
class ProjectState:
    id: str
    team: str
    team_name: str | None
    owner: str | None
    team_owner: str | None
    scan: Headline
    previous: Headline | None  # the scan in force at the end of the previous quarter
    effort: Effort
    previous_effort: Effort | None
    categories: dict[str, float | None]
    history: dict[Quarter, Headline]  # the scan in force at the end of each quarter up to this one, where any

    @property
    def comparable(self) -> bool:
        return self.previous is not None and self.previous["rubric_hash"] == self.scan["rubric_hash"]

    @property
    def change_note(self) -> str | None:
        """Why there is no change to show, or None when there is one."""
        if self.previous is None:
            return "new this quarter"
        return None if self.comparable else "rubric changed: not compared"

    @property
    def effort_hours(self) -> float:
        return self.effort.open_hours

    @property
    def delta_overall(self) -> float | None:
        return _delta(self.scan["overall"], self.previous["overall"]) if self.comparable and self.previous else None

    @property
    def delta_ml(self) -> float | None:
        return (
            _delta(self.scan["ml_test_score"], self.previous["ml_test_score"])
            if self.comparable and self.previous
            else None
        )

    @property
    def delta_effort(self) -> float | None:
        return (
            _delta(self.effort.open_hours, self.previous_effort.open_hours)
            if self.comparable and self.previous_effort
            else None
        )


@dataclass
class TeamState:
    id: str
    name: str | None
    owner: str | None
    projects: Sequence[ProjectState]

    @property
    def overall(self) -> float | None:
        return mean_of(p.scan["overall"] for p in self.projects)

    @property
    def grade(self) -> str:
        return grade(self.overall)

    @property
    def ml_test_score(self) -> float | None:
        return mean_of(p.scan["ml_test_score"] for p in self.projects)

    @property
    def lowest_ml_test_score(self) -> float | None:
        return min((s for p in self.projects if (s := p.scan["ml_test_score"]) is not None), default=None)

    @property
    def effort_hours(self) -> float:
        return round(sum(p.effort_hours for p in self.projects), 1)

    @property
    def mean_change(self) -> float | None:
        return mean_of(p.delta_overall for p in self.projects)


@dataclass
class PortfolioState:
    quarter: Quarter | None  # None: nothing scanned yet
    quarters: list[Quarter]  # from the first scanned quarter to the last, without gaps
    team: str | None
    teams: Sequence[TeamState]  # every team (the one named), by name, its scanned projects or none
    projects: Sequence[ProjectState]  # by team id, then project id
    rubric_hashes: list[str]  # the rubrics of the projects' scans, the last project's first

    @property
    def previous(self) -> Quarter | None:
        return self.quarter.previous() if self.quarter else None

    @property
    def shown_quarters(self) -> list[Quarter]:
        """The quarters up to the one shown: the span of every trend."""
        return [q for q in self.quarters if self.quarter and q <= self.quarter]

    @property
    def as_of(self) -> str:
        """The day of the latest scan shown."""
        return max(moment_of(p.scan["as_of"]) for p in self.projects).date().isoformat() if self.projects else ""

    @property
    def overall(self) -> float | None:
        return mean_of(p.scan["overall"] for p in self.projects)

    @property
    def grade(self) -> str:
        return grade(self.overall)

    @property
    def previous_overall(self) -> float | None:
        return mean_of(p.previous["overall"] for p in self.projects if p.comparable and p.previous)

    @property
    def comparable_count(self) -> int:
        return sum(p.comparable for p in self.projects)

    @property
    def ml_scores(self) -> list[float]:
        return [s for p in self.projects if (s := p.scan["ml_test_score"]) is not None]

    @property
    def ml_median(self) -> float | None:
        return median(self.ml_scores) if self.ml_scores else None

    @property
    def effort_hours(self) -> float:
        return round(sum(p.effort_hours for p in self.projects), 1)

    @property
    def open_items(self) -> int:
        return sum(p.effort.open_items for p in self.projects)


def mean_of(values: Iterable[float | None]) -> float | None:
    """The mean of the known values, to one decimal; None when none is known."""
    known = [v for v in values if v is not None]
    return round(fmean(known), 1) if known else None


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 2)


def standing(db: sqlite_utils.Database, quarter: Quarter | None = None, team: str | None = None) -> PortfolioState:
    """Every project (of team ``team``, an id) as it stood at the end of ``quarter`` (default: the latest scanned).

    NotFound when the team does not exist; NoScans when the quarter has no
    scans of the projects (``check_quarter`` says which quarters count).
    """
    if team is not None:
        team_row(db, team)
    lines = timelines(db, team=team, quarterly=True)
    scanned = scanned_quarters(lines.values())
    quarters = quarters_between(scanned[0], scanned[-1]) if scanned else []
    if quarter is not None:
        check_quarter(quarter, scanned)
    chosen = quarter or (quarters[-1] if quarters else None)
    projects = []
    if chosen is not None:
        shown = [q for q in quarters if q <= chosen]
        for row in project_rows(db, team):
            line = lines.get(row["id"])
            scan = line.at(chosen.end) if line else None
            if line is None or scan is None:
                continue
            history = {q: s for q in shown if (s := line.at(q.end)) is not None}
            previous = None if chosen.is_first else line.at(chosen.previous().end)
            projects.append((row, scan, previous, history))
    efforts = effort_in_force(db, [s for _, scan, previous, _ in projects for s in (scan, previous) if s])
    categories = scores_by_scope(db, [scan["id"] for _, scan, _, _ in projects], "category")
    states = [
        ProjectState(
            id=row["id"],
            team=row["team_id"],
            team_name=row["team_name"],
            owner=row["owner"],
            team_owner=row["team_owner"],
            scan=scan,
            previous=previous,
            effort=efforts[scan["id"]],
            previous_effort=efforts[previous["id"]] if previous else None,
            categories=categories[scan["id"]],
            history=history,
        )
        for row, scan, previous, history in projects
    ]
    teams = [team_row(db, team)] if team is not None else team_rows(db)
    return PortfolioState(
        quarter=chosen,
        quarters=quarters,
        team=team,
        teams=[TeamState(t["id"], t["name"], t["owner"], [p for p in states if p.team == t["id"]]) for t in teams],
        projects=states,
        rubric_hashes=list(dict.fromkeys(p.scan["rubric_hash"] for p in reversed(states))),
    )


def scanned_quarters(lines: Iterable[Timeline[Headline]]) -> list[Quarter]:
    """The quarters that hold at least one of the scans, in order."""
    return sorted({q for line in lines for q in line.quarters()})


def check_quarter(quarter: Quarter, scanned: list[Quarter]) -> None:
    """Refuse a quarter with no scans, naming the quarters that have some: raises ``NoScans`` (exit status 1).

    The rule, the same for the report, the portfolio and team pages, the API
    and both compares (web and `mldebt compare`): a quarter has something to
    show when it lies between the first and the last quarter in which any of
    the projects looked at (``scanned``, from ``scanned_quarters``) was
    scanned, both included. A quarter before the first has nothing in force by
    its end; one after the last (a future quarter, or the current one before
    its first scan) has nothing of its own and nothing is known of it yet. A
    quarter in a gap between two scanned quarters is accepted: it shows the
    state in force at its end (each project's latest scan by then), as a
    quarter with scans of only some projects does.
    """
    listed = [str(q) for q in scanned]
    if not scanned:
        raise NoScans(f"quarter {quarter}: no scans yet: run `mldebt collect` first")
    named = ", ".join(listed) if len(listed) <= LISTED_QUARTERS else f"{listed[0]} to {listed[-1]}"
    if quarter < scanned[0]:
        raise NoScans(f"quarter {quarter}: no scans in or before it (quarters with scans: {named})", listed)
    if quarter > scanned[-1]:
        raise NoScans(f"quarter {quarter}: no scans in or after it (quarters with scans: {named})", listed)
