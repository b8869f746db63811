"""`mldebt attest`: record a team's answer to a question no collector can see.

For projects that keep no ``.mldebt/attestations.yaml`` in their repository,
answers are stored in the database's ``attestations`` table, with who gave
them, when, a link to the evidence and an expiry.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import click

from .errors import InputError
from .questions import Answer, default_expiry, load_questions, record_answer, stored_answers, unknown_question
from .scans import project_row
from .store import open_db


def _day(option: str, value: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r}: expected a date such as 2027-05-01") from None


@click.command()
@click.argument("project")
@click.argument("question", required=False)
@click.option("--answer", help="The answer, in a sentence or two.")
@click.option("--by", "by", metavar="WHO", help="Who gives the answer (a name or e-mail address).")
@click.option("--link", help="Where the evidence is (a URL or a document path).")
@click.option("--expires", metavar="DATE", help="Last day the answer counts (default: the question's validity).")
@click.option("--date", "given_on", metavar="DATE", help="The day the answer was given (default: today, UTC).")
@click.option("--list", "listing", is_flag=True, help="List the answers recorded for PROJECT instead.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), envvar="MLDEBT_DB",
              default="mldebt.db", show_default=True, help="The SQLite store (or set MLDEBT_DB).")
def attest(project: str, question: str | None, answer: str | None, by: str | None, link: str | None,
           expires: str | None, given_on: str | None, listing: bool, db_path: Path) -> None:
    """Record an answer to a question only the team can answer, or list a project's answers.

    QUESTION is an id from the question catalogue (feedback loops, undeclared
    consumers, the five litmus questions, ...); an unknown id lists the known
    ones. An expired answer is shown but earns nothing. Projects can keep their
    answers in .mldebt/attestations.yaml instead.

    \b
    Example:
        mldebt attest credit-risk-prod feedback_loops --by elena@example.com \\
            --answer "Only approved loans get labels; 2% of refers are approved at random" \\
            --link https://wiki.example.com/credit/feedback --expires 2027-05-01
        mldebt attest --list credit-risk-prod
    """
    if not db_path.exists():
        raise InputError(f"{db_path}: no database yet: run `mldebt collect` first")
    db = open_db(db_path)
    project_row(db, project)  # raises NotFound, naming the known projects
    today = datetime.now(timezone.utc).date()
    if listing:
        _print_answers(db, project, today)
        return
    questions = load_questions()
    if question is None:
        raise InputError(f"name a QUESTION to answer (known: {', '.join(sorted(questions))}), or use --list")
    if question not in questions:
        raise InputError(unknown_question(question, questions))
    if not (answer or "").strip() or not (by or "").strip():
        raise InputError("--answer and --by are required to record an answer")
    on = _day("--date", given_on) if given_on else today
    until = _day("--expires", expires) if expires else default_expiry(questions[question], on)
    if until < on:
        raise InputError(f"--expires {until}: before the day of the answer ({on})")
    record = Answer(question=question, answer=answer.strip(), by=by.strip(), date=on, expires=until,
                    link=link, source="db")
    row_id = record_answer(db, project, record, datetime.now(timezone.utc).replace(microsecond=0).isoformat())
    click.echo(f"recorded answer #{row_id} for {project}: {question} by {record.by} on {on}, counts until {until}")


def _print_answers(db, project: str, today: date) -> None:
    answers = stored_answers(db, project)
    if not answers:
        click.echo(f"{project}: no answers recorded with `mldebt attest`")
        return
    click.echo(f"{project}: {len(answers)} answer(s) recorded with `mldebt attest`")
    for a in answers:
        state = f"EXPIRED on {a.expires}" if a.expired(today) else f"current until {a.expires}"
        click.echo(f"{a.date}  {a.question}  {state}  by {a.by}" + (f"  {a.link}" if a.link else ""))
        click.echo(f"    {a.answer}")
