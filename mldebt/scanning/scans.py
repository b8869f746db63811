"""Collect and score projects into the store, and read scans back.

``collect_evidence`` gathers every fact of a project into a bundle (no
database: a pool worker or a CI job does it); ``store_bundle`` scores a
bundle and only then writes the scan, its evidence, results and scores in
one transaction, so a process killed at any moment leaves either the whole
scan or none of it. ``collect_project`` is the two in a row. ``rescore``
(`mldebt score`, a new rubric over every scan) and ``rescore_project`` (after
an attestation or a waiver: ``writes``) score stored scans again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

import sqlite_utils

from mldebt import __version__
from mldebt.collectors.interface import Fact, Snapshot
from mldebt.errors import NotFound
from mldebt.redact import without_credentials
from mldebt.rubric.engine import Context, Scorecard, Waiver, score
from mldebt.rubric.paydown import Item, ScanResults, paydown
from mldebt.rubric.reasons import Evidence
from mldebt.rubric.schema import Rubric, from_content
from mldebt.scanning.bundle import Bundle, project_info
from mldebt.scanning.completeness import incomplete
from mldebt.scanning.prefetch import settle
from mldebt.sources.gitsource import checkout
from mldebt.sources.portfolio import Portfolio, Project
from mldebt.store.db import from_json, rows, to_json
from mldebt.suggest import hint


class ScoreRow(TypedDict):
    """One row of the ``scores`` table, less its scan id."""

    scope: str
    name: str
    value: float | None
    max: float | None
    label: str | None


@dataclass(frozen=True)
class ScanSummary:
    scan_id: str
    project: str
    commit: str | None
    as_of: str
    scorecard: Scorecard
    errors: int


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def save_portfolio(db: sqlite_utils.Database, portfolio: Portfolio) -> None:
    """Record the portfolio's teams and projects (existing rows are updated)."""
    with db.atomic():
        for team_id, team in portfolio.teams.items():
            db.table("teams").upsert({"id": team_id, **team}, pk="id")
        for p in portfolio.projects:
            db.table("projects").upsert(
                {
                    "id": p.name,
                    "team_id": p.team_id,
                    "name": p.name,
                    "repo": without_credentials(p.repo),
                    "subpath": p.subpath,
                    "owner": p.owner,
                    "description": p.description,
                    "tags": to_json(list(p.tags)),
                    "tier": p.tier,
                    "sources": to_json(without_credentials(p.sources)),
                },
                pk="id",
            )


def readable(facts: Iterable[Fact]) -> dict[str, Any]:
    """The facts a rubric can use: every non-error fact by key."""
    return {f.key: f.value for f in facts if not f.is_error}


def collect_evidence(project: Project, as_of: datetime | None = None, team_owner: str | None = None) -> Bundle:
    """Collect every fact of ``project`` (no database, no rubric): what a pool worker or a CI push sends."""
    started = time.monotonic()
    collected_at = now()
    moment = as_of or collected_at
    from mldebt.collectors.repo.history import read_early  # the history's log: read while the files are laid out

    settle()  # what the command started ahead (prefetch) is done: the layout and the log are where they are looked for

    with read_early(project.name, project.subpath, moment) as start, checkout(project, as_of, start) as tree:
        snapshot = Snapshot(
            project=project.name,
            root=tree.root,
            commit=tree.commit,
            sources=project.sources,
            skipped=tuple(tree.skipped),
            git_dir=tree.git_dir,
            subpath=project.subpath,
            as_of=moment,
            tree=tree.tree,
        )
        from mldebt.collectors import registry  # every collector: loaded when a scan is collected

        facts = registry.collect(snapshot) + incomplete(tree.skipped)
        commit, commit_date = tree.commit, tree.commit_date
    return Bundle(
        scan_id=uuid.uuid4().hex,
        project=project_info(project, team_owner),
        commit=commit,
        commit_date=commit_date,
        as_of=moment.isoformat(),
        collected_at=collected_at.isoformat(),
        tool_version=__version__,
        duration_s=round(time.monotonic() - started, 3),
        facts=tuple(facts),
    )


def store_bundle(db: sqlite_utils.Database, bundle: Bundle, rubric: Rubric) -> ScanSummary:
    """Score ``bundle`` with ``rubric`` and store it as one scan, with its project and team; all of it or nothing."""
    started = time.monotonic()
    facts = list(bundle.facts)
    info = bundle.project
    scan = {
        "id": bundle.scan_id,
        "project_id": info["name"],
        "as_of": bundle.as_of,
        "collected_at": bundle.collected_at,
        "commit_sha": bundle.commit,
        "commit_date": bundle.commit_date,
        "tool_version": bundle.tool_version,
        "rubric_hash": rubric.hash,
        "duration_s": 0.0,
        "fact_count": len(facts),
        "error_count": bundle.errors,
    }
    with db.atomic():  # the store's atomic() takes the write lock first (BEGIN IMMEDIATE)
        _save_project(db, info)
        card = _score_scan(db, rubric, scan, facts)
        scan["duration_s"] = round(bundle.duration_s + time.monotonic() - started, 3)
        _save_rubric(db, rubric)
        db.table("scans").insert(scan)
        db.table("evidence").insert_all(
            {
                "scan_id": scan["id"],
                "key": f.key,
                "value": to_json(f.value),
                "type": type(f.value).__name__ if f.value is not None else "null",
                "collector": f.collector,
                "path": f.path,
                "line": f.line,
                "url": f.url,
                "error": f.error,
            }
            for f in facts
        )
        _save_scorecard(db, scan["id"], card)
        update_paydown(db, info["name"], rubric)
    return ScanSummary(scan["id"], info["name"], bundle.commit, scan["as_of"], card, scan["error_count"])


def collect_project(
    db: sqlite_utils.Database, project: Project, rubric: Rubric, as_of: datetime | None = None
) -> ScanSummary:
    """Collect, score and store one scan of ``project``; all of it or nothing."""
    return store_bundle(db, collect_evidence(project, as_of), rubric)


def _save_project(db: sqlite_utils.Database, info: dict[str, Any]) -> None:
    """Record the bundle's team and project; columns a bundle does not carry (sources) are left as they are."""
    team = {"id": info["team_id"], "name": info["team_name"]}
    if info.get("team_owner") is not None or not db["teams"].count_where("id = ?", [info["team_id"]]):
        team["owner"] = info.get("team_owner")
    db.table("teams").upsert(team, pk="id")
    db.table("projects").upsert(
        {
            "id": info["name"],
            "team_id": info["team_id"],
            "name": info["name"],
            "repo": info.get("repo"),
            "subpath": info.get("subpath"),
            "owner": info.get("owner"),
            "description": info.get("description"),
            "tags": to_json(list(info.get("tags") or [])),
        },
        pk="id",
    )


def rescore(db: sqlite_utils.Database, rubric: Rubric) -> int:
    """Apply ``rubric`` to every stored scan again; return how many were scored (`mldebt score`)."""
    scans = list(rows(db, "select * from scans order by as_of, collected_at"))
    with db.atomic():
        _save_rubric(db, rubric)
        for scan in scans:
            _replace_scorecard(db, rubric, scan)
            db.execute("update scans set rubric_hash = ? where id = ?", [rubric.hash, scan["id"]])
        for project in {s["project_id"] for s in scans}:
            update_paydown(db, project, rubric)
    return len(scans)


def stored_rubric(db: sqlite_utils.Database, rubric_hash: str) -> Rubric:
    """The rubric a scan was scored with, as the store kept it."""
    found = next(rows(db, "select content, source from rubrics where hash = ?", [rubric_hash]), None)
    if found is None:
        raise NotFound(f"rubric {rubric_hash} is not in the database")
    return from_content(found["content"], source=found["source"])


def rescore_project(db: sqlite_utils.Database, project: str) -> None:
    """Score a project's scans again with the rubric each was scored with (after a waiver or attestation)."""
    scans = list(rows(db, "select * from scans where project_id = ? order by as_of, collected_at", [project]))
    rubrics: dict[str, Rubric] = {}
    with db.atomic():
        for scan in scans:
            if scan["rubric_hash"] not in rubrics:
                rubrics[scan["rubric_hash"]] = stored_rubric(db, scan["rubric_hash"])
            _replace_scorecard(db, rubrics[scan["rubric_hash"]], scan)
        if scans:
            update_paydown(db, project, rubrics[scans[-1]["rubric_hash"]])


def _replace_scorecard(db: sqlite_utils.Database, rubric: Rubric, scan: dict[str, Any]) -> None:
    """Score a stored scan with ``rubric`` and put its results and scores in place of the old ones."""
    card = _score_readable(db, rubric, scan, readable_of(db, scan["id"]), located_of(db, scan["id"]))
    db.execute("delete from results where scan_id = ?", [scan["id"]])
    db.execute("delete from scores where scan_id = ?", [scan["id"]])
    _save_scorecard(db, scan["id"], card)


def _score_scan(db: sqlite_utils.Database, rubric: Rubric, scan: dict[str, Any], facts: list[Fact]) -> Scorecard:
    """Score one scan with its project's scope, the waivers and recorded attestations then in force."""
    return _score_readable(db, rubric, scan, readable(facts), located((f.key, f.path, f.line) for f in facts))


def _score_readable(
    db: sqlite_utils.Database,
    rubric: Rubric,
    scan: dict[str, Any],
    usable: dict[str, Any],
    where: dict[str, list[str]] | None = None,
) -> Scorecard:
    project = next(rows(db, "select team_id, tags, tier from projects where id = ?", [scan["project_id"]]), None)
    context = Context(
        project=scan["project_id"],
        team=(project or {}).get("team_id") or "",
        tags=tuple(from_json((project or {}).get("tags")) or ()),
        tier=(project or {}).get("tier") or "",
    )
    for key, value in recorded_attestations(db, scan["project_id"], scan["as_of"]).items():
        if key not in usable or str(value.get("date", "")) > str(usable[key].get("date", "")):
            usable[key] = value
    from mldebt.collectors.registry import declared_keys

    evidence = Evidence(usable, declared_keys(), where)
    return score(rubric, usable, context, active_waivers(db, scan["project_id"], scan["as_of"]), evidence)


def active_waivers(db: sqlite_utils.Database, project: str, as_of: str) -> list[Waiver]:
    """Waivers of ``project`` in force at ``as_of``: started by then and not yet ended, oldest first (of a
    check, or of one place of its evidence, the latest counts)."""
    day = as_of[:10]
    return [
        Waiver(r["check_id"], r["owner"], r["reason"], r["until"], r["location"])
        for r in rows(
            db,
            "select * from waivers where project_id = ? and coalesce(starts_on, "
            "substr(created_at, 1, 10)) <= ? and until >= ? order by created_at, id",
            [project, day, day],
        )
    ]


def recorded_attestations(db: sqlite_utils.Database, project: str, as_of: str) -> dict[str, dict[str, Any]]:
    """Attestations recorded with `mldebt attest`, as the facts an attestation file would give."""
    day = as_of[:10]
    found: dict[str, dict[str, Any]] = {}
    for r in rows(
        db,
        "select * from attestations where project_id = ? and attested_on <= ? order by attested_on, id",
        [project, day],
    ):
        found[f"attest.{r['question']}"] = {
            "answer": r["answer"],
            "by": r["attested_by"],
            "date": r["attested_on"],
            "link": r["link"],
            "expires": r["expires_on"],
            "expired": bool(r["expires_on"] and r["expires_on"] < day),
            "source": r["source"] or "mldebt attest",
        }
    return found


def update_paydown(db: sqlite_utils.Database, project: str, rubric: Rubric) -> list[Item]:
    """Recompute the project's paydown items from its whole history of results (checks one fix clears, the
    rubric's ``fixed_with``, make one item)."""
    scans: dict[str, tuple[str, dict[str, tuple[str, float | None, float]]]] = {}
    for r in rows(
        db,
        "select s.id, s.as_of, r.check_id, r.status, r.points, r.weight from scans s "
        "left join results r on r.scan_id = s.id where s.project_id = ? "
        "order by s.as_of, s.collected_at",
        [project],
    ):
        _, statuses = scans.setdefault(r["id"], (r["as_of"], {}))
        if r["check_id"] is not None:
            statuses[r["check_id"]] = (r["status"], r["points"], r["weight"])
    history = [ScanResults(scan_id=i, as_of=as_of, statuses=st) for i, (as_of, st) in scans.items()]
    effort = {c.id: c.effort_hours for c in rubric.checks}
    items = paydown(project, history, effort, {c.id: c.fixed_with for c in rubric.checks if c.fixed_with})
    db.execute("delete from paydown_items where project_id = ?", [project])
    db.table("paydown_items").insert_all(asdict(item) for item in items)
    return items


def _save_rubric(db: sqlite_utils.Database, rubric: Rubric) -> None:
    db.table("rubrics").insert(
        {
            "hash": rubric.hash,
            "name": rubric.name,
            "version": rubric.version,
            "source": rubric.source,
            "content": rubric.content,
            "loaded_at": now().isoformat(),
        },
        pk="hash",
        ignore=True,
    )


def _save_scorecard(db: sqlite_utils.Database, scan_id: str, card: Scorecard) -> None:
    # plain executemany: re-scoring writes ~100 rows per scan, and sqlite-utils' per-row
    # type inference was a third of `mldebt score`'s time
    db.conn.executemany(
        "insert into results (scan_id, check_id, status, points, weight, detail, evidence_keys, reason)"
        " values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (scan_id, r.check_id, r.status, r.points, r.weight, r.detail, to_json(list(r.evidence_keys)), r.reason)
            for r in card.results
        ],
    )
    scores: list[ScoreRow] = [
        {"scope": "mltest", "name": "final", "value": card.ml_test_score, "max": 7.0, "label": card.band},
        {"scope": "overall", "name": "grade", "value": card.overall, "max": 100.0, "label": card.grade},
        {"scope": "effort", "name": "hours", "value": card.effort_hours, "max": None, "label": None},
        {"scope": "effort", "name": "waived_hours", "value": card.waived_effort_hours, "max": None, "label": None},
        {"scope": "level", "name": "held", "value": None, "max": None, "label": card.level},
        # the project's tier, its target and the gap to it (scored with the tier the project had then)
        {"scope": "tier", "name": card.tier, "value": card.gap.get("size"), "max": None, "label": card.gap.get("text")},
        {"scope": "target", "name": "level", "value": None, "max": None, "label": card.target.get("level")},
        {
            "scope": "target",
            "name": "ml_test_score",
            "value": card.target.get("ml_test_score"),
            "max": 7.0,
            "label": None,
        },
        {"scope": "gap", "name": "levels", "value": card.gap.get("levels"), "max": None, "label": None},
        {"scope": "gap", "name": "ml_test_score", "value": card.gap.get("ml_test_score"), "max": None, "label": None},
    ]
    scores += [
        {"scope": "section", "name": k, "value": v, "max": card.section_max.get(k, 7.0), "label": None}
        for k, v in card.sections.items()
    ]
    scores += [
        {"scope": "category", "name": k, "value": v, "max": 100.0, "label": None} for k, v in card.categories.items()
    ]
    scores += [{"scope": "total", "name": k, "value": v, "max": 100.0, "label": None} for k, v in card.totals.items()]
    scores += [
        {
            "scope": "question",
            "name": k,
            "value": q["score"],
            "max": 100.0,
            "label": "attested" if q["attested"] else None,
        }
        for k, q in card.questions.items()
    ]
    db.conn.executemany(
        "insert into scores (scan_id, scope, name, value, max, label) values (?, ?, ?, ?, ?, ?)",
        [(scan_id, s["scope"], s["name"], s["value"], s["max"], s["label"]) for s in scores],
    )


def located(facts: Iterable[tuple[str, str | None, int | None]]) -> dict[str, list[str]]:
    """Where each key's evidence points (``path:line``); a ``key.at`` fact locates ``key``."""
    where: dict[str, list[str]] = {}
    for key, path, line in facts:
        if path:
            owner = key[: -len(".at")] if key.endswith(".at") else key
            place = f"{path}:{line}" if line else path
            where.setdefault(owner, []).append(place)
            where.setdefault(f"{owner}.count", []).append(place)  # a count is seen where its items are
    return where


def located_of(db: sqlite_utils.Database, scan_id: str) -> dict[str, list[str]]:
    """``located(...)`` straight from the store."""
    return located(
        db.execute("select key, path, line from evidence where scan_id = ? and path is not null order by id", [scan_id])
    )


def readable_of(db: sqlite_utils.Database, scan_id: str) -> dict[str, Any]:
    """``readable(facts_of(...))`` straight from the store: every non-error fact by key."""
    return {
        key: from_json(value)
        for key, value in db.execute(
            "select key, value from evidence where scan_id = ? and error is null order by id", [scan_id]
        )
    }


def facts_of(db: sqlite_utils.Database, scan_id: str) -> list[Fact]:
    return [
        Fact(
            key=r["key"],
            value=from_json(r["value"]),
            collector=r["collector"],
            path=r["path"],
            line=r["line"],
            url=r["url"],
            error=r["error"],
        )
        for r in rows(db, "select * from evidence where scan_id = ? order by id", [scan_id])
    ]


def project_row(db: sqlite_utils.Database, name: str) -> dict[str, Any]:
    found = list(
        rows(
            db,
            "select p.*, t.name as team_name from projects p left join teams t on t.id = p.team_id where p.id = ?",
            [name],
        )
    )
    if not found:
        known = [r["id"] for r in rows(db, "select id from projects order by id")]
        raise NotFound(f"no project named {name!r} in the database{hint(name, known, 'projects')}")
    return found[0]


def scanned_projects(db: sqlite_utils.Database) -> list[str]:
    """Names of the projects with at least one scan, by team then name."""
    return [
        r["id"]
        for r in rows(
            db,
            "select p.id from projects p where exists "
            "(select 1 from scans s where s.project_id = p.id) order by p.team_id, p.id",
        )
    ]
