"""Portfolio runs, kept in the store so that a run killed halfway resumes where it stopped.

A run is one `mldebt collect` of a portfolio: the hash of the portfolio file
(or the repository path), the --project and --as-of given, and the rubric's
hash make its key. Each project it finishes is recorded in the same
transaction as the project's scan, so "finished" and "stored" never disagree.
The next invocation with the same key picks up the unfinished run and skips
what it finished; once every project is done the run is closed, and the next
invocation starts afresh. ``--restart`` abandons an unfinished run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from mldebt.scanning.scans import now
from mldebt.store.db import inserted_id, rows


@dataclass
class Run:
    id: int
    projects: int
    done: set[str] = field(default_factory=set)  # projects finished by an earlier, interrupted invocation
    resumed: bool = False


def target_hash(target: Path) -> str:
    """What identifies the portfolio: its file's bytes, or a repository folder's resolved path."""
    digest = hashlib.sha256()
    if target.is_dir():
        digest.update(b"dir\0" + str(target.resolve()).encode())
    else:
        digest.update(b"file\0" + target.read_bytes())
    return digest.hexdigest()


def run_key(target: Path, project: str | None, as_of: str | None, rubric_hash: str) -> tuple[str, str]:
    """(run key, target hash): the same invocation over the same portfolio file has the same key."""
    hashed = target_hash(target)
    key = hashlib.sha256("\0".join([hashed, project or "", as_of or "", rubric_hash]).encode()).hexdigest()
    return key, hashed


def start_run(
    db: sqlite_utils.Database,
    target: Path,
    project: str | None,
    as_of: str | None,
    rubric_hash: str,
    projects: int,
    restart: bool = False,
) -> Run:
    """The unfinished run of this invocation (resumed), or a new one."""
    key, hashed = run_key(target, project, as_of, rubric_hash)
    with db.atomic():
        open_run = next(
            rows(
                db,
                "select id, projects from collect_runs where key = ? and status = 'running' order by id desc limit 1",
                [key],
            ),
            None,
        )
        if open_run is not None and not restart:
            done = {
                r["project_id"]
                for r in rows(db, "select project_id from collect_run_projects where run_id = ?", [open_run["id"]])
            }
            return Run(open_run["id"], projects, done, resumed=True)
        if open_run is not None:
            db.execute(
                "update collect_runs set status = 'abandoned', finished_at = ? where key = ? and status = 'running'",
                [now().isoformat(), key],
            )
        table = db.table("collect_runs")
        table.insert(
            {
                "key": key,
                "target_hash": hashed,
                "as_of": as_of,
                "rubric_hash": rubric_hash,
                "projects": projects,
                "started_at": now().isoformat(),
                "status": "running",
            }
        )
        return Run(inserted_id(table.last_pk), projects)


def mark_done(db: sqlite_utils.Database, run: Run, project: str, scan_id: str | None, outcome: str) -> None:
    """Record that ``run`` finished ``project`` (call it inside the transaction that stores the scan)."""
    db.table("collect_run_projects").insert(
        {
            "run_id": run.id,
            "project_id": project,
            "scan_id": scan_id,
            "outcome": outcome,
            "finished_at": now().isoformat(),
        },
        replace=True,
    )


def finish_run(db: sqlite_utils.Database, run: Run) -> bool:
    """Close the run when every one of its projects is done; True when it was closed."""
    with db.atomic():
        done = db["collect_run_projects"].count_where("run_id = ?", [run.id])
        if done < run.projects:
            return False
        db.table("collect_runs").update(run.id, {"status": "finished", "finished_at": now().isoformat()})
    return True
