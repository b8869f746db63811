"""CI run history from the GitHub Actions and GitLab pipelines APIs, replayed by a loopback server
in their documented formats: statistics, pagination, rate limits, server errors, timeouts, and tokens."""

from __future__ import annotations

import logging
import time

import pytest

from mldebt.collectors.ci.history import CIHistoryCollector
from mldebt.collectors.interface import Fact, Snapshot

from .ci_replays import AS_OF, SHA, github_routes, gitlab_routes
from .replay_server import replay, silent_server

TOKEN = "ghp_T0kenThatMustNeverLeak1234567890abcd"
FAST = (0.5, 1.0)


def collect(ci: dict, timeout=FAST) -> list[Fact]:
    snapshot = Snapshot(project="p", root=None, sources={"ci": ci}, as_of=AS_OF)  # type: ignore[arg-type]
    return list(CIHistoryCollector(timeout=timeout).collect(snapshot))


def values(facts: list[Fact]) -> dict:
    return {f.key: f.value for f in facts if not f.is_error}


def errors(facts: list[Fact]) -> list[tuple[str, str | None]]:
    return [(f.error, f.url) for f in facts if f.is_error]


def test_github_statistics_pagination_and_flaky_jobs(monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with replay({}) as server:
        server.routes.update(github_routes(server.url))
        facts = collect({"provider": "github", "repository": "acme/ranker", "api_url": server.url})
        listing = [r for r in server.requests if r.path.endswith("/runs")]
    assert values(facts) == {
        "ci.history.window_days": 30,
        "ci.history.runs": 5,
        "ci.history.success_rate": 0.6,
        "ci.history.median_duration_s": 200.0,
        "ci.history.success_rate_trend": 0.1667,
        "ci.history.duration_trend": 0.7143,
        "ci.history.flaky_commits": 1,
        "ci.history.flaky_jobs": [
            {"job": "ci / test", "commit": SHA["A"][:12], "failed": 1, "passed": 1},
            {"job": "ci / test", "commit": SHA["B"][:12], "failed": 1, "passed": 1},
        ],
        "ci.history.jobs_checked": 3,
    }
    assert [r.query.get("page") for r in listing] == [None, ["2"]]
    assert listing[0].query["created"] == ["2026-10-21T00:00:00Z..2026-11-20T00:00:00Z"]
    assert "authorization" not in listing[0].headers  # no token in the environment: none sent
    assert all(f.url == f"{server.url}/repos/acme/ranker/actions/runs" for f in facts)


def test_gitlab_statistics_with_x_next_page_and_retried_jobs(monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-secret-value-0123456789")
    with replay(gitlab_routes()) as server:
        facts = collect({"provider": "gitlab", "repository": "group/sub/proj", "api_url": f"{server.url}/api/v4"})
        sent = server.requests
    assert values(facts) == {
        "ci.history.window_days": 30,
        "ci.history.runs": 3,
        "ci.history.success_rate": 0.6667,
        "ci.history.median_duration_s": 180.0,
        "ci.history.success_rate_trend": -0.5,
        "ci.history.duration_trend": 0.1667,
        "ci.history.flaky_commits": 1,
        "ci.history.flaky_jobs": [{"job": "test", "commit": SHA["A"][:12], "failed": 2, "passed": 1}],
        "ci.history.jobs_checked": 3,
    }
    assert [r.query.get("page") for r in sent if r.path.endswith("/pipelines")] == [None, ["2"]]
    assert {r.headers.get("authorization") for r in sent} == {"Bearer glpat-secret-value-0123456789"}
    assert all(r.query.get("include_retried") == ["true"] for r in sent if r.path.endswith("/jobs"))


def test_rate_limited_403_is_an_error_fact_with_the_reset_time():
    def limited(request):
        return (
            403,
            {
                "x-ratelimit-limit": "60",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "60",
                "x-ratelimit-reset": "1795000000",
            },
            {
                "message": "API rate limit exceeded for 127.0.0.1.",
                "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
            },
        )

    with replay({"/repos/acme/ranker/actions/runs": limited}) as server:
        facts = collect({"provider": "github", "repository": "acme/ranker", "api_url": server.url})
    assert errors(facts) == [
        (
            f"rate limit exhausted (HTTP 403 from {server.url}/repos/acme/ranker/actions/runs); "
            "it resets at 2026-11-18T11:06:40Z",
            f"{server.url}/repos/acme/ranker/actions/runs",
        )
    ]
    assert values(facts) == {}


def test_403_without_rate_limit_headers_is_plain_access_denied():
    with replay({"/repos/acme/ranker/actions/runs": lambda r: (403, {}, {"message": "Resource not accessible"})}) as s:
        facts = collect({"provider": "github", "repository": "acme/ranker", "api_url": s.url})
    assert errors(facts) == [
        (f"HTTP 403 from {s.url}/repos/acme/ranker/actions/runs", f"{s.url}/repos/acme/ranker/actions/runs")
    ]


def test_gitlab_429_mentions_retry_after():
    path = "/api/v4/projects/g%2Fp/pipelines"
    with replay(
        {path: lambda r: (429, {"Retry-After": "60", "RateLimit-Remaining": "0"}, {"message": "Retry later"})}
    ) as s:
        facts = collect({"provider": "gitlab", "repository": "g/p", "api_url": f"{s.url}/api/v4"})
    assert errors(facts) == [
        (f"rate limit exhausted (HTTP 429 from {s.url}{path}); retry after 60 s", f"{s.url}{path}")
    ]


def test_a_500_on_the_second_page_is_an_error_fact_and_no_statistics():
    with replay({}) as server:
        routes = github_routes(server.url)
        first = routes["/repos/acme/ranker/actions/runs"]
        server.routes.update(routes)
        server.routes["/repos/acme/ranker/actions/runs"] = lambda r: (
            (500, {}, {"message": "Server Error"}) if r.query.get("page") == ["2"] else first(r)
        )
        facts = collect({"provider": "github", "repository": "acme/ranker", "api_url": server.url})
    assert errors(facts) == [
        (
            f"HTTP 500 from {server.url}/repos/acme/ranker/actions/runs?per_page=100&page=2",
            f"{server.url}/repos/acme/ranker/actions/runs",
        )
    ]
    assert values(facts) == {}


def test_a_server_that_never_answers_times_out_quickly():
    with silent_server() as url:
        started = time.monotonic()
        facts = collect({"provider": "github", "repository": "acme/ranker", "api_url": url})
        elapsed = time.monotonic() - started
    assert errors(facts) == [
        (f"timed out after 1 s: {url}/repos/acme/ranker/actions/runs", f"{url}/repos/acme/ranker/actions/runs")
    ]
    assert elapsed < 5


def test_a_malformed_reply_is_an_error_fact():
    with replay({"/repos/acme/ranker/actions/runs": lambda r: (200, {}, {"unexpected": True})}) as s:
        facts = collect({"provider": "github", "repository": "acme/ranker", "api_url": s.url})
    assert errors(facts) == [
        (
            "unexpected response shape from repos/acme/ranker/actions/runs: no list of workflow_runs",
            f"{s.url}/repos/acme/ranker/actions/runs",
        )
    ]
    with replay({"/repos/acme/ranker/actions/runs": lambda r: (200, {}, b"<html>")}) as s:
        facts = collect({"provider": "github", "repository": "acme/ranker", "api_url": s.url})
    assert errors(facts) == [
        ("unexpected reply from the github API: JSONDecodeError", f"{s.url}/repos/acme/ranker/actions/runs")
    ]


def test_the_token_is_sent_to_the_configured_host_only_and_never_leaks(monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("MLDEBT_ACME_CI_TOKEN", TOKEN)
    ci = {"provider": "github", "repository": "acme/ranker", "token_env": "MLDEBT_ACME_CI_TOKEN"}
    with replay({}) as server:
        server.routes.update(github_routes(server.url))
        good = collect({**ci, "api_url": server.url})
        assert {r.headers.get("authorization") for r in server.requests} == {f"Bearer {TOKEN}"}
        server.routes["/repos/acme/ranker/actions/runs"] = lambda r: (
            200,
            {"Link": f'<http://127.0.0.2:9/steal?token={TOKEN}>; rel="next"'},
            {"workflow_runs": []},
        )
        elsewhere = collect({**ci, "api_url": server.url})
        server.routes["/repos/acme/ranker/actions/runs"] = lambda r: (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1795000000"},
            {"message": TOKEN},
        )
        limited = collect({**ci, "api_url": server.url})
    with silent_server() as url:
        slow = collect({**ci, "api_url": url + f"/?token={TOKEN}"})
    assert errors(elsewhere) == [
        ("refusing to send a request to another host: 127.0.0.2:9", f"{server.url}/repos/acme/ranker/actions/runs")
    ]
    everything = [good, elsewhere, limited, slow]
    assert all(TOKEN not in repr(f) for facts in everything for f in facts)
    assert any(f.is_error for f in slow) and any(f.is_error for f in limited)
    out = capsys.readouterr()
    assert TOKEN not in caplog.text and TOKEN not in out.out and TOKEN not in out.err


@pytest.mark.parametrize("ci", [{}, {"provider": "circleci", "repository": "a/b"}, {"provider": "github"}])
def test_nothing_configured_means_no_facts(ci):
    assert collect(ci) == []


def test_a_bad_repository_name_is_an_error_fact():
    assert errors(collect({"provider": "github", "repository": "ranker"})) == [
        ("repository must be owner/name for GitHub, not 'ranker'", None)
    ]


def test_the_collector_produces_only_declared_keys(monkeypatch):
    with replay(gitlab_routes()) as server:
        keys = {
            f.key
            for f in collect({"provider": "gitlab", "repository": "group/sub/proj", "api_url": f"{server.url}/api/v4"})
        }
    assert keys <= set(CIHistoryCollector.keys)
