"""`mldebt export github`: the backlog synced to a repository's issues, and its dry run, against GitHub's REST API
as documented (list, create and update issues) served on loopback by a small stand-in that records every request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from click.testing import CliRunner

from mldebt.cli.main import cli

from .replay_server import Loopback

REPO = "acme/ml"
TOKEN = "ghp_test_token_never_printed"


class FakeGitHub:
    """The issues of one repository, as GitHub's REST API lists, creates and updates them; every request kept."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        self.issues = {i["number"]: i for i in issues}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers
        github = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                github.requests.append((self.command, parts.path, {k.lower(): v for k, v in self.headers.items()}))
                size = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(size)) if size else None
                base = f"/repos/{REPO}/issues"
                if self.command == "GET" and parts.path == base:
                    query = parse_qs(parts.query)
                    per_page, page = int(query["per_page"][0]), int(query["page"][0])
                    labelled = [i for _, i in sorted(github.issues.items()) if _labelled(i, query["labels"][0])]
                    return self._answer(200, labelled[(page - 1) * per_page : page * per_page])
                if self.command == "POST" and parts.path == base:
                    number = max(github.issues, default=0) + 1
                    made = {"number": number, "state": "open", "title": body["title"], "body": body["body"]}
                    made["labels"] = [{"name": n} for n in body["labels"]]
                    github.issues[number] = made
                    return self._answer(201, made)
                if self.command == "PATCH" and parts.path.startswith(base + "/"):
                    found = github.issues[int(parts.path.rsplit("/", 1)[1])]
                    found.update({k: v for k, v in body.items() if k != "labels"})
                    if "labels" in body:
                        found["labels"] = [{"name": n} for n in body["labels"]]
                    return self._answer(200, found)
                return self._answer(404, {"message": "Not Found"})

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.loopback = Loopback(Handler)
        self.url = self.loopback.url

    def stop(self) -> None:
        self.loopback.stop()


def _labelled(issue: dict[str, Any], label: str) -> bool:
    return label in {x["name"] for x in issue["labels"]}


@contextmanager
def fake_github(issues: list[dict[str, Any]]) -> Iterator[FakeGitHub]:
    server = FakeGitHub(issues)
    try:
        yield server
    finally:
        server.stop()


def sync(db: Path, server: FakeGitHub, *args: str):
    return CliRunner(env={"GITHUB_TOKEN": TOKEN, "GH_TOKEN": None}).invoke(
        cli, ["export", "github", "--repo", REPO, "--api-url", server.url, *args, "--db", str(db)]
    )


def backlog(db: Path, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["export", "backlog", "--format", "github", *args, "--db", str(db)])
    return json.loads(result.output)


def marked(number: int, item: str, title: str, state: str = "open", team: str = "growth", **more: Any) -> dict:
    body = f"old text\n\n<!-- mldebt-item: {item} -->\n"
    labels = [{"name": n} for n in ("mldebt", f"team:{team}")]
    return {"number": number, "title": title, "body": body, "state": state, "labels": labels, **more}


def existing(sample_db: Path) -> list[dict[str, Any]]:
    """Issues made by an earlier sync: one of an open item (now stale), one of an item paid down since (open),
    a pull request and a hand-made issue that carry the label, and 120 others (so the list takes two pages)."""
    first = backlog(sample_db)[0]
    return [
        marked(1, "MLD-252003eb8e", first["title"]),  # its body is stale: an update
        marked(2, "MLD-0000000000", "[MLD-0000000000] fraud-kaggle: a check met since"),  # paid down: a close
        marked(3, "MLD-aaaaaaaaaa", "a pull request", pull_request={"url": "x"}),  # never touched
        {"number": 4, "title": "by hand", "body": "no marker", "state": "open", "labels": [{"name": "mldebt"}]},
        *(
            {"number": 10 + n, "title": f"other {n}", "body": "", "state": "closed", "labels": [{"name": "mldebt"}]}
            for n in range(120)
        ),
    ]


def test_a_dry_run_lists_what_it_would_do_and_sends_only_reads(sample_db):
    with fake_github(existing(sample_db)) as server:
        before = json.dumps(server.issues, sort_keys=True)
        result = sync(sample_db, server, "--dry-run")
        assert result.exit_code == 0, result.output
        assert {method for method, _, _ in server.requests} == {"GET"}
        assert [path for _, path, _ in server.requests] == [f"/repos/{REPO}/issues"] * 2  # two pages
        assert json.dumps(server.issues, sort_keys=True) == before
    lines = result.output.splitlines()
    assert lines[0] == f"dry run on {REPO}, nothing sent: 12 to create, 1 to update, 1 to close"
    assert lines[1:3] == [  # in priority order, then the closes
        "would update #1: [MLD-252003eb8e] fraud-kaggle: Dependency changes result in notification (body, labels)",
        "would create: [MLD-a30bb88c0b] churn-notebooks: Dependency changes result in notification",
    ]
    assert lines[-1] == "would close #2: [MLD-0000000000] fraud-kaggle: a check met since"
    assert len(lines) == 1 + 12 + 1 + 1
    assert TOKEN not in result.output
    assert all(headers["authorization"] == f"Bearer {TOKEN}" for _, _, headers in server.requests)


def test_a_sync_creates_updates_and_closes_then_has_nothing_left_to_do(sample_db):
    with fake_github(existing(sample_db)) as server:
        result = sync(sample_db, server)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[0] == f"{REPO}: 12 created, 1 updated, 1 closed"
        writes = [(m, p) for m, p, _ in server.requests if m != "GET"]
        assert writes.count(("POST", f"/repos/{REPO}/issues")) == 12
        assert sorted(w for w in writes if w[0] == "PATCH") == [
            ("PATCH", f"/repos/{REPO}/issues/1"),
            ("PATCH", f"/repos/{REPO}/issues/2"),
        ]
        wanted = {i["title"]: i for i in backlog(sample_db)}
        made = [i for i in server.issues.values() if "mldebt-item" in i["body"] and "pull_request" not in i]
        open_ones = [i for i in made if i["state"] == "open"]
        assert sorted(i["title"] for i in open_ones) == sorted(wanted)  # one issue per open item, no duplicate
        assert all(i["body"] == wanted[i["title"]]["body"] for i in open_ones)
        assert (server.issues[2]["state"], server.issues[2]["state_reason"]) == ("closed", "completed")
        assert server.issues[3] == existing(sample_db)[2] and server.issues[4]["state"] == "open"

        again = sync(sample_db, server, "--dry-run")
        assert again.output == f"dry run on {REPO}, nothing sent: 0 to create, 0 to update, 0 to close\n"


def test_a_team_sync_closes_only_that_teams_issues(sample_db):
    issues = [marked(2, "MLD-0000000000", "paid down, growth"), marked(5, "MLD-1111111111", "other", team="risk")]
    with fake_github(issues) as server:
        result = sync(sample_db, server, "--team", "growth", "--dry-run")
    assert result.exit_code == 0, result.output
    closes = [line for line in result.output.splitlines() if line.startswith("would close")]
    assert closes == ["would close #2: paid down, growth"]


def test_a_sync_without_a_token_or_with_a_bad_repository_is_one_line_and_exit_2(sample_db):
    with fake_github([]) as server:
        result = CliRunner(env={"GITHUB_TOKEN": None, "GH_TOKEN": None}).invoke(
            cli, ["export", "github", "--repo", REPO, "--api-url", server.url, "--db", str(sample_db)]
        )
        assert {m for m, _, _ in server.requests} == {"GET"}
    assert result.exit_code == 2
    assert result.output == (
        "mldebt: error: set GITHUB_TOKEN or GH_TOKEN to a token that may write issues (or use --dry-run)\n"
    )
    bad = CliRunner().invoke(cli, ["export", "github", "--repo", "acme", "--db", str(sample_db)])
    assert (bad.exit_code, bad.output) == (
        2,
        "mldebt: error: repository 'acme': expected OWNER/NAME, such as acme/ranker\n",
    )
    plain = CliRunner().invoke(
        cli, ["export", "github", "--repo", REPO, "--api-url", "http://github.example.com", "--db", str(sample_db)]
    )
    assert plain.exit_code == 2 and "must be an https:// URL" in plain.output
