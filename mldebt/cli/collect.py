"""`mldebt collect` and `mldebt score`: gather evidence into the store and score it with a rubric."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mldebt.cli.options import as_of_moment, db_option, in_option_words, store
from mldebt.errors import InputError

if TYPE_CHECKING:
    from mldebt.sources.portfolio import Portfolio

MAKE_TOKEN = "(made with `mldebt token create NAME --scope push --project PROJECT` on the server)"

rubric_option = click.option(
    "--rubric", "rubric_path", type=click.Path(path_type=Path), help="Rubric file (default: the built-in rubric)."
)


@click.command()
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--project", help="Collect only this project of the portfolio (or, for a repository path, the name to give it)."
)
@click.option(
    "--as-of", "as_of", metavar="DATE", help="Scan each project as it was at its last commit on or before DATE."
)
@rubric_option
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    metavar="N",
    help="Projects collected at once, each in its own process (default: one per core).",
)
@click.option("--restart", is_flag=True, help="Start afresh instead of resuming an interrupted identical run.")
@click.option(
    "--push",
    "push_url",
    metavar="URL",
    help="Send each project's evidence to the mldebt server at URL (token in MLDEBT_PUSH_TOKEN) "
    "instead of the local store; the server scores it.",
)
@db_option
def collect(
    target: Path,
    project: str | None,
    as_of: str | None,
    rubric_path: Path | None,
    jobs: int | None,
    restart: bool,
    push_url: str | None,
    db_path: Path,
) -> None:
    """Collect evidence for a portfolio (a YAML file) or one repository (a folder), and score it.

    One scan per project is stored, all-or-nothing. Projects are collected in
    parallel; a run that was interrupted resumes where it stopped when the same
    command is given again (--restart redoes everything).

    \b
    Example:
        mldebt collect portfolio.yaml --as-of 2026-03-31 --jobs 4
        mldebt collect .
        MLDEBT_PUSH_TOKEN=... mldebt collect . --project reco-service --push https://mldebt.example.com
    """
    from mldebt.scanning.prefetch import prefetch, settle
    from mldebt.sources.portfolio import load_portfolio, single_repository

    moment = as_of_moment(as_of)
    portfolio: Portfolio = single_repository(target, project) if target.is_dir() else load_portfolio(target)
    selected = project if not target.is_dir() else None
    chosen = portfolio.select(selected)
    if len(chosen) == 1:  # one project, collected in this process: git lays it out while the rest loads
        prefetch(chosen[0], moment)
    try:
        from mldebt.collectors.registry import declared_keys
        from mldebt.rubric.schema import load_rubric
        from mldebt.scanning.collecting import collect_to_store
        from mldebt.scanning.parallel import default_jobs

        gc.freeze()  # what is imported lives as long as the process: the cyclic collector need not walk it again
        workers = jobs or default_jobs()
        if push_url is not None:
            if rubric_path is not None or restart:
                raise InputError(
                    f"--push does not take {'--rubric' if rubric_path else '--restart'}: "
                    "the server scores with its own rubric and keeps no local run"
                )
            from mldebt.push.client import Pusher
            from mldebt.push.collect import collect_and_push

            with in_option_words({"push": "--push"}, hints={"token": MAKE_TOKEN}):
                pusher = Pusher(push_url)
            sys.exit(collect_and_push(portfolio, chosen, moment, workers, pusher))
        rubric = load_rubric(rubric_path, declared_keys())
        with store(db_path) as db:
            status = collect_to_store(db, target, portfolio, chosen, rubric, moment, as_of, selected, workers, restart)
        sys.exit(status)
    finally:
        settle()  # every way out, a rubric's error too: no process of the command's outlives it


@click.command()
@rubric_option
@db_option
def score(rubric_path: Path | None, db_path: Path) -> None:
    """Apply a rubric again to every stored scan, replacing their results and scores.

    \b
    Example:
        mldebt score --rubric team-rubric.yaml
    """
    from mldebt.collectors.registry import declared_keys
    from mldebt.rubric.schema import load_rubric
    from mldebt.scanning.scans import rescore

    rubric = load_rubric(rubric_path, declared_keys())
    with store(db_path) as db:
        count = rescore(db, rubric)
    click.echo(f"scored {count} scans with rubric {rubric.name} {rubric.version} ({rubric.hash})")
