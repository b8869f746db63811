"""Collect and score projects into the store, and read scans back.

``collect_project`` gathers every fact first, scores them, and only then
writes the scan, its evidence, results and scores in one transaction: a
process killed at any moment leaves either the whole scan or none of it.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

import sqlite_utils

from . import __version__
from .collectors import registry
from .collectors.interface import Fact, Snapshot
from .errors import NotFound
from .gitsource import checkout
from .portfolio import Portfolio, Project
from .rubric.engine import Scorecard, score
from .rubric.schema import Rubric
from .store import from_json, rows, to_json


@dataclass(frozen=True)
class ScanSummary:
    scan_id: str
    project: str
    commit: str | None
    as_of: str
    scorecard: Scorecard
    errors: int


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def save_portfolio(db: sqlite_utils.Database, portfolio: Portfolio) -> None:
    """Record the portfolio's teams and projects (existing rows are updated)."""
    with db.atomic():
        for team_id, team in portfolio.teams.items():
            db["teams"].upsert({"id": team_id, **team}, pk="id")
        for p in portfolio.projects:
            db["projects"].upsert({
                "id": p.name, "team_id": p.team_id, "name": p.name, "repo": p.repo,
                "subpath": p.subpath, "owner": p.owner, "description": p.description,
                "tags": to_json(list(p.tags)), "sources": to_json(p.sources),
            }, pk="id")


def readable(facts: Iterable[Fact]) -> dict[str, Any]:
    """The facts a rubric can use: every non-error fact by key."""
    return {f.key: f.value for f in facts if not f.is_error}


def collect_project(db: sqlite_utils.Database, project: Project, rubric: Rubric,
                    as_of: datetime | None = None) -> ScanSummary:
    started = time.monotonic()
    collected_at = now()
    with checkout(project, as_of) as tree:
        snapshot = Snapshot(project=project.name, root=tree.root, commit=tree.commit,
                            sources=project.sources, skipped=tuple(tree.skipped), git_dir=tree.git_dir,
                            subpath=project.subpath, as_of=as_of or collected_at)
        facts = registry.collect(snapshot)
        commit, commit_date = tree.commit, tree.commit_date
    card = score(rubric, readable(facts))
    scan = {
        "id": uuid.uuid4().hex, "project_id": project.name,
        "as_of": (as_of or collected_at).isoformat(), "collected_at": collected_at.isoformat(),
        "commit_sha": commit, "commit_date": commit_date, "tool_version": __version__,
        "rubric_hash": rubric.hash, "duration_s": round(time.monotonic() - started, 3),
        "fact_count": len(facts), "error_count": sum(f.is_error for f in facts),
    }
    with db.atomic():
        _save_rubric(db, rubric)
        db["scans"].insert(scan)
        db["evidence"].insert_all(
            {"scan_id": scan["id"], "key": f.key, "value": to_json(f.value),
             "type": type(f.value).__name__ if f.value is not None else "null",
             "collector": f.collector, "path": f.path, "line": f.line, "url": f.url, "error": f.error}
            for f in facts
        )
        _save_scorecard(db, scan["id"], card)
    return ScanSummary(scan["id"], project.name, commit, scan["as_of"], card, scan["error_count"])


def rescore(db: sqlite_utils.Database, rubric: Rubric) -> int:
    """Apply ``rubric`` to every stored scan again; return how many were scored."""
    scan_ids = [r["id"] for r in rows(db, "select id from scans order by as_of")]
    with db.atomic():
        _save_rubric(db, rubric)
        for scan_id in scan_ids:
            card = score(rubric, readable(facts_of(db, scan_id)))
            db.execute("delete from results where scan_id = ?", [scan_id])
            db.execute("delete from scores where scan_id = ?", [scan_id])
            _save_scorecard(db, scan_id, card)
            db["scans"].update(scan_id, {"rubric_hash": rubric.hash})
    return len(scan_ids)


def _save_rubric(db: sqlite_utils.Database, rubric: Rubric) -> None:
    db["rubrics"].insert({
        "hash": rubric.hash, "name": rubric.spec.rubric, "version": rubric.spec.version,
        "source": rubric.source, "content": rubric.content, "loaded_at": now().isoformat(),
    }, pk="hash", ignore=True)


def _save_scorecard(db: sqlite_utils.Database, scan_id: str, card: Scorecard) -> None:
    db["results"].insert_all(
        {"scan_id": scan_id, "check_id": r.check_id, "status": r.status, "points": r.points,
         "weight": r.weight, "detail": r.detail, "evidence_keys": to_json(list(r.evidence_keys))}
        for r in card.results
    )
    scores = [{"scope": "mltest", "name": "final", "value": card.ml_test_score, "max": 7.0, "label": card.band},
              {"scope": "overall", "name": "grade", "value": card.overall, "max": 100.0, "label": card.grade},
              {"scope": "effort", "name": "hours", "value": card.effort_hours, "max": None, "label": None}]
    scores += [{"scope": "section", "name": k, "value": v, "max": 7.0, "label": None} for k, v in card.sections.items()]
    scores += [{"scope": "category", "name": k, "value": v, "max": 100.0, "label": None} for k, v in card.categories.items()]
    db["scores"].insert_all({"scan_id": scan_id, **s} for s in scores)


def facts_of(db: sqlite_utils.Database, scan_id: str) -> list[Fact]:
    return [
        Fact(key=r["key"], value=from_json(r["value"]), collector=r["collector"], path=r["path"],
             line=r["line"], url=r["url"], error=r["error"])
        for r in rows(db, "select * from evidence where scan_id = ? order by id", [scan_id])
    ]


def project_row(db: sqlite_utils.Database, name: str) -> dict[str, Any]:
    found = list(rows(db, "select p.*, t.name as team_name from projects p "
                          "left join teams t on t.id = p.team_id where p.id = ?", [name]))
    if not found:
        known = ", ".join(r["id"] for r in rows(db, "select id from projects order by id")) or "none yet"
        raise NotFound(f"no project named {name!r} in the database (projects: {known})")
    return found[0]


def scanned_projects(db: sqlite_utils.Database) -> list[str]:
    """Names of the projects with at least one scan, by team then name."""
    return [r["id"] for r in rows(db, "select p.id from projects p where exists "
                                      "(select 1 from scans s where s.project_id = p.id) order by p.team_id, p.id")]


def scans_of(db: sqlite_utils.Database, project: str) -> list[dict[str, Any]]:
    """The project's scans, oldest first, each with its headline scores."""
    return list(rows(db, """
        select s.*, f.value as ml_test_score, f.label as band, g.value as overall, g.label as grade
        from scans s
        left join scores f on f.scan_id = s.id and f.scope = 'mltest' and f.name = 'final'
        left join scores g on g.scan_id = s.id and g.scope = 'overall' and g.name = 'grade'
        where s.project_id = ? order by s.as_of, s.collected_at""", [project]))


def scores_of(db: sqlite_utils.Database, scan_id: str) -> list[dict[str, Any]]:
    return list(rows(db, "select * from scores where scan_id = ?", [scan_id]))


def results_of(db: sqlite_utils.Database, scan_id: str) -> list[dict[str, Any]]:
    return list(rows(db, "select * from results where scan_id = ?", [scan_id]))
