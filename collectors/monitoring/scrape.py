"""Prometheus scrape configuration: what a project's Prometheus collects, and from where.

A scrape config is monitoring configuration even without alert rules: it
says the service's metrics are collected. Recognised: a Prometheus
configuration (``scrape_configs:``, e.g. prometheus.yml), the same inside a
Kubernetes ConfigMap or Helm values (as a mapping or an embedded YAML string),
and the Prometheus Operator's ``ServiceMonitor``, ``PodMonitor`` and
``ScrapeConfig`` resources. A file that only looks like one and does not load
(a Helm template, say) is not reported: it is no config this reader owns.
"""

from __future__ import annotations

from typing import Any

from mldebt.collectors.monitoring.configs import MonitorConfig
from mldebt.collectors.repo.configfiles import ConfigError, line_of, load_yaml_all, mapping, scalar, sequence

OPERATOR_KINDS = ("ServiceMonitor", "PodMonitor", "ScrapeConfig")
MAX_DEPTH = 6  # how deep a scrape_configs list is looked for (ConfigMap data, Helm values)


def looks_like_scrape_config(text: str) -> bool:
    return "scrape_configs" in text or any(f"kind: {kind}" in text for kind in OPERATOR_KINDS)


def read_scrape_configs(rel: str, text: str) -> list[MonitorConfig]:
    """Every scrape configuration in the YAML ``text`` (all its documents); none when it does not load."""
    try:
        documents = load_yaml_all(text)
    except (ConfigError, RecursionError, ValueError):
        return []
    name = rel.rsplit("/", 1)[-1]
    found: list[MonitorConfig] = []
    for document in documents:
        if not isinstance(document, dict):
            continue
        kind = scalar(document.get("kind"))
        if kind in OPERATOR_KINDS:
            spec = mapping(document.get("spec"))
            endpoints = sequence(spec.get("endpoints") or spec.get("podMetricsEndpoints") or spec.get("staticConfigs"))
            found.append(
                MonitorConfig(
                    "prometheus-operator",
                    kind or "",
                    scalar(mapping(document.get("metadata")).get("name")) or name,
                    line_of(document, "kind", line_of(document)),
                    [],
                    {"endpoints": len(endpoints)},
                )
            )
            continue
        held = _holder(document, 0)
        if held is not None:
            found.append(_prometheus(*held, name))
    return found


def _holder(value: Any, depth: int, line: int | None = None) -> tuple[dict[Any, Any], int | None] | None:
    """The mapping whose ``scrape_configs`` is a list, looked for in nested mappings and YAML strings.

    With it, the line of its ``scrape_configs`` in the file; for a config embedded in a string
    (a ConfigMap's ``prometheus.yml: |``), the line of the key holding the string.
    """
    if depth > MAX_DEPTH or not isinstance(value, dict):
        return None
    if isinstance(value.get("scrape_configs"), list):
        return value, line or line_of(value, "scrape_configs", line_of(value))
    for key, item in value.items():
        at = line
        if isinstance(item, str) and "scrape_configs" in item:
            try:
                item = next(iter(load_yaml_all(item)), None)
            except (ConfigError, RecursionError, ValueError):
                continue
            at = line or line_of(value, key)
        found = _holder(item, depth + 1, at)
        if found is not None:
            return found
    return None


def _prometheus(config: dict[Any, Any], line: int | None, name: str) -> MonitorConfig:
    jobs = [mapping(j) for j in sequence(config.get("scrape_configs"))]
    targets = sum(
        len(sequence(mapping(static).get("targets"))) for job in jobs for static in sequence(job.get("static_configs"))
    )
    alerting = mapping(config.get("alerting"))
    return MonitorConfig(
        "prometheus",
        "scrape config",
        name,
        line,
        [],
        {
            "jobs": [scalar(j.get("job_name")) or "?" for j in jobs][:20],
            "static_targets": targets,
            "rule_files": len(sequence(config.get("rule_files"))),
            "alertmanagers": bool(sequence(alerting.get("alertmanagers"))),
        },
    )
