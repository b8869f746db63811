"""CI run history collector: how often the pipelines pass, how long they take, what flakes.

Reads the last ``WINDOW_DAYS`` before the scan's moment from the GitHub Actions
API (workflow runs, and the jobs of runs worth a closer look) or the GitLab
pipelines API (pipelines and their jobs, retried ones included). The portfolio's
``ci`` block names the provider, the repository (``owner/name`` or a GitLab
path) and optionally ``api_url`` and ``token_env``; the token defaults to
``GITHUB_TOKEN`` or ``GITLAB_TOKEN`` and is handled only by ``ApiClient``.
The portfolio already refuses a ``token_env`` that is not a CI token variable
and an ``api_url`` that is neither https nor on this machine; this collector
checks again (sources may come from elsewhere) and then sends nothing at all.

Flaky means: the same job (or the same workflow) both failed and passed on the
same commit within the window. Trends compare the window's second half with its
first: ``success_rate_trend`` is the difference of success rates, and
``duration_trend`` the relative change of the median duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from mldebt.collectors.http import DEFAULT_TIMEOUT, ApiClient, ApiError
from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.sources.portfolio import api_url_problem, token_env_problem

WINDOW_DAYS = 30
MAX_PAGES = 10
MAX_DETAIL = 50
DEFAULT_API = {"github": "https://api.github.com", "gitlab": "https://gitlab.com/api/v4"}
DEFAULT_TOKEN_ENV = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN"}
GITHUB_OUTCOMES = {"success": "success", "failure": "failure", "timed_out": "failure", "startup_failure": "failure"}
GITLAB_OUTCOMES = {"success": "success", "failed": "failure"}


@dataclass
class Run:
    id: str
    workflow: str
    sha: str
    outcome: str | None  # "success", "failure", or None (cancelled, skipped, running, ...)
    created: datetime
    duration_s: float | None = None
    attempts: int = 1


@dataclass
class JobResult:
    name: str
    sha: str
    outcome: str | None


def _time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _seconds(start: Any, end: Any) -> float | None:
    a, b = _time(start), _time(end)
    return round((b - a).total_seconds(), 1) if a and b and b >= a else None


def _pages(client: ApiClient, path: str, params: dict[str, Any], key: str | None) -> Iterator[list[dict[str, Any]]]:
    """Each page of a listing, following Link rel="next" or GitLab's x-next-page."""
    url = path
    for _ in range(MAX_PAGES):
        response = client.get(url, params)
        data = response.json()
        items = data.get(key) if key and isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ApiError(f"unexpected response shape from {path}: no list of {key or 'items'}")
        yield [i for i in items if isinstance(i, dict)]
        next_page = response.headers.get("x-next-page")
        if next_page:
            url, params = path, {**params, "page": next_page}
        elif response.links.get("next", {}).get("url"):
            url, params = response.links["next"]["url"], {}
        else:
            return


def _outcome(outcomes: dict[str, str], status: Any) -> str | None:
    """What a provider's status word (JSON as the API sent it) says of a run: success, failure or None."""
    return outcomes.get(status)


def github_history(
    client: ApiClient, repo: str, start: datetime, end: datetime
) -> tuple[list[Run], list[JobResult], int]:
    base = f"repos/{repo}/actions/runs"
    window = f"{start:%Y-%m-%dT%H:%M:%SZ}..{end:%Y-%m-%dT%H:%M:%SZ}"
    runs: list[Run] = []
    for page in _pages(client, base, {"per_page": 100, "created": window}, "workflow_runs"):
        for item in page:
            created = _time(item.get("created_at"))
            if created is None or not start <= created <= end or item.get("status") != "completed":
                continue
            runs.append(
                Run(
                    id=str(item.get("id")),
                    workflow=str(item.get("name") or item.get("workflow_id")),
                    sha=str(item.get("head_sha")),
                    outcome=_outcome(GITHUB_OUTCOMES, item.get("conclusion")),
                    created=created,
                    attempts=int(item.get("run_attempt") or 1),
                    duration_s=_seconds(item.get("run_started_at") or item.get("created_at"), item.get("updated_at")),
                )
            )
    mixed = _mixed({(r.workflow, r.sha) for r in runs}, runs)
    worth = [
        r for r in sorted(runs, key=lambda r: r.created, reverse=True) if r.attempts > 1 or (r.workflow, r.sha) in mixed
    ][:MAX_DETAIL]
    jobs: list[JobResult] = []
    for run in worth:
        for page in _pages(client, f"{base}/{run.id}/jobs", {"per_page": 100, "filter": "all"}, "jobs"):
            jobs += [
                JobResult(
                    f"{run.workflow} / {j.get('name')}",
                    str(j.get("head_sha") or run.sha),
                    _outcome(GITHUB_OUTCOMES, j.get("conclusion")),
                )
                for j in page
            ]
    return runs, jobs, len(worth)


def gitlab_history(
    client: ApiClient, project: str, start: datetime, end: datetime
) -> tuple[list[Run], list[JobResult], int]:
    base = f"projects/{quote(project, safe='')}/pipelines"
    params = {
        "per_page": 100,
        "updated_after": start.isoformat(),
        "updated_before": end.isoformat(),
        "order_by": "id",
        "sort": "desc",
    }
    runs: list[Run] = []
    for page in _pages(client, base, params, None):
        for item in page:
            created = _time(item.get("created_at"))
            if created is None or not start <= created <= end:
                continue
            runs.append(
                Run(
                    id=str(item.get("id")),
                    workflow=str(item.get("ref") or "pipeline"),
                    sha=str(item.get("sha")),
                    outcome=_outcome(GITLAB_OUTCOMES, item.get("status")),
                    created=created,
                )
            )
    jobs: list[JobResult] = []
    detailed = [r for r in sorted(runs, key=lambda r: r.created, reverse=True) if r.outcome][:MAX_DETAIL]
    for run in detailed:
        starts, ends = [], []
        for page in _pages(client, f"{base}/{run.id}/jobs", {"per_page": 100, "include_retried": "true"}, None):
            for j in page:
                jobs.append(JobResult(str(j.get("name")), run.sha, _outcome(GITLAB_OUTCOMES, j.get("status"))))
                starts += [t for t in [_time(j.get("started_at"))] if t]
                ends += [t for t in [_time(j.get("finished_at"))] if t]
        if starts and ends and max(ends) >= min(starts):
            run.duration_s = round((max(ends) - min(starts)).total_seconds(), 1)
    return runs, jobs, len(detailed)


def _mixed(groups: set[tuple[str, str]], runs: list[Run]) -> set[tuple[str, str]]:
    outcomes: dict[tuple[str, str], set[str | None]] = {g: set() for g in groups}
    for r in runs:
        outcomes[(r.workflow, r.sha)].add(r.outcome)
    return {g for g, seen in outcomes.items() if {"success", "failure"} <= seen}


def _rate(decided: list[Run]) -> float:
    """The share of ``decided`` runs (each passed or failed, at least one) that passed."""
    return round(sum(r.outcome == "success" for r in decided) / len(decided), 4)


def history_facts(
    runs: list[Run], jobs: list[JobResult], checked: int, start: datetime, end: datetime, url: str
) -> Iterator[Fact]:
    from statistics import median  # loaded where there is a history to measure, not with every scan

    decided = [r for r in runs if r.outcome]
    yield Fact("ci.history.window_days", WINDOW_DAYS, url=url)
    yield Fact("ci.history.runs", len(decided), url=url)
    if not decided:
        return
    yield Fact("ci.history.success_rate", _rate(decided), url=url)
    durations = [r.duration_s for r in decided if r.duration_s is not None]
    if durations:
        yield Fact("ci.history.median_duration_s", median(durations), url=url)
    middle = start + (end - start) / 2
    first, second = [r for r in decided if r.created < middle], [r for r in decided if r.created >= middle]
    if first and second:
        yield Fact("ci.history.success_rate_trend", round(_rate(second) - _rate(first), 4), url=url)
        d1 = [r.duration_s for r in first if r.duration_s is not None]
        d2 = [r.duration_s for r in second if r.duration_s is not None]
        if d1 and d2 and median(d1) > 0:
            yield Fact("ci.history.duration_trend", round(median(d2) / median(d1) - 1, 4), url=url)
    yield Fact(
        "ci.history.flaky_commits",
        len({sha for _, sha in _mixed({(r.workflow, r.sha) for r in decided}, decided)}),
        url=url,
    )
    tally: dict[tuple[str, str], dict[str, int]] = {}
    for job in jobs:
        if job.outcome:
            counts = tally.setdefault((job.name, job.sha), {"success": 0, "failure": 0})
            counts[job.outcome] += 1
    flaky = [
        {"job": name, "commit": sha[:12], "failed": c["failure"], "passed": c["success"]}
        for (name, sha), c in sorted(tally.items())
        if c["failure"] and c["success"]
    ]
    yield Fact("ci.history.flaky_jobs", flaky, url=url)
    yield Fact("ci.history.jobs_checked", checked, url=url)


class CIHistoryCollector(Collector):
    name = "ci_history"
    keys = {
        "ci.history.window_days": "days of run history read, ending at the scan's moment",
        "ci.history.runs": "finished runs (passed or failed) in the window",
        "ci.history.success_rate": "share of those runs that passed, 0 to 1",
        "ci.history.median_duration_s": "median run duration in seconds",
        "ci.history.success_rate_trend": "success rate of the window's second half minus its first half",
        "ci.history.duration_trend": "relative change of the median duration, second half over first (0.1 = +10%)",
        "ci.history.flaky_commits": "commits on which the same workflow or pipeline both failed and passed",
        "ci.history.flaky_jobs": "jobs that both failed and passed on the same commit",
        "ci.history.jobs_checked": "runs whose jobs were read to look for flaky jobs",
        "ci.history.error": "(error facts) the run history could not be read",
    }

    def __init__(self, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        ci = snapshot.sources.get("ci") or {}
        provider, repo = ci.get("provider"), ci.get("repository")
        if provider not in DEFAULT_API or not repo:
            return
        api = ci.get("api_url") or DEFAULT_API[provider]
        if provider == "github" and str(repo).count("/") != 1:
            yield Fact.failure("ci.history.error", f"repository must be owner/name for GitHub, not {repo!r}")
            return
        end = (snapshot.as_of or datetime.now(UTC)).astimezone(UTC)
        start = end - timedelta(days=WINDOW_DAYS)
        parts = urlsplit(str(api))
        shown = urlunsplit(
            (
                parts.scheme,
                parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "",
                parts.path.rstrip("/"),
                "",
                "",
            )
        )  # no credentials or query
        url = (
            f"{shown}/repos/{repo}/actions/runs"
            if provider == "github"
            else f"{shown}/projects/{quote(str(repo), safe='')}/pipelines"
        )
        token_env = ci.get("token_env") or DEFAULT_TOKEN_ENV[provider]
        refused = _refusal(str(token_env), str(api))
        if refused:  # before any request: the token is never read, nothing is sent
            yield Fact.failure("ci.history.error", refused)
            return
        try:
            client = ApiClient(api, token_env=token_env, timeout=self.timeout)
        except ApiError as exc:
            yield Fact.failure("ci.history.error", str(exc))
            return
        try:
            fetch = github_history if provider == "github" else gitlab_history
            runs, jobs, checked = fetch(client, str(repo), start, end)
        except ApiError as exc:
            yield Fact.failure("ci.history.error", _message(exc), url=url)
            return
        except Exception as exc:
            yield Fact.failure(
                "ci.history.error", f"unexpected reply from the {provider} API: {type(exc).__name__}", url=url
            )
            return
        finally:
            client.session.close()
        yield from history_facts(runs, jobs, checked, start, end, url)


def _refusal(token_env: str, api: str) -> str | None:
    """Why this token may not be sent to this API (the portfolio's own rules), or None."""
    if problem := token_env_problem(token_env):
        return f"ci.token_env: {problem}"
    if problem := api_url_problem(api):
        return f"ci.api_url: {problem}"
    return None


def _message(exc: ApiError) -> str:
    if not exc.rate_limited:
        return str(exc)
    reset = exc.rate_limit.get("x-ratelimit-reset") or exc.rate_limit.get("ratelimit-reset")
    when = ""
    if reset and reset.isdigit():
        when = f"; it resets at {datetime.fromtimestamp(int(reset), UTC):%Y-%m-%dT%H:%M:%SZ}"
    elif exc.retry_after:
        when = f"; retry after {exc.retry_after} s"
    return f"rate limit exhausted ({exc}){when}"
