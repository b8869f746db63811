"""What the leadership report adds to the portfolio at the end of a quarter (``standing``).

The report shows the same projects, scores and open effort as the web
scorecard for the same quarter, and adds per project its section scores, the
checks that improved or regressed since the previous quarter, the open items
at the quarter's end (``backlog.items_in_force``), and for the portfolio its
worst risks and top items. Nothing here collects or scores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import sqlite_utils

from mldebt.errors import InputError
from mldebt.readmodel.backlog import BacklogItem, items_in_force
from mldebt.readmodel.quarters import Quarter
from mldebt.readmodel.queries import Outcome, parsed_rubric, scores_by_scope, statuses_for
from mldebt.readmodel.standing import PortfolioState, ProjectState, TeamState, mean_of, standing
from mldebt.rubric.engine import BANDS, GRADES
from mldebt.rubric.schema import Rubric

TOP_ITEMS = 10
TEAM_ITEMS = 5
RISKS = 5


@dataclass(frozen=True)
class Change:
    project: str
    check_id: str
    title: str
    before: str
    after: str


@dataclass
class ProjectView(ProjectState):
    sections: dict[str, float] = field(default_factory=dict)
    results: dict[str, Outcome] = field(default_factory=dict)  # check -> (status, points, weight)
    improved: list[Change] = field(default_factory=list)
    regressed: list[Change] = field(default_factory=list)
    items: list[BacklogItem] = field(default_factory=list)  # open at the quarter's end


@dataclass
class TrendPoint:
    quarter: Quarter
    overall: float | None
    ml_test_score: float | None
    same_rubric: bool


@dataclass
class TeamView(TeamState):
    projects: Sequence[ProjectView]
    trend: list[TrendPoint] = field(default_factory=list)
    items: list[BacklogItem] = field(default_factory=list)  # its top items

    @property
    def improved(self) -> list[Change]:
        return [c for p in self.projects for c in p.improved]

    @property
    def regressed(self) -> list[Change]:
        return [c for p in self.projects for c in p.regressed]


@dataclass
class Report(PortfolioState):
    quarter: Quarter  # a report is always of a quarter with scans
    teams: Sequence[TeamView]  # the teams with a project in the report
    projects: Sequence[ProjectView]  # by id
    top_items: list[BacklogItem] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    rubric_of: dict[str, Rubric] = field(default_factory=dict)

    @property
    def improved(self) -> list[ProjectView]:
        return [p for p in self.projects if round(p.delta_overall or 0, 1) > 0]

    @property
    def regressed(self) -> list[ProjectView]:
        return [p for p in self.projects if round(p.delta_overall or 0, 1) < 0]

    def distribution(self, previous: bool = False) -> list[tuple[str, int]]:
        """Projects per band of the ML Test Score (the 2017 paper's bands)."""
        values = [p.previous["ml_test_score"] for p in self.projects if p.previous] if previous else self.ml_scores
        return [(label, sum(v is not None and low < v <= high for v in values)) for label, low, high in band_ranges()]

    def grades(self, previous: bool = False) -> list[tuple[str, int]]:
        values = (
            [p.previous["grade"] for p in self.projects if p.previous]
            if previous
            else [p.scan["grade"] for p in self.projects]
        )
        return [
            (letter, values.count(letter))
            for letter in [g for _, g in GRADES] + ["?"]
            if letter != "?" or "?" in values
        ]


def band_ranges() -> list[tuple[str, float, float]]:
    """Each band as (label, exclusive low, inclusive high), labelled from the engine's bounds."""
    ranges, low = [], -1.0
    for bound, _ in BANDS:
        if low < 0:
            label = f"{bound:g}"
        elif bound == float("inf"):
            label = f"above {low:g}"
        else:
            label = f"{low + 0.5:g}–{bound:g}"
        ranges.append((label, low, bound))
        low = bound
    return ranges


def report_data(
    db: sqlite_utils.Database, quarter: Quarter | None = None, team: str | None = None, base: str | None = None
) -> Report:
    """The report's data for ``quarter`` (default: the latest with a scan), all teams or one (its id)."""
    state = standing(db, quarter, team)
    if state.quarter is None:
        raise InputError("no scans yet" + (f" for team {team}" if team else "") + ": run `mldebt collect` first")
    views = [
        ProjectView(**{f.name: getattr(p, f.name) for f in fields(ProjectState)})
        for p in sorted(state.projects, key=lambda p: p.id)
    ]
    statuses = statuses_for(db, [s["id"] for v in views for s in (v.scan, v.previous) if s])
    sections = scores_by_scope(db, [v.scan["id"] for v in views], "section")
    items = items_in_force(db, [v.scan for v in views], base)
    for view in views:
        view.sections = {name: value or 0.0 for name, value in sections[view.scan["id"]].items()}
        view.results = statuses[view.scan["id"]]
        view.items = items[view.scan["id"]]
        if view.comparable and view.previous:
            _changes(view, statuses[view.previous["id"]], parsed_rubric(db, view.scan["rubric_hash"]))
    teams = []
    for team_state in state.teams:
        mine = [v for v in views if v.team == team_state.id]
        if mine:
            teams.append(
                TeamView(
                    id=team_state.id,
                    name=team_state.name or team_state.id,
                    owner=team_state.owner or "",
                    projects=mine,
                    trend=_trend(mine, state.shown_quarters),
                    items=sorted((i for v in mine for i in v.items), key=lambda i: (-i.priority, i.id))[:TEAM_ITEMS],
                )
            )
    everything = sorted((i for v in views for i in v.items), key=lambda i: (-i.priority, i.id))
    hashes = sorted({v.scan["rubric_hash"] for v in views})
    rubric_of = {h: parsed_rubric(db, h) for h in hashes}
    return Report(
        quarter=state.quarter,
        quarters=state.quarters,
        team=state.team,
        teams=teams,
        projects=views,
        rubric_hashes=hashes,
        top_items=everything[:TOP_ITEMS],
        risks=risks(views, rubric_of),
        rubric_of=rubric_of,
    )


def _changes(view: ProjectView, before: dict[str, Outcome], rubric: Rubric) -> None:
    for check_id, (status, points, _) in sorted(view.results.items()):
        if check_id not in before:
            continue
        old_status, old_points, _ = before[check_id]
        if old_status == status or points is None or old_points is None:
            continue
        check = rubric.check(check_id)
        change = Change(view.id, check_id, check.title if check else check_id, old_status, status)
        if status != "waived" and points > old_points:
            view.improved.append(change)
        elif status != "waived" and points < old_points:
            view.regressed.append(change)


def _trend(views: Sequence[ProjectView], quarters: list[Quarter]) -> list[TrendPoint]:
    """A team's mean scores at the end of each quarter; a quarter is marked when a scan then used another rubric."""
    current = {v.scan["rubric_hash"] for v in views}
    trend = []
    for quarter in quarters:
        states = [v.history[quarter] for v in views if quarter in v.history]
        trend.append(
            TrendPoint(
                quarter,
                mean_of(s["overall"] for s in states),
                mean_of(s["ml_test_score"] for s in states) if states else None,
                all(s["rubric_hash"] in current for s in states),
            )
        )
    return trend


def risks(views: list[ProjectView], rubric_of: dict[str, Rubric]) -> list[str]:
    """The worst risks, a sentence each: the weightiest checks failing across most projects."""
    failing: dict[str, list[str]] = defaultdict(list)
    scoped: dict[str, int] = defaultdict(int)
    weight: dict[str, float] = {}
    check_of: dict[str, Any] = {}
    new: dict[str, int] = defaultdict(int)
    for view in views:
        rubric = rubric_of[view.scan["rubric_hash"]]
        for check_id, (status, points, w) in view.results.items():
            if points is None and status != "waived":
                continue
            scoped[check_id] += 1
            weight[check_id] = w
            check_of.setdefault(check_id, rubric.check(check_id))
            if status == "fail":
                failing[check_id].append(view.id)
        new.update({c.check_id: new[c.check_id] + 1 for c in view.regressed if c.after == "fail"})
    ranked = sorted(failing, key=lambda c: (-weight[c] * len(failing[c]) / scoped[c], c))[:RISKS]
    sentences = []
    for check_id in ranked:
        check, names = check_of[check_id], failing[check_id]
        title = check.title if check else check_id
        label = f" ({check.ml_test})" if check and check.ml_test else ""
        shown = f" ({', '.join(names)})" if len(names) <= 3 else ""
        why = _first_sentence(check.why) if check else ""
        fresh = f", newly in {new[check_id]}" if new.get(check_id) else ""
        sentences.append(f"{title}{label} fails in {len(names)} of {scoped[check_id]} projects{shown}{fresh}: {why}")
    return sentences


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]
