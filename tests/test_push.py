"""`mldebt collect --push URL` against a real server: auth, size limit, schema, idempotency, retries."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlite_utils

from mldebt.access import create_token
from mldebt.rubric.schema import load_rubric
from mldebt.scanning.bundle_schema import parse_bundle
from mldebt.scanning.scans import collect_evidence
from mldebt.sources.portfolio import load_portfolio
from mldebt.store.db import open_db

from .builders import SCALE_RUBRIC, build_portfolio, evidence, scan_counts
from .servers import Server, check_answer, seed_portfolio, start_server

pytestmark = [pytest.mark.server]

MLDEBT = str(Path(sys.executable).with_name("mldebt"))
FAST_RETRIES = {"MLDEBT_PUSH_RETRIES": "2", "MLDEBT_PUSH_BACKOFF": "0.05"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    found, stop = start_server(tmp_path)
    yield found
    stop()


def push(
    target: Path, url: str, token: str | None, tmp_path: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "MLDEBT_PUSH_TOKEN"}
    environ.update(env or {})
    if token is not None:
        environ["MLDEBT_PUSH_TOKEN"] = token
    return subprocess.run(
        [MLDEBT, "collect", str(target), "--push", url, "--db", str(tmp_path / "local.db"), *extra],
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
        cwd=tmp_path,
    )


def a_bundle(tmp_path: Path) -> dict:
    tmp_path.mkdir(exist_ok=True)
    portfolio = load_portfolio(build_portfolio(tmp_path, 1, modules=2))
    return collect_evidence(portfolio.projects[0]).to_json()


def post(server: Server, body: object, token: str | None = None, **kwargs: object) -> requests.Response:
    data = kwargs.pop("data", None)
    return requests.post(
        server.url + "/api/v1/scans",
        json=None if data is not None else body,
        data=data,
        headers={
            "Authorization": f"Bearer {token or server.token}",
            **({"Content-Type": "application/json"} if data is not None else {}),
        },
        timeout=30,
        **kwargs,
    )


def test_a_pushed_portfolio_is_scored_and_stored_by_the_server_as_a_local_collect_would(server, tmp_path):
    portfolio = build_portfolio(tmp_path, 3, modules=4)
    result = push(portfolio, server.url, server.token, tmp_path, "--jobs", "2", "--as-of", "2026-06-30")
    assert result.returncode == 0, result.stderr
    lines = sorted(line for line in result.stdout.splitlines())
    assert len(lines) == 3 and all(line.startswith(f"pushed p{i} at ") for i, line in enumerate(lines))
    assert f"to {server.url}/api/v1/scans: scan " in lines[0] and ", ML Test Score 0.0, grade " in lines[0]
    assert not (tmp_path / "local.db").exists()  # nothing local is written
    assert scan_counts(server.db_path) == {"p0": 1, "p1": 1, "p2": 1}

    local = tmp_path / "same.db"
    subprocess.run(
        [MLDEBT, "collect", str(portfolio), "--rubric", str(SCALE_RUBRIC), "--as-of", "2026-06-30", "--db", str(local)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert evidence(server.db_path) == evidence(local)
    db = sqlite_utils.Database(server.db_path)
    assert {r["rubric_hash"] for r in db.query("select rubric_hash from scans")} == {load_rubric(SCALE_RUBRIC).hash}
    assert [(r["id"], r["name"]) for r in db.query("select id, name from teams where id = 'a'")] == [("a", "Team A")]
    assert {r["token"] for r in db.query("select token from pushed_scans")} == {"ci-push"}
    dump = "\n".join(db.iterdump())
    assert server.token not in dump and server.token not in result.stdout + result.stderr


def test_a_retried_push_stores_one_scan_and_another_body_under_its_id_conflicts(server, tmp_path):
    body = a_bundle(tmp_path / "b")
    first = post(server, body)
    assert first.status_code == 201
    check_answer("/api/v1/scans", first)
    again = post(server, json.loads(json.dumps(body, indent=2)))
    assert again.status_code == 200
    check_answer("/api/v1/scans", again)
    assert again.json() == first.json() and again.json()["scan_id"] == body["scan_id"]
    assert scan_counts(server.db_path) == {"p0": 1}

    body["facts"][0]["value"] = "something else"
    conflict = post(server, body)
    assert conflict.status_code == 409
    check_answer("/api/v1/scans", conflict)
    assert conflict.json()["error"]["message"] == (
        f"scan {body['scan_id']} is already stored with other content; a new collection needs a new scan id"
    )
    assert scan_counts(server.db_path) == {"p0": 1}


def test_the_client_retries_until_the_server_is_up(tmp_path):
    """Connection refused, then a real `mldebt serve` comes up on the port: the retried push lands once."""
    repo = tmp_path / "repo0"
    build_portfolio(tmp_path, 1, modules=2)
    db_path = tmp_path / "server.db"
    db = open_db(db_path)
    seed_portfolio(db)
    token, _ = create_token(db, "ci", ["push"], project="repo0")
    db.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "MLDEBT_PUSH_TOKEN"}
    client = subprocess.Popen(
        [MLDEBT, "collect", str(repo), "--push", f"http://127.0.0.1:{port}"],
        env={**env, "MLDEBT_PUSH_TOKEN": token, "MLDEBT_PUSH_RETRIES": "10", "MLDEBT_PUSH_BACKOFF": "0.25"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    serve = None
    try:
        first = client.stderr.readline()  # the first refused attempt, told before the wait
        assert first.startswith(
            f"mldebt: push to http://127.0.0.1:{port}/api/v1/scans: connection refused; retrying in "
        ), first
        serve = subprocess.Popen(
            [MLDEBT, "serve", "--port", str(port), "--db", str(db_path)],
            env={**env, "MLDEBT_RUBRIC": str(SCALE_RUBRIC)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        out, err = client.communicate(timeout=120)
    finally:
        client.kill()
        if serve is not None:
            serve.terminate()
            serve.wait(timeout=30)
    assert client.returncode == 0, err
    assert out.startswith("pushed repo0 at ") and ", ML Test Score " in out
    assert scan_counts(db_path) == {"repo0": 1}
    assert token not in out + err + first


def test_a_bad_token_or_a_missing_scope_is_refused_in_one_line(server, tmp_path):
    repo = tmp_path / "repo0"
    build_portfolio(tmp_path, 1, modules=1)
    bad = push(repo, server.url, "mldebt_not-a-real-token", tmp_path, env=FAST_RETRIES)
    assert bad.returncode == 2
    assert bad.stderr == (
        f"mldebt: error: the server at {server.url}/api/v1/scans refused the push of repo0: "
        "401 the API token is unknown, revoked or expired\n"
    )
    scope = push(repo, server.url, server.attest_token, tmp_path, env=FAST_RETRIES)
    assert scope.returncode == 2
    assert scope.stderr == (
        f"mldebt: error: the server at {server.url}/api/v1/scans refused the push of repo0: "
        "403 token ci-attest lacks the push scope\n"
    )
    missing = push(repo, server.url, None, tmp_path)
    assert missing.returncode == 2
    assert missing.stderr == (
        "mldebt: error: --push needs an API token with the push scope in MLDEBT_PUSH_TOKEN "
        "(made with `mldebt token create NAME --scope push --project PROJECT` on the server)\n"
    )
    assert scan_counts(server.db_path) == {}
    denied = post(server, a_bundle(tmp_path / "b"), token=server.attest_token)
    assert denied.status_code == 403
    check_answer("/api/v1/scans", denied)


def test_a_body_over_the_limit_is_a_413(tmp_path):
    small, stop = start_server(tmp_path, PUSH_MAX_BYTES=3000)
    try:
        repo = tmp_path / "repo0"
        build_portfolio(tmp_path, 1, modules=1)
        result = push(repo, small.url, small.token, tmp_path, env=FAST_RETRIES)
        assert result.returncode == 2
        assert result.stderr.startswith(
            f"mldebt: error: the server at {small.url}/api/v1/scans refused the push "
            "of repo0: 413 the evidence bundle is "
        )
        assert result.stderr.endswith(" bytes; this server takes at most 3000\n")
        chunked = post(small, None, data=(b"x" * 1000 for _ in range(10)))  # no Content-Length: cut off at the limit
        assert chunked.status_code == 413
        check_answer("/api/v1/scans", chunked)
        assert scan_counts(small.db_path) == {}
    finally:
        stop()


@pytest.mark.parametrize(
    "change,problem",
    [
        (lambda b: b["facts"][1].pop("key"), "facts[1].key: required key is missing"),
        (lambda b: b["facts"][0].update(line="seven"), "facts[0].line: expected an integer, got a string"),
        (lambda b: b.update(scan_id="../../etc"), "scan_id: string should match pattern '^[0-9a-f]{32}$'"),
        (lambda b: b["project"].update(name="-rf"), "project.name: string should match pattern "),
        (lambda b: b.update(as_of="last tuesday"), "as_of: input should be a valid datetime"),
        (lambda b: b.update(extra=1), "extra: unknown key"),
    ],
)
def test_a_bundle_off_the_schema_is_a_422_naming_the_field(server, tmp_path, change, problem):
    body = a_bundle(tmp_path / "b")
    change(body)
    response = post(server, body)
    assert response.status_code == 422
    check_answer("/api/v1/scans", response)
    assert any(p.startswith(problem) for p in response.json()["error"]["problems"]), response.json()
    assert scan_counts(server.db_path) == {}


def test_a_body_that_is_not_json_is_a_400(server):
    response = post(server, None, data=b"{not json")
    assert response.status_code == 400
    check_answer("/api/v1/scans", response)
    assert response.json()["error"]["message"].startswith("the request body is not valid JSON: ")


def test_a_dead_server_ends_in_one_clear_line_and_exit_2_with_nothing_written(tmp_path):
    repo = tmp_path / "repo0"
    build_portfolio(tmp_path, 1, modules=1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = push(repo, f"http://127.0.0.1:{port}", "mldebt_whatever", tmp_path, env=FAST_RETRIES)
    assert time.monotonic() - started < 60
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[-1] == (
        f"mldebt: error: cannot push repo0 to http://127.0.0.1:{port}/api/v1/scans: "
        "connection refused (gave up after 3 attempts)"
    )
    assert [line.split(";")[0] for line in lines[:-1]] == [
        f"mldebt: push to http://127.0.0.1:{port}/api/v1/scans: connection refused"
    ] * 2
    assert "Traceback" not in result.stderr and "mldebt_whatever" not in result.stderr
    assert result.stdout == "" and not (tmp_path / "local.db").exists()


def test_push_refuses_options_it_cannot_honour(tmp_path):
    repo = tmp_path / "repo0"
    build_portfolio(tmp_path, 1, modules=1)
    result = push(repo, "ftp://example.com", "mldebt_x", tmp_path)
    assert result.returncode == 2
    assert result.stderr == "mldebt: error: --push 'ftp://example.com': expected the server's http:// or https:// URL\n"
    result = push(repo, "http://127.0.0.1:9", "mldebt_x", tmp_path, "--rubric", str(SCALE_RUBRIC))
    assert result.stderr == (
        "mldebt: error: --push does not take --rubric: the server scores with its own rubric and keeps no local run\n"
    )


def test_a_parsed_bundle_keeps_every_fact_and_its_digest(tmp_path):
    body = a_bundle(tmp_path / "b")
    parsed = parse_bundle(json.loads(json.dumps(body)))
    assert parsed.to_json() == body
    assert parsed.digest() == parse_bundle(body).digest()


def test_the_server_keeps_no_url_credentials_whatever_the_client_sends(server, tmp_path):
    body = a_bundle(tmp_path / "b")
    body["facts"].append(
        {
            "key": "registry.mlflow.url",
            "value": "https://ci-bot:s3cr3t-pw@mlflow.example.com/",
            "collector": "mlflow",
            "url": "https://ci-bot:s3cr3t-pw@mlflow.example.com/api",
        }
    )
    body["project"]["repo"] = "https://ci-bot:s3cr3t-pw@git.example.com/team/p0.git"
    assert post(server, body).status_code == 201
    dump = "\n".join(sqlite_utils.Database(server.db_path).iterdump())
    assert "s3cr3t-pw" not in dump and "ci-bot" not in dump
    assert "https://mlflow.example.com/" in dump  # (the bundle's repo is not stored at all: the server keeps its own)


def test_the_same_bundle_pushed_four_times_at_once_is_stored_once(server, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    body = a_bundle(tmp_path / "b")
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: post(server, body), range(4)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1
    assert scan_counts(server.db_path) == {"p0": 1}


def test_a_server_answering_5xx_is_retried_then_given_up_on(tmp_path):
    """A real 503 (the server's rubric file is broken): each answer retried, then one line and exit 2."""
    broken = tmp_path / "broken-rubric.yaml"
    broken.write_text("rubric: broken\nchecks: 7\n")
    sick, stop = start_server(tmp_path, RUBRIC=str(broken))
    try:
        repo = tmp_path / "repo0"
        build_portfolio(tmp_path, 1, modules=1)
        result = push(repo, sick.url, sick.token, tmp_path, env=FAST_RETRIES)
        assert scan_counts(sick.db_path) == {}
    finally:
        stop()
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert [line.split(";")[0] for line in lines[:-1]] == [f"mldebt: push to {sick.url}/api/v1/scans: answered 503"] * 2
    assert lines[-1].startswith(
        f"mldebt: error: the server at {sick.url}/api/v1/scans refused the push of repo0: "
        f"503 the server's rubric cannot be loaded: {broken}"
    )
    assert lines[-1].endswith(" (gave up after 3 attempts)")
