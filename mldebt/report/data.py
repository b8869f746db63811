"""What the leadership report adds to the portfolio at the end of a quarter (``standing``).

The report shows the same projects, scores, tiers, targets and open effort as
the web scorecard for the same quarter, and adds per project its section
scores (with the tests that apply), its category health, the results that keep
it below its target level, the checks that improved or regressed since the
previous quarter (each result with its plain reason), the open items at the
quarter's end (``backlog.items_in_force``), and for the portfolio its risks as
themes across projects (``themes``) and the checks to start with. Nothing here
collects or scores.
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
from mldebt.readmodel.queries import Outcome, parsed_rubric, sections_for, statuses_for
from mldebt.readmodel.queries import reasons_for as queries_reasons_for
from mldebt.readmodel.standing import PortfolioState, ProjectState, TeamState, mean_of, standing
from mldebt.report.themes import Theme, themes
from mldebt.rubric.engine import BANDS, GRADES, NOT_APPLICABLE
from mldebt.rubric.schema import Rubric

TOP_ITEMS = 10
TEAM_ITEMS = 5
FIRST_FIXES = 6  # checks on the summary's "where to start" list
BLOCKERS = 6  # results listed per project as keeping it below its target level
BLOCKER_ORDER = {"fail": 0, "waived": 1, "unknown": 2}  # what keeps a project short: failures before unknowns
STATUS_WORDS = {
    "automated": "met",
    "manual": "half met",
    "fail": "not met",
    "unknown": "unknown",
    "waived": "waived",
    NOT_APPLICABLE: "does not apply",
}


@dataclass(frozen=True)
class Change:
    project: str
    check_id: str
    title: str
    before: str
    after: str
    reason: str = ""  # the result's plain reason now


@dataclass(frozen=True)
class Blocker:
    """A result that keeps a project below its target level: a check of that level or one below without credit."""

    check_id: str
    title: str
    level: str  # the level's title
    status: str
    reason: str


@dataclass(frozen=True)
class FirstFix:
    """One check's open items across projects, for the summary's list of where to start."""

    check_id: str
    title: str
    projects: tuple[str, ...]
    hours: float
    priority: float  # the highest of its items'


def status_words(status: str | None) -> str:
    return STATUS_WORDS.get(status or "", status or "not scored")


def health_name(title: str) -> str:
    """A category's title as the name of its health score: "Data testing debt" reads "Data testing"."""
    return title[: -len(" debt")] if title.lower().endswith(" debt") else title


@dataclass
class ProjectView(ProjectState):
    sections: dict[str, float | None] = field(default_factory=dict)  # None: no test of the section applies
    section_max: dict[str, float | None] = field(default_factory=dict)  # the section's applicable tests
    results: dict[str, Outcome] = field(default_factory=dict)  # check -> (status, points, weight)
    reasons: dict[str, str] = field(default_factory=dict)  # check -> its result's plain reason
    improved: list[Change] = field(default_factory=list)
    regressed: list[Change] = field(default_factory=list)
    items: list[BacklogItem] = field(default_factory=list)  # open at the quarter's end
    tier_title: str = ""
    level_title: str = ""  # the level held, "" for none
    target_title: str = ""  # the target level, "" for none
    health: list[tuple[str, float | None]] = field(default_factory=list)  # (category, health 0-100), weakest first
    blockers: list[Blocker] = field(default_factory=list)

    @property
    def on_target(self) -> bool | None:
        """Whether the project meets its tier's target; None when its scan was scored without tiers."""
        size = self.scan["gap_size"]
        return None if size is None else size <= 0

    @property
    def gap_text(self) -> str:
        return self.scan["gap"] or "no target recorded"

    @property
    def gap_change(self) -> float | None:
        """How much closer (negative) or further (positive) from the target than a quarter ago."""
        if not self.comparable or self.previous is None:
            return None
        now, before = self.scan["gap_size"], self.previous["gap_size"]
        return None if now is None or before is None else round(now - before, 2)

    @property
    def band_shown(self) -> str | None:
        """The ML Test Score band's words, only beside a project that meets its target: a band that praises
        ("fit for mission-critical systems") is never printed next to a project its target calls short."""
        return self.scan["band"] if self.on_target else None

    @property
    def lowest_section(self) -> tuple[str, float] | None:
        known = [(name, value) for name, value in self.sections.items() if value is not None]
        return min(known, key=lambda s: s[1]) if known else None


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

    @property
    def on_target(self) -> int:
        return sum(bool(p.on_target) for p in self.projects)

    @property
    def furthest(self) -> ProjectView:
        """Its project furthest from its target."""
        return max(self.projects, key=lambda p: (p.scan["gap_size"] or 0.0, p.effort_hours))


@dataclass
class Report(PortfolioState):
    quarter: Quarter  # a report is always of a quarter with scans
    teams: Sequence[TeamView]  # the teams with a project in the report
    projects: Sequence[ProjectView]  # by id
    top_items: list[BacklogItem] = field(default_factory=list)
    first_fixes: list[FirstFix] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)  # every theme, the worst first
    rubric_of: dict[str, Rubric] = field(default_factory=dict)

    @property
    def by_gap(self) -> list[ProjectView]:
        """The projects furthest from their target first (then by open effort)."""
        return sorted(self.projects, key=lambda p: (-(p.scan["gap_size"] or 0.0), -p.effort_hours, p.id))

    @property
    def teams_by_gap(self) -> list[TeamView]:
        return sorted(
            self.teams,
            key=lambda t: (-(t.furthest.scan["gap_size"] or 0.0), -t.effort_hours, t.name or t.id),
        )

    @property
    def on_target(self) -> int:
        return sum(bool(p.on_target) for p in self.projects)

    @property
    def previous_on_target(self) -> int | None:
        """Projects on target a quarter ago, among those scanned then with tiers; None when none was."""
        known = [p.previous["gap_size"] for p in self.projects if p.previous and p.previous["gap_size"] is not None]
        return sum(size <= 0 for size in known) if known else None

    @property
    def items_hours(self) -> float:
        """The open items' effort: the same total as ``effort_hours``, added up from the items themselves."""
        return round(sum(i.effort_hours for p in self.projects for i in p.items), 1)

    @property
    def previous_effort_hours(self) -> float | None:
        """Open effort a quarter ago, of the projects compared with then (same rubric)."""
        known = [p.previous_effort.open_hours for p in self.projects if p.comparable and p.previous_effort]
        return round(sum(known), 1) if known else None

    def themes_after(self, shown: int) -> tuple[int, float, float]:
        """The themes past the first ``shown``: how many, their hours, and their share of open effort (percent)."""
        rest = self.themes[shown:]
        hours = sum(t.hours for t in rest)
        total = sum(t.hours for t in self.themes)
        return len(rest), round(hours, 1), round(100.0 * hours / total, 1) if total else 0.0

    @property
    def effort_change(self) -> float | None:
        """The change in open effort since last quarter, over the projects compared with then."""
        now = [p.effort_hours for p in self.projects if p.comparable and p.previous_effort]
        before = self.previous_effort_hours
        return None if before is None else round(sum(now) - before, 1)

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
    sections = _sections(db, [v.scan["id"] for v in views])
    reasons = reasons_for(db, [v.scan["id"] for v in views])
    items = items_in_force(db, [v.scan for v in views], base)
    for view in views:
        rubric = parsed_rubric(db, view.scan["rubric_hash"])
        view.sections = {name: value for name, (value, _) in sections[view.scan["id"]].items()}
        view.section_max = {name: most for name, (_, most) in sections[view.scan["id"]].items()}
        view.results = statuses[view.scan["id"]]
        view.reasons = reasons[view.scan["id"]]
        view.items = items[view.scan["id"]]
        _targets(view, rubric)
        if view.comparable and view.previous:
            _changes(view, statuses[view.previous["id"]], rubric)
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
        first_fixes=first_fixes(everything),
        themes=themes(views),
        rubric_of=rubric_of,
    )


def reasons_for(db: sqlite_utils.Database, scan_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """``{scan id: {check id: reason}}``: each result's plain sentence (the condition stays on the check's page)."""
    return {
        scan: {check: " ".join(reason.split()) for check, reason in reasons.items()}
        for scan, reasons in queries_reasons_for(db, scan_ids).items()
    }


def _sections(db: sqlite_utils.Database, scan_ids: Sequence[str]) -> dict[str, dict[str, tuple[Any, Any]]]:
    """Each scan's ML Test Score sections as (score, applicable tests); a score is None when no test applies."""
    return {
        scan: {name: (None if most == 0 else value, most) for name, (value, most) in sections.items()}
        for scan, sections in sections_for(db, scan_ids).items()
    }


def _targets(view: ProjectView, rubric: Rubric) -> None:
    """The words for the project's tier, level held and target, its category health, and what keeps it short."""
    levels = {lv.id: lv.title for lv in rubric.levels}
    scan = view.scan
    view.tier_title = rubric.tier(scan["tier"]).title if scan["tier"] else ""
    view.level_title = levels.get(scan["level"] or "", scan["level"] or "")
    view.target_title = levels.get(scan["target_level"] or "", scan["target_level"] or "")
    view.health = sorted(
        ((health_name(rubric.category_title(c)), v) for c, v in view.categories.items()),
        key=lambda h: (h[1] is None, h[1] if h[1] is not None else 0.0, h[0]),
    )
    ladder = [lv.id for lv in rubric.levels]
    if scan["target_level"] not in ladder:
        return
    wanted = ladder[: ladder.index(scan["target_level"]) + 1]
    blocking = []
    for check in rubric.checks:
        outcome = view.results.get(check.id)
        if check.level not in wanted or outcome is None:
            continue
        status, points, weight = outcome
        if status == NOT_APPLICABLE or (points or 0.0) > 0:
            continue
        order = (wanted.index(check.level or ""), BLOCKER_ORDER.get(status, 9), -(weight or 0.0), check.id)
        blocking.append((order, check, status))
    view.blockers = [
        Blocker(check.id, check.title, levels[check.level or ""], status, view.reasons.get(check.id, ""))
        for _, check, status in sorted(blocking, key=lambda b: b[0])
    ]


def first_fixes(items: Sequence[BacklogItem], limit: int = FIRST_FIXES) -> list[FirstFix]:
    """The checks whose open items rank highest, one line each however many projects share it."""
    grouped: dict[str, list[BacklogItem]] = defaultdict(list)
    for item in items:
        grouped[item.check_id].append(item)
    fixes = [
        FirstFix(
            check_id,
            mine[0].title,
            tuple(sorted({i.project for i in mine})),
            round(sum(i.effort_hours for i in mine), 1),
            max(i.priority for i in mine),
        )
        for check_id, mine in grouped.items()
    ]
    return sorted(fixes, key=lambda f: (-f.priority, -len(f.projects), f.check_id))[:limit]


def _changes(view: ProjectView, before: dict[str, Outcome], rubric: Rubric) -> None:
    for check_id, (status, points, _) in sorted(view.results.items()):
        if check_id not in before:
            continue
        old_status, old_points, _ = before[check_id]
        if old_status == status or points is None or old_points is None:
            continue
        check = rubric.check(check_id)
        change = Change(
            view.id, check_id, check.title if check else check_id, old_status, status, view.reasons.get(check_id, "")
        )
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
