"""Registries, tracking stores and monitoring found in what a repository commits (issue 21, classes i and c).

Class i: a committed MLflow database (``mlflow.db``, made here by MLflow
itself) or ``mlruns/`` store is read without MLflow; DVC ``artifacts:`` and
GTO's artifacts.yaml plus git tags (``model@v1.2.0``, ``model#prod#3``) are a
model registry; metrics and plots declared in dvc.yaml, and ``dvc exp``, are
experiment tracking. Class c: a monitoring or validation library counts where
it runs in the pipeline or the serving path, not in tests, fixtures or type
hints; a Prometheus scrape config and the metrics the serving code exports are
monitoring configuration.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mldebt.collectors.interface import Fact, Snapshot
from mldebt.collectors.registries.mlflow import MlflowCollector

from . import mlflow_server
from .conftest import write_files
from .mlflow_populate import EXPECTED, populate

# --- MLflow: a committed database or file store ------------------------------------------------------


@pytest.fixture(scope="module")
def quiet_mlflow() -> Iterator[None]:
    """MLflow's own client in this process: no telemetry, and the file store allowed."""
    saved = {k: os.environ.get(k) for k in (*mlflow_server.QUIET, "MLFLOW_ALLOW_FILE_STORE")}
    os.environ.update(mlflow_server.QUIET, MLFLOW_ALLOW_FILE_STORE="true")
    yield
    for key, value in saved.items():
        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


@pytest.fixture(scope="module")
def database_project(tmp_path_factory, quiet_mlflow) -> Path:
    """A project committing the mlflow.db MLflow writes, with its artifacts in mlruns/ beside it (MLflow's default)."""
    project = tmp_path_factory.mktemp("project")
    populate(f"sqlite:///{project / 'mlflow.db'}", artifacts=(project / "mlruns" / "1").as_uri())
    return project


def mlflow_facts(root: Path, as_of: datetime | None = None, **snapshot: Any) -> list[Fact]:
    moment = as_of or datetime.now(UTC) + timedelta(days=10)
    return list(MlflowCollector().collect(Snapshot(project="p", root=root, as_of=moment, **snapshot)))


def values(facts: list[Fact]) -> dict[str, Any]:
    return {f.key: f.value for f in facts if not f.is_error}


def errors(facts: list[Fact]) -> list[tuple[str, str | None, str | None]]:
    return [(f.key, f.error, f.path) for f in facts if f.is_error]


def test_a_committed_mlflow_db_gives_the_facts_a_server_gives(database_project):
    facts = mlflow_facts(database_project)
    assert errors(facts) == []
    assert values(facts) == {
        "registry.mlflow.source": "sqlite",
        "registry.mlflow.stores": [{"kind": "sqlite", "path": "mlflow.db"}],
        **EXPECTED,
    }
    source = next(f for f in facts if f.key == "registry.mlflow.source")
    assert source.path == "mlflow.db"


def test_the_database_is_read_as_it_stood_at_the_scan(database_project):
    before = values(mlflow_facts(database_project, as_of=datetime.now(UTC) - timedelta(days=28, hours=12)))
    assert before["registry.mlflow.versions.count"] == 0  # registered today, after that moment
    assert before["registry.mlflow.runs.count"] == 2  # started 30 and 29 days ago; the third 28 days ago


def test_the_database_file_is_never_changed(database_project, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(database_project, project)
    db = project / "mlflow.db"
    before = db.read_bytes()
    db.chmod(0o444)  # as the scan lays files out
    assert values(mlflow_facts(project))["registry.mlflow.models"] == ["churn", "credit-default"]
    assert db.read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == ["mlflow.db", "mlruns"]  # no journal, no -wal, no -shm


def test_a_database_in_a_sub_folder_under_another_name(database_project, tmp_path):
    project = tmp_path / "p"
    (project / "tracking").mkdir(parents=True)
    shutil.copy(database_project / "mlflow.db", project / "tracking" / "experiments.sqlite")
    write_files(project, {"app.db": b""})  # an empty SQLite file of the application: not MLflow's
    with sqlite3.connect(project / "data.db") as conn:  # another application's database
        conn.execute("CREATE TABLE runs (id INTEGER)")
    facts = mlflow_facts(project)
    assert errors(facts) == []
    got = values(facts)
    assert (got["registry.mlflow.source"], got["registry.mlflow.stores"]) == (
        "sqlite",
        [{"kind": "sqlite", "path": "tracking/experiments.sqlite"}],
    )
    assert got["registry.mlflow.versions.count"] == 3 and got["registry.mlflow.runs.count"] == 3


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 1048576\n", "a Git LFS pointer"),
        (b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + b"\xff" * 4000, "cannot read"),
    ],
)
def test_an_mlflow_db_that_cannot_be_read_is_an_error_fact(tmp_path, content, reason):
    write_files(tmp_path, {"mlflow.db": content, "train.py": "import mlflow\n"})
    facts = mlflow_facts(tmp_path)
    assert values(facts) == {
        "registry.mlflow.source": "sqlite",
        "registry.mlflow.stores": [{"kind": "sqlite", "path": "mlflow.db"}],
    }
    [(key, message, path)] = errors(facts)
    assert (key, path) == ("registry.mlflow.models", "mlflow.db")
    assert message.startswith(f"mlflow.db: an MLflow database not read: {reason}")


def test_a_database_too_large_to_lay_out_is_named(tmp_path):
    facts = mlflow_facts(tmp_path, skipped=(("ops/mlflow.db", "larger than 8388608 bytes (9000000)"),))
    assert values(facts)["registry.mlflow.stores"] == [{"kind": "sqlite", "path": "ops/mlflow.db"}]
    assert errors(facts) == [
        (
            "registry.mlflow.models",
            "ops/mlflow.db: an MLflow database not read: larger than 8388608 bytes (9000000)",
            "ops/mlflow.db",
        )
    ]


def test_views_and_triggers_of_a_hostile_database_are_not_run(tmp_path):
    """A view named like MLflow's table is not the table; nothing the file declares is executed."""
    with sqlite3.connect(tmp_path / "mlflow.db") as conn:
        conn.execute("CREATE TABLE experiments (experiment_id INTEGER, name TEXT, lifecycle_stage TEXT)")
        conn.execute("CREATE TABLE real_runs (run_uuid TEXT, experiment_id INTEGER, start_time INTEGER)")
        conn.execute("CREATE VIEW runs AS SELECT * FROM real_runs WHERE load_extension('/tmp/evil') IS NULL")
    facts = mlflow_facts(tmp_path)
    assert values(facts) == {"registry.mlflow.source": None}  # not an MLflow database: no runs table


def test_a_hand_made_mlruns_store_in_a_sub_folder(tmp_path):
    run = "notebooks/mlruns/3/9f1c2b7e"
    write_files(
        tmp_path,
        {
            "notebooks/mlruns/3/meta.yaml": "experiment_id: '3'\nname: churn\nlifecycle_stage: active\n",
            f"{run}/meta.yaml": "run_id: 9f1c2b7e\nexperiment_id: '3'\nstart_time: 1767225600000\n"
            "lifecycle_stage: active\nstatus: 3\n",
            f"{run}/params/seed": "42",
            f"{run}/params/max_depth": "6",
            f"{run}/metrics/auc": "1767225601000 0.81 0\n1767225602000 0.84 1\n",
            f"{run}/tags/mlflow.source.git.commit": "4be1c0d",
            "notebooks/mlruns/models/churn/meta.yaml": "name: churn\ncreation_timestamp: 1767225700000\n",
            "notebooks/mlruns/models/churn/version-1/meta.yaml": "name: churn\nversion: 1\n"
            "creation_timestamp: 1767225700000\ncurrent_stage: Production\nrun_id: 9f1c2b7e\n"
            "source: runs:/9f1c2b7e/model\nstatus: READY\n",
            "outputs/mlruns/0/abc/artifacts/model.pkl": "",  # run artifacts only: not a store
        },
    )
    facts = mlflow_facts(tmp_path)
    assert errors(facts) == []
    got = values(facts)
    assert (got["registry.mlflow.source"], got["registry.mlflow.stores"]) == (
        "file",
        [{"kind": "file", "path": "notebooks/mlruns"}],
    )
    assert got["registry.mlflow.models"] == ["churn"]
    assert got["registry.mlflow.production.versions"] == {"churn": 1}
    assert (got["registry.mlflow.runs.count"], got["registry.mlflow.runs.reproducible"]) == (1, 1)


# --- DVC and GTO: a model registry in git tags, experiment tracking in dvc.yaml ----------------------

PIPELINE = """\
stages:
  train:
    cmd: python train.py
    wdir: src
    deps: [train.py]
    outs: [../models/churn.pkl]
    metrics:
      - ../reports/metrics.json:
          cache: false
    plots:
      - ../reports/roc.csv: {x: fpr, y: tpr}
metrics:
  - dvclive/metrics.json
plots:
  - dvclive/plots/metrics:
      x: step
artifacts:
  fraud:
    path: models/fraud.pkl
    type: model
"""
GTO_PROJECT = {
    "dvc.yaml": PIPELINE,
    "src/train.py": "",
    "artifacts.yaml": "churn:\n  type: model\n  path: models/churn.pkl\n  labels: [tabular]\n",
    "models/dvc.yaml": "artifacts:\n  ranker:\n    type: model\n    path: ranker.pt\n",
    "grid_search.sh": "#!/bin/sh\ndvc exp run --queue -S train.depth=4\ndvc exp run --run-all\n",
    "Makefile": "compare:\n\tdvc exp show --md > table.md\n",
    "README.md": "We track experiments with DVC experiments.\n",  # prose, not a command
}
# (tag, commit index, tagged on): GTO's registrations and stage assignments, and tags that are not GTO's
TAGS = [
    ("churn@v1.0.0", 0, "2026-01-02"),
    ("churn#prod#1", 0, "2026-01-03"),
    ("churn@v1.1.0", 1, "2026-01-10"),
    ("churn#staging#2", 1, "2026-01-11"),
    ("churn#prod#3", 1, "2026-01-12"),
    ("churn#prod!#4", 1, "2026-01-13"),  # prod taken back from v1.1.0: v1.0.0 still holds it
    ("models=ranker@v0.1.0", 1, "2026-01-14"),
    ("legacy@v0.0.1", 0, "2026-01-15"),
    ("legacy@deprecated#2", 0, "2026-01-16"),
    ("churn@v2.0.0", 1, "2026-03-01"),  # after the scan's moment
    ("v1.0", 0, "2026-01-02"),
    ("release-2026", 1, "2026-01-20"),
]


def dvc_facts(root: Path, **snapshot: Any) -> list[Fact]:
    from mldebt.collectors.registries.dvc import DvcCollector

    return list(DvcCollector().collect(Snapshot(project="p", root=root, **snapshot)))


def located(facts: list[Fact], key: str) -> list[tuple[Any, str | None, int | None]]:
    return [(f.value, f.path, f.line) for f in facts if f.key == key and not f.is_error]


@pytest.fixture
def gto_repo(make_repo) -> Path:
    from .conftest import git

    repo = make_repo(
        "registry",
        [("2026-01-01T10:00:00+00:00", GTO_PROJECT), ("2026-01-09T10:00:00+00:00", {"src/train.py": "# v2\n"})],
    )
    commits = git(repo, "rev-list", "--reverse", "HEAD").split()
    for name, index, day in TAGS:
        git(repo, "tag", "-a", name, "-m", name, commits[index], date=f"{day}T12:00:00+00:00")
    return repo


def test_gto_tags_and_artifacts_are_a_model_registry(gto_repo):
    from mldebt.sources.gitsource import checkout
    from mldebt.sources.portfolio import single_repository

    with checkout(single_repository(gto_repo).projects[0]) as tree:
        facts = dvc_facts(tree.root, commit=tree.commit, git_dir=tree.git_dir, as_of=datetime(2026, 2, 1, tzinfo=UTC))
    assert [f for f in facts if f.is_error] == []
    artifacts = {value["name"]: (value, path, line) for value, path, line in located(facts, "registry.gto.artifacts")}
    assert list(artifacts) == ["churn", "fraud", "models:ranker", "legacy"]
    churn, path, line = artifacts["churn"]
    assert (path, line) == ("artifacts.yaml", 1)
    assert churn == {
        "name": "churn",
        "type": "model",
        "path": "models/churn.pkl",
        "declared_in": "artifacts.yaml",
        "versions": ["v1.0.0", "v1.1.0"],
        "latest": "v1.1.0",
        "stages": {"prod": "v1.0.0", "staging": "v1.1.0"},
        "deprecated": False,
    }
    assert artifacts["fraud"][1:] == ("dvc.yaml", 18) and artifacts["fraud"][0]["versions"] == []
    assert artifacts["models:ranker"][1:] == ("models/dvc.yaml", 2)
    assert artifacts["models:ranker"][0]["versions"] == ["v0.1.0"]
    legacy = artifacts["legacy"]
    assert legacy[1:] == (None, None) and legacy[0]["deprecated"] is True and legacy[0]["type"] is None
    assert located(facts, "registry.gto.tags.count") == [(9, None, None)]  # GTO's own, made by Feb 1


def test_dvc_metrics_plots_and_experiments_are_tracking(tmp_path):
    write_files(tmp_path, GTO_PROJECT)
    facts = dvc_facts(tmp_path)
    assert located(facts, "dvc.metrics") == [
        ({"path": "dvclive/metrics.json", "kind": "metrics", "stage": None}, "dvc.yaml", 13),
        ({"path": "dvclive/plots/metrics", "kind": "plots", "stage": None}, "dvc.yaml", 15),
        ({"path": "reports/metrics.json", "kind": "metrics", "stage": "train"}, "dvc.yaml", 8),
        ({"path": "reports/roc.csv", "kind": "plots", "stage": "train"}, "dvc.yaml", 11),
    ]
    assert located(facts, "dvc.metrics.count") == [(4, None, None)]
    assert located(facts, "dvc.experiments") == [
        ("dvc exp show --md > table.md", "Makefile", 2),
        ("dvc exp run --queue -S train.depth=4", "grid_search.sh", 2),
        ("dvc exp run --run-all", "grid_search.sh", 3),
    ]
    assert located(facts, "dvc.experiments.count") == [(3, None, None)]
    # a plain folder has no tags: the artifacts are declared, their versions unknown
    assert [(f.key, f.error) for f in facts if f.is_error] == [
        ("registry.gto.tags.count", "not a git repository: the versions and stages GTO keeps in git tags are unknown")
    ]
    assert [v["name"] for v, _, _ in located(facts, "registry.gto.artifacts")] == ["churn", "fraud", "models:ranker"]


def test_a_project_without_registry_or_tracking(tmp_path):
    write_files(tmp_path, {"dvc.yaml": "stages:\n  a:\n    cmd: python a.py\n    outs: [a.csv]\n", "a.py": ""})
    facts = dvc_facts(tmp_path)
    assert located(facts, "dvc.metrics.count") == [(0, None, None)]
    assert located(facts, "dvc.experiments.count") == [(0, None, None)]
    assert not any(f.key.startswith("registry.gto") for f in facts)


# --- monitoring: where a library runs, scrape configs, exported metrics, managed jobs -----------------


def monitoring_facts(root: Path) -> list[Fact]:
    from mldebt.collectors.monitoring.collector import MonitoringCollector

    return list(MonitoringCollector(timeout=(0.5, 1.0)).collect(Snapshot(project="p", root=root)))


def one(facts: list[Fact], key: str) -> Any:
    [value] = [f.value for f in facts if f.key == key and not f.is_error]
    return value


def test_a_validation_library_counts_where_the_pipeline_or_service_runs_it(tmp_path):
    write_files(
        tmp_path,
        {
            "src/pipeline/validate.py": "import great_expectations as gx\n\n\ndef run(df):\n"
            "    return gx.from_pandas(df).expect_column_values_to_not_be_null('id')\n",
            "src/serve.py": "import pandera as pa\nfrom pandera.typing import DataFrame\n\nfrom .schemas import Request\n\n\n"
            "@pa.check_types\ndef score(df: DataFrame[Request]) -> DataFrame[Request]:\n    return df\n",
            # only annotations: pandera checks nothing unless something runs the check
            "src/features.py": "from pandera.typing import DataFrame, Series\n\nfrom .schemas import Raw\n\n\n"
            "def clean(df: DataFrame[Raw]) -> DataFrame[Raw]:\n    total: Series[float] = df.amount\n"
            "    return df.assign(total=total)\n",
            "src/typed.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import evidently\n\n\n"
            "def report(r: 'evidently.Report') -> None:\n    print(r)\n",
            # tests, fixtures, conftest: the library is in the tests, not in the pipeline
            "tests/conftest.py": "import great_expectations as gx\nimport pytest\n\n\n@pytest.fixture\n"
            "def context():\n    return gx.get_context()\n",
            "src/pipeline/test_validate.py": "import pandera as pa\n\n\ndef test_schema():\n"
            "    pa.DataFrameSchema({})\n",
            "src/support.py": "import pytest\nimport whylogs\n\n\n@pytest.fixture\ndef profile(df):\n"
            "    return whylogs.log(df)\n",
        },
    )
    facts = monitoring_facts(tmp_path)
    assert [f for f in facts if f.is_error] == []
    assert one(facts, "monitoring.libraries") == {
        "great_expectations": ["src/pipeline/validate.py"],
        "pandera": ["src/serve.py"],
    }
    assert one(facts, "monitoring.libraries.set_aside") == {
        "evidently": {"src/typed.py": "type hints"},
        "great_expectations": {"tests/conftest.py": "tests"},
        "pandera": {"src/features.py": "type hints", "src/pipeline/test_validate.py": "tests"},
        "whylogs": {"src/support.py": "fixtures"},
    }
    watched = {(f.value["concern"], f.value["name"]) for f in facts if f.key == "monitoring.coverage"}
    assert watched == {("data_invariants", "great_expectations"), ("data_invariants", "pandera")}


PROMETHEUS = """\
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: scoring-api
    basic_auth: {username: prom, password: example}
    static_configs:
      - targets: ['api:8000', 'api-canary:8000']
  - job_name: node
    static_configs:
      - targets: ['node-exporter:9100']
"""
CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: prometheus-server}
data:
  prometheus.yml: |
    scrape_configs:
      - job_name: model
        static_configs: [{targets: ['model:8080']}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: scoring-api}
spec:
  endpoints: [{port: http, path: /metrics}]
"""
METRICS = """\
import prometheus_client as prom
from fastapi import FastAPI
from prometheus_client import Counter, Histogram

app = FastAPI()
LATENCY = Histogram("scoring_latency_seconds", "time to score")
DRIFT = prom.Gauge(name="feature_drift_psi", documentation="PSI of each feature", labelnames=["feature"])
PREDICTIONS = Counter("predictions_total", "predictions by class", ["label"])
app.mount("/metrics", prom.make_asgi_app())
"""


def test_a_scrape_config_and_the_metrics_the_service_exports(tmp_path):
    write_files(
        tmp_path,
        {
            "monitoring/prometheus.yml": PROMETHEUS,
            "deploy/prometheus.yaml": CONFIG_MAP,
            "chart/templates/prometheus.yaml": "scrape_configs:\n{{- range .Values.jobs }}\n  - job_name: {{ . }}\n"
            "{{- end }}\n",  # a Helm template: not loadable YAML, not an error of the project
            "api/metrics.py": METRICS,
            "api/test_metrics.py": "from prometheus_client import Summary\n\nS = Summary('s', 'in a test')\n",
        },
    )
    facts = monitoring_facts(tmp_path)
    assert [f for f in facts if f.is_error] == []
    configs = [(f.value, f.path, f.line) for f in facts if f.key == "monitoring.configs"]
    assert configs == [
        (
            {
                "tool": "prometheus",
                "kind": "scrape config",
                "name": "prometheus.yaml",
                "concerns": [],
                "jobs": ["model"],
                "static_targets": 1,
                "rule_files": 0,
                "alertmanagers": False,
            },
            "deploy/prometheus.yaml",
            5,
        ),
        (
            {"tool": "prometheus-operator", "kind": "ServiceMonitor", "name": "scoring-api", "concerns": []}
            | {"endpoints": 1},
            "deploy/prometheus.yaml",
            11,
        ),
        (
            {
                "tool": "prometheus",
                "kind": "scrape config",
                "name": "prometheus.yml",
                "concerns": [],
                "jobs": ["scoring-api", "node"],
                "static_targets": 3,
                "rule_files": 0,
                "alertmanagers": False,
            },
            "monitoring/prometheus.yml",
            3,
        ),
    ]
    metrics = [(f.value, f.path, f.line) for f in facts if f.key == "monitoring.exported_metrics"]
    assert metrics == [
        (
            {"exporter": "prometheus_client", "kind": "Histogram", "name": "scoring_latency_seconds"},
            "api/metrics.py",
            6,
        ),
        ({"exporter": "prometheus_client", "kind": "Gauge", "name": "feature_drift_psi"}, "api/metrics.py", 7),
        ({"exporter": "prometheus_client", "kind": "Counter", "name": "predictions_total"}, "api/metrics.py", 8),
    ]
    assert one(facts, "monitoring.exported_metrics.count") == 3
    exposed = next(f for f in facts if f.key == "monitoring.exported_metrics.exposed")
    assert (exposed.value, exposed.path, exposed.line) == (True, "api/metrics.py", 9)
    assert one(facts, "monitoring.alerts.count") == 0  # a scrape config is no alert


def notebook(*cells: str) -> str:
    import json

    return json.dumps(
        {
            "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def test_managed_monitoring_jobs_in_pipeline_code_and_in_a_notebook(tmp_path):
    write_files(
        tmp_path,
        {
            "08-model-monitoring.ipynb": notebook(
                "from google.cloud import aiplatform_v1beta1 as vertex_ai_beta",
                "project = !gcloud config list --format 'value(core.project)'",
                "job = vertex_ai_beta.ModelDeploymentMonitoringJob(\n    display_name='monitor-endpoint',\n)",
            ),
            "pipeline/monitor.py": "from sagemaker.model_monitor import DefaultModelMonitor\n\n"
            "monitor = DefaultModelMonitor(role='r')\n"
            "monitor.create_monitoring_schedule(monitor_schedule_name='nightly')\n",
            "explore.ipynb": notebook("import evidently\nfrom prometheus_client import Counter\nCounter('c', 'd')"),
        },
    )
    facts = monitoring_facts(tmp_path)
    assert [f for f in facts if f.is_error] == []
    assert [
        (f.value["tool"], f.value["set_up_in"], f.path, f.line) for f in facts if f.key == "monitoring.configs"
    ] == [
        ("vertex-ai", "notebook", "08-model-monitoring.ipynb", None),
        ("sagemaker", "code", "pipeline/monitor.py", 4),
    ]
    coverage = [(f.value["name"], f.path) for f in facts if f.key == "monitoring.coverage"]
    assert ("sagemaker create_monitoring_schedule", "pipeline/monitor.py") in coverage
    assert not any(path.endswith(".ipynb") for _, path in coverage)  # set up by hand: shown, not counted
    # a notebook's imports and metrics are exploration, not the pipeline or serving code
    assert one(facts, "monitoring.libraries") == {}
    assert one(facts, "monitoring.libraries.set_aside") == {"evidently": {"explore.ipynb": "notebook"}}
    assert one(facts, "monitoring.exported_metrics.count") == 0
