"""The one Quarter type: the spellings it reads, the one it prints, its errors, and its place in the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mldebt.errors import InputError
from mldebt.readmodel.quarters import BadValue, Quarter, parse_day, parse_since


@pytest.mark.parametrize("text", ["2026Q3", "2026-Q3", "2026-q3", "2026q3", " 2026Q3 "])
def test_every_spelling_reads_as_the_same_quarter_and_prints_one_way(text):
    quarter = Quarter.parse(text)
    assert quarter == Quarter(2026, 3)
    assert str(quarter) == "2026Q3"


@pytest.mark.parametrize(
    "text,problem",
    [
        ("2026Q5", "expected a quarter such as 2026Q3"),
        ("2026-3", "expected a quarter such as 2026Q3"),
        ("26Q3", "expected a quarter such as 2026Q3"),
        ("2026--Q3", "expected a quarter such as 2026Q3"),
        ("Q3 2026", "expected a quarter such as 2026Q3"),
        ("", "expected a quarter such as 2026Q3"),
        ("0000Q1", "the year must be between 1 and 9999"),
    ],
)
def test_anything_else_is_refused_naming_what_was_given(text, problem):
    with pytest.raises(BadValue) as caught:
        Quarter.parse(text)
    assert isinstance(caught.value, InputError)  # exit status 2 on the command line, 400 on the web
    assert str(caught.value) == f"quarter {text!r}: {problem}"
    assert caught.value.named("--quarter") == f"--quarter {text!r}: {problem}"  # as the CLI words it


def test_a_quarter_steps_and_spans_its_days():
    q = Quarter.parse("2026q1")
    assert str(q.previous()) == "2025Q4" and str(q.next()) == "2026Q2"
    assert q.first_day == date(2026, 1, 1) and q.last_day == date(2026, 3, 31)
    assert q.end == datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert Quarter(2025, 4) < q < Quarter(2026, 2)


def test_a_moment_belongs_to_its_quarter_in_utc():
    assert Quarter.of("2026-09-30T23:59:59+00:00") == Quarter(2026, 3)
    assert Quarter.of("2026-10-01T00:00:00+02:00") == Quarter(2026, 3)  # still September in UTC
    assert Quarter.of(date(2026, 10, 1)) == Quarter(2026, 4)


def test_early_years_keep_four_digits_and_the_first_quarter_has_no_previous_end():
    assert str(Quarter.of("0999-06-01T00:00:00+00:00")) == "0999Q2"
    assert Quarter.parse("0999Q2") == Quarter(999, 2)
    assert Quarter(1, 1).is_first and not Quarter(1, 2).is_first


def test_since_reads_a_date_or_a_quarter():
    assert parse_since("2026Q3") == datetime(2026, 7, 1, tzinfo=UTC)
    assert parse_since("2026-Q3") == datetime(2026, 7, 1, tzinfo=UTC)
    assert parse_since("2026-07-15") == datetime(2026, 7, 15, tzinfo=UTC)
    with pytest.raises(BadValue) as caught:
        parse_since("yesterday")
    assert str(caught.value) == (
        "date or quarter 'yesterday': expected a date such as 2026-07-01 or a quarter such as 2026Q3"
    )
    with pytest.raises(BadValue) as caught:
        parse_day("2026-13-01", "start")
    assert str(caught.value) == "start '2026-13-01': expected a date such as 2026-03-31"
