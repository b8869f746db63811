"""Collect many projects at once: a process pool whose workers only collect, never touch the store.

Each worker turns one project into an evidence bundle (``scans.collect_evidence``)
and hands it back; the parent, the only writer, scores and stores bundles as
they arrive. Collection is CPU-bound (parsing) and git-bound, so processes, not
threads. Two rules keep the pool well behaved:

- no nested pools: the repository collector spreads large batches of files over
  its own pool; inside a portfolio worker that would put jobs x cores processes
  on the machine, so workers set ``MLDEBT_FILE_WORKERS=1`` and parse in-process
  (the pool is concurrent.futures', whose workers are not daemonic: a daemonic
  multiprocessing.Pool worker could not start a child process at all);
- no orphans: a worker whose parent dies (SIGKILL, a cancelled CI job) exits
  within a second instead of finishing a run nobody will store; and Ctrl-C is
  the parent's to handle, not a traceback from every worker.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mldebt.errors import MldebtError
from mldebt.scanning.bundle import Bundle
from mldebt.scanning.scans import collect_evidence
from mldebt.sources.gitsource import NoCommitYet
from mldebt.sources.portfolio import Project

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

FILE_WORKERS_ENV = "MLDEBT_FILE_WORKERS"
PARENT_POLL_S = 0.5


@dataclass(frozen=True)
class Outcome:
    """What became of one project: a bundle, a skip (no commit by the date), or an error."""

    project: Project
    bundle: Bundle | None = None
    skipped: str | None = None
    error: str | None = None
    internal: bool = False  # the error is a bug of mldebt's, not bad input


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def collect_one(project: Project, as_of: datetime | None, team_owner: str | None = None) -> Outcome:
    """Collect one project, turning every failure into an Outcome (nothing raises across the pool)."""
    try:
        return Outcome(project, bundle=collect_evidence(project, as_of, team_owner))
    except NoCommitYet as exc:
        return Outcome(project, skipped=str(exc))
    except MldebtError as exc:
        return Outcome(project, error=str(exc))
    except Exception as exc:
        if os.environ.get("MLDEBT_DEBUG"):
            raise
        return Outcome(project, error=f"internal error: {type(exc).__name__}: {exc}", internal=True)


def collect_all(
    projects: Sequence[Project], as_of: datetime | None, jobs: int, team_owners: dict[str, str | None] | None = None
) -> Generator[Outcome, None, None]:
    """Outcomes of ``projects`` as they finish: in this process for one job, else over ``jobs`` workers."""
    owners = team_owners or {}
    jobs = min(jobs, len(projects))
    if jobs <= 1:
        for project in projects:
            yield collect_one(project, as_of, owners.get(project.team_id))
        return
    import multiprocessing  # the pool's modules load only when there is a pool
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # Forked workers start at once and need no re-import; forking is only safe with no other thread alive.
    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),)
    ) as pool:
        pending: dict[Future[Outcome], Project] = {
            pool.submit(collect_one, p, as_of, owners.get(p.team_id)): p for p in projects
        }
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    project = pending.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        yield Outcome(
                            project,
                            error="the worker collecting it died (out of memory?); "
                            "run the same command again to retry it",
                            internal=True,
                        )
        except BaseException:  # the caller stopped early (an error, Ctrl-C): stop the workers now
            _terminate(pool)
            raise


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the running workers (no public API for it before Python 3.14)."""
    running = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in running:
        process.terminate()


def _init_worker(parent: int) -> None:
    os.environ[FILE_WORKERS_ENV] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)
