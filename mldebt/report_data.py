"""Everything the leadership report shows, read from the store for one quarter.

A project's state in a quarter is its latest scan as of the quarter's end;
its previous state is the same for the quarter before. Deltas are given only
when both states were scored with the same rubric (history under another
rubric is marked, never silently compared). Nothing here collects or scores.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import mean, median
from typing import Any, Iterable

import sqlite_utils

from .backlog import BacklogItem, RubricCache, base_url, enrich, items_at, projects, results_history
from .errors import InputError
from .quarters import Quarter, Timeline, moment_of, quarters_between
from .rubric.engine import BANDS, GRADES, grade
from .store import rows

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
class ProjectView:
    id: str
    team: str
    owner: str
    scan: dict[str, Any]
    previous: dict[str, Any] | None
    comparable: bool
    sections: dict[str, float]
    effort_hours: float
    results: dict[str, tuple]
    improved: list[Change] = field(default_factory=list)
    regressed: list[Change] = field(default_factory=list)
    items: list[BacklogItem] = field(default_factory=list)
    history: dict[Quarter, tuple[float | None, float | None]] = field(default_factory=dict)  # (grade score, ML Test)

    @property
    def delta_overall(self) -> float | None:
        if not self.comparable or self.scan["overall"] is None or self.previous["overall"] is None:  # type: ignore[index]
            return None
        return round(self.scan["overall"] - self.previous["overall"], 1)  # type: ignore[index]

    @property
    def delta_ml(self) -> float | None:
        if not self.comparable:
            return None
        return round(self.scan["ml_test_score"] - self.previous["ml_test_score"], 1)  # type: ignore[index]


@dataclass
class TrendPoint:
    quarter: Quarter
    overall: float | None
    ml_test_score: float | None
    same_rubric: bool


@dataclass
class TeamView:
    id: str
    name: str
    owner: str
    projects: list[ProjectView]
    trend: list[TrendPoint]
    items: list[BacklogItem]

    @property
    def overall(self) -> float | None:
        return _mean(p.scan["overall"] for p in self.projects)

    @property
    def grade(self) -> str:
        return grade(self.overall)

    @property
    def ml_test_score(self) -> float | None:
        return _mean(p.scan["ml_test_score"] for p in self.projects)

    @property
    def improved(self) -> list[Change]:
        return [c for p in self.projects for c in p.improved]

    @property
    def regressed(self) -> list[Change]:
        return [c for p in self.projects for c in p.regressed]

    @property
    def effort_hours(self) -> float:
        return round(sum(p.effort_hours for p in self.projects), 1)


@dataclass
class Portfolio:
    quarter: Quarter
    previous: Quarter
    quarters: list[Quarter]
    as_of: str
    team_filter: str | None
    teams: list[TeamView]
    projects: list[ProjectView]
    top_items: list[BacklogItem]
    risks: list[str]
    rubric_hashes: list[str]
    rubric_of: dict[str, Any]

    @property
    def overall(self) -> float | None:
        return _mean(p.scan["overall"] for p in self.projects)

    @property
    def grade(self) -> str:
        return grade(self.overall)

    @property
    def previous_overall(self) -> float | None:
        return _mean(p.previous["overall"] for p in self.projects if p.comparable and p.previous)

    @property
    def comparable_count(self) -> int:
        return sum(p.comparable for p in self.projects)

    @property
    def ml_scores(self) -> list[float]:
        return [p.scan["ml_test_score"] for p in self.projects]

    @property
    def ml_median(self) -> float | None:
        return median(self.ml_scores) if self.projects else None

    def distribution(self, previous: bool = False) -> list[tuple[str, int]]:
        """Projects per band of the ML Test Score (the 2017 paper's bands)."""
        values = [p.previous["ml_test_score"] for p in self.projects if p.previous] if previous else self.ml_scores
        return [(label, sum(low < v <= high for v in values))
                for label, low, high in band_ranges()]

    def grades(self, previous: bool = False) -> list[tuple[str, int]]:
        values = [p.previous["grade"] for p in self.projects if p.previous] if previous \
            else [p.scan["grade"] for p in self.projects]
        return [(letter, values.count(letter)) for letter in [g for _, g in GRADES] + ["?"]
                if letter != "?" or "?" in values]

    @property
    def improved(self) -> list[ProjectView]:
        return [p for p in self.projects if (p.delta_overall or 0) > 0]

    @property
    def regressed(self) -> list[ProjectView]:
        return [p for p in self.projects if (p.delta_overall or 0) < 0]

    @property
    def effort_hours(self) -> float:
        return round(sum(p.effort_hours for p in self.projects), 1)


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


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(mean(known), 1) if known else None


def portfolio(db: sqlite_utils.Database, quarter: Quarter | None = None, team: str | None = None,
              base: str | None = None) -> Portfolio:
    """The report's data for ``quarter`` (default: the latest with a scan), all teams or one."""
    project_rows = projects(db)
    team_rows = {r["id"]: r for r in rows(db, "select * from teams order by name")}
    if team is not None:
        team = _team_id(team, team_rows)
        project_rows = {k: v for k, v in project_rows.items() if v["team_id"] == team}
    scans = list(rows(db, """
        select s.id, s.project_id, s.as_of, s.collected_at, s.rubric_hash, s.commit_sha,
               f.value as ml_test_score, f.label as band, g.value as overall, g.label as grade
        from scans s
        left join scores f on f.scan_id = s.id and f.scope = 'mltest' and f.name = 'final'
        left join scores g on g.scan_id = s.id and g.scope = 'overall' and g.name = 'grade'"""))
    by_project: dict[str, list[dict]] = defaultdict(list)
    for scan in scans:
        if scan["project_id"] in project_rows:
            by_project[scan["project_id"]].append(scan)
    timelines = {p: Timeline(s) for p, s in by_project.items()}
    if not timelines:
        raise InputError("no scans yet" + (f" for team {team}" if team else "") + ": run `mldebt collect` first")
    first = min(Quarter.of(t.scans[0]["as_of"]) for t in timelines.values())
    latest = max(Quarter.of(t.scans[-1]["as_of"]) for t in timelines.values())
    quarter = quarter or latest
    if quarter < first:
        raise InputError(f"--quarter {quarter}: no scans by its end (the first scan is in {first})")
    cache = RubricCache(db)
    moment, before = quarter.end, quarter.previous().end
    states = {p: (t.at(moment), t.at(before)) for p, t in timelines.items() if t.at(moment)}
    wanted = {s["id"] for now_, prev in states.values() for s in (now_, prev) if s}
    results = results_history(db, wanted)
    scores = _scores(db, [s["id"] for s, _ in states.values()])
    views = {}
    for project, (scan, prev) in sorted(states.items()):
        rubric = cache(scan["rubric_hash"])
        row = project_rows[project]
        view = ProjectView(
            id=project, team=row["team_id"], owner=row["owner"] or row["team_owner"] or "", scan=scan,
            previous=prev, comparable=bool(prev and prev["rubric_hash"] == scan["rubric_hash"]),
            sections=scores[scan["id"]]["section"], effort_hours=scores[scan["id"]]["effort"].get("hours", 0.0),
            results=results.get(scan["id"], {}))
        if view.comparable:
            _changes(view, results.get(prev["id"], {}), rubric)  # type: ignore[index]
        views[project] = view
    _attach_items(db, views, timelines, moment, cache, project_rows, base_url(base))
    quarters = quarters_between(first, quarter)
    for project, view in views.items():
        for q in quarters:
            state = timelines[project].at(q.end)
            if state:
                view.history[q] = (state["overall"], state["ml_test_score"])
    teams = [TeamView(id=tid, name=t["name"] or tid, owner=t["owner"] or "",
                      projects=[v for v in views.values() if v.team == tid],
                      trend=_trend([timelines[v.id] for v in views.values() if v.team == tid], quarters,
                                   {v.scan["rubric_hash"] for v in views.values() if v.team == tid}),
                      items=sorted((i for v in views.values() if v.team == tid for i in v.items),
                                   key=lambda i: (-i.priority, i.id))[:TEAM_ITEMS])
             for tid, t in team_rows.items() if any(v.team == tid for v in views.values())]
    everything = sorted((i for v in views.values() for i in v.items), key=lambda i: (-i.priority, i.id))
    hashes = sorted({v.scan["rubric_hash"] for v in views.values()})
    return Portfolio(
        quarter=quarter, previous=quarter.previous(), quarters=quarters,
        as_of=max(moment_of(v.scan["as_of"]) for v in views.values()).date().isoformat(),
        team_filter=team, teams=teams, projects=list(views.values()), top_items=everything[:TOP_ITEMS],
        risks=risks(list(views.values()), cache), rubric_hashes=hashes,
        rubric_of={h: cache(h) for h in hashes},
    )


def _team_id(team: str, team_rows: dict[str, dict]) -> str:
    for tid, row in team_rows.items():
        if team in (tid, row["name"]):
            return tid
    raise InputError(f"--team {team!r}: no such team (teams: {', '.join(sorted(team_rows)) or 'none yet'})")


def _scores(db: sqlite_utils.Database, scan_ids: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    found: dict[str, dict[str, dict[str, float]]] = {i: {"section": {}, "effort": {}} for i in scan_ids}
    for start in range(0, len(scan_ids), 500):
        chunk = scan_ids[start:start + 500]
        for r in rows(db, f"select scan_id, scope, name, value from scores where scope in ('section', 'effort') "
                          f"and scan_id in ({','.join('?' * len(chunk))})", chunk):
            found[r["scan_id"]][r["scope"]][r["name"]] = r["value"] or 0.0
    return found


def _changes(view: ProjectView, before: dict[str, tuple], rubric: Any) -> None:
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


def _attach_items(db: sqlite_utils.Database, views: dict[str, ProjectView], timelines: dict[str, Timeline],
                  moment: datetime, cache: RubricCache, project_rows: dict, base: str) -> None:
    """Open items at the quarter's end: stored ones when the quarter holds the latest scan, else derived."""
    current = [p for p, v in views.items() if timelines[p].scans[-1]["id"] == v.scan["id"]]
    stored: dict[str, list[dict]] = defaultdict(list)
    for r in rows(db, "select * from paydown_items where status = 'open'"):
        if r["project_id"] in current:
            stored[r["project_id"]].append(r)
    for project, view in views.items():
        rubric = cache(view.scan["rubric_hash"])
        if project in current:
            raw: list[Any] = stored[project]
        else:
            history = results_history(db, [s["id"] for s in timelines[project].upto(moment)])
            raw = [i for i in items_at(timelines[project], moment, history, rubric, project) if i.status == "open"]
        view.items = enrich(raw, project_rows, {project: rubric}, base)


def _trend(timelines: list[Timeline], quarters: list[Quarter], current: set[str]) -> list[TrendPoint]:
    trend = []
    for quarter in quarters:
        states = [s for s in (t.at(quarter.end) for t in timelines) if s]
        trend.append(TrendPoint(quarter, _mean(s["overall"] for s in states),
                                _mean(s["ml_test_score"] for s in states) if states else None,
                                all(s["rubric_hash"] in current for s in states)))
    return trend


def risks(views: list[ProjectView], cache: RubricCache) -> list[str]:
    """The worst risks, a sentence each: the weightiest checks failing across most projects."""
    failing: dict[str, list[str]] = defaultdict(list)
    scoped: dict[str, int] = defaultdict(int)
    weight: dict[str, float] = {}
    check_of: dict[str, Any] = {}
    new: dict[str, int] = defaultdict(int)
    for view in views:
        rubric = cache(view.scan["rubric_hash"])
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
    return text if end < 0 else text[:end + 1]

