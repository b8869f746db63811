"""`mldebt collect` over many projects into the local store (resumable); mldebt.push.collect pushes instead.

Workers collect (``parallel.collect_all``); this process is the single writer:
it stores each bundle, and records the project as done in the same
transaction, so a run killed at any moment resumes without redoing a stored
project nor losing one. One line per project, as it finishes; a progress bar
on the terminal when there is more than one.
"""

from __future__ import annotations

import sys
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

import click
import sqlite_utils

from mldebt.rubric.schema import Rubric
from mldebt.scanning.completeness import note
from mldebt.scanning.parallel import Outcome, collect_all
from mldebt.scanning.runs import Run, finish_run, mark_done, start_run
from mldebt.scanning.scans import save_portfolio, store_bundle
from mldebt.sources.portfolio import Portfolio, Project


def collect_to_store(
    db: sqlite_utils.Database,
    target: Path,
    portfolio: Portfolio,
    chosen: Sequence[Project],
    rubric: Rubric,
    moment: datetime | None,
    as_of: str | None,
    project: str | None,
    jobs: int,
    restart: bool,
) -> int:
    """Collect, score and store ``chosen``, skipping what an interrupted identical run finished; the exit code."""
    save_portfolio(db, portfolio)
    run = start_run(db, target, project, as_of, rubric.hash, len(chosen), restart)
    todo = [p for p in chosen if p.name not in run.done]
    if run.done:
        say(
            len(todo),
            f"resuming an interrupted run: skipped {len(run.done)} of {len(chosen)} projects "
            "already done (--restart redoes them)",
        )
    failed = internal = 0
    with progress(collect_all(todo, moment, jobs, team_owners(portfolio)), len(todo)) as outcomes:
        for outcome in outcomes:
            _store(db, run, rubric, outcome, len(todo))
            failed, internal = failed + (outcome.error is not None), internal + outcome.internal
    finish_run(db, run)
    return 3 if internal else 2 if failed else 0


def _store(db: sqlite_utils.Database, run: Run, rubric: Rubric, outcome: Outcome, count: int) -> None:
    name = outcome.project.name
    if outcome.skipped is not None:
        with db.atomic():
            mark_done(db, run, name, None, "skipped")
        say(count, f"skipped {name}: {outcome.skipped}")
    elif outcome.bundle is None:
        say(count, f"mldebt: error: {name}: {outcome.error}", err=True)
    else:
        with db.atomic():
            summary = store_bundle(db, outcome.bundle, rubric)
            mark_done(db, run, name, summary.scan_id, "scored")
        card = summary.scorecard
        say(
            count,
            f"scored {name} at {(summary.commit or 'working tree')[:12]} ({summary.as_of[:10]}): "
            f"ML Test Score {card.ml_test_score:.1f}, grade {card.grade}"
            + (f", {summary.errors} unreadable inputs" if summary.errors else "")
            + note(outcome.bundle.facts),
        )


def team_owners(portfolio: Portfolio) -> dict[str, str | None]:
    return {team_id: team.get("owner") for team_id, team in portfolio.teams.items()}


@contextmanager
def progress(outcomes: Generator[Outcome, None, None], count: int) -> Iterator[Iterable[Outcome]]:
    """The outcomes, behind a progress bar on stderr when there is more than one project.

    Leaving the block early (an error, Ctrl-C) closes the stream, which stops the workers at once.
    """
    with closing(outcomes) as stream:
        bar = (
            click.progressbar(
                stream,
                length=count,
                label="collecting",
                file=sys.stderr,
                item_show_func=lambda o: o.project.name if o else "",
            )
            if count > 1
            else nullcontext(stream)
        )
        with bar as items:
            yield items


def say(count: int, message: str, err: bool = False) -> None:
    prefix = "\n" if count > 1 and sys.stderr.isatty() else ""
    click.echo(prefix + message, err=err)
