"""Hostile content renders as text, writes need a user or token plus CSRF, and no route reads outside the app."""

from __future__ import annotations

import http.client
import re
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import pytest

from mldebt.rubric.schema import load_rubric
from mldebt.scanning.scans import collect_project, save_portfolio
from mldebt.sources.portfolio import Portfolio, Project
from mldebt.store.db import open_db, to_json

from .browser import served, sign_in
from .conftest import git

EVIL_PROJECT = "<script>alert('project')"
EVIL_TEAM = '<script>alert("team")</script>'
EVIL_PATH = "<script>alert('path')</script>.py"
EVIL_COMMIT = "<script>alert('commit')</script> fix the model"


@pytest.fixture
def hostile(store_path, make_repo, tmp_path):
    """A real repository with a hostile file name and commit message, collected under hostile names."""
    repo = make_repo("evil", [("2026-01-10T10:00:00+00:00", {"train.py": "x = 1\n", "requirements.txt": "pandas\n"})])
    (repo / "<script>alert(1)<x>.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", EVIL_COMMIT, date="2026-02-10T10:00:00+00:00")
    project = Project(
        name=EVIL_PROJECT,
        team_id="evil",
        team_name=EVIL_TEAM,
        repo=str(repo),
        is_url=False,
        subpath=None,
        ref=None,
        owner="<b>owner</b>",
        description="<script>alert('description')</script>",
        tags=("<script>alert('tag')</script>",),
        sources={},
    )
    db = open_db(store_path)
    save_portfolio(
        db, Portfolio(name="evil", path=None, teams={"evil": {"name": EVIL_TEAM, "owner": None}}, projects=(project,))
    )
    rubric = load_rubric()
    collect_project(db, project, rubric, datetime(2026, 1, 31, tzinfo=UTC))
    latest = collect_project(db, project, rubric, datetime(2026, 11, 20, tzinfo=UTC))
    db["evidence"].insert_all(
        [
            {
                "scan_id": latest.scan_id,
                "key": "repo.deps.lockfiles.origin",
                "value": to_json({"commit_message": EVIL_COMMIT}),
                "type": "dict",
                "collector": "repo",
                "path": EVIL_PATH,
                "line": 3,
                "url": "javascript:alert('url')",
            },
            {
                "scan_id": latest.scan_id,
                "key": "repo.error",
                "value": "null",
                "type": "null",
                "collector": "repo",
                "path": EVIL_PATH,
                "error": "<script>alert('error')</script> could not be read",
            },
        ]
    )
    db["attestations"].insert(
        {
            "project_id": EVIL_PROJECT,
            "question": "feedback_loops",
            "answer": EVIL_COMMIT,
            "link": "javascript:alert('link')",
            "attested_by": "<i>x</i>",
            "attested_on": "2026-11-01",
            "expires_on": "2027-05-01",
            "source": "db",
            "recorded_at": "2026-11-01T00:00:00+00:00",
        }
    )
    db.close()
    return quote(EVIL_PROJECT, safe="")


def hostile_pages(name: str) -> list[str]:
    return [
        "/",
        "/teams/evil",
        f"/projects/{name}",
        f"/projects/{name}/checks/deps-pinned",
        "/checks/deps-pinned",
        f"/projects/{name}/compare",
        "/backlog",
        "/backlog?team=evil",
        "/compare?from=2026Q1&to=2026Q4",
        f"/projects/{name}/checks/notebooks-out-of-production",
    ]


def test_hostile_names_paths_and_commit_messages_render_escaped(client, hostile):
    seen = set()
    for url in hostile_pages(hostile):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert not re.search(r"<script|<b>owner|<i>x|(href|src|action)\s*=\s*[\"']?\s*javascript:", body, re.I), url
        seen |= {
            marker
            for marker in (
                "&lt;script&gt;alert(&#39;project&#39;)",
                "&lt;script&gt;alert(&#34;team&#34;)",
                "&lt;script&gt;alert(&#39;path&#39;)&lt;/script&gt;.py:3",
                "&lt;script&gt;alert(&#39;commit&#39;)",
                "&lt;script&gt;alert(&#39;error&#39;)",
                "&lt;script&gt;alert(&#39;description&#39;)",
                "&lt;script&gt;alert(&#39;tag&#39;)",
            )
            if marker in body
        }
    assert len(seen) == 7, seen
    evidence = client.get(f"/projects/{hostile}/checks/deps-pinned").get_data(as_text=True)
    assert "<code>javascript:alert(&#39;url&#39;)</code>" in evidence  # shown as evidence, never as a link


def test_hostile_content_in_json_and_csv_stays_data(client, hostile):
    data = client.get(f"/api/v1/projects/{hostile}").get_json()
    assert data["project"] == EVIL_PROJECT and data["team"] == EVIL_TEAM
    response = client.get("/backlog.csv?team=evil")
    assert response.mimetype == "text/csv" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == 'attachment; filename="mldebt-backlog.csv"'


def test_every_response_forbids_scripts_and_framing(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "frame-ancestors 'none'" in policy


def test_a_csv_cell_that_a_spreadsheet_would_run_is_quoted(client, store_path):
    db = open_db(store_path)
    db["teams"].update("research", {"name": '=HYPERLINK("http://evil")'})
    db.close()
    body = client.get("/backlog.csv?team=research").get_data(as_text=True)
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body


TRAVERSALS = [
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..\\..\\etc\\passwd",
    "....//....//etc/passwd",
    "%252e%252e%252fetc%252fpasswd",
    "..",
]


def routes_with_variables(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules() if rule.arguments and "GET" in rule.methods})


def test_path_traversal_in_any_route_is_refused(app, client, store_path):
    sign_in(client, store_path)  # so that the forms' routes look the project up instead of asking to sign in
    leaks = ("root:", "[build-system]", "import sqlite", "SQLite format")
    for rule in routes_with_variables(app):
        for payload in TRAVERSALS:
            url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", lambda _, payload=payload: payload, rule)
            response = client.get(url)
            body = response.get_data(as_text=True)
            assert response.status_code in (400, 404), f"{url}: {response.status_code}"
            assert not any(leak in body for leak in leaks), url


def test_path_traversal_against_the_real_server(store_path):
    with served(store_path) as base:
        host = urlsplit(base)
        for raw in (
            "/static/../../../../etc/passwd",
            "/static/..%2f..%2f..%2fpyproject.toml",
            "/static/%2e%2e/%2e%2e/mldebt/store.py",
            "/projects/..%2f..%2fetc%2fpasswd",
            "/static/mldebt.css/../../../pyproject.toml",
        ):
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
            conn.putrequest("GET", raw, skip_accept_encoding=True)
            conn.endheaders()
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
            conn.close()
            assert response.status in (400, 404), f"{raw}: {response.status}"
            assert "root:" not in body and "[build-system]" not in body and "import sqlite" not in body
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        conn.request("GET", "/static/mldebt.css")
        assert conn.getresponse().status == 200
        conn.close()


@pytest.mark.parametrize("name", ["MLDEBT_PROXY_HOPS", "MLDEBT_PAGE_CACHE"])
def test_a_count_setting_that_is_not_a_number_is_one_clear_error(store_path, monkeypatch, name):
    from mldebt.errors import InputError
    from mldebt.webapp import create_app

    monkeypatch.setenv(name, "two")
    with pytest.raises(InputError, match=rf"^{name}='two': expected a whole number of 0 or more$"):
        create_app({"DATABASE": str(store_path), "TESTING": True})
