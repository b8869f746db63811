"""Issue 15 item 9: a pushed date out of range is a 422 naming its field, and the pages stay up.

Before, a bundle with ``as_of`` in the year 999 was stored and then every
portfolio page (/, /api/v1/portfolio) answered 500. Each bad value below is
pushed to a real `mldebt serve`; after each, the pages that read every scan
answer 200 and nothing was stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from .servers import Site, check_answer, start_site

pytestmark = [pytest.mark.server]

PAGES = ("/", "/compare", "/api/v1/portfolio", "/projects/p0", "/api/v1/projects/p0")
DATES = ("as_of", "collected_at", "commit_date")


def _soon(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


BAD_ANYWHERE = [
    "0999-06-30T00:00:00+00:00",  # before the year 1000: the page-breaker of the issue
    "0001-01-01T00:00:00+05:00",  # year 1 with an offset: before year 1 in UTC
    "0000-01-01T00:00:00Z",  # year 0
    "10000-01-01T00:00:00Z",  # five-digit year
    "9999-12-31T23:59:59-05:00",  # after the year 9999 in UTC
    "2026-01-01T00:00:00+25:00",  # an offset beyond a day
    "2026-02-30T00:00:00Z",  # no such day
    "garbage",
    "2026-06-30",  # no time, no offset
    "2026-06-30T12:00:00",  # no offset
    1_782_777_600,  # a number, not a date-time
    True,
    "2100-01-01T00:00:00+00:00",  # far in the future
    "+02026-06-30T00:00:00Z",
]
CASES = [(name, value) for name in DATES for value in BAD_ANYWHERE] + [
    ("as_of", "1999-12-31T23:59:59+00:00"),
    ("collected_at", "1999-12-31T23:59:59+00:00"),
    ("commit_date", "1969-12-31T23:59:59+00:00"),
    ("as_of", None),
    ("collected_at", None),
    ("as_of", "future"),
    ("collected_at", "future"),
    ("commit_date", "future"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("intake")
    found, process = start_site(root)
    token = found.token("ci-a", "--team", "a")
    # two quarters of good scans, so that /compare has something to compare
    for as_of in ("2026-03-31T23:59:59+00:00", "2026-06-30T23:59:59+00:00"):
        answer = found.push(token, dated(found, as_of=as_of, collected_at=as_of))
        assert answer.status_code == 201, answer.text
    try:
        yield found
    finally:
        process.terminate()
        process.wait(timeout=30)


def dated(site: Site, **dates: Any) -> dict[str, Any]:
    body = site.bundle("p0")
    body.update(dates)
    return body


def scan_count(site: Site) -> int:
    return site.query("select count(*) from scans")[0][0]


def pages_answer(site: Site) -> dict[str, int]:
    return {page: requests.get(site.url + page, timeout=60).status_code for page in PAGES}


@pytest.mark.parametrize("name,value", CASES)
def test_a_date_out_of_range_is_a_422_naming_the_field_and_pages_stay_up(site, name, value):
    if value == "future":
        value = _soon(2)  # beyond the day of grace for clocks that run ahead
    before = scan_count(site)
    body = dated(site, **{name: value})
    if value is None:
        del body[name]
    answer = site.push(site.tokens["ci-a"], body)
    assert answer.status_code == 422, (name, value, answer.text)
    check_answer("/api/v1/scans", answer)
    problems = answer.json()["error"]["problems"]
    assert [p for p in problems if p.startswith(f"{name}: ")], problems
    named = next(p for p in problems if p.startswith(f"{name}: "))
    earliest = "1970-01-01" if name == "commit_date" else "2000-01-01"
    assert named.endswith(
        f"(accepted: an ISO 8601 date-time with its UTC offset, from {earliest}T00:00:00Z "
        "to one day after the server's clock)"
    ), named
    assert answer.json()["error"]["message"].startswith("the evidence bundle does not match the schema: ")
    assert scan_count(site) == before
    assert pages_answer(site) == dict.fromkeys(PAGES, 200)


def test_dates_inside_the_window_are_taken_and_stored_in_utc(site):
    token = site.tokens["ci-a"]
    body = dated(
        site, as_of="2026-06-30T22:00:00-05:00", collected_at=_soon(0.5), commit_date="1999-12-31T23:00:00-01:00"
    )
    answer = site.push(token, body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["as_of"] == "2026-07-01T03:00:00+00:00"
    stored = site.query("select as_of, commit_date from scans where id = ?", (body["scan_id"],))
    assert stored == [("2026-07-01T03:00:00+00:00", "2000-01-01T00:00:00+00:00")]
    earliest = dated(
        site, as_of="2000-01-01T00:00:00Z", collected_at="2000-01-01T00:00:00Z", commit_date="1970-01-01T00:00:00Z"
    )
    assert site.push(token, earliest).status_code == 201
    assert pages_answer(site) == dict.fromkeys(PAGES, 200)


def test_every_bad_date_of_one_bundle_is_listed(site):
    body = dated(site, as_of="0999-06-30T00:00:00+00:00", collected_at="garbage", commit_date=_soon(30))
    answer = site.push(site.tokens["ci-a"], body)
    assert answer.status_code == 422
    fields = [p.split(":")[0] for p in answer.json()["error"]["problems"]]
    assert fields == ["commit_date", "as_of", "collected_at"]


@pytest.mark.parametrize("as_of", ["0999-06-01T00:00:00+00:00", "0001-02-01T00:00:00+00:00"])
def test_a_store_that_already_holds_an_ancient_date_still_serves_its_pages(make_repo, run, db_path, as_of):
    """Scans stored before intake checked dates (or edited by hand) must not take the pages down."""
    from mldebt.webapp import create_app

    repo = make_repo("old", [("2026-01-05T00:00:00+00:00", {"model.py": "x = 1\n"})])
    assert run("collect", str(repo)).exit_code == 0
    import sqlite3

    conn = sqlite3.connect(db_path)
    conn.execute("update scans set as_of = ?", [as_of])
    conn.commit()
    conn.close()
    client = create_app({"DATABASE": str(db_path), "TESTING": True, "PAGE_CACHE": 0}).test_client()
    for page in ("/", "/api/v1/portfolio", "/projects/old", "/teams/local", "/backlog", "/api/v1/backlog"):
        assert client.get(page).status_code == 200, page
