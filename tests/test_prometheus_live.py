"""The monitoring collector against a real Prometheus and a real Alertmanager, started and stopped
by the tests on loopback ports, and against servers that are gone or never answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from mldebt.collectors.interface import Fact, Snapshot
from mldebt.collectors.monitoring.collector import MonitoringCollector

from .prometheus_server import alertmanager, free_port, prometheus, wait_for
from .replay_server import silent_server

pytestmark = [pytest.mark.server]

RULES = """groups:
  - name: model-serving
    rules:
      - alert: ModelPredictionsNaN
        expr: vector(1)
        labels: {severity: page, team: ml}
        annotations: {summary: The model returns NaN predictions}
      - alert: ModelLatencyHigh
        expr: vector(1)
        for: 1h
        labels: {severity: ticket, team: ml}
        annotations: {summary: p99 model latency above 300ms}
      - record: model:prediction_drift:ratio
        expr: vector(0.1)
  - name: host
    rules:
      - alert: TargetDown
        expr: up == 0
        for: 5m
"""
ROUTES = """route:
  receiver: blackhole
  routes:
    - matchers: ['team="ml"']
      receiver: ml-oncall
receivers:
  - name: blackhole
  - name: ml-oncall
    webhook_configs: [{url: 'http://127.0.0.1:9/hook'}]
"""


def collect(tmp_path: Path, monitoring: dict, timeout: tuple[float, float] = (1.0, 2.0)) -> list[Fact]:
    snapshot = Snapshot(project="p", root=tmp_path / "empty-tree", sources={"monitoring": monitoring})
    snapshot.root.mkdir(exist_ok=True)
    return list(MonitoringCollector(timeout=timeout).collect(snapshot))


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    base = tmp_path_factory.mktemp("servers")
    with prometheus(base / "prometheus", RULES) as prom_url, alertmanager(base / "alertmanager", ROUTES) as am_url:
        wait_for(
            f"{prom_url}/api/v1/alerts",
            lambda r: (
                {a["labels"]["alertname"] for a in r["data"]["alerts"]} >= {"ModelPredictionsNaN", "ModelLatencyHigh"}
            ),
        )
        yield prom_url, am_url


def test_rules_alerts_and_coverage_from_a_live_prometheus(servers, tmp_path):
    prom_url, _ = servers
    facts = collect(tmp_path, {"prometheus_url": prom_url})
    assert [f for f in facts if f.is_error] == []
    values = {f.key: f for f in facts}
    assert values["monitoring.live.rules"].value == {"groups": 2, "alerts": 3, "records": 1, "unhealthy": []}
    assert values["monitoring.live.rules"].url == prom_url
    live = sorted((a["name"], a["state"]) for a in values["monitoring.live.alerts"].value)
    assert live == [("ModelLatencyHigh", "pending"), ("ModelPredictionsNaN", "firing")]
    coverage = sorted(
        (f.value["concern"], f.value["kind"], f.value["name"], f.url) for f in facts if f.key == "monitoring.coverage"
    )
    assert coverage == [
        ("computing_performance", "live alert", "ModelLatencyHigh", f"{prom_url}/api/v1/rules"),
        ("numerical_stability", "live alert", "ModelPredictionsNaN", f"{prom_url}/api/v1/rules"),
        ("prediction_bias", "live record", "model:prediction_drift:ratio", f"{prom_url}/api/v1/rules"),
    ]
    assert values["monitoring.alerted.numerical_stability"].value is True
    assert values["monitoring.alerted.prediction_bias"].value is False
    assert values["monitoring.watched.prediction_bias"].value is True


def test_live_alerts_routed_through_a_live_alertmanager(servers, tmp_path):
    prom_url, am_url = servers
    facts = collect(tmp_path, {"prometheus_url": prom_url, "alertmanager_url": am_url})
    assert [f for f in facts if f.is_error] == []
    manager = next(f for f in facts if f.key == "monitoring.alertmanager")
    assert (manager.value, manager.url) == (
        {
            "receivers": [
                {"name": "blackhole", "integrations": [], "placeholder": False},
                {"name": "ml-oncall", "integrations": ["webhook"], "placeholder": False},
            ],
            "routes": 2,
            "inhibit_rules": 0,
        },
        am_url,
    )
    routed = sorted(
        (f.value["alert"], f.value["receivers"], f.value["reaches_someone"])
        for f in facts
        if f.key == "monitoring.alertmanager.ml_alerts"
    )
    assert routed == [("ModelLatencyHigh", ["ml-oncall"], True), ("ModelPredictionsNaN", ["ml-oncall"], True)]
    assert next(f.value for f in facts if f.key == "monitoring.alerts_reach_receiver") is True


def test_a_prometheus_that_is_gone_or_silent_is_an_error_fact(tmp_path):
    gone = f"http://127.0.0.1:{free_port()}"
    facts = collect(tmp_path, {"prometheus_url": gone})
    assert [(f.key, f.error, f.url) for f in facts if f.is_error] == [
        ("monitoring.live.error", f"cannot reach {gone}/api/v1/rules: ConnectionError", gone)
    ]
    values = {f.key: f.value for f in facts if not f.is_error}
    assert "monitoring.alerted.model_staleness" not in values  # unknown, not "no"
    with silent_server() as url:
        facts = collect(tmp_path, {"prometheus_url": url, "alertmanager_url": url}, timeout=(0.5, 0.6))
    assert [(f.key, f.error) for f in facts if f.is_error] == [
        ("monitoring.live.error", f"timed out after 1 s: {url}/api/v1/rules"),
        ("monitoring.live.error", f"timed out after 1 s: {url}/api/v2/status"),
    ]


def test_a_reply_that_stalls_after_its_headers_is_an_error_fact(tmp_path):
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        connections = []
        while not stop.is_set():
            listener.settimeout(0.2)
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.recv(4096)
            conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"st')
            connections.append(conn)  # keep it open, send nothing more
        for conn in connections:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        facts = collect(tmp_path, {"prometheus_url": url}, timeout=(0.5, 0.6))
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
    errors = [(f.key, f.error, f.url) for f in facts if f.is_error]
    assert errors == [("monitoring.live.error", f"timed out after 1 s: {url}/api/v1/rules", url)]
    assert any(f.key == "monitoring.concerns.watched" for f in facts)  # the scan went on
