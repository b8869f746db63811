"""Project entries from a forge's listing: a GitHub organisation's repositories, a GitLab group's projects.

Both are read page by page through ``collectors.http.ApiClient`` (the token
comes from the environment, goes only to the API's host and never into a
message), following GitHub's ``Link: rel="next"`` and GitLab's
``x-next-page``. A rate-limit answer (GitHub: 403 or 429 with
``x-ratelimit-remaining: 0``; either: 429 with ``Retry-After`` or a reset
time) is waited out when the wait is at most ``max_wait`` seconds, and
otherwise ends the listing with the time the limit resets.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from mldebt.collectors.http import ApiClient, ApiError
from mldebt.errors import InputError, MldebtError
from mldebt.nested import json_loads
from mldebt.onboarding.entries import Entry, Listing, ordered, project_name
from mldebt.sources.portfolio import api_url_problem, check_git_url, token_env_problem

DEFAULT_API = {"github": "https://api.github.com", "gitlab": "https://gitlab.com/api/v4"}
FORGE = {"github": "GitHub", "gitlab": "GitLab"}
MAX_PAGES = 1000
ATTEMPTS = 4  # tries of one page while rate-limit waits are short
Note = Callable[[str], None]


class ForgeError(MldebtError):
    """A forge's API could not give the listing (not found, refused, unreachable, an unexpected answer)."""


class RateLimited(ForgeError):
    """The API's rate limit is used up for longer than the import waits; ``resets_at`` when known."""

    def __init__(self, message: str, resets_at: datetime | None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


@dataclass
class Filters:
    """Which listed repositories to import: archived ones and forks are left out unless included."""

    archived: bool = False
    forks: bool = False
    topics: tuple[str, ...] = ()  # every one of these topics
    match: tuple[str, ...] = ()  # a name matching any of these shell patterns
    tier: str | None = None  # written on every entry when given
    team: str | None = None  # the team the entries join (default: the organisation or group)
    max_wait: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)


def list_github(
    org: str, filters: Filters, api_url: str | None = None, token_env: str = "GITHUB_TOKEN", note: Note = lambda _: None
) -> Listing:
    """Entries for the repositories of the GitHub organisation ``org`` (``GET /orgs/{org}/repos``)."""
    api = _api("github", api_url, token_env)
    listing = Listing(title=org)
    for repo in _items("github", api, f"orgs/{quote(org, safe='')}/repos", {"per_page": 100}, filters, note, org):
        reason = _left_out(repo.get("archived"), repo.get("fork"), repo.get("name"), repo.get("topics"), filters)
        if reason:
            listing.skipped[reason] += 1
            continue
        ci = {"provider": "github", "repository": repo.get("full_name")}
        if api.base_url.rstrip("/") != DEFAULT_API["github"]:
            ci["api_url"] = api.base_url.rstrip("/")
        fields = {
            "name": project_name(str(repo["name"])),
            "repo": _clone_url("github", repo.get("clone_url"), repo.get("full_name")),
            "tier": filters.tier,
            "tags": [str(t) for t in repo.get("topics") or []],
            "description": repo.get("description"),
            "ci": ci,
        }
        listing.entries.append(Entry(team=filters.team or org, fields=ordered(fields)))
    return listing


def list_gitlab(
    group: str,
    filters: Filters,
    api_url: str | None = None,
    token_env: str = "GITLAB_TOKEN",
    note: Note = lambda _: None,
) -> Listing:
    """Entries for the projects of the GitLab group ``group`` and its subgroups (``GET /groups/:id/projects``)."""
    api = _api("gitlab", api_url, token_env)
    listing = Listing(title=group)
    params = {"include_subgroups": "true", "per_page": 100, "order_by": "path", "sort": "asc"}
    for project in _items("gitlab", api, f"groups/{quote(group, safe='')}/projects", params, filters, note, group):
        forked = bool(project.get("forked_from_project"))
        topics = project.get("topics") or project.get("tag_list")
        reason = _left_out(project.get("archived"), forked, project.get("path"), topics, filters)
        if reason:
            listing.skipped[reason] += 1
            continue
        full = str(project.get("path_with_namespace") or project["path"])
        ci = {"provider": "gitlab", "repository": full}
        if api.base_url.rstrip("/") != DEFAULT_API["gitlab"]:
            ci["api_url"] = api.base_url.rstrip("/")
        fields = {
            "name": project_name(str(project["path"])),
            "repo": _clone_url("gitlab", project.get("http_url_to_repo"), full),
            "tier": filters.tier,
            "tags": [str(t) for t in topics or []],
            "description": project.get("description"),
            "ci": ci,
        }
        inside = full.removeprefix(group.strip("/") + "/") if not group.isdigit() else full
        listing.entries.append(
            Entry(
                team=filters.team or group, fields=ordered(fields), alternative=project_name(inside.replace("/", "-"))
            )
        )
    return listing


def _api(forge: str, api_url: str | None, token_env: str) -> ApiClient:
    url = (api_url or DEFAULT_API[forge]).rstrip("/")
    if problem := api_url_problem(url):
        raise InputError(f"API URL {url}: {problem}")
    if problem := token_env_problem(token_env):
        raise InputError(f"token variable {problem}")
    try:
        return ApiClient(url, token_env=token_env)
    except ApiError as exc:
        raise InputError(f"API URL {url}: {exc}") from None


def _clone_url(forge: str, url: Any, name: Any) -> str:
    """The listed clone URL, once it is one git may be given (no ``ext::`` helper, no option, no spaces)."""
    problem = check_git_url(url) if isinstance(url, str) and url else "is missing"
    if problem:
        raise ForgeError(f"{FORGE[forge]} listed {name} with a clone URL that cannot be used: it {problem}")
    return str(url)


def _left_out(archived: Any, fork: Any, name: Any, topics: Any, filters: Filters) -> str | None:
    """Why a listed repository is not imported, or None."""
    if archived and not filters.archived:
        return "archived"
    if fork and not filters.forks:
        return "fork"
    have = {str(t).lower() for t in topics or []}
    if not all(t.lower() in have for t in filters.topics):
        return "filtered"
    if filters.match and not any(fnmatch.fnmatchcase(str(name), p) for p in filters.match):
        return "filtered"
    return None


def _items(
    forge: str, api: ApiClient, path: str, params: dict[str, Any], filters: Filters, note: Note, owner: str
) -> Iterator[dict[str, Any]]:
    """Every item of every page of a listing, following Link rel="next" or x-next-page."""
    url, query = path, dict(params)
    try:
        for page in range(1, MAX_PAGES + 1):
            response = _page(forge, api, url, query, filters, note)
            try:
                items = json_loads(response.content)
            except ValueError:
                raise ForgeError(f"{FORGE[forge]} answered page {page} of {owner} with something not JSON") from None
            if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("name") for i in items):
                raise ForgeError(f"{FORGE[forge]} answered page {page} of {owner} with no list of repositories")
            note(f"{FORGE[forge]} {owner}: page {page}, {len(items)} repositories")
            yield from items
            next_page = response.headers.get("x-next-page")
            if next_page:
                url, query = path, {**params, "page": next_page}
            elif response.links.get("next", {}).get("url"):
                url, query = response.links["next"]["url"], {}
            else:
                return
        raise ForgeError(f"{FORGE[forge]} listed more than {MAX_PAGES} pages for {owner}; stopped there")
    finally:
        api.session.close()


def _page(forge: str, api: ApiClient, url: str, query: dict[str, Any], filters: Filters, note: Note) -> Any:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return api.get(url, query)
        except ApiError as exc:
            # GitHub's secondary limit is a 403 (or 429) with Retry-After and requests still left
            if not (exc.rate_limited or (exc.status == 403 and exc.retry_after)):
                raise ForgeError(_failure(forge, exc, api)) from None
            wait, resets_at = _wait(exc)
            if wait is not None and wait <= filters.max_wait and attempt < ATTEMPTS:
                note(f"{FORGE[forge]}'s rate limit is reached; waiting {wait:.0f} s for it to reset")
                filters.sleep(wait)
                continue
            raise _exhausted(forge, wait, resets_at, filters.max_wait) from None
    raise AssertionError("unreachable")  # the loop returns or raises


def _wait(exc: ApiError) -> tuple[float | None, datetime | None]:
    """Seconds to wait before trying again and when the limit resets, from Retry-After or the reset time."""
    now = time.time()
    retry = (exc.retry_after or "").strip()
    if retry.isdigit():
        return float(retry), datetime.fromtimestamp(now + int(retry), UTC)
    if retry:
        try:
            moment = parsedate_to_datetime(retry)
            return max(moment.timestamp() - now, 0.0), moment
        except (TypeError, ValueError):
            pass
    reset = exc.rate_limit.get("x-ratelimit-reset") or exc.rate_limit.get("ratelimit-reset")
    if reset and reset.isdigit():
        # one second beyond the reset, for the two clocks' difference
        return max(int(reset) - now, 0.0) + 1.0, datetime.fromtimestamp(int(reset), UTC)
    return None, None


def _exhausted(forge: str, wait: float | None, resets_at: datetime | None, max_wait: float) -> RateLimited:
    if resets_at is None:
        return RateLimited(
            f"{FORGE[forge]}'s API rate limit is used up and it did not say when it resets; run the import again later",
            None,
        )
    minutes = max(round((wait or 0) / 60), 1)
    return RateLimited(
        f"{FORGE[forge]}'s API rate limit is used up until {resets_at:%Y-%m-%d %H:%M:%S} UTC "
        f"(in about {minutes} minute{'s' if minutes > 1 else ''}, longer than the {max_wait:g} s this import "
        "waits); run the import again then",
        resets_at,
    )


def _failure(forge: str, exc: ApiError, api: ApiClient) -> str:
    name = FORGE[forge]
    token = api.token_env or "the token variable"
    if exc.status == 401:
        return f"{name} refused the token in {token} (HTTP 401): {exc}"
    if exc.status == 403:
        return f"{name} refused the listing (HTTP 403; does the token in {token} have read access?): {exc}"
    if exc.status == 404:
        what = "organisation" if forge == "github" else "group"
        return f"{name} has no {what} by that name, or the token cannot see it (HTTP 404): {exc}"
    return f"{name} API: {exc}"
