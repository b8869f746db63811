"""Calendar quarters, and which scan stands for a project at a moment.

A quarter is written ``2026Q3``. A project's state in a quarter is its
latest scan whose ``as_of`` falls in or before that quarter; the same rule,
with a day instead of a quarter, gives its state on a date.
"""
from __future__ import annotations

import calendar
import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, time, timezone
from typing import Any, Iterable, Sequence

from .errors import InputError

QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str, option: str = "--quarter") -> "Quarter":
        found = QUARTER.match(text.strip().upper())
        if not found:
            raise InputError(f"{option} {text!r}: expected a quarter such as 2026Q3")
        year = int(found.group(1))
        if year < MINYEAR:  # the calendar Python counts in has no year 0
            raise InputError(f"{option} {text!r}: the year must be between {MINYEAR} and {MAXYEAR}")
        return cls(year, int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime | date | str) -> "Quarter":
        day = moment if type(moment) is date else moment_of(moment).date()
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        """The quarter's last day, found without the next quarter (there is none after 9999Q4)."""
        month = 3 * self.number
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def end(self) -> datetime:
        """The last instant of the quarter (UTC)."""
        return end_of_day(self.last_day)

    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def next(self) -> "Quarter":
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
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
        return datetime.combine(value, time(0, 0), tzinfo=timezone.utc)
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=timezone.utc)


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} {text!r}: expected a date such as 2026-03-31") from None


def parse_since(text: str, option: str = "--since") -> datetime:
    """The first instant of a date (``2026-07-01``) or of a quarter (``2026Q3``)."""
    if QUARTER.match(text.strip().upper()):
        return moment_of(Quarter.parse(text, option).first_day)
    try:
        return moment_of(date.fromisoformat(text.strip()))
    except ValueError:
        raise InputError(f"{option} {text!r}: expected a date such as 2026-07-01 or a quarter such as 2026Q3") from None


class Timeline:
    """One project's scans in time order, to find the scan in force at any moment."""

    def __init__(self, scans: Iterable[dict[str, Any]]) -> None:
        self.scans: list[dict[str, Any]] = sorted(scans, key=lambda s: (moment_of(s["as_of"]), s["collected_at"] or ""))
        self._moments = [moment_of(s["as_of"]) for s in self.scans]

    def at(self, moment: datetime) -> dict[str, Any] | None:
        """The latest scan whose ``as_of`` is at or before ``moment``."""
        index = bisect_right(self._moments, moment)
        return self.scans[index - 1] if index else None

    def upto(self, moment: datetime) -> Sequence[dict[str, Any]]:
        return self.scans[:bisect_right(self._moments, moment)]

    def __bool__(self) -> bool:
        return bool(self.scans)
