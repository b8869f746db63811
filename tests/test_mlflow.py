"""MLflow collector against a real tracking server (started and stopped here) and a real file store."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.registries.mlflow import MlflowCollector

from . import mlflow_server
from .conftest import write_files
from .mlflow_populate import EXPECTED, populate

pytestmark = [pytest.mark.server]

TOKEN = "tok-3f9a1c77e2b54d"


def _launch_early() -> mlflow_server.MlflowServer:
    """Launched when this module is collected, the server boots while the test files before it run.

    The ``server`` fixture waits for it and stops it; if no test of this module runs, it is stopped
    when pytest exits.
    """
    root = Path(tempfile.mkdtemp(prefix="mldebt-mlflow-"))
    launched = mlflow_server.launch(root)
    atexit.register(lambda: (mlflow_server.stop(launched), shutil.rmtree(root, ignore_errors=True)))
    return launched


EARLY = _launch_early()


@pytest.fixture(scope="module")
def quiet_mlflow() -> Iterator[None]:
    """MLflow's own client in this process: no telemetry, and the file store allowed."""
    saved = {k: os.environ.get(k) for k in (*mlflow_server.QUIET, "MLFLOW_ALLOW_FILE_STORE")}
    os.environ.update(mlflow_server.QUIET, MLFLOW_ALLOW_FILE_STORE="true")
    yield
    for key, value in saved.items():
        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


@pytest.fixture(scope="module")
def server(quiet_mlflow) -> Iterator[str]:
    try:
        populate(mlflow_server.ready(EARLY).url)
        yield EARLY.url
    finally:
        mlflow_server.stop(EARLY)


@pytest.fixture(scope="module")
def file_store(tmp_path_factory, quiet_mlflow) -> Path:
    project = tmp_path_factory.mktemp("project")
    populate((project / "mlruns").as_uri())
    return project


def collect(root: Path, registries: dict[str, Any] | None = None, as_of: datetime | None = None) -> list:
    sources = {"registries": registries} if registries else {}
    moment = as_of or datetime.now(UTC) + timedelta(days=10)
    return list(MlflowCollector().collect(Snapshot(project="p", root=root, sources=sources, as_of=moment)))


def values(facts: list) -> dict:
    return {f.key: f.value for f in facts if not f.is_error}


def errors(facts: list) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(f.key, f.error, f.path, f.url) for f in facts if f.is_error]


def test_the_registry_of_a_running_server(server, tmp_path):
    facts = collect(tmp_path, {"mlflow_url": server})
    assert errors(facts) == []
    assert values(facts) == {"registry.mlflow.source": "server", **EXPECTED}
    assert [f.url for f in facts if f.key == "registry.mlflow.source"] == [server + "/"]


def test_only_the_models_the_portfolio_names(server, tmp_path):
    facts = collect(tmp_path, {"mlflow_url": server, "models": ["credit-default", "fraud"]})
    assert errors(facts) == [("registry.mlflow.models", "registered model 'fraud' not found", None, server + "/")]
    got = values(facts)
    assert got["registry.mlflow.models"] == ["credit-default"]
    assert (
        got["registry.mlflow.production.rollback_available"],
        got["registry.mlflow.production.quality_compared"],
    ) == (True, True)


def test_the_registry_as_it_stood_before_any_version(server, tmp_path):
    moment = datetime.now(UTC) - timedelta(days=28, hours=12)
    got = values(collect(tmp_path, {"mlflow_url": server}, as_of=moment))
    assert got["registry.mlflow.versions.count"] == 0
    assert got["registry.mlflow.production.versions"] == {}
    assert "registry.mlflow.model_age_days" not in got
    assert got["registry.mlflow.runs.count"] == 2  # the runs started 30, 29 and 28 days ago


def test_the_token_is_sent_but_never_stored(server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    facts = collect(tmp_path, {"mlflow_url": server})
    assert values(facts)["registry.mlflow.versions.count"] == 3
    assert TOKEN not in json.dumps([f.__dict__ for f in facts], default=str)


class Recorder:
    """A loopback server that records the headers it is sent and answers 500, for the token test."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.headers.append(dict(self.headers.items()))
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_failing_server_is_an_error_fact_without_the_token(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    recorder = Recorder()
    try:
        facts = collect(tmp_path, {"mlflow_url": recorder.url})
    finally:
        recorder.close()
    assert recorder.headers[0]["Authorization"] == f"Bearer {TOKEN}"
    assert errors(facts) == [
        (
            "registry.mlflow.models",
            f"MLflow server: HTTP 500 from {recorder.url}/api/2.0/mlflow/registered-models/search",
            None,
            recorder.url + "/",
        )
    ]
    assert values(facts) == {"registry.mlflow.source": "server"}


def test_an_unreachable_server_is_an_error_fact(tmp_path):
    url = f"http://127.0.0.1:{mlflow_server.free_port()}"
    started = time.monotonic()
    facts = collect(tmp_path, {"mlflow_url": url})
    assert time.monotonic() - started < 5
    assert errors(facts) == [
        (
            "registry.mlflow.models",
            f"MLflow server: cannot reach {url}/api/2.0/mlflow/registered-models/search: ConnectionError",
            None,
            url + "/",
        )
    ]


def test_a_bad_server_address_is_an_error_fact(tmp_path):
    assert errors(collect(tmp_path, {"mlflow_url": "ftp://models.example.com"})) == [
        (
            "registry.mlflow.models",
            "MLflow server: not an http(s) URL: ftp://models.example.com",
            None,
            "ftp://models.example.com",
        )
    ]


def test_the_same_registry_from_a_file_store(file_store):
    facts = collect(file_store)
    assert errors(facts) == []
    assert values(facts) == {
        "registry.mlflow.source": "file",
        "registry.mlflow.stores": [{"kind": "file", "path": "mlruns"}],
        **EXPECTED,
    }


def test_a_broken_file_store_is_read_as_far_as_it_goes(file_store, tmp_path):
    import shutil

    project = tmp_path / "p"
    shutil.copytree(file_store, project)
    version = project / "mlruns" / "models" / "churn" / "version-1" / "meta.yaml"
    version.write_text(version.read_text() + "creation_timestamp: 2\n")
    mlmodels = sorted((project / "mlruns").rglob("MLmodel"))
    assert len(mlmodels) == 2
    for mlmodel in mlmodels:  # a link out of the tree is never followed
        mlmodel.unlink()
        mlmodel.symlink_to(file_store / "elsewhere-MLmodel")
    (file_store / "elsewhere-MLmodel").write_text("signature: {inputs: '[1]'}\nsaved_input_example_info: {}\n")
    facts = collect(project)
    assert [(f.key, f.error, f.path, f.line) for f in facts if f.is_error] == [
        (
            "registry.mlflow.models",
            "mlruns/models/churn/version-1/meta.yaml:17:1: creation_timestamp: duplicate key",
            "mlruns/models/churn/version-1/meta.yaml",
            17,
        )
    ]
    got = values(facts)
    assert got["registry.mlflow.versions.per_model"] == {"churn": 0, "credit-default": 2}
    assert got["registry.mlflow.versions.with_signature"] == 0


def test_no_registry_is_one_fact_saying_so(tmp_path):
    write_files(tmp_path, {"train.py": "import mlflow\n"})
    assert [(f.key, f.value, f.is_error) for f in collect(tmp_path)] == [("registry.mlflow.source", None, False)]


def test_the_collector_produces_only_declared_keys(file_store):
    assert {f.key for f in collect(file_store)} <= set(MlflowCollector.keys)


def test_the_production_sample_registry_as_of_mid_november_2026():
    from .conftest import ROOT

    layer = ROOT / "sample_projects" / "credit-risk-prod" / "layers" / "q4-2026-registry"
    facts = collect(layer, as_of=datetime(2026, 11, 15, 23, 59, 59, tzinfo=UTC))
    assert errors(facts) == []
    got = values(facts)
    assert got["registry.mlflow.model_age_days"] == 17  # v3 was registered on 2026-10-29
    assert got["registry.mlflow.production.versions"] == {"credit-default": 3}
    before = values(collect(layer, as_of=datetime(2026, 6, 30, tzinfo=UTC)))
    assert before["registry.mlflow.versions.count"] == 2 and before["registry.mlflow.runs.count"] == 2


def test_credentials_in_the_server_address_are_never_kept(tmp_path):
    url = f"http://alice:pa55word@127.0.0.1:{mlflow_server.free_port()}"
    facts = collect(tmp_path, {"mlflow_url": url})
    assert "pa55word" not in json.dumps([f.__dict__ for f in facts], default=str)
    assert [f.url for f in facts] == [url.replace("alice:pa55word@", "") + "/"] * 2
