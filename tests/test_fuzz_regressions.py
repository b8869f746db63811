"""Inputs the fuzzers found that crashed a parser, kept as regression tests: each is now an error fact."""

from __future__ import annotations

import pytest

from mldebt.errors import InputError
from mldebt.rubric.schema import load_rubric
from mldebt.sources.portfolio import load_portfolio

from .fuzz_strategies import run_collector

MLRUNS = {
    "mlruns/1/meta.yaml": b"experiment_id: '1'\nname: x\n",
    "mlruns/1/abc/meta.yaml": b"run_id: abc\nstart_time: 1\n",
    "mlruns/models/m/meta.yaml": b"name: m\n",
    "mlruns/models/m/version-1/meta.yaml": b"version: 1\ncreation_timestamp: 1\nsource: mlruns/1/abc/artifacts/model\nrun_id: abc\n",
}


def errors(facts) -> list[str]:
    return [f.error for f in facts if f.is_error]


def test_a_conda_environment_whose_dependencies_are_not_a_list():
    facts = run_collector("deps", {"environment.yml": b"dependencies: true\n"})
    assert "'dependencies' is not a list" in errors(facts)


def test_coverage_json_totals_that_are_not_numbers():
    facts = run_collector("ci_results", {"coverage.json": b'{"totals": {"num_statements": "0"}}'})
    assert "coverage.py JSON: totals.num_statements is not a number" in errors(facts)


@pytest.mark.parametrize(
    "encoding, problem", [("UTF-0", "unknown encoding: UTF-0"), ("shift_jis", "multi-byte encodings are not supported")]
)
def test_an_xml_report_declaring_an_encoding_expat_cannot_read(encoding, problem):  # found by atheris
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n<testsuite tests="0"/>'.encode()
    facts = run_collector("ci_results", {"junit.xml": declaration})
    assert f"not readable XML: {problem}" in errors(facts)


def test_a_rule_group_whose_rules_are_not_a_list():
    facts = run_collector(
        "monitoring", {"rules.yml": b"groups:\n- name: g\n  rules: true\n"}, {"monitoring": {"rules": ["rules.yml"]}}
    )
    assert not [e for e in errors(facts) if "TypeError" in e]


def test_an_alertmanager_config_whose_receivers_and_inhibit_rules_are_not_lists():
    facts = run_collector(
        "monitoring", {"alertmanager.yml": b"route:\n  receiver: x\nreceivers: 1\ninhibit_rules: 3\n"}
    )
    assert not [e for e in errors(facts) if "TypeError" in e]


def test_an_alertmanager_receiver_config_with_a_number_for_a_key():
    config = b"route:\n  receiver: x\nreceivers:\n- name: x\n  slack_configs:\n  - 0: ''\n  1: []\n"
    facts = run_collector("monitoring", {"alertmanager.yml": config})
    assert not [e for e in errors(facts) if "AttributeError" in e]


def test_a_grafana_dashboard_whose_rows_variables_or_targets_are_not_lists():
    for board in (
        b'{"panels": [], "rows": 1, "templating": {"list": 2}}',
        b'{"panels": [{"title": "x", "targets": 1}]}',
    ):
        facts = run_collector("monitoring", {"board.json": board}, {"monitoring": {"dashboards": ["board.json"]}})
        assert {f.key: f.value for f in facts}["monitoring.dashboards.count"] == 1


def test_a_gitlab_job_extending_a_list():
    facts = run_collector("ci_config", {".gitlab-ci.yml": b"'&a':\n  extends:\n  - []\ntest:\n  script: [pytest]\n"})
    assert {f.key: f.value for f in facts}.get("ci.runs_tests") is True


def test_an_evidently_config_whose_feature_lists_are_numbers():
    config = (
        b"column_mapping:\n  numerical_features: [a, b]\n  categorical_features: 1\n"
        b"service:\n  monitors: [data_drift]\n"
    )
    facts = run_collector(
        "monitoring", {"monitoring/config.yaml": config, "checkpoint.yml": b"validations: []\naction_list: 3\n"}
    )
    assert not [e for e in errors(facts) if "TypeError" in e]


def test_a_feast_project_that_is_a_mapping():
    facts = run_collector("feast", {"feature_store.yaml": b"project:\n  batch_engine: null\n  0: null\n"})
    assert "feature_store.yaml: 'project' and 'provider' must be names" in errors(facts)


# PyYAML's safe loader builds explicitly tagged scalars and fails with ValueError, KeyError or AttributeError.
TAGGED = [
    b"a: !!timestamp \n",
    b"a: !!timestamp 2026-99-99\n",
    b"a: !!int x\n",
    b"a: !!float x\n",
    b"a: !!bool maybe\n",
    b"- !!timestamp\n",
    b"!!float ",
    b"a: !!int\n",
]
YAML_FILES = [
    ("deps", "environment.yml"),
    ("deps", "conda-lock.yml"),
    ("repo", ".pre-commit-config.yaml"),
    ("repo", "MLproject"),
    ("repo", "conf/params.yaml"),
    ("mlflow", "mlruns/1/abc/artifacts/model/MLmodel"),
    ("attest", ".mldebt/attestations.yaml"),
    ("dvc", "dvc.yaml"),
    ("dvc", "dvc.lock"),
    ("dvc", "params.yaml"),
    ("feast", "feature_store.yaml"),
    ("ci_config", ".github/workflows/ci.yml"),
    ("ci_config", ".gitlab-ci.yml"),
    ("monitoring", "alerts.yml"),
    ("monitoring", "alertmanager.yml"),
]


@pytest.mark.parametrize("collector, rel", YAML_FILES)
def test_tagged_values_yaml_cannot_build_are_error_facts(collector, rel):
    for data in TAGGED:
        files = {
            rel: data,
            **(MLRUNS if collector == "mlflow" else {}),
            **({"dvc.yaml": b"stages: {}\n"} if rel == "dvc.lock" else {}),
        }
        run_collector(collector, files)


@pytest.mark.parametrize("loader", [load_rubric, load_portfolio])
def test_tagged_values_yaml_cannot_build_are_input_errors(loader, tmp_path):
    path = tmp_path / "file.yaml"
    for data in TAGGED:
        path.write_bytes(data)
        with pytest.raises(InputError):
            loader(path)
