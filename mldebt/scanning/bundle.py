"""The evidence bundle: one project's collected facts, before any scoring.

A worker of the portfolio pool returns one, `mldebt collect --push` sends one
to the server as JSON, and ``scans.store_bundle`` scores and stores one. It
carries everything a scan needs except the rubric: the scan id (chosen by the
collector, so that a retried push is recognised), the project and its team,
the commit, the moment, the tool version and every fact with its location,
error facts included. What the server accepts as one is checked by
``bundle_schema.parse_bundle``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from mldebt.collectors.interface import Fact
from mldebt.redact import without_credentials
from mldebt.sources.portfolio import Project

FORMAT = "mldebt-bundle/1"
SCAN_ID = r"^[0-9a-f]{32}$"


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
        return {
            "format": FORMAT,
            "scan_id": self.scan_id,
            "project": self.project,
            "commit": self.commit,
            "commit_date": self.commit_date,
            "as_of": self.as_of,
            "collected_at": self.collected_at,
            "tool_version": self.tool_version,
            "duration_s": self.duration_s,
            "facts": [_fact_json(f) for f in self.facts],
        }

    def digest(self) -> str:
        """A hash of the content: the same bundle sent twice has the same digest, whatever its JSON layout."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def project_info(project: Project, team_owner: str | None = None) -> dict[str, Any]:
    """What a bundle says about its project (never its sources' settings, and no credentials of a URL)."""
    return {
        "name": project.name,
        "team_id": project.team_id,
        "team_name": project.team_name,
        "team_owner": team_owner,
        "repo": without_credentials(project.repo),
        "subpath": project.subpath,
        "owner": project.owner,
        "description": project.description,
        "tags": list(project.tags),
    }


def _fact_json(fact: Fact) -> dict[str, Any]:
    return {
        "key": fact.key,
        "value": fact.value,
        "collector": fact.collector,
        "path": fact.path,
        "line": fact.line,
        "url": fact.url,
        "error": fact.error,
    }
