"""The summary's risks: open paydown items grouped into a handful of plain themes across projects.

A theme is one of the rubric's categories (the debt families of Sculley et
al.), named for what its open items say is missing ("data validation"), with
the projects that owe any of it, its open effort and that effort's share of all
open effort. A project *lacks* the theme when it earns under half the
category's weighted points (its category health is under 50), and *has gaps* in
it otherwise. Every open item is in exactly one theme (an item of a check
without a category in "other checks"), so the themes' hours add up to the open
effort every surface shows. Themes rank by the points their items leave
unearned, weight x gap summed: a gap that weighs much and that many projects
share comes first, not the cheapest item repeated in every project.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mldebt.readmodel.backlog import BacklogItem

# What a project with open items in a category of the default rubric lacks, in a leader's words.
LACKS = {
    "data-testing": "data validation",
    "data-dependencies": "control of data and package dependencies",
    "process": "tested, automated releases",
    "configuration": "central, reviewed configuration",
    "feedback-loops": "watch over feedback loops and live prediction quality",
    "external-world": "guards against a changing world",
    "culture": "team habits that keep debt down",
    "reproducibility": "reproducible training",
    "anti-patterns": "clean pipeline code",
    "entanglement": "clear boundaries between models, features and consumers",
}
OTHER = "other checks"
CHECKS_NAMED = 2  # the checks a theme names, those with the most open effort
LACKING_BELOW = 50.0  # category health under which a project lacks the theme rather than has gaps in it


class _Project(Protocol):
    id: str
    items: list[BacklogItem]
    categories: dict[str, float | None]


@dataclass(frozen=True)
class CheckShare:
    title: str
    projects: int
    hours: float


@dataclass(frozen=True)
class Theme:
    category: str  # the category id ("" for checks without one)
    title: str  # the category's title
    lacks: str | None  # what the projects lack, in words; None for a category the report has no words for
    projects: tuple[str, ...]  # the projects with an open item in it
    lacking: tuple[str, ...]  # those of them whose category health is under LACKING_BELOW
    of: int  # the projects in the report
    hours: float
    share: float  # percent of all open effort
    items: int
    unearned: float  # weight x gap, summed over its items
    checks: tuple[CheckShare, ...]  # its checks with the most open effort
    check_count: int  # all its checks with an open item

    @property
    def name(self) -> str:
        return self.lacks or self.title[:1].lower() + self.title[1:]

    @property
    def sentence(self) -> str:
        """ "2 of 4 projects lack data validation; 1 more has gaps in it", or "3 of 4 projects have gaps in ..."."""
        lacking, gaps = len(self.lacking), len(self.projects) - len(self.lacking)
        if not lacking:
            return f"{self._who(gaps)} {'has' if gaps == 1 else 'have'} gaps in {self.name}"
        said = f"{self._who(lacking)} lack{'s' if lacking == 1 else ''} {self.name}"
        return said + (f"; {gaps} more {'has' if gaps == 1 else 'have'} gaps in it" if gaps else "")

    def _who(self, n: int) -> str:
        return (
            f"All {n} projects" if n == self.of and n > 1 else f"{n} of {self.of} project{'s' if self.of != 1 else ''}"
        )


def themes(projects: Sequence[_Project]) -> list[Theme]:
    """Every theme with open items, the one leaving most weighted points unearned first."""
    grouped: dict[str, list[BacklogItem]] = defaultdict(list)
    health: dict[tuple[str, str], float | None] = {}
    for project in projects:
        for item in project.items:
            grouped[item.category_id].append(item)
            health[project.id, item.category_id] = project.categories.get(item.category_id)
    total = sum(i.effort_hours for items in grouped.values() for i in items)
    found = []
    for category, items in grouped.items():
        hours = sum(i.effort_hours for i in items)
        owing = sorted({i.project for i in items})
        found.append(
            Theme(
                category=category,
                title=items[0].category or OTHER,
                lacks=LACKS.get(category),
                projects=tuple(owing),
                lacking=tuple(p for p in owing if (h := health[p, category]) is not None and h < LACKING_BELOW),
                of=len(projects),
                hours=round(hours, 1),
                share=round(100.0 * hours / total, 1) if total else 0.0,
                items=len(items),
                unearned=round(sum(i.weight * i.gap for i in items), 2),
                checks=_checks(items),
                check_count=len({i.check_id for i in items}),
            )
        )
    return sorted(found, key=lambda t: (-t.unearned, -t.hours, t.category))


def _checks(items: Iterable[BacklogItem]) -> tuple[CheckShare, ...]:
    by_check: dict[str, list[BacklogItem]] = defaultdict(list)
    for item in items:
        by_check[item.check_id].append(item)
    shares = [
        (
            check_id,
            CheckShare(mine[0].title, len({i.project for i in mine}), round(sum(i.effort_hours for i in mine), 1)),
        )
        for check_id, mine in by_check.items()
    ]
    shares.sort(key=lambda s: (-s[1].hours, -s[1].projects, s[0]))
    return tuple(share for _, share in shares[:CHECKS_NAMED])
