"""Alertmanager routing: which receiver an alert ends at, and whether that receiver reaches anyone.

Routing follows Alertmanager's rules: an alert enters at the root route, goes
down the first child route that matches (``matchers``, or the older ``match``
and ``match_re``), keeps looking at later siblings only when a route says
``continue: true``, and ends at the deepest matching route's receiver (a route
without one inherits its parent's). A receiver reaches someone when it has at
least one integration (email, Slack, webhook, PagerDuty, ...) whose settings
are not placeholders such as ``https://hooks.slack.com/services/...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mldebt.collectors.repo.configfiles import ConfigError, line_of, load_yaml, scalar, scalars

MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(.*?))\s*$')
PLACEHOLDER = re.compile(r"\.\.\.|<[^>]*>|example\.(com|org)|changeme|xxx+|your[-_ ]", re.I)
MAX_DEPTH = 20


@dataclass
class Receiver:
    name: str
    integrations: list[str]  # e.g. ["slack"], from slack_configs
    placeholder: bool  # an address, URL or key of its integrations is a placeholder
    line: int | None

    @property
    def reaches_someone(self) -> bool:
        return bool(self.integrations) and not self.placeholder


@dataclass
class AlertmanagerConfig:
    route: dict[Any, Any]  # the YAML's top route, as written
    receivers: dict[str, Receiver]
    inhibit_rules: int

    def route_alert(self, labels: dict[str, str]) -> list[str]:
        """The receivers an alert with ``labels`` is sent to."""
        found: list[str] = []
        _route(self.route, labels, scalar(self.route.get("receiver")) or "", found, 0)
        return found or [scalar(self.route.get("receiver")) or ""]

    def reaches(self, labels: dict[str, str]) -> bool:
        return any(
            self.receivers.get(name, Receiver(name, [], True, None)).reaches_someone
            for name in self.route_alert(labels)
        )


def looks_like_alertmanager(text: str) -> bool:
    return "receivers:" in text and "route:" in text


def parse_alertmanager(text: str) -> AlertmanagerConfig:
    data = load_yaml(text)
    if not isinstance(data, dict) or not isinstance(data.get("route"), dict):
        raise ConfigError("not an Alertmanager configuration: no 'route' mapping", line_of(data, default=1))
    receivers: dict[str, Receiver] = {}
    listed = data.get("receivers")
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict) or scalar(item.get("name")) is None:
            continue
        configs = {
            k[: -len("_configs")]: v
            for k, v in item.items()
            if isinstance(k, str) and k.endswith("_configs") and isinstance(v, list) and v
        }
        endpoints = [
            str(value)
            for entries in configs.values()
            for entry in entries
            if isinstance(entry, dict)
            for key, value in entry.items()
            if isinstance(value, str) and str(key).endswith(("url", "key", "to"))
        ]
        receivers[str(item["name"])] = Receiver(
            name=str(item["name"]),
            integrations=sorted(configs),
            line=line_of(item),
            placeholder=any(PLACEHOLDER.search(e) for e in endpoints),
        )
    return AlertmanagerConfig(
        route=data["route"],
        receivers=receivers,
        inhibit_rules=len(inhibit) if isinstance(inhibit := data.get("inhibit_rules"), list) else 0,
    )


def matchers_of(route: dict[Any, Any]) -> list[tuple[str, str, str]]:
    """A route's matchers as (label, operator, value), from every syntax Alertmanager accepts."""
    found: list[tuple[str, str, str]] = []
    found += [(key, "=", value) for key, value in scalars(route.get("match")).items()]
    found += [(key, "=~", value) for key, value in scalars(route.get("match_re")).items()]
    for text in route.get("matchers") or [] if isinstance(route.get("matchers"), list) else []:
        if not isinstance(text, str):
            continue
        for part in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", text.strip().strip("{}")):
            match = MATCHER.match(part)
            if match:
                value = match.group(3) if match.group(3) is not None else match.group(4)
                found.append((match.group(1), match.group(2), value.replace('\\"', '"')))
    return found


def _matches(route: dict[Any, Any], labels: dict[str, str]) -> bool:
    for label, op, value in matchers_of(route):
        actual = labels.get(label, "")
        try:
            hit = re.fullmatch(value, actual) is not None if op in ("=~", "!~") else actual == value
        except re.error:
            return False
        if hit != (op in ("=", "=~")):
            return False
    return True


def _route(route: dict[Any, Any], labels: dict[str, str], receiver: str, found: list[str], depth: int) -> bool:
    receiver = scalar(route.get("receiver")) or receiver
    matched_child = False
    for child in route.get("routes") or [] if depth < MAX_DEPTH else []:
        if isinstance(child, dict) and _matches(child, labels):
            matched_child = True
            _route(child, labels, receiver, found, depth + 1)
            if not child.get("continue"):
                break
    if not matched_child and receiver not in found:
        found.append(receiver)
    return True


def describe(config: AlertmanagerConfig) -> dict[str, Any]:
    return {
        "receivers": [
            {"name": r.name, "integrations": r.integrations, "placeholder": r.placeholder}
            for r in config.receivers.values()
        ],
        "routes": _count(config.route, 0),
        "inhibit_rules": config.inhibit_rules,
    }


def _count(route: dict[Any, Any], depth: int) -> int:
    children = [c for c in route.get("routes") or [] if isinstance(c, dict)] if depth < MAX_DEPTH else []
    return 1 + sum(_count(c, depth + 1) for c in children)
