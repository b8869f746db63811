"""`mldebt attest` and `mldebt waive`: a team's answers and accepted debt, written as the web form writes them.

For projects that keep no ``.mldebt/attestations.yaml`` in their repository,
answers are stored in the database's ``attestations`` table, with who gave
them, when, a link to the evidence and an expiry. A waiver accepts a check's
debt until a day: a whole check's, or only the finding at one place of its
evidence (``--at path:line``). Both are recorded by ``mldebt.writes`` (as the web form's
and the API's are), so the project is re-scored at once and the store ends
up the same whichever way the answer or the waiver came.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mldebt.cli.options import db_option, existing_store, in_option_words
from mldebt.errors import InputError

if TYPE_CHECKING:
    import sqlite_utils

ATTEST_OPTIONS = {"answer": "--answer", "by": "--by", "link": "--link", "date": "--date", "expires": "--expires"}
WAIVE_OPTIONS = {"reason": "--reason", "owner": "--owner", "until": "--until", "at": "--at"}


@click.command()
@click.argument("project")
@click.argument("question", required=False)
@click.option("--answer", help="The answer, in a sentence or two.")
@click.option("--by", "by", metavar="WHO", help="Who gives the answer (a name or e-mail address).")
@click.option("--link", help="Where the evidence is (a URL or a document path).")
@click.option("--expires", metavar="DATE", help="Last day the answer counts (default: the question's validity).")
@click.option("--date", "given_on", metavar="DATE", help="The day the answer was given (default: today, UTC).")
@click.option("--list", "listing", is_flag=True, help="List the answers recorded for PROJECT instead.")
@db_option
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
    from mldebt.questions import load_questions
    from mldebt.scanning.scans import project_row
    from mldebt.writes import record_attestation

    with existing_store(db_path) as db:
        project_row(db, project)  # raises NotFound, naming the known projects
        if listing:
            _print_answers(db, project, datetime.now(UTC).date())
            return
        if question is None:
            raise InputError(f"name a QUESTION to answer (known: {', '.join(sorted(load_questions()))}), or use --list")
        fields = {"question": question, "answer": answer, "by": by, "link": link, "date": given_on, "expires": expires}
        with in_option_words(ATTEST_OPTIONS):
            record = record_attestation(db, project, fields, source="cli")
    click.echo(
        f"recorded answer #{record['id']} for {project}: {question} by {record['attested_by']} "
        f"on {record['attested_on']}, counts until {record['expires_on']}"
    )


def _print_answers(db: sqlite_utils.Database, project: str, today: date) -> None:
    from mldebt.questions import stored_answers

    answers = stored_answers(db, project)
    if not answers:
        click.echo(f"{project}: no answers recorded with `mldebt attest`")
        return
    click.echo(f"{project}: {len(answers)} answer(s) recorded with `mldebt attest`")
    for a in answers:
        state = f"EXPIRED on {a.expires}" if a.expired(today) else f"current until {a.expires}"
        click.echo(f"{a.date}  {a.question}  {state}  by {a.by}" + (f"  {a.link}" if a.link else ""))
        click.echo(f"    {a.answer}")


@click.command()
@click.argument("project", required=False)
@click.argument("check", required=False)
@click.option("--reason", help="Why the debt is accepted for now.")
@click.option("--owner", help="Who answers for it.")
@click.option(
    "--until", "--expires", "until", metavar="DATE", help="The last day the waiver holds (YYYY-MM-DD; or --expires)."
)
@click.option("--at", "at", metavar="PATH:LINE", help="Waive only the finding at this place of the check's evidence.")
@click.option("--list", "list_only", is_flag=True, help="List waivers (of PROJECT, or all) instead of adding one.")
@db_option
def waive(
    project: str | None,
    check: str | None,
    reason: str | None,
    owner: str | None,
    until: str | None,
    at: str | None,
    list_only: bool,
    db_path: Path,
) -> None:
    """Accept a check's debt for a while: the check shows as waived, its effort is totalled apart.

    The waiver holds from the project's latest scan until the end date; the
    project's scores are recomputed at once. With --at it covers one finding:
    a place (file:line, as `mldebt explain` lists them, relative to the
    project's folder) where the check's evidence was found. The check counts
    as waived once every place it is unmet at is waived; until then it stays
    unmet and its reason names the places still open.

    \b
    Example:
        mldebt waive reco-service monitor-1-dependency-updates \\
            --reason "bot blocked by proxy until Q1" --owner jonas@example.com --until 2027-03-31
        mldebt waive fraud-kaggle no-hardcoded-data-paths --at notebooks/explore.py:12 \\
            --reason "exploration only, never deployed" --owner ana@example.com --until 2027-03-31
        mldebt waive --list
    """
    from mldebt.waivers import list_waivers
    from mldebt.writes import record_waiver

    with existing_store(db_path) as db:
        if list_only:
            for w in list_waivers(db, project):
                where = f"  at {w['location']}" if w.get("location") else ""
                click.echo(
                    f"{w['project_id']}  {w['check_id']}{where}  until {w['until']}  owner {w['owner']}  {w['reason']}"
                )
            return
        given = {"PROJECT": project, "CHECK": check, "--reason": reason, "--owner": owner, "--until": until}
        missing = [name for name, value in given.items() if not value]
        if missing or project is None:
            raise InputError(f"waive needs {', '.join(missing)} (see `mldebt waive --help`)")
        fields = {"check": check, "reason": reason, "owner": owner, "until": until, "at": at}
        with in_option_words(WAIVE_OPTIONS):
            record = record_waiver(db, project, fields)
    where = f" at {record['location']}" if record["location"] else ""
    click.echo(
        f"waived {record['check_id']}{where} for {record['project_id']} from {record['starts_on']} "
        f"until {record['until']} (owner {record['owner']})"
    )
