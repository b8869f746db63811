"""A push token for each imported project, made by ``mldebt.access.create_token`` (the one write path for tokens).

Each token is named ``<prefix><project>`` and bound to its project. A project
that already has a live token of that name gets none, so importing again makes
no second token; ``rotate`` revokes that token and makes a new one instead.
The secrets are returned once, for the caller to print; only their hashes are
stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import sqlite_utils

from mldebt.access import create_token, revoke_token
from mldebt.scanning.scans import save_portfolio
from mldebt.sources.portfolio import Portfolio

MAX_NAME = 64  # what mldebt.access allows a token name


@dataclass
class Issued:
    created: list[tuple[str, str]] = field(default_factory=list)  # (project, token), in the order asked
    kept: list[str] = field(default_factory=list)  # projects whose live token was left as it was
    rotated: list[str] = field(default_factory=list)  # projects whose live token was revoked for the new one


def token_name(prefix: str, project: str) -> str:
    """``ci-ranker``; a name too long for a token keeps its start and a short hash of the whole."""
    name = prefix + project
    if len(name) <= MAX_NAME:
        return name
    return name[: MAX_NAME - 9] + "-" + hashlib.sha256(name.encode()).hexdigest()[:8]


def issue_push_tokens(
    db: sqlite_utils.Database, portfolio: Portfolio, projects: list[str], *, prefix: str = "ci-", rotate: bool = False
) -> Issued:
    """Record the portfolio's teams and projects in the store, then make each project's push token, all or none."""
    issued = Issued()
    with db.atomic():
        save_portfolio(db, portfolio)
        for project in projects:
            name = token_name(prefix, project)
            if db["api_tokens"].count_where("name = ? and revoked_at is null", [name]):
                if not rotate:
                    issued.kept.append(project)
                    continue
                revoke_token(db, name)
                issued.rotated.append(project)
            secret, _ = create_token(db, name, ["push"], project=project)
            issued.created.append((project, secret))
    return issued
