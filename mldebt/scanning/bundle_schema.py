"""What a pushed evidence bundle must be: its schema, checked on arrival at the server.

Its dates are checked: each must be an ISO 8601 date-time with its UTC offset
inside ``DATE_WINDOW`` (the moment of a scan from 2000 on, a commit from 1970
on, and nothing more than a day after the server's clock), and is kept in UTC,
so that every page can order, bucket and chart the scans. Kept apart from
``bundle`` because building these pydantic models costs a collect's start-up
some 20 ms it never needs: only the server parses bundles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, JsonValue, ValidationError

from mldebt.collectors.interface import Fact
from mldebt.errors import InputError
from mldebt.redact import without_credentials
from mldebt.scanning.bundle import FORMAT, SCAN_ID, Bundle
from mldebt.sources.portfolio import NAME
from mldebt.validation import Strict, _type_name
from mldebt.validation import _describe as describe
from mldebt.yamlfile import dotted

GRACE = timedelta(days=1)  # the latest date accepted is the server's clock plus this, for a client running ahead
EARLIEST_SCAN = datetime(2000, 1, 1, tzinfo=UTC)
EARLIEST_COMMIT = datetime(1970, 1, 1, tzinfo=UTC)
DATE_WINDOW = {"as_of": EARLIEST_SCAN, "collected_at": EARLIEST_SCAN, "commit_date": EARLIEST_COMMIT}


class BundleError(InputError):
    """A bundle that does not match the schema; each problem names the path of the bad field."""


class FactSpec(Strict):
    key: str = Field(min_length=1, max_length=300, pattern=r"^[^\s\x00-\x1f]+$")
    value: JsonValue = None
    collector: str = Field(default="", max_length=100)
    path: str | None = Field(default=None, max_length=4096)
    line: int | None = Field(default=None, ge=0)
    url: str | None = Field(default=None, max_length=4096)
    error: str | None = Field(default=None, max_length=10_000)


class ProjectSpec(Strict):
    name: str = Field(pattern=NAME)
    team_id: str = Field(pattern=NAME)
    team_name: str = Field(min_length=1, max_length=200)
    team_owner: str | None = Field(default=None, max_length=200)
    repo: str | None = Field(default=None, max_length=4096)
    subpath: str | None = Field(default=None, max_length=4096)
    owner: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    tags: list[str] = Field(default=[], max_length=100)


def _date_text(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date-time string, got {_type_name(value)}")
    return value


def _within(earliest: datetime) -> Callable[[datetime], datetime]:
    def check(value: datetime) -> datetime:
        if value < earliest or value > datetime.now(UTC) + GRACE:
            raise ValueError(f"{value.isoformat()} is out of range")
        return value.astimezone(UTC)

    return check


# A date-time of the bundle: a string with its UTC offset, inside its window, kept in UTC.
ScanMoment = Annotated[AwareDatetime, BeforeValidator(_date_text), AfterValidator(_within(EARLIEST_SCAN))]
CommitMoment = Annotated[AwareDatetime, BeforeValidator(_date_text), AfterValidator(_within(EARLIEST_COMMIT))]


def window_text(field: str) -> str:
    """What a date field accepts, as said at the end of each of its problems."""
    return (
        f"accepted: an ISO 8601 date-time with its UTC offset, from {DATE_WINDOW[field]:%Y-%m-%dT%H:%M:%SZ} "
        "to one day after the server's clock"
    )


class BundleSpec(Strict):
    format: str = Field(pattern=f"^{re.escape(FORMAT)}$")
    scan_id: str = Field(pattern=SCAN_ID)
    project: ProjectSpec
    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")
    commit_date: CommitMoment | None = None
    as_of: ScanMoment
    collected_at: ScanMoment
    tool_version: str = Field(min_length=1, max_length=50)
    duration_s: float = Field(default=0.0, ge=0)
    facts: list[FactSpec]


def _problem(error: Any) -> str:
    """``path: what is wrong``; a bad date also says what the field accepts."""
    where = dotted(p for p in error["loc"] if isinstance(p, (str, int))) or "(top level)"
    text = f"{where}: {describe(error)}"
    return f"{text} ({window_text(where)})" if where in DATE_WINDOW else text


def parse_bundle(data: Any) -> Bundle:
    """A Bundle from decoded JSON; BundleError lists every problem as ``path: what is wrong``."""
    try:
        spec = BundleSpec.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e) for e in exc.errors()]
        raise BundleError(f"the evidence bundle does not match the schema: {problems[0]}", problems) from None
    # What a client sends is redacted again here: no URL credentials reach the server's store, whatever the client.
    return Bundle(
        scan_id=spec.scan_id,
        project=without_credentials(spec.project.model_dump()),
        commit=spec.commit,
        commit_date=spec.commit_date.isoformat() if spec.commit_date else None,
        as_of=spec.as_of.isoformat(),
        collected_at=spec.collected_at.isoformat(),
        tool_version=spec.tool_version,
        duration_s=spec.duration_s,
        facts=tuple(Fact(**without_credentials(f.model_dump())) for f in spec.facts),
    )
