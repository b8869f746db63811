"""What every command shares: the --db and --base-url options, the store lookup, and option values.

The library raises errors that name a field or a kind of value (``expires:
...``, ``quarter '2026Q5': ...``, ``report.pdf: folder ... does not exist``)
and never a command-line option. Here, and only here, those names become
the options the user typed (``--expires``, ``--quarter``, ``-o``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, overload

import click

from mldebt.atomicfile import OutputError, write_text
from mldebt.errors import FieldError, InputError
from mldebt.readmodel.quarters import BadValue, Quarter, parse_day, parse_since
from mldebt.settings import BASE_URL_ENV, DEFAULT_BASE_URL

if TYPE_CHECKING:  # the store's modules load on use: `mldebt --help` imports no more than it shows
    import sqlite_utils

T = TypeVar("T")

NO_DATABASE = "no database yet: run `mldebt collect` first"
OUTPUT = "output"
"""The key under which ``in_option_words`` finds the option that chose an output file."""

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="MLDEBT_DB",
    default="mldebt.db",
    show_default=True,
    help="The SQLite store (or set MLDEBT_DB).",
)

base_url_option = click.option(
    "--base-url",
    metavar="URL",
    help=f"Where the web scorecard is served, for links (or set {BASE_URL_ENV}; default {DEFAULT_BASE_URL}, "
    "where `mldebt serve` listens).",
)


@contextmanager
def store(db_path: Path) -> Iterator[sqlite_utils.Database]:
    """The store at ``db_path``, made if it is missing; closed on leaving the block, whatever happens."""
    from mldebt.store.db import open_db

    db = open_db(db_path)
    try:
        yield db
    finally:
        db.close()


@contextmanager
def existing_store(db_path: Path) -> Iterator[sqlite_utils.Database]:
    """The store at ``db_path``, which must exist already (only `collect` makes one); closed on leaving."""
    if not db_path.exists():
        raise InputError(f"{db_path}: {NO_DATABASE}")
    with store(db_path) as db:
        yield db


@contextmanager
def in_option_words(options: Mapping[str, str], hints: Mapping[str, str] | None = None) -> Iterator[None]:
    """Reword the library's errors inside the block with the options that gave the values.

    ``options`` maps a field or kind of value to its option: ``{"expires":
    "--expires"}`` turns ``expires: ...`` into ``--expires: ...`` (and a
    sentence naming fields, ``a token needs at least one scope``, into one
    naming options: ``... one --scope``), ``{"target":
    "--target"}`` turns ``target '2026-09-30': ...`` into ``--target
    '2026-09-30': ...``, ``{OUTPUT: "-o"}`` puts ``-o`` before a file that
    could not be written. A field that is not an option (an argument) is
    reported by its problem alone; any other value keeps its own name.
    ``hints`` adds a sentence only the command line can say (the command to
    run) to the error of a field.
    """
    try:
        yield
    except FieldError as exc:
        said = (
            exc.problem
            if exc.sentence is None and exc.field not in options
            else exc.worded(lambda field: options.get(field, field))
        )
        hint = (hints or {}).get(exc.field)
        raise InputError(f"{said} {hint}" if hint else said) from None
    except BadValue as exc:
        if exc.what not in options:
            raise
        raise InputError(exc.named(options[exc.what])) from None
    except OutputError as exc:
        if OUTPUT not in options:
            raise
        raise InputError(exc.named(options[OUTPUT])) from None


@overload
def parsed(option: str, parse: Callable[[str], T], text: str) -> T: ...
@overload
def parsed(option: str, parse: Callable[[str], T], text: str | None) -> T | None: ...
def parsed(option: str, parse: Callable[[str], T], text: str | None) -> T | None:
    """``parse(text)`` (None when the option was not given); a value it cannot read is reported under
    the option's name (``--quarter '2026Q5': ...``)."""
    if text is None:
        return None
    try:
        return parse(text)
    except BadValue as exc:
        raise InputError(exc.named(option)) from None


def moment_as_of(text: str) -> datetime:
    """A date means the end of that day (UTC); a date-time is taken as given (UTC if naive)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(23, 59, 59), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue("date", text, "expected a date such as 2026-03-31 or 2026-03-31T18:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_of_moment(text: str | None) -> datetime | None:
    """``--as-of``: the moment a scan looks back to."""
    return parsed("--as-of", moment_as_of, text)


def since_moment(text: str | None) -> datetime | None:
    """``--since``: the first instant of a date or a quarter."""
    return parsed("--since", parse_since, text)


def quarter_option(text: str | None, option: str = "--quarter") -> Quarter | None:
    """``--quarter`` (or another option that takes a quarter: ``--from``, ``--to``): ``2026Q3``, ``2026-Q3`` or
    ``2026-q3``."""
    return parsed(option, Quarter.parse, text)


def day_option(option: str, text: str) -> date:
    """A day given to ``option`` (``--start``, ``--target``), written ``2026-03-31``."""
    return parsed(option, parse_day, text)


def team_id(db: sqlite_utils.Database, team: str | None) -> str | None:
    """``--team``: a team named by its id or its name, as its id."""
    from mldebt.readmodel.queries import find_team

    return parsed("--team", lambda text: find_team(db, text), team)


def write_output(path: Path, text: str, option: str) -> None:
    """Write an output file whole or not at all; a failure names ``option``, which chose the path."""
    with in_option_words({OUTPUT: option}):
        write_text(path, text)
