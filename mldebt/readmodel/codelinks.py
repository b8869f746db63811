"""Where in the code a backlog item points: its evidence's file and line, and a link to it at the scanned commit.

The place is read from the facts behind the item's check in the scan the
item stands at: the facts under the keys the result read
(``results.evidence_keys``), their sub-keys (``repo.notebooks.with_outputs.at``),
and the failures of their collectors. The most specific one wins: a fact with a
file and a line before one with a file alone, a fact of the check's own keys
before a broader one or a failure, then the first collected. An item whose
fix clears several checks takes the first of them that has a place.

The link is made from the project's ``code`` source, stored from the
portfolio (``sources.portfolio``): its ``code_url`` template, else its remote
on GitHub, GitLab or Bitbucket (``sources.forge``). An item without a file,
or without a link, says why in ``note``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from mldebt.sources.forge import fill, parse_remote
from mldebt.store.db import from_json, rows


@dataclass(frozen=True)
class Place:
    """Where an item's evidence is: ``path:line`` (or ``path``), the file on its forge, and what is missing."""

    location: str = ""  # from the top of the repository
    code_link: str = ""
    note: str = ""  # empty when there are both a location and a link


@dataclass(frozen=True)
class _Fact:
    path: str
    line: int | None
    rank: tuple[int, int, int]


def places(
    db: sqlite_utils.Database, scan: Mapping[str, Any], project: Mapping[str, Any], checks: Iterable[str]
) -> dict[str, Place]:
    """The place of each of ``checks`` in ``scan`` of ``project`` (a ``projects`` row)."""
    wanted = set(checks)
    read = {
        r["check_id"]: list(from_json(r["evidence_keys"]) or [])
        for r in rows(db, "select check_id, evidence_keys from results where scan_id = ?", [scan["id"]])
        if r["check_id"] in wanted
    }
    facts = list(
        rows(
            db,
            "select id, key, path, line, error from evidence where scan_id = ? and path is not null and path != '' "
            "order by id",
            [scan["id"]],
        )
    )
    present = {r["key"] for r in rows(db, "select distinct key from evidence where scan_id = ?", [scan["id"]])}
    source = (from_json(project.get("sources")) or {}).get("code") or {}
    found = {}
    for check in wanted:
        keys = read.get(check)
        if keys is None:
            found[check] = Place(note="no file evidence: the check has no result in the scan")
            continue
        best = _best(keys, facts)
        if best is None:
            found[check] = Place(note=_no_file(keys, present))
            continue
        path = f"{project['subpath'].strip('/')}/{best.path}" if project.get("subpath") else best.path
        location = f"{path}:{best.line}" if best.line else path
        link, why = _link(source, project, scan.get("commit_sha"), path, best.line)
        found[check] = Place(location=location, code_link=link, note=why)
    return found


def first_place(found: Mapping[str, Place], clears: Iterable[str]) -> Place:
    """The place of an item that clears ``clears`` (its own check first): the first that has a location."""
    chosen = [found[c] for c in clears if c in found]
    return next((p for p in chosen if p.location), chosen[0] if chosen else Place(note="no file evidence"))


def _best(keys: list[str], facts: list[dict[str, Any]]) -> _Fact | None:
    """The most specific fact with a file among those a check read (see the module's docstring)."""
    own = set(keys)
    prefixes = {".".join(k.split(".")[:n]) for k in keys for n in range(1, len(k.split(".")))}
    collectors = {f"{k.split('.')[0]}.error" for k in keys}
    best: _Fact | None = None
    for fact in facts:
        key = fact["key"]
        if fact["error"] is None and (key in own or any(key.startswith(k + ".") for k in own)):
            kind = 0
        elif fact["error"] is None and key in prefixes:
            kind = 1
        elif fact["error"] is not None and (key in own or key in collectors):
            kind = 2
        else:
            continue
        line = fact["line"] if isinstance(fact["line"], int) and fact["line"] > 0 else None
        candidate = _Fact(fact["path"], line, (0 if line else 1, kind, fact["id"]))
        if best is None or candidate.rank < best.rank:
            best = candidate
    return best


def _no_file(keys: list[str], present: set[str]) -> str:
    recorded = [k for k in keys if k in present]
    if not keys:
        return "no file evidence: the check reads no evidence"
    if not recorded:
        return f"no file evidence: the scan recorded nothing for {', '.join(keys)}"
    return f"no file evidence: the finding ({', '.join(recorded)}) is about the whole project, not a file"


def _link(
    source: Mapping[str, Any], project: Mapping[str, Any], commit: str | None, path: str, line: int | None
) -> tuple[str, str]:
    """The link to ``path`` at ``commit`` and, when there is none, why."""
    if not commit:
        return "", "no link: the scan read a folder without git, so there is no commit to link to"
    remote = parse_remote(source["remote"]) if source.get("remote") else None
    template = source.get("url")
    if template:
        if remote is None and "{repo}" in template:
            return "", "no link: code_url needs {repo}, and the repository has no remote on a web host"
        repo = remote.path if remote else ""
        return fill(template, repo=repo, project=project["id"], commit=commit, path=path, line=line), ""
    if remote is None:
        return "", "no link: the repository has no remote on a web host; set code_url in the portfolio"
    link = remote.file_link(commit, path, line)
    if link is None:
        return "", f"no link: {remote.host} is not GitHub, GitLab or Bitbucket; set code_url in the portfolio"
    return link, ""
