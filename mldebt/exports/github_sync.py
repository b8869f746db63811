"""Keep a repository's GitHub issues in step with the backlog: create, update, close; or only say what it would.

The issues mldebt made carry the label ``mldebt`` and, in their body, the
hidden marker ``<!-- mldebt-item: MLD-... -->`` (``github.issue``). A sync
reads those issues (GET, every page), then opens an issue for each open item
without one, updates an issue whose title, body or labels differ from the
item's (reopening it if it was closed), and closes, as completed, the open
issues whose item is no longer open. With ``--team`` only that team's issues
(label ``team:...``) are closed. A dry run makes the same plan from the same
reads and sends nothing else.

The token comes from ``GITHUB_TOKEN`` (or ``GH_TOKEN``) and goes only to the
API's host; it is never printed. Pull requests, which the issues API lists
too, and issues without the marker are left alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from mldebt.collectors.http import DEFAULT_TIMEOUT, ApiClient, ApiError
from mldebt.errors import MldebtError
from mldebt.exports.github import issue
from mldebt.readmodel.backlog import BacklogItem
from mldebt.settings import GITHUB_API_URL
from mldebt.sources.portfolio import api_url_problem

API_URL = GITHUB_API_URL
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
MARKER = re.compile(r"<!-- mldebt-item: (MLD-[0-9a-f]+) -->")
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
PAGE = 100


class SyncError(MldebtError):
    """The GitHub API refused or could not be reached; the message names the request, never the token."""


@dataclass(frozen=True)
class Change:
    action: str  # create, update or close
    item: str  # the MLD-... id
    title: str
    number: int | None = None  # the issue's number (None for one to create)
    send: dict[str, Any] = field(default_factory=dict)  # the request body
    what: tuple[str, ...] = ()  # the fields an update changes


def plan(issues: Sequence[dict[str, Any]], items: Sequence[BacklogItem], team: str | None = None) -> list[Change]:
    """What to create, update and close so the issues match ``items`` (open items, of ``team`` if named)."""
    existing: dict[str, dict[str, Any]] = {}
    for found in sorted(issues, key=lambda i: i["number"]):
        marker = MARKER.search(found.get("body") or "")
        if marker and "pull_request" not in found:
            existing.setdefault(marker[1], found)  # a duplicate made by hand: the oldest issue is the item's
    changes = []
    for item in items:
        wanted = issue(item)
        have = existing.get(item.id)
        if have is None:
            changes.append(Change("create", item.id, str(wanted["title"]), send=wanted))
            continue
        send = {k: wanted[k] for k in ("title", "body") if have.get(k) != wanted[k]}
        if sorted(label["name"] for label in have.get("labels", [])) != sorted(wanted["labels"]):  # type: ignore[call-overload]
            send["labels"] = wanted["labels"]
        if have.get("state") != "open":
            send["state"] = "open"
        if send:
            changes.append(Change("update", item.id, str(wanted["title"]), have["number"], send, tuple(sorted(send))))
    still = {i.id for i in items}
    for item_id, have in existing.items():
        labels = {label["name"] for label in have.get("labels", [])}
        if item_id not in still and have.get("state") == "open" and (team is None or f"team:{team}" in labels):
            send = {"state": "closed", "state_reason": "completed"}
            changes.append(Change("close", item_id, have.get("title") or item_id, have["number"], send, ("state",)))
    return changes


def describe(changes: Sequence[Change], repository: str, dry_run: bool) -> str:
    """One line per change and a count, as a dry run lists them or a sync reports them."""
    verbs = {"create": "would create", "update": "would update", "close": "would close"} if dry_run else {}
    lines = []
    for change in changes:
        verb = verbs.get(change.action, {"create": "created", "update": "updated", "close": "closed"}[change.action])
        number = f" #{change.number}" if change.number else ""
        fields = f" ({', '.join(change.what)})" if change.action == "update" else ""
        lines.append(f"{verb}{number}: {change.title}{fields}")
    counts = {a: sum(c.action == a for c in changes) for a in ("create", "update", "close")}
    summary = ", ".join(f"{n} to {a}" if dry_run else f"{n} {a}d" for a, n in counts.items())
    head = f"dry run on {repository}, nothing sent: {summary}" if dry_run else f"{repository}: {summary}"
    return "\n".join([head, *lines]) + "\n"


@dataclass
class GitHub:
    """The issues of one repository through the REST API at ``api_url``."""

    repository: str
    api_url: str = API_URL

    def __post_init__(self) -> None:
        if not REPOSITORY.match(self.repository):
            raise SyncError(f"repository {self.repository!r}: expected OWNER/NAME, such as acme/ranker")
        problem = api_url_problem(self.api_url)
        if problem:
            raise SyncError(f"API URL {self.api_url!r}: {problem}")
        self.token_env = next((name for name in TOKEN_VARIABLES if os.environ.get(name)), None)
        try:
            self.client = ApiClient(self.api_url, token_env=self.token_env)
        except ApiError as exc:
            raise SyncError(str(exc)) from None
        self.path = f"repos/{quote(self.repository)}/issues"

    def issues(self) -> list[dict[str, Any]]:
        """Every issue labelled ``mldebt``, open or closed, page by page."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"state": "all", "labels": "mldebt", "per_page": PAGE, "page": page}
            try:
                batch = self.client.get_json(self.path, params)
            except ApiError as exc:
                raise SyncError(f"cannot read the issues of {self.repository}: {exc}") from None
            if not isinstance(batch, list):
                raise SyncError(f"cannot read the issues of {self.repository}: the answer is not a list")
            found += [i for i in batch if isinstance(i, dict) and isinstance(i.get("number"), int)]
            if len(batch) < PAGE:
                return found
            page += 1

    def apply(self, changes: Sequence[Change]) -> None:
        """Send every change: POST for an issue to create, PATCH for one to update or close."""
        token = os.environ.get(self.token_env) if self.token_env else None
        if changes and not token:
            raise SyncError(f"set {' or '.join(TOKEN_VARIABLES)} to a token that may write issues (or use --dry-run)")
        for change in changes:
            path = self.path if change.number is None else f"{self.path}/{change.number}"
            self._send("POST" if change.number is None else "PATCH", path, change.send, token or "")

    def _send(self, method: str, path: str, body: dict[str, Any], token: str) -> None:
        url = self.client.base_url + path
        headers = {"Accept": "application/vnd.github+json", "User-Agent": "mldebt", "Authorization": f"Bearer {token}"}
        try:
            response = self.client.session.request(
                method, url, json=body, headers=headers, timeout=DEFAULT_TIMEOUT, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise SyncError(f"cannot reach {url}: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise SyncError(f"HTTP {response.status_code} from {method} {url}")
