"""A live Prometheus server's rules and alerts, and a live Alertmanager's configuration, over HTTP.

``GET /api/v1/rules`` lists every rule group the server loaded, with each
rule's health; ``GET /api/v1/alerts`` lists the alerts now pending or firing.
``GET /api/v2/status`` of Alertmanager holds its configuration as YAML text.
Every call goes through ``ApiClient`` (bounded timeouts, same-host only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mldebt.collectors.http import ApiClient, ApiError
from mldebt.collectors.monitoring.alertmanager import AlertmanagerConfig, parse_alertmanager
from mldebt.collectors.monitoring.prometheus_rules import Rule, group_rules


@dataclass
class LiveState:
    rules: list[Rule] = field(default_factory=list)
    groups: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)  # {"name", "state", "active_at"}


def _data(reply: Any, what: str) -> dict[str, Any]:
    data = reply.get("data") if isinstance(reply, dict) else None
    if not isinstance(reply, dict) or reply.get("status") != "success" or not isinstance(data, dict):
        raise ApiError(f"unexpected reply to {what}: status {reply.get('status') if isinstance(reply, dict) else '?'}")
    return data


def read_prometheus(client: ApiClient) -> LiveState:
    state = LiveState()
    groups = _data(client.get_json("api/v1/rules"), "/api/v1/rules").get("groups") or []
    for group in groups:
        if isinstance(group, dict):
            state.groups += 1
            state.rules += group_rules(group, lambda item: None)
    for alert in _data(client.get_json("api/v1/alerts"), "/api/v1/alerts").get("alerts") or []:
        if isinstance(alert, dict) and isinstance(alert.get("labels"), dict):
            state.alerts.append(
                {
                    "name": str(alert["labels"].get("alertname", "")),
                    "state": alert.get("state"),
                    "active_at": alert.get("activeAt"),
                }
            )
    return state


def read_alertmanager(client: ApiClient) -> AlertmanagerConfig:
    reply = client.get_json("api/v2/status")
    original = reply.get("config", {}).get("original") if isinstance(reply, dict) else None
    if not isinstance(original, str):
        raise ApiError("unexpected reply to /api/v2/status: no config.original")
    return parse_alertmanager(original)
