"""`mldebt attest`: record a team's answer to a question no collector can see.

For projects that keep no ``.mldebt/attestations.yaml`` in their repository,
answers are stored in the database's ``attestations`` table, with who gave
them, when, a link to the evidence and an expiry. The answer is recorded by
``writes.record_attestation``, as the web form's and the API's are, so the
project is re-scored at once and the store ends up the same whichever way the
answer came.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import click
import sqlite_utils

from mldebt.errors import InputError
from mldebt.questions import load_questions, stored_answers
from mldebt.scanning.scans import project_row
from mldebt.store.db import open_db
from mldebt.writes import FieldError, record_attestation

OPTIONS = {"answer": "--answer", "by": "--by", "link": "--link", "date": "--date", "expires": "--expires"}


@contextmanager
def in_option_words(options: Mapping[str, str]) -> Iterator[None]:
    """Reword a write's FieldError for the command line: ``expires: ...`` becomes ``--expires: ...``.

    A field that is an argument (not in ``options``) is reported by its problem alone.
    """
    try:
        yield
    except FieldError as exc:
        option = options.get(exc.field)
        raise InputError(f"{option}: {exc.problem}" if option else exc.problem) from None


@click.command()
@click.argument("project")
@click.argument("question", required=False)
@click.option("--answer", help="The answer, in a sentence or two.")
@click.option("--by", "by", metavar="WHO", help="Who gives the answer (a name or e-mail address).")
@click.option("--link", help="Where the evidence is (a URL or a document path).")
@click.option("--expires", metavar="DATE", help="Last day the answer counts (default: the question's validity).")
@click.option("--date", "given_on", metavar="DATE", help="The day the answer was given (default: today, UTC).")
@click.option("--list", "listing", is_flag=True, help="List the answers recorded for PROJECT instead.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="MLDEBT_DB",
    default="mldebt.db",
    show_default=True,
    help="The SQLite store (or set MLDEBT_DB).",
)
def attest(
    project: str,
    question: str | None,
    answer: str | None,
    by: str | None,
    link: str | None,
    expires: str | None,
    given_on: str | None,
    listing: bool,
    db_path: Path,
) -> None:
    """Record an answer to a question only the team can answer, or list a project's answers.

    QUESTION is an id from the question catalogue (feedback loops, undeclared
    consumers, the five litmus questions, ...); an unknown id lists the known
    ones. The project's scores are recomputed at once. An expired answer is
    shown but earns nothing. Projects can keep their answers in
    .mldebt/attestations.yaml instead.

    \b
    Example:
        mldebt attest credit-risk-prod feedback_loops --by elena@example.com \\
            --answer "Only approved loans get labels; 2% of refers are approved at random" \\
            --link https://wiki.example.com/credit/feedback --expires 2027-05-01
        mldebt attest --list credit-risk-prod
    """
    if not db_path.exists():
        raise InputError(f"{db_path}: no database yet: run `mldebt collect` first")
    with closing(open_db(db_path)) as db:
        project_row(db, project)  # raises NotFound, naming the known projects
        if listing:
            _print_answers(db, project, datetime.now(UTC).date())
            return
        if question is None:
            raise InputError(f"name a QUESTION to answer (known: {', '.join(sorted(load_questions()))}), or use --list")
        fields = {"question": question, "answer": answer, "by": by, "link": link, "date": given_on, "expires": expires}
        with in_option_words(OPTIONS):
            record = record_attestation(db, project, fields, source="cli")
    click.echo(
        f"recorded answer #{record['id']} for {project}: {question} by {record['attested_by']} "
        f"on {record['attested_on']}, counts until {record['expires_on']}"
    )


def _print_answers(db: sqlite_utils.Database, project: str, today: date) -> None:
    answers = stored_answers(db, project)
    if not answers:
        click.echo(f"{project}: no answers recorded with `mldebt attest`")
        return
    click.echo(f"{project}: {len(answers)} answer(s) recorded with `mldebt attest`")
    for a in answers:
        state = f"EXPIRED on {a.expires}" if a.expired(today) else f"current until {a.expires}"
        click.echo(f"{a.date}  {a.question}  {state}  by {a.by}" + (f"  {a.link}" if a.link else ""))
        click.echo(f"    {a.answer}")
