"""Calendar quarters, days and moments, and which scan stands for a project at a moment.

A quarter is written ``2026Q3`` wherever mldebt prints one (pages, API,
report, terminal); ``2026-Q3`` and ``2026-q3`` are read too, so links made
when the pages printed the dashed form keep working. A project's state in a
quarter is its latest scan whose ``as_of`` falls in or before that quarter
(in UTC); the same rule, with a day instead of a quarter, gives its state on
a date.

A value that cannot be read raises ``BadValue``, which names what was read
(``quarter '2026Q5': ...``) and never a command-line option: the CLI and the
web put their own name for the value in front (``BadValue.named``).
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time
from functools import cached_property
from typing import Any, Generic, TypeVar

from mldebt.errors import InputError

QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
QUARTER_EXAMPLE = "2026Q3"
Scan = TypeVar("Scan", bound=Mapping[str, Any])


class BadValue(InputError):
    """A text that is not the quarter, date or moment it should be: what it is, the text, the problem."""

    def __init__(self, what: str, text: str, problem: str) -> None:
        super().__init__(f"{what} {text!r}: {problem}")
        self.what, self.text, self.problem = what, text, problem

    def named(self, name: str) -> str:
        """The message with the value called ``name`` (an option or a parameter) instead of by its kind."""
        return f"{name} {self.text!r}: {self.problem}"


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2026Q3``, ``2026-Q3`` or ``2026-q3`` (blanks around are ignored)."""
        found = QUARTER.match(text.strip())
        if not found:
            raise BadValue("quarter", text, f"expected a quarter such as {QUARTER_EXAMPLE}")
        year = int(found.group(1))
        if year < MINYEAR:  # the calendar Python counts in has no year 0
            raise BadValue("quarter", text, f"the year must be between {MINYEAR} and {MAXYEAR}")
        return cls(year, int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime | date | str) -> Quarter:
        """The quarter of a day, or of a moment (a stored ``as_of`` included) in UTC."""
        day = moment if type(moment) is date else moment_of(moment).date()
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @cached_property
    def last_day(self) -> date:
        """The quarter's last day, found without the next quarter (there is none after 9999Q4)."""
        month = 3 * self.number
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    @cached_property
    def end(self) -> datetime:
        """The last instant of the quarter (UTC)."""
        return end_of_day(self.last_day)

    @property
    def is_first(self) -> bool:
        """True for 0001Q1, the first quarter of the calendar: it has no previous quarter with an end."""
        return (self.year, self.number) == (MINYEAR, 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}Q{self.number}"


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from ``first`` to ``last``, both included."""
    found = []
    current = first
    while current <= last:
        found.append(current)
        current = current.next()
    return found


def moment_of(value: datetime | date | str) -> datetime:
    """A stored ``as_of`` (ISO text), a date or a date-time as an aware UTC date-time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0, 0), tzinfo=UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=UTC)


def parse_day(text: str, what: str = "date") -> date:
    """A day written ``2026-03-31``; ``what`` names the value in the error (``start``, ``target``...)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadValue(what, text, "expected a date such as 2026-03-31") from None


def parse_since(text: str) -> datetime:
    """The first instant of a date (``2026-07-01``) or of a quarter (``2026Q3``)."""
    if QUARTER.match(text.strip()):
        return moment_of(Quarter.parse(text).first_day)
    try:
        return moment_of(date.fromisoformat(text.strip()))
    except ValueError:
        raise BadValue(
            "date or quarter", text, f"expected a date such as 2026-07-01 or a quarter such as {QUARTER_EXAMPLE}"
        ) from None


class Timeline(Generic[Scan]):
    """One project's scans in time order, to find the scan in force at any moment.

    A scan is any mapping with ``as_of`` and ``collected_at`` (a stored scan
    row, or ``readmodel.Headline``); ties in ``as_of`` go to the later collection.
    """

    def __init__(self, scans: Iterable[Scan]) -> None:
        timed = sorted(
            ((moment_of(s["as_of"]), s["collected_at"] or "", n, s) for n, s in enumerate(scans)), key=lambda t: t[:3]
        )
        self.scans: list[Scan] = [t[3] for t in timed]
        self._moments = [t[0] for t in timed]

    def at(self, moment: datetime) -> Scan | None:
        """The latest scan whose ``as_of`` is at or before ``moment``."""
        index = bisect_right(self._moments, moment)
        return self.scans[index - 1] if index else None

    def upto(self, moment: datetime) -> Sequence[Scan]:
        return self.scans[: bisect_right(self._moments, moment)]

    def quarters(self) -> set[Quarter]:
        """The quarters its scans were made in."""
        return {Quarter(m.year, (m.month - 1) // 3 + 1) for m in self._moments}

    @property
    def latest(self) -> Scan | None:
        return self.scans[-1] if self.scans else None

    def __bool__(self) -> bool:
        return bool(self.scans)
