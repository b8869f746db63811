"""Monitoring files: rule files, dashboards, Alertmanager configs and data/model monitors, from the
corpus (read in place) and from small trees; the concern each item covers; bad files as error facts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mldebt.collectors.interface import Fact, Snapshot
from mldebt.collectors.monitoring.alertmanager import describe, parse_alertmanager
from mldebt.collectors.monitoring.collector import MonitoringCollector
from mldebt.collectors.monitoring.concerns import CONCERNS, concerns_of, is_ml
from mldebt.collectors.monitoring.configs import parse_config
from mldebt.collectors.monitoring.grafana import parse_dashboard
from mldebt.collectors.monitoring.prometheus_rules import parse_rule_file
from mldebt.collectors.repo.configfiles import ConfigError

from .conftest import corpus_files, write_files

RULES = "monitoring/prometheus-rules"
KUBE = "prometheus-operator__kube-prometheus__manifests__"
ODH = "opendatahub-io__opendatahub-operator__internal__controller__components__"
SELDON = "SeldonIO__seldon-core__helm-charts__seldon-core-analytics__files__"


def collect(root: Path, sources: dict | None = None) -> list[Fact]:
    return list(
        MonitoringCollector(timeout=(0.5, 1.0)).collect(Snapshot(project="p", root=root, sources=sources or {}))
    )


def by_key(facts: list[Fact]) -> dict:
    out: dict = {}
    for f in facts:
        if not f.is_error:
            out.setdefault(f.key, []).append(f)
    return out


def rules_of(corpus: Path, name: str):
    return parse_rule_file((corpus / RULES / name).read_text())


# --- the corpus, file by file -------------------------------------------------------------------


@pytest.mark.parametrize(
    "folder", ["monitoring/prometheus-rules", "monitoring/grafana", "monitoring/alertmanager", "validation"]
)
def test_every_corpus_monitoring_file_parses(corpus, folder):
    for path in corpus_files(corpus, folder):
        text = path.read_text()
        if folder.endswith("rules"):
            assert parse_rule_file(text).rules, path.name
        elif folder.endswith("grafana"):
            assert parse_dashboard(text).panels, path.name
        elif folder.endswith("alertmanager"):
            assert parse_alertmanager(text).receivers, path.name
        else:
            assert parse_config(path.name, text) is not None, path.name


@pytest.mark.parametrize(
    "name,alerts,records,groups,severities",
    [
        (f"{KUBE}alertmanager-prometheusRule.yaml", 9, 0, 1, {"critical": 6, "warning": 3}),
        (f"{KUBE}kubePrometheus-prometheusRule.yaml", 4, 8, 4, {"warning": 2, "none": 2}),
        (f"{KUBE}nodeExporter-prometheusRule.yaml", 26, 15, 2, {"critical": 6, "warning": 19, "info": 1}),
        ("ray-project__kuberay__config__prometheus__rules__prometheusRules.yaml", 1, 1, 1, {"critical": 1}),
        (f"{ODH}kserve__monitoring__kserve-prometheusrules.tmpl.yaml", 7, 13, 3, {"critical": 3, "warning": 4}),
        (f"{ODH}trustyai__monitoring__trustyai-prometheusrules.tmpl.yaml", 3, 8, 2, {"critical": 2, "warning": 1}),
        (f"{SELDON}prometheus__rules__mem-usage.rules.yml", 2, 0, 1, {"page": 2}),
        (f"{SELDON}prometheus__rules__instance-availability.rules.yml", 1, 0, 1, {"page": 1}),
    ],
)
def test_corpus_rule_counts(corpus, name, alerts, records, groups, severities):
    parsed = rules_of(corpus, name)
    found = [r for r in parsed.rules if r.kind == "alert"]
    assert (len(found), len(parsed.rules) - len(found), len({r.group for r in parsed.rules})) == (
        alerts,
        records,
        groups,
    )
    counted: dict = {}
    for rule in found:
        counted[rule.labels.get("severity")] = counted.get(rule.labels.get("severity"), 0) + 1
    assert counted == severities


def test_go_templated_rules_are_reported_and_still_read(corpus):
    for name in (
        "kserve__monitoring__kserve-prometheusrules.tmpl.yaml",
        "trustyai__monitoring__trustyai-prometheusrules.tmpl.yaml",
    ):
        parsed = rules_of(corpus, ODH + name)
        assert parsed.templated is True
        assert (str(parsed.problem), parsed.problem.line) == (
            "YAML syntax error: while constructing a mapping found unhashable key",
            5,
        )
    kserve = rules_of(corpus, f"{ODH}kserve__monitoring__kserve-prometheusrules.tmpl.yaml")
    latency = next(r for r in kserve.rules if r.name == "KServeMaaSHighLatencyP95")
    assert concerns_of(*latency.text()) == ["computing_performance"] and is_ml(*latency.text())
    trusty = rules_of(corpus, f"{ODH}trustyai__monitoring__trustyai-prometheusrules.tmpl.yaml")
    assert [r.name for r in trusty.rules if concerns_of(*r.text())] == []  # probe SLOs only, nothing on models


def test_kube_prometheus_alerts_all_have_runbooks_and_seldon_is_infra_only(corpus):
    alertmanager = rules_of(corpus, f"{KUBE}alertmanager-prometheusRule.yaml").rules
    assert all("runbook_url" in r.annotations for r in alertmanager)
    seldon = rules_of(corpus, f"{SELDON}prometheus__rules__mem-usage.rules.yml").rules
    assert {"DESCRIPTION", "SUMMARY"} <= set(seldon[0].annotations)
    assert [is_ml(*r.text()) for r in seldon] == [False, False]
    down = rules_of(corpus, f"{SELDON}prometheus__rules__instance-availability.rules.yml").rules[0]
    assert (down.name, down.expr, down.duration, down.line) == ("InstanceDown", "up == 0", "1m", 4)
    ray = rules_of(corpus, "ray-project__kuberay__config__prometheus__rules__prometheusRules.yaml").rules
    assert "absent(" in next(r for r in ray if r.kind == "alert").expr


def test_corpus_dashboards(corpus):
    boards = {p.name.split("__")[0]: parse_dashboard(p.read_text()) for p in corpus_files(corpus, "monitoring/grafana")}
    evidently = boards["evidentlyai"].summary()
    assert (
        evidently["title"],
        evidently["schema_version"],
        evidently["panels"],
        evidently["promql"],
        evidently["datasources"],
    ) == ("New dashboard", 36, 3, 0, ["postgres"])
    assert [concerns_of(*p.text()) for p in boards["evidentlyai"].panels] == [
        ["prediction_bias"],
        ["data_invariants"],
        ["training_serving_skew"],
    ]
    seldon = boards["SeldonIO"].summary()
    assert (seldon["title"], seldon["schema_version"], seldon["promql"], len(seldon["variables"])) == (
        "Prediction Analytics",
        21,
        15,
        6,
    )
    triton = boards["triton-inference-server"].summary()
    assert (triton["schema_version"], triton["panels"], triton["promql"]) == (38, 11, 12)
    mlrun = boards["mlrun"]
    assert (mlrun.summary()["panels"], mlrun.summary()["datasources"], mlrun.variables) == (
        3,
        ["iguazio"],
        ["PROJECT", "MODELENDPOINT"],
    )
    assert [p.title for p in mlrun.panels if "training_serving_skew" in concerns_of(*p.text())] == [
        "Overall Drift Analysis"
    ]
    kserve = boards["kserve"].summary()
    assert (kserve["panels"] + kserve["rows"], kserve["promql"], kserve["variables"]) == (23, 22, ["datasource"])


def test_corpus_alertmanager_configs(corpus):
    files = {p.name.split("__")[0]: p.read_text() for p in corpus_files(corpus, "monitoring/alertmanager")}
    ha = parse_alertmanager(files["prometheus"])
    assert describe(ha) == {
        "receivers": [{"name": "web.hook", "integrations": ["webhook"], "placeholder": False}],
        "routes": 1,
        "inhibit_rules": 1,
    }
    assert ha.reaches({"alertname": "ModelDrift"}) is True
    seldon = parse_alertmanager(files["SeldonIO"])
    assert describe(seldon) == {
        "receivers": [{"name": "slack_chatbots", "integrations": ["slack"], "placeholder": True}],
        "routes": 1,
        "inhibit_rules": 0,
    }
    assert seldon.route_alert({"alertname": "ModelDrift"}) == ["slack_chatbots"]
    assert seldon.reaches({"alertname": "ModelDrift"}) is False  # the Slack URL is a placeholder


def test_corpus_validation_configs(corpus):
    configs = {p.name: parse_config(p.name, p.read_text()) for p in corpus_files(corpus, "validation")}
    titanic = next(c for n, c in configs.items() if "titanic" in n)
    assert (
        titanic.name,
        titanic.details["expectations"],
        titanic.details["types"]["expect_column_to_exist"],
        titanic.details["parameterized"],
        titanic.concerns,
    ) == ("default", 10, 6, True, ["data_invariants"])
    warning = next(c for n, c in configs.items() if n.endswith("warning.json"))
    assert (warning.name, warning.details["expectations"], warning.details["empty"]) == ("warning", 417, False)
    failure = next(c for n, c in configs.items() if n.endswith("failure.json"))
    assert (failure.name, failure.details["expectations"], failure.details["empty"]) == ("failure", 0, True)
    evidently = next(c for n, c in configs.items() if "evidently" in n)
    assert (
        evidently.tool,
        evidently.details["monitors"],
        evidently.details["window_size"],
        evidently.details["features"],
        evidently.concerns,
    ) == (
        "evidently",
        ["data_drift", "regression_performance"],
        30,
        10,
        ["prediction_quality", "training_serving_skew"],
    )


def test_the_collector_reads_the_corpus_folders_in_place(corpus):
    facts = collect(corpus / "monitoring")
    found = by_key(facts)
    assert len(found["monitoring.rules"]) == 8 and len(found["monitoring.dashboards"]) == 5
    assert found["monitoring.alerts.count"][0].value == 9 + 4 + 26 + 1 + 7 + 3 + 2 + 1
    assert found["monitoring.recording_rules.count"][0].value == 0 + 8 + 15 + 1 + 13 + 8
    assert found["monitoring.alerts.with_runbook"][0].value >= 9 + 26
    templated = sorted((f.path.rsplit("/", 1)[-1], f.line) for f in facts if f.is_error)
    assert templated == [
        (f"{ODH}kserve__monitoring__kserve-prometheusrules.tmpl.yaml", 5),
        (f"{ODH}trustyai__monitoring__trustyai-prometheusrules.tmpl.yaml", 5),
    ]
    assert len(found["monitoring.alertmanager"]) == 2
    routed = {f.value["alert"]: f.value for f in found["monitoring.alertmanager.ml_alerts"]}
    assert routed["KServeMaaSHighLatencyP95"]["receivers"] == ["slack_chatbots", "web.hook"]
    assert routed["KServeMaaSHighLatencyP95"]["reaches_someone"] is True
    coverage = [(f.value["concern"], f.value["kind"], f.value["name"]) for f in found["monitoring.coverage"]]
    assert ("computing_performance", "alert", "KServeMaaSHighLatencyP95") in coverage
    assert ("training_serving_skew", "panel", "Overall Drift Analysis") in coverage
    assert not any(name.startswith("Node") for _, kind, name in coverage)  # host alerts are not about a model
    assert "monitoring.alerted.model_staleness" not in found  # two unreadable files: a "no" stays unknown
    configs = by_key(collect(corpus / "validation"))["monitoring.configs"]
    assert sorted(f.value["tool"] for f in configs) == ["evidently"] + ["great_expectations"] * 3


# --- small trees ---------------------------------------------------------------------------------

ML_RULES = """groups:
  - name: fraud-model
    rules:
      - alert: FraudModelStale
        expr: time() - fraud_model_trained_timestamp_seconds > 7 * 86400
        labels: {severity: ticket, team: fraud}
        annotations: {summary: The served fraud model is older than a week}
      - alert: FraudScoreNaN
        expr: rate(fraud_model_nan_predictions_total[5m]) > 0
        labels: {severity: page, team: fraud}
      - record: fraud:feature_drift_psi:max
        expr: max(fraud_feature_psi)
"""
ROUTES = """route:
  receiver: nobody
  routes:
    - matchers: ['team="fraud"', 'severity=~"page|critical"']
      receiver: fraud-pager
    - match: {team: fraud}
      receiver: fraud-email
      continue: true
    - match_re: {alertname: "Fraud.*"}
      receiver: nobody
receivers:
  - name: nobody
  - name: fraud-pager
    pagerduty_configs: [{routing_key: <your-key>}]
  - name: fraud-email
    email_configs: [{to: fraud-team@bank.test}]
"""


def test_alerts_panels_routes_and_concerns_on_a_small_tree(tmp_path):
    write_files(
        tmp_path,
        {
            "ops/rules/fraud.yml": ML_RULES,
            "ops/alertmanager.yml": ROUTES,
            "dash/fraud.json": '{"title": "Fraud model", "schemaVersion": 39, "panels": [\n'
            ' {"type": "row", "title": "r", "panels": [\n'
            '  {"title": "p99 scoring latency", "type": "timeseries",\n'
            '   "targets": [{"expr": "histogram_quantile(0.99, rate(fraud_latency_seconds_bucket[5m]))"}]}]},\n'
            ' {"title": "Approval rate", "type": "stat", "targets": [{"expr": "sum(rate(approved_total[1h]))"}]}\n]}',
            "great_expectations/checkpoints/nightly.yml": "name: nightly\nclass_name: Checkpoint\nvalidations:\n"
            "  - batch_request: {}\naction_list:\n  - name: store\n",
            "src/monitor.py": "import whylogs as why\nfrom evidently.report import Report\n",
            "src/other.py": "import os\n",
        },
    )
    facts = collect(tmp_path)
    found = by_key(facts)
    assert [f for f in facts if f.is_error] == []
    assert [
        (f.value["alert"], f.value["receivers"], f.value["reaches_someone"], f.line)
        for f in found["monitoring.alertmanager.ml_alerts"]
    ] == [
        ("FraudModelStale", ["fraud-email", "nobody"], True, 4),
        ("FraudScoreNaN", ["fraud-pager"], False, 8),
    ]  # the first match stops routing; its key is a placeholder
    assert found["monitoring.alerts_reach_receiver"][0].value is False
    coverage = sorted(
        (f.value["concern"], f.value["kind"], f.value["name"], f.path, f.line) for f in found["monitoring.coverage"]
    )
    assert ("model_staleness", "alert", "FraudModelStale", "ops/rules/fraud.yml", 4) in coverage
    assert ("numerical_stability", "alert", "FraudScoreNaN", "ops/rules/fraud.yml", 8) in coverage
    assert ("training_serving_skew", "record", "fraud:feature_drift_psi:max", "ops/rules/fraud.yml", 11) in coverage
    assert ("computing_performance", "panel", "p99 scoring latency", "dash/fraud.json", 3) in coverage
    assert ("action_limits", "panel", "Approval rate", "dash/fraud.json", 5) in coverage
    assert (
        "data_invariants",
        "config",
        "great_expectations checkpoint nightly",
        "great_expectations/checkpoints/nightly.yml",
        1,
    ) in coverage
    assert found["monitoring.libraries"][0].value == {"evidently": ["src/monitor.py"], "whylogs": ["src/monitor.py"]}
    assert found["monitoring.concerns.alerted"][0].value == ["model_staleness", "numerical_stability"]
    values = {f.key: f.value for f in facts if not f.is_error}
    assert (
        values["monitoring.alerted.model_staleness"] is True and values["monitoring.alerted.prediction_bias"] is False
    )
    assert values["monitoring.watched.training_serving_skew"] is True
    assert values["monitoring.dashboards"]["rows"] == 1


def test_an_ml_alert_that_reaches_nobody(tmp_path):
    write_files(
        tmp_path,
        {
            "rules.yml": ML_RULES,
            "alertmanager.yml": ROUTES.replace("team: fraud}", "team: x}").replace('team="fraud"', 'team="x"'),
        },
    )
    values = {
        f.key: f.value for f in collect(tmp_path) if not f.is_error and f.key != "monitoring.alertmanager.ml_alerts"
    }
    assert values["monitoring.alerts_reach_receiver"] is False


def test_bad_and_missing_monitoring_files_are_error_facts(tmp_path):
    write_files(
        tmp_path,
        {
            "monitoring/alerts.yml": "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: [unclosed\n",
            "monitoring/board.json": '{"title": "t", "panels": [ {"title": 1,, } ]}',
            "monitoring/am.yml": "route: [not a mapping]\nreceivers: []\n",
            "expectations/suite.json": '{"expectations": [ {"expectation_type": "x"} ',
        },
    )
    facts = collect(
        tmp_path,
        {
            "monitoring": {
                "rules": ["monitoring/alerts.yml", "monitoring/missing.yml"],
                "dashboards": ["monitoring/board.json"],
            }
        },
    )
    assert sorted((f.key, f.path, f.line, f.error) for f in facts if f.is_error) == [
        ("monitoring.unparsed", "expectations/suite.json", 1, "not valid JSON: Expecting ',' delimiter"),
        (
            "monitoring.unparsed",
            "monitoring/alerts.yml",
            6,
            "YAML syntax error: while parsing a flow sequence did not find expected ',' or ']'",
        ),
        ("monitoring.unparsed", "monitoring/am.yml", 1, "not an Alertmanager configuration: no 'route' mapping"),
        (
            "monitoring.unparsed",
            "monitoring/board.json",
            1,
            "not valid JSON: Expecting property name enclosed in double quotes",
        ),
        (
            "monitoring.unparsed",
            "monitoring/missing.yml",
            None,
            "no such file in the project (listed in the portfolio's monitoring block)",
        ),
    ]
    values = {f.key: f.value for f in facts if not f.is_error}
    assert "monitoring.alerted.model_staleness" not in values and values["monitoring.alerts.count"] == 0


def test_nothing_to_monitor_is_an_answered_no(tmp_path):
    write_files(tmp_path, {"README.md": "x\n", "data.json": '{"rows": 3}'})
    values = {f.key: f.value for f in collect(tmp_path) if not f.is_error}
    assert values["monitoring.alerts.count"] == 0 and values["monitoring.dashboards.count"] == 0
    assert values["monitoring.concerns.watched"] == []
    assert all(values[f"monitoring.alerted.{c}"] is False for c in CONCERNS)


def test_concern_classification_reads_names_and_queries():
    assert concerns_of("CreditPredictionDrift", "abs(avg(score[1h]) - avg(score[7d])) > 0.05") == ["prediction_bias"]
    assert concerns_of("FeatureSkewHigh", "max(feature_skew_ratio) > 0.1") == ["training_serving_skew"]
    assert concerns_of("DependencyVersionChanged", "changes(build_info[1h]) > 0") == ["dependency_changes"]
    assert is_ml("NodeFilesystemSpaceFillingUp", "Filesystem is predicted to run out of space") is False
    with pytest.raises(ConfigError):
        parse_dashboard('{"title": "x"}')


def test_the_collector_produces_only_declared_keys(tmp_path, corpus):
    write_files(tmp_path, {"rules.yml": ML_RULES, "am.yml": ROUTES, "bad.yml": "groups: [\n"})
    keys = (
        {f.key for f in collect(tmp_path)}
        | {f.key for f in collect(corpus / "monitoring")}
        | {f.key for f in collect(corpus / "validation")}
    )
    assert keys <= set(MonitoringCollector.keys)


def test_a_yaml_alias_bomb_in_rules_and_routes_does_not_explode(tmp_path):
    bomb = "x0: &a0 [y, y, y, y, y, y, y, y, y, y]\n" + "".join(
        f"x{i + 1}: &a{i + 1} [{', '.join([f'*a{i}'] * 10)}]\n" for i in range(8)
    )
    write_files(
        tmp_path,
        {
            "rules.yml": bomb + "groups:\n  - name: *a8\n    rules:\n      - alert: *a8\n        expr: *a8\n"
            "        labels: *a8\n        annotations: {summary: *a8}\n",
            "alertmanager.yml": bomb
            + "route:\n  receiver: *a8\n  routes:\n    - matchers: *a8\n      match: {a: *a8}\n"
            "receivers:\n  - name: *a8\n",
            "evidently.yml": bomb + "column_mapping: {target: *a8}\nmonitors: *a8\n",
        },
    )
    started = time.monotonic()
    facts = collect(tmp_path)
    assert time.monotonic() - started < 5
    refused = {(f.key, f.path) for f in facts if f.is_error and "alias bomb" in f.error}  # issue 15 item 6
    assert refused == {("monitoring.unparsed", p) for p in ("rules.yml", "alertmanager.yml", "evidently.yml")}


def test_every_value_is_json(tmp_path, corpus):
    import json

    from mldebt.collectors.ci.config import CIConfigCollector
    from mldebt.collectors.ci.results import CIResultsCollector

    write_files(
        tmp_path, {"rules.yml": ML_RULES, "am.yml": ROUTES, "junit.xml": "<testsuite><testcase name='a'/></testsuite>"}
    )
    facts = collect(tmp_path) + collect(corpus / "monitoring") + collect(corpus / "validation")
    for collector in (CIConfigCollector(), CIResultsCollector()):
        facts += list(collector.collect(Snapshot(project="p", root=tmp_path)))
    json.dumps([f.value for f in facts])
