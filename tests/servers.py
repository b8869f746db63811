"""Servers for the tests: a free port, `mldebt serve` and waitress in a thread over a real store, the pushing site
of the push-binding and intake tests, and answers checked against the OpenAPI document."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlite_utils
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from waitress.server import create_server

from mldebt.access import create_token
from mldebt.cli.main import cli
from mldebt.scanning.scans import collect_evidence
from mldebt.sources.portfolio import load_portfolio
from mldebt.store.db import open_db
from mldebt.webapp import create_app

from .builders import SCALE_RUBRIC
from .conftest import GIT_ENV, ROOT, git, write_files

MLDEBT = str(Path(sys.executable).with_name("mldebt"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_until_serving(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read() if server.stderr else "server exited"
        try:
            if get(base + "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("mldebt serve did not start")


DOCUMENT = yaml.safe_load((ROOT / "webapp" / "openapi.yaml").read_text())


@dataclass
class Server:
    url: str
    db_path: Path
    token: str  # push scope
    attest_token: str  # attest scope only


def start_server(tmp_path: Path, **config: object) -> tuple[Server, Callable[[], None]]:
    """A real waitress server over the app in a thread; the second item stops it and every thread it started."""
    db_path = tmp_path / "server.db"
    db = open_db(db_path)
    seed_portfolio(db)
    token, _ = create_token(db, "ci-push", ["push"], team="a")
    attest_token, _ = create_token(db, "ci-attest", ["attest"])
    db.close()
    app = create_app({"DATABASE": str(db_path), "RUBRIC": str(SCALE_RUBRIC), **config})
    sockets: dict = {}  # waitress's socket map: the listener and every open connection
    wsgi = create_server(app, map=sockets, host="127.0.0.1", port=0, threads=4)
    loop = threading.Thread(target=wsgi.run, daemon=True)
    loop.start()

    def stop() -> None:  # no thread may outlive the test: later tests fork only when this process has none
        # closed inside the loop's own thread: the listener, and connections a client left open
        wsgi.trigger.pull_trigger(lambda: [channel.close() for channel in list(sockets.values())])
        loop.join(10)
        wsgi.task_dispatcher.shutdown()
        assert threading.active_count() == 1, [t.name for t in threading.enumerate()]

    return Server(f"http://127.0.0.1:{wsgi.effective_port}", db_path, token, attest_token), stop


def check_answer(path: str, response: requests.Response) -> None:
    """The response matches what the OpenAPI document says of that status."""
    answer = DOCUMENT["paths"][path]["post"]["responses"][str(response.status_code)]
    where = ("paths", path, "post", "responses", str(response.status_code))
    if "$ref" in answer:
        where = ("components", "responses", answer["$ref"].split("/")[-1])
    registry = Registry().with_resource(
        "urn:openapi", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
    )
    pointer = "/".join(
        p.replace("~", "~0").replace("/", "~1") for p in (*where, "content", "application/json", "schema")
    )
    errors = list(
        Draft202012Validator({"$ref": "urn:openapi#/" + pointer}, registry=registry).iter_errors(response.json())
    )
    assert not errors, [e.message for e in errors]


def seed_portfolio(db: sqlite_utils.Database) -> None:
    """The server's portfolio: team a with the projects these tests push (a push may not add them)."""
    db["teams"].insert({"id": "a", "name": "Team A", "owner": None})
    for name in ("p0", "p1", "p2", "repo0"):
        db["projects"].insert({"id": name, "team_id": "a", "name": name, "tags": "[]"})


@dataclass
class Site:
    """A running `mldebt serve` with the portfolio above recorded, and bundles of each project."""

    root: Path
    db_path: Path
    url: str
    bundles: dict[str, dict[str, Any]]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str, *binding: str) -> str:
        """A push token made with `mldebt token create NAME --scope push BINDING...` (made once per name)."""
        if name not in self.tokens:
            result = invoke(self.db_path, "token", "create", name, "--scope", "push", *binding)
            assert result.exit_code == 0, result.output
            self.tokens[name] = result.stdout.strip()
        return self.tokens[name]

    def bundle(self, project: str, **changes: Any) -> dict[str, Any]:
        """A fresh bundle of ``project`` (new scan id); ``changes`` replace keys of its ``project`` part."""
        body = {**self.bundles[project], "scan_id": uuid.uuid4().hex}
        body["project"] = {**body["project"], **changes}
        return body

    def push(self, token: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(
            self.url + "/api/v1/scans", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.db_path) as db:
            return db.execute(sql, params).fetchall()


def start_site(root: Path) -> tuple[Site, subprocess.Popen]:
    """The site, made and started with git and the mldebt cache isolated as the autouse fixture does per test."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**GIT_ENV, "MLDEBT_CACHE": str(root / "cache")}.items():
            patch.setenv(key, value)
        return _start_site(root)


def _start_site(root: Path) -> tuple[Site, subprocess.Popen]:
    make_repos(root, 3)
    (root / "portfolio.yaml").write_text(PORTFOLIO)
    db_path = root / "server.db"
    recorded = invoke(
        db_path,
        "token",
        "create",
        "admin-seed",
        "--scope",
        "push",
        "--project",
        "p0",
        "--portfolio",
        str(root / "portfolio.yaml"),
    )
    assert recorded.exit_code == 0, recorded.output
    portfolio = load_portfolio(root / "portfolio.yaml")
    owners = {team_id: team.get("owner") for team_id, team in portfolio.teams.items()}
    bundles = {p.name: collect_evidence(p, team_owner=owners[p.team_id]).to_json() for p in portfolio.projects}
    process, url = serve(db_path, root / "serve.log")
    return Site(root, db_path, url, bundles, {"admin-seed": recorded.stdout.strip()}), process


PORTFOLIO = """\
portfolio: binding test
teams:
  - name: Team A
    id: a
    owner: lead-a@example.com
    projects:
      - {name: p0, repo: repo0, owner: owner-p0@example.com, description: the first project}
      - {name: p1, repo: repo1}
  - name: Team B
    id: b
    owner: lead-b@example.com
    projects:
      - {name: p2, repo: repo2}
"""


def invoke(db_path: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--db", str(db_path)], catch_exceptions=False)


def make_repos(root: Path, count: int) -> None:
    for i in range(count):
        repo = root / f"repo{i}"
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        write_files(
            repo,
            {
                "pkg/model.py": f"def predict(x):\n    return x + {i}\n",
                "tests/test_model.py": "def test_predict():\n    pass\n",
                "requirements.txt": "numpy==1.26.4\n",
            },
        )
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "first", date="2026-01-01T00:00:00+00:00")


def serve(db_path: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """A real `mldebt serve` on a free port, once it answers /healthz."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MLDEBT_PUSH_TOKEN"}
    env.update(GIT_ENV, MLDEBT_RUBRIC=str(SCALE_RUBRIC))
    process = subprocess.Popen(
        [MLDEBT, "serve", "--port", str(port), "--db", str(db_path)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return process, url
        except requests.ConnectionError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"mldebt serve did not come up: {log.read_text()}")
