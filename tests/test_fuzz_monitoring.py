"""Fuzzing monitoring files through the monitoring collector: Prometheus rules, Alertmanager, Grafana, monitor configs."""

from __future__ import annotations

from hypothesis import given

from .fuzz_strategies import FUZZ, json_documents, run_collector, seeds, yaml_documents

RULE_KEYS = [
    "groups",
    "name",
    "rules",
    "alert",
    "record",
    "expr",
    "for",
    "labels",
    "annotations",
    "severity",
    "summary",
    "description",
    "interval",
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "limit",
    "keep_firing_for",
]
RULE_WORDS = [
    "PredictionDrift",
    "rate(http_requests_total[5m]) > 0.1",
    "model_prediction_mean > 0.8",
    'feature_null_ratio{feature="age"} > 0.05',
    "absent(up)",
    "{{ $labels.instance }}",
    "{{ $value }}",
    "5m",
    "1h",
    "critical",
    "monitoring.coreos.com/v1",
    "PrometheusRule",
    "histogram_quantile(0.99, x)",
    "{{- if .Values.x }}",
    "{{ end }}",
    "data_drift_score > 0.3",
    "up == 0",
    "x[",
    "sum by (",
    "}}",
]
ALERTMANAGER_KEYS = [
    "global",
    "route",
    "receiver",
    "routes",
    "group_by",
    "group_wait",
    "repeat_interval",
    "match",
    "match_re",
    "matchers",
    "continue",
    "receivers",
    "name",
    "email_configs",
    "slack_configs",
    "pagerduty_configs",
    "webhook_configs",
    "to",
    "channel",
    "api_url",
    "url",
    "inhibit_rules",
    "source_match",
    "target_match",
    "equal",
    "templates",
    "smtp_smarthost",
    "time_intervals",
]
ALERTMANAGER_WORDS = [
    "team-ml",
    'severity="critical"',
    'alertname=~"Model.*"',
    "ml-oncall@example.com",
    "#ml-alerts",
    "https://hooks.slack.com/services/x",
    "severity",
    "5m",
    "null",
    "alertname",
]
GRAFANA_KEYS = [
    "dashboard",
    "title",
    "panels",
    "type",
    "targets",
    "expr",
    "datasource",
    "rows",
    "gridPos",
    "fieldConfig",
    "defaults",
    "thresholds",
    "steps",
    "alert",
    "conditions",
    "refId",
    "uid",
    "tags",
    "templating",
    "list",
    "query",
    "legendFormat",
    "collapsed",
    "schemaVersion",
    "id",
    "options",
]
GRAFANA_WORDS = [
    "timeseries",
    "graph",
    "stat",
    "row",
    "Prediction drift",
    "rate(model_errors[5m])",
    "Prometheus",
    "${DS_PROMETHEUS}",
    "A",
    "feature distribution",
    "latency p99",
    "data_drift",
    "null",
]
CONFIG_KEYS = [
    "data_drift",
    "column_mapping",
    "numerical_features",
    "categorical_features",
    "target",
    "prediction",
    "monitors",
    "window_size",
    "reference_path",
    "expectation_suite_name",
    "expectations",
    "expectation_type",
    "kwargs",
    "column",
    "min_value",
    "max_value",
    "meta",
    "service",
    "datasets",
]
CONFIG_WORDS = [
    "expect_column_values_to_not_be_null",
    "expect_column_mean_to_be_between",
    "age",
    "income",
    "DataDriftPreset",
    "cat_target_drift",
    "reference.csv",
    "0.5",
]


@FUZZ
@given(
    yaml_documents(
        RULE_KEYS,
        RULE_WORDS,
        seeds("corpus:monitoring/prometheus-rules/*", "sample_projects/*/layers/*/monitoring/alerts.yml"),
    )
)
def test_prometheus_rule_files_give_facts_or_error_facts(data):
    listed = run_collector(
        "monitoring", {"monitoring/rules.yml": data}, {"monitoring": {"rules": ["monitoring/rules.yml"]}}
    )
    found = run_collector("monitoring", {"prometheus/alerts.rules.yml": data})
    assert any(f.key == "monitoring.dashboards.count" for f in listed + found)


@FUZZ
@given(yaml_documents(ALERTMANAGER_KEYS, ALERTMANAGER_WORDS, seeds("corpus:monitoring/alertmanager/*")))
def test_alertmanager_configs_give_facts_or_error_facts(data):
    facts = run_collector("monitoring", {"alertmanager/alertmanager.yml": data})
    assert any(f.key == "monitoring.dashboards.count" for f in facts)


@FUZZ
@given(
    json_documents(
        GRAFANA_KEYS,
        GRAFANA_WORDS,
        seeds("corpus:monitoring/grafana/*", "sample_projects/*/layers/*/monitoring/dashboard.json"),
    )
)
def test_grafana_dashboards_give_facts_or_error_facts(data):
    listed = run_collector("monitoring", {"d/board.json": data}, {"monitoring": {"dashboards": ["d/board.json"]}})
    found = run_collector("monitoring", {"grafana/dashboards/model.json": data})
    assert any(f.key == "monitoring.dashboards.count" for f in listed + found)


@FUZZ
@given(
    yaml_documents(
        CONFIG_KEYS, CONFIG_WORDS, seeds("corpus:validation/*.yaml", "sample_projects/*/layers/*/config.yaml")
    )
)
def test_monitor_and_validation_configs_give_facts_or_error_facts(data):
    facts = run_collector(
        "monitoring", {"monitoring/config.yaml": data, "great_expectations/expectations/x.json": data}
    )
    assert any(f.key == "monitoring.dashboards.count" for f in facts)
