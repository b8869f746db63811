"""The server's side of `mldebt collect --push`: take in a bundle once, score it, store it.

A push is idempotent by scan id: the first arrival is scored with the
server's rubric and stored by ``scans.store_bundle`` (the very function a
local collect uses), and its digest is kept beside it; the same bundle again
(a client retrying after a lost answer) stores nothing, and the API answers it
with the stored scan as it answered the first; another bundle under a known
scan id is a conflict.

A push never changes the portfolio. The token that pushes is bound to one
project or one team (``access.create_token``); the bundle's project must be
that project, or a project of that team, and must already be in the store.
What the bundle says of its team, owners, repository, description and tags
is ignored: the scan is stored under the store's own record of the project,
so a push can neither move a project to another team nor rename a team nor
add a project. Each pushed scan keeps the name and id of the token that
pushed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TypedDict

import sqlite_utils

from mldebt.access import Identity, token_binding
from mldebt.errors import MldebtError
from mldebt.rubric.schema import Rubric
from mldebt.scanning.bundle import Bundle
from mldebt.scanning.scans import now, store_bundle
from mldebt.store.db import from_json, rows


class PushedBy(TypedDict):
    """The token that pushed a scan: its name, and its id (None for scans pushed before schema 0007 kept it)."""

    token: str
    token_id: int | None


class Conflict(MldebtError):
    """A bundle under a scan id that the store already holds with other content."""


class Forbidden(MldebtError):
    """A push that its token may not make: another project or team, or a token bound to none (403)."""


def receive(db: sqlite_utils.Database, bundle: Bundle, rubric: Rubric, pusher: Identity) -> bool:
    """Store ``bundle`` unless it already was; whether it was stored now (False: a retry of a stored push)."""
    digest = bundle.digest()
    with db.atomic():  # the write lock is taken first, so two arrivals of one scan id cannot both store it
        project = allowed_project(db, pusher, bundle.project["name"])
        known = next(rows(db, "select digest from pushed_scans where scan_id = ?", [bundle.scan_id]), None)
        if known is None and db["scans"].count_where("id = ?", [bundle.scan_id]):
            known = {"digest": None}  # a scan collected on the server itself
        if known is not None:
            if known["digest"] != digest:
                raise Conflict(
                    f"scan {bundle.scan_id} is already stored with other content; a new collection needs a new scan id"
                )
            return False
        store_bundle(db, replace(bundle, project=project), rubric)
        db.table("pushed_scans").insert(
            {
                "scan_id": bundle.scan_id,
                "digest": digest,
                "token": pusher.name,
                "token_id": pusher.token_id,
                "received_at": now().isoformat(),
            }
        )
    return True


def allowed_project(db: sqlite_utils.Database, pusher: Identity, name: str) -> dict[str, Any]:
    """The store's record of project ``name``, in a bundle's shape, if ``pusher`` may push its scans; else Forbidden."""
    binding = token_binding(db, pusher.token_id) if pusher.token_id is not None else {}
    bound_project, bound_team = binding.get("project_id"), binding.get("team_id")
    if bound_project is None and bound_team is None:
        raise Forbidden(
            f"token {pusher.name} is not bound to a project or team, so it cannot push: make a bound one "
            "on the server with `mldebt token create NAME --scope push --project PROJECT` (or --team TEAM) "
            "and revoke this one"
        )
    if bound_project is not None and bound_project != name:
        raise Forbidden(f"token {pusher.name} may push scans of project {bound_project} only, not {name}")
    found = next(
        rows(
            db,
            """
        select p.id, p.team_id, t.name as team_name, t.owner as team_owner, p.repo, p.subpath, p.owner,
               p.description, p.tags
        from projects p left join teams t on t.id = p.team_id where p.id = ?""",
            [name],
        ),
        None,
    )
    if found is None:
        raise Forbidden(
            f"project {name} is not in this server's portfolio: a push cannot add projects; record it on "
            "the server (`mldebt token create ... --portfolio FILE`, or `mldebt collect PORTFOLIO`)"
        )
    if bound_team is not None and found["team_id"] != bound_team:
        raise Forbidden(
            f"token {pusher.name} may push scans of team {bound_team}'s projects only; "
            f"{name} is in team {found['team_id']}"
        )
    return {
        "name": found["id"],
        "team_id": found["team_id"],
        "team_name": found["team_name"] or found["team_id"],
        "team_owner": found["team_owner"],
        "repo": found["repo"],
        "subpath": found["subpath"],
        "owner": found["owner"],
        "description": found["description"],
        "tags": from_json(found["tags"]) or [],
    }


def pushed_by(db: sqlite_utils.Database, scan_ids: Iterable[str]) -> dict[str, PushedBy]:
    """The token that pushed each of ``scan_ids`` (scans collected on the server are absent)."""
    ids = list(dict.fromkeys(scan_ids))
    found: dict[str, PushedBy] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for r in rows(
            db,
            f"select scan_id, token, token_id from pushed_scans where scan_id in ({', '.join('?' for _ in chunk)})",
            chunk,
        ):
            found[r["scan_id"]] = {"token": r["token"], "token_id": r["token_id"]}
    return found
