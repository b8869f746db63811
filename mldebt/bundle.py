"""The evidence bundle: one project's collected facts, before any scoring.

A worker of the portfolio pool returns one, `mldebt collect --push` sends one
to the server as JSON, and ``scans.store_bundle`` scores and stores one. It
carries everything a scan needs except the rubric: the scan id (chosen by the
collector, so that a retried push is recognised), the project and its team,
the commit, the moment, the tool version and every fact with its location,
error facts included.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import AwareDatetime, Field, JsonValue, ValidationError

from .collectors.interface import Fact
from .errors import InputError
from .portfolio import NAME, Project
from .redact import without_credentials
from .validation import Strict
from .validation import _describe as describe
from .yamlfile import dotted

FORMAT = "mldebt-bundle/1"
SCAN_ID = r"^[0-9a-f]{32}$"


class BundleError(InputError):
    """A bundle that does not match the schema; each problem names the path of the bad field."""


@dataclass(frozen=True)
class Bundle:
    scan_id: str
    project: dict[str, Any]  # name, team_id, team_name, team_owner, repo, subpath, owner, description, tags
    commit: str | None
    commit_date: str | None
    as_of: str
    collected_at: str
    tool_version: str
    duration_s: float
    facts: tuple[Fact, ...]

    @property
    def errors(self) -> int:
        return sum(f.is_error for f in self.facts)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "scan_id": self.scan_id, "project": self.project, "commit": self.commit,
                "commit_date": self.commit_date, "as_of": self.as_of, "collected_at": self.collected_at,
                "tool_version": self.tool_version, "duration_s": self.duration_s,
                "facts": [_fact_json(f) for f in self.facts]}

    def digest(self) -> str:
        """A hash of the content: the same bundle sent twice has the same digest, whatever its JSON layout."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def project_info(project: Project, team_owner: str | None = None) -> dict[str, Any]:
    """What a bundle says about its project (never its sources' settings, and no credentials of a URL)."""
    return {"name": project.name, "team_id": project.team_id, "team_name": project.team_name,
            "team_owner": team_owner, "repo": without_credentials(project.repo), "subpath": project.subpath,
            "owner": project.owner, "description": project.description, "tags": list(project.tags)}


def _fact_json(fact: Fact) -> dict[str, Any]:
    return {"key": fact.key, "value": fact.value, "collector": fact.collector, "path": fact.path,
            "line": fact.line, "url": fact.url, "error": fact.error}


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


class BundleSpec(Strict):
    format: str = Field(pattern=f"^{re.escape(FORMAT)}$")
    scan_id: str = Field(pattern=SCAN_ID)
    project: ProjectSpec
    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")
    commit_date: AwareDatetime | None = None
    as_of: AwareDatetime
    collected_at: AwareDatetime
    tool_version: str = Field(min_length=1, max_length=50)
    duration_s: float = Field(default=0.0, ge=0)
    facts: list[FactSpec]


def parse_bundle(data: Any) -> Bundle:
    """A Bundle from decoded JSON; BundleError lists every problem as ``path: what is wrong``."""
    try:
        spec = BundleSpec.model_validate(data)
    except ValidationError as exc:
        problems = [f"{dotted(p for p in e['loc'] if isinstance(p, (str, int))) or '(top level)'}: {describe(e)}"
                    for e in exc.errors()]
        raise BundleError(f"the evidence bundle does not match the schema: {problems[0]}", problems) from None
    # What a client sends is redacted again here: no URL credentials reach the server's store, whatever the client.
    return Bundle(
        scan_id=spec.scan_id, project=without_credentials(spec.project.model_dump()), commit=spec.commit,
        commit_date=spec.commit_date.isoformat() if spec.commit_date else None,
        as_of=spec.as_of.isoformat(), collected_at=spec.collected_at.isoformat(),
        tool_version=spec.tool_version, duration_s=spec.duration_s,
        facts=tuple(Fact(**without_credentials(f.model_dump())) for f in spec.facts),
    )
