"""A project entry an import adds to a portfolio file, and the key that says two entries are one repository."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mldebt.sources.portfolio import NAME, SCP_LIKE, is_git_url, slug

PROJECT_KEYS = ("name", "repo", "subpath", "ref", "tier", "owner", "tags", "description", "ci")
"""The order in which an entry's keys are written."""

SKIP_REASONS = {
    "archived": "archived",
    "fork": "a fork",
    "filtered": "not matching the filters",
    "exists": "already in the file",
    "name taken": "its name taken by another repository",
}


@dataclass(frozen=True)
class Entry:
    """One project to add: the team it belongs to and the mapping written under that team's ``projects``.

    ``alternative`` is a second name to try when another repository has the
    first (a GitLab project's path inside the group); ``where`` is the
    ``file:line`` of a CSV row, for errors.
    """

    team: str
    fields: dict[str, Any]
    alternative: str | None = None
    where: str | None = None

    @property
    def name(self) -> str:
        return str(self.fields["name"])


@dataclass
class Listing:
    """What a source found: entries to add, how many repositories it left out and why, a default portfolio name."""

    title: str
    entries: list[Entry] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def ordered(fields: dict[str, Any]) -> dict[str, Any]:
    """The entry's keys in the written order, without empty values."""
    known = {k: fields[k] for k in PROJECT_KEYS if fields.get(k) not in (None, "", [], {})}
    return {**known, **{k: v for k, v in fields.items() if k not in PROJECT_KEYS and v not in (None, "", [], {})}}


def project_name(text: str) -> str:
    """``text`` if it is a valid project name, else its slug (``.github`` becomes ``github``)."""
    return text if re.match(NAME, text) else slug(text)


def repo_key(repo: str, base: Path, subpath: str | None = None) -> str:
    """What names one repository (and sub-path) however it is written.

    ``https://github.com/acme/x.git``, ``https://GitHub.com/acme/x/`` and
    ``git@github.com:acme/x`` are one key; a local path is its absolute form,
    ``base`` being the folder it is relative to.
    """
    if is_git_url(repo):
        scp = SCP_LIKE.match(repo) and "://" not in repo
        if scp:
            host, _, path = repo.split("@", 1)[1].partition(":")
        else:
            parts = urlsplit(repo)
            host, path = (parts.hostname or ""), parts.path
        path = path.strip("/").removesuffix(".git").strip("/")
        key = f"{host.lower()}/{path.lower()}"
    else:
        key = str((base / Path(repo).expanduser()).resolve())
    return key + (f"//{subpath.strip('/')}" if subpath else "")
