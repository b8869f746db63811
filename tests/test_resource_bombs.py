"""Resource bombs (issue 15 item 6): a tiny hostile file costs the facts of that file, never the scan.

A ~400-byte YAML alias bomb ("billion laughs") stands for 387 million values;
walked naively it took over a minute and gigabytes. Deeply nested TOML, JSON or
YAML exhausts the recursion limit (or, in libyaml, the C stack). Each is
planted in a real repository (the credit-risk sample, built with git), scanned
through the store as `mldebt collect` does, and compared with the same
repository without it. The web API answers such bodies with a 4xx.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from flask import request

from mldebt.rubric.schema import load_rubric
from mldebt.scanning.scans import collect_project, facts_of, save_portfolio
from mldebt.sources.portfolio import single_repository
from mldebt.store.db import open_db
from mldebt.webapp import create_app
from scripts.samples import build_repo

from .conftest import GIT_ENV, ROOT, git
from .servers import start_server

pytestmark = [pytest.mark.slow]

MLDEBT = str(Path(sys.executable).with_name("mldebt"))
EXPERIMENT = "mlruns/371928465012837461"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs: each line names its anchor ``width`` times; ``width ** levels`` values in all."""
    names = "abcdefghijklmnopqrstuvwxyz"
    lines = [f"{names[0]}: &{names[0]} [" + ",".join(['"x"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"{names[level]}: &{names[level]} [" + ",".join([f"*{names[level - 1]}"] * width) + "]")
    return "\n".join(lines) + "\n"


BOMB = alias_bomb()
FEATURE_STORE = "project: credit\nprovider: local\nregistry: data/registry.db\nonline_store: {type: sqlite}\n"
# Each hostile file, and the collectors that read it: only their facts may be lost.
READERS = {
    "params.yaml": {"dvc", "repo"},
    "dvc.yaml": {"dvc", "repo"},
    ".mldebt/attestations.yaml": {"attest"},
    "features/feature_store.yaml": {"feast"},
    f"{EXPERIMENT}/meta.yaml": {"mlflow"},
    "mlruns/models/credit-default/version-1/meta.yaml": {"mlflow"},
    ".github/workflows/ci.yml": {"ci_config"},
    "monitoring/alerts.yml": {"monitoring"},
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The credit-risk sample as a git repository, with a Feast repository added."""
    repo = tmp_path_factory.mktemp("sample") / "credit"
    with pytest.MonkeyPatch.context() as env:
        for key, value in GIT_ENV.items():
            env.setenv(key, value)
        build_repo(ROOT / "sample_projects" / "credit-risk-prod", repo)
        (repo / "features").mkdir()
        (repo / "features" / "feature_store.yaml").write_text(FEATURE_STORE)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "feature repository", date="2026-11-20T10:00:00+00:00")
    return repo


def variant(sample: Path, where: Path, files: dict[str, str], *, append: bool = False) -> Path:
    """A copy of the sample with ``files`` written (or appended to what is there), in one more commit."""
    repo = where
    shutil.copytree(sample, repo, symlinks=True)
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        before = (repo / rel).read_text() + "\n" if append and (repo / rel).exists() else ""
        (repo / rel).write_text(before + text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "change", date="2026-11-21T10:00:00+00:00")
    return repo


def scan(db, repo: Path) -> tuple[list, str, float]:
    """Facts of a full scan through the store, its id, and how long it took."""
    portfolio = single_repository(repo)
    save_portfolio(db, portfolio)
    started = time.monotonic()
    summary = collect_project(db, portfolio.projects[0], load_rubric())
    return facts_of(db, summary.scan_id), summary.scan_id, time.monotonic() - started


def kept(facts: list, collectors: set[str] | None = None) -> Counter:
    """Non-error fact keys (of the named collectors, or of every other one when ``collectors`` is None)."""
    return Counter(f.key for f in facts if not f.is_error and (collectors is None or f.collector in collectors))


def crashed(facts: list) -> list:
    """Facts saying a whole collector failed (``<name>.error``), which a bad file must never cause."""
    return [f for f in facts if f.is_error and f.key.endswith(".error") and not f.key.startswith("ci.history")]


@pytest.fixture(scope="module")
def baseline(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> list:
    where = tmp_path_factory.mktemp("baseline")
    with pytest.MonkeyPatch.context() as env:
        for key, value in GIT_ENV.items():
            env.setenv(key, value)
        env.setenv("MLDEBT_CACHE", str(where / "cache"))
        db = open_db(where / "base.db")
        try:
            facts, _, _ = scan(db, variant(sample, where / "base", {}))
        finally:
            db.close()
    assert not [f for f in facts if f.is_error], "the sample scans cleanly"
    assert {c for readers in READERS.values() for c in readers} <= {f.collector for f in facts}
    return facts


@pytest.mark.parametrize("rel", sorted(READERS))
def test_an_alias_bomb_costs_only_the_facts_of_its_file(rel, sample, baseline, db, tmp_path):
    """The file keeps what it held (so it is still recognised for what it is), and the bomb is added to it."""
    facts, _, took = scan(db, variant(sample, tmp_path / "bombed", {rel: BOMB}, append=True))
    assert took < 10, f"the scan took {took:.1f} s"
    refused = [f for f in facts if f.is_error and f.path == rel]
    assert refused and all("alias" in f.error for f in refused), [(f.key, f.path, f.error) for f in facts if f.is_error]
    assert not crashed(facts), crashed(facts)
    others = {f.collector for f in baseline} - READERS[rel]
    assert kept(facts, others) == kept(baseline, others)  # every other collector's facts stand
    assert sum(kept(facts).values()) >= sum(kept(baseline).values()) - sum(kept(baseline, READERS[rel]).values())


DEEP = {
    "pyproject.toml": "a = " + "[" * 10_000 + "]" * 10_000 + "\n",  # about 20 KB
    "notebooks/deep.ipynb": "[" * 100_000 + "]" * 100_000,
    "monitoring/deep-dashboard.json": '{"title": "Drift", "panels": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "params.yaml": "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "coverage.json": '{"totals": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "Pipfile.lock": '{"default": ' + "[" * 100_000 + "]" * 100_000 + "}",
}


@pytest.mark.parametrize("rel", sorted(DEEP))
def test_a_deeply_nested_file_costs_only_its_own_facts(rel, sample, baseline, db, tmp_path):
    facts, _scan_id, took = scan(db, variant(sample, tmp_path / "deep", {rel: DEEP[rel]}))
    assert took < 10, f"the scan took {took:.1f} s"
    assert not crashed(facts), [(f.key, f.error) for f in crashed(facts)]
    refused = {(f.key, f.error) for f in facts if f.is_error and f.path == rel}
    assert refused and all("deep" in error or "JSONDecodeError" in error for _, error in refused), refused


def decided(db, scan_id: str) -> dict[str, str]:
    return {
        r["check_id"]: r["status"]
        for r in db.query("select check_id, status from results where scan_id = ?", [scan_id])
    }


def test_a_nested_pyproject_leaves_every_check_decided_as_without_it(sample, db, tmp_path):
    """About 30 checks turned unknown when tomllib's RecursionError ended the repo and deps collectors."""
    _, without, _ = scan(db, variant(sample, tmp_path / "plain", {}))
    facts, nested, _ = scan(db, variant(sample, tmp_path / "nested", {"pyproject.toml": DEEP["pyproject.toml"]}))
    assert decided(db, nested) == decided(db, without)
    assert {f.path for f in facts if f.is_error} == {"pyproject.toml"}


def test_yaml_nested_past_the_c_stack_is_an_error_fact_not_a_crash(sample, tmp_path):
    """libyaml composes in C: 60,000 nested brackets in a workflow file crashed `mldebt collect` (SIGSEGV)."""
    deep = "deep: " + "[" * 60_000 + "]" * 60_000 + "\n"
    repo = variant(
        sample, tmp_path / "ci", {".github/workflows/ci.yml": deep, "monitoring/alerts.yml": deep}, append=True
    )
    store = tmp_path / "store.db"
    env = {**os.environ, **GIT_ENV, "MLDEBT_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(
        [MLDEBT, "collect", str(repo), "--db", str(store)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, (result.returncode, result.stderr)
    with sqlite3.connect(store) as conn:
        errors = conn.execute("select key, path, error from evidence where error is not null").fetchall()
    paths = {path for _, path, _ in errors}
    assert {".github/workflows/ci.yml", "monitoring/alerts.yml"} <= paths, errors
    assert all("deeper than 100 levels" in error for _, path, error in errors if path.endswith(".yml")), errors


def test_an_alias_bomb_portfolio_is_one_clear_error(run, tmp_path):
    (tmp_path / "repo").mkdir()
    portfolio = tmp_path / "portfolio.yaml"
    portfolio.write_text("portfolio: bomb\n" + BOMB)
    started = time.monotonic()
    result = run("collect", str(portfolio))
    assert time.monotonic() - started < 5
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        f"mldebt: error: {portfolio}:7:8: YAML refused: its aliases stand for more than 100,000 values (an alias bomb?)"
    ]


def test_an_alias_bomb_rubric_is_one_clear_error(run, tmp_path):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(BOMB)
    started = time.monotonic()
    result = run("score", "--rubric", str(rubric))
    assert time.monotonic() - started < 5
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        f"mldebt: error: {rubric}:6:8: YAML refused: its aliases stand for more than 100,000 values (an alias bomb?)"
    ]


@pytest.fixture
def web(tmp_path: Path):
    server, stop = start_server(tmp_path)
    yield server
    stop()


def _post(url: str, token: str, body: bytes, kind: str = "application/json") -> requests.Response:
    return requests.post(url, data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": kind}, timeout=60)


DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
LINE = b'"' + b"x" * (10 * 1024 * 1024) + b'"'  # one 10 MB line: a JSON string


@pytest.mark.parametrize(
    "body,push,attest",
    [
        (DEEP_JSON, 400, 400),
        (b'{"project": ' + DEEP_JSON + b"}", 400, 400),
        (LINE, 422, 413),  # the push limit is 16 MB: a JSON string is not a bundle; other writes take 1 MB
        (b"x" * (10 * 1024 * 1024), 400, 413),
    ],
    ids=["deep-array", "deep-in-object", "10MB-string", "10MB-garbage"],
)
def test_hostile_bodies_get_a_4xx_never_a_500(web, body, push, attest):
    """A real server: bodies nested past the recursion limit, and one 10 MB line, to the push and attest routes."""
    pushed = _post(f"{web.url}/api/v1/scans", web.token, body)
    attested = _post(f"{web.url}/api/v1/projects/reco/attestations", web.attest_token, body)
    assert (pushed.status_code, attested.status_code) == (push, attest), (pushed.text[:300], attested.text[:300])
    for response in (pushed, attested):
        assert response.json()["error"]["status"] == response.status_code
    assert requests.get(f"{web.url}/healthz", timeout=10).status_code == 200  # and the server is still up


def test_only_a_recursion_error_while_decoding_json_is_the_clients_fault(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "store.db")})
    app.add_url_rule("/api/v1/deep", "deep", lambda: json.loads(request.get_data()) and "", methods=["POST"])
    app.add_url_rule("/api/v1/bug", "bug", lambda: _recurse(), methods=["POST"])
    client = app.test_client()
    deep = client.post("/api/v1/deep", data=DEEP_JSON)
    assert (deep.status_code, deep.get_json()["error"]["message"]) == (
        400,
        "the request body is not valid JSON: nested too deeply to read",
    )
    assert client.post("/api/v1/bug", data=b"{}").status_code == 500  # a bug of ours stays a 500


def _recurse() -> None:
    _recurse()


SOURCES = [p for folder in ("mldebt", "collectors", "rubric", "webapp") for p in (ROOT / folder).rglob("*.py")]
YAML_CALL = re.compile(
    r"\byaml\.(safe_load|load|load_all|safe_load_all|full_load|unsafe_load|compose|compose_all"
    r"|parse|C?SafeLoader|C?Loader|C?FullLoader|C?UnsafeLoader|C?BaseLoader|CParser)\("
)
TRUSTED_YAML = {"webapp/api.py"}  # reads the OpenAPI document shipped inside the package, never a user's file


def test_every_yaml_and_toml_text_goes_through_a_bounded_loader():
    """The limits hold only if nothing parses YAML or TOML around them (mldebt.yamlfile, mldebt.nested)."""
    found = []
    for path in SOURCES:
        rel = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if rel != "mldebt/yamlfile.py" and rel not in TRUSTED_YAML and YAML_CALL.search(line):
                found.append(f"{rel}:{number}: {line.strip()}")
            if rel != "mldebt/nested.py" and re.search(r"\btomllib\.loads?\(", line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_a_server_answering_deeply_nested_json_is_an_api_error_not_a_crash():
    """A hostile MLflow, Prometheus or CI API: its reply nested past the stack is "not JSON" like any garbage."""
    import http.server
    import threading

    from mldebt.collectors.http import ApiClient, ApiError

    class Deep(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"[" * 200_000 + b"]" * 200_000
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))  # read the query first, as a server does
            self.do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Deep)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = ApiClient(f"http://127.0.0.1:{server.server_address[1]}/")
        with pytest.raises(ApiError, match="not JSON"):
            client.get_json("api/2.0/mlflow/experiments/search")
        with pytest.raises(ApiError, match="not JSON"):
            client.post_json("api/2.0/mlflow/runs/search", {"max_results": 1})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
