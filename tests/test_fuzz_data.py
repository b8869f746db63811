"""Fuzzing data and registry files: DVC (pipelines, locks, .dvc files, config, params), Feast, the MLflow file store."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .fuzz_strategies import FUZZ, lines, run_collector, seeds, yaml_documents

DVC_KEYS = [
    "stages",
    "cmd",
    "deps",
    "outs",
    "params",
    "metrics",
    "plots",
    "frozen",
    "wdir",
    "foreach",
    "do",
    "vars",
    "always_changed",
    "cache",
    "persist",
    "path",
    "md5",
    "hash",
    "size",
    "nfiles",
    "schema",
    "isexec",
    "remote",
    "push",
    "desc",
    "meta",
    "frozen",
    "matrix",
    "artifacts",
    "type",
]
DVC_WORDS = [
    "python train.py",
    "data/raw.csv",
    "data/prepared",
    "model.pkl",
    "params.yaml:train.lr",
    "train.lr",
    "${item}",
    "${vars.x}",
    "md5",
    "2.0",
    "d41d8cd98f00b204e9800998ecf8427e",
    "../outside",
    "/abs/path",
    "metrics.json",
    "true",
    "1",
    "data/*.csv",
    "train",
    "prepare",
    "evaluate",
    "a:b:c",
]
DVC_CONFIG = [
    "[core]",
    "remote = storage",
    "['remote \"storage\"']",
    '[remote "storage"]',
    "url = s3://bucket/dvc",
    "url = gs://b",
    "url = /mnt/dvc",
    "url = https://user:pass@example.com/dvc",
    "autostage = true",
    "[cache]",
    "type = hardlink",
    "access_key_id = x",
    "[",
    "= x",
    "url",
    "no_scm = 1",
]
IMPORT_KEYS = ["deps", "outs", "path", "repo", "url", "rev", "rev_lock", "md5", "frozen", "wdir", "md5", "size"]
FEAST_KEYS = [
    "project",
    "registry",
    "provider",
    "online_store",
    "offline_store",
    "type",
    "path",
    "connection_string",
    "entity_key_serialization_version",
    "host",
    "port",
    "region",
    "cluster_id",
    "database",
    "schema",
    "batch_engine",
    "flags",
    "registry_type",
    "cache_ttl_seconds",
]
FEAST_WORDS = [
    "local",
    "gcp",
    "aws",
    "sqlite",
    "redis",
    "file",
    "snowflake.offline",
    "data/registry.db",
    "%REDIS_HOST%",
    "/path/to/registry",
    "<project>",
    "postgresql://u:p@db:5432/f",
    "2",
    "3",
]
FEAST_PY = [
    "from feast import Entity, FeatureView, Field, FileSource, FeatureService",
    "from datetime import timedelta",
    "driver = Entity(name='driver', join_keys=['driver_id'])",
    "src = FileSource(path='x.parquet')",
    "stats = FeatureView(",
    "    name='driver_stats',",
    "    entities=[driver],",
    "    schema=[",
    "        Field(name='conv_rate', dtype=Float32),",
    "        Field(name=1, dtype=x),",
    "    ],",
    ")",
    "svc = FeatureService(name='svc', features=[stats])",
    "svc = FeatureService(name='svc', features=[stats[['conv_rate']]])",
    "@on_demand_feature_view(sources=[stats], schema=[Field(name='x', dtype=Float64)])",
    "def odfv(df):",
    "    return df",
    "features = ['driver_stats:conv_rate', 'x:y']",
    "store.get_online_features(features=f)",
    "FeatureView(*args, **kwargs)",
    "stats = FeatureView(name=name)",
    "def f(:",
    "class X(FeatureView): pass",
]
META_KEYS = [
    "artifact_uri",
    "end_time",
    "entry_point_name",
    "experiment_id",
    "lifecycle_stage",
    "name",
    "run_id",
    "run_name",
    "run_uuid",
    "source_name",
    "source_type",
    "start_time",
    "status",
    "tags",
    "user_id",
    "creation_timestamp",
    "last_updated_timestamp",
    "description",
    "version",
    "current_stage",
    "source",
    "aliases",
    "model_id",
    "storage_location",
]
META_WORDS = [
    "active",
    "deleted",
    "Production",
    "Staging",
    "None",
    "1700000000000",
    "-1",
    "99999999999999999",
    "mlflow-artifacts:/1/abc/artifacts/model",
    "models:/m/1",
    "file:///mlruns/1/abc/artifacts/model",
    "champion",
    "credit-default",
    "abc",
    "../../../etc",
]
MLMODEL_KEYS = [
    "artifact_path",
    "flavors",
    "python_function",
    "sklearn",
    "loader_module",
    "signature",
    "inputs",
    "outputs",
    "saved_input_example_info",
    "model_uuid",
    "run_id",
    "utc_time_created",
    "mlflow_version",
]


@pytest.mark.parametrize("rel", ["dvc.yaml", "dvc.lock", "params.yaml"])
def test_dvc_pipelines_locks_and_params_give_facts_or_error_facts(rel):
    real = seeds(f"corpus:data/*{rel}", f"sample_projects/*/layers/*/{rel}")

    @FUZZ
    @given(
        yaml_documents(DVC_KEYS, DVC_WORDS, real),
        st.sampled_from(seeds("sample_projects/*/layers/*/dvc.yaml")[:1] + [b""]),
    )
    def check(data, pipeline):
        files = {rel: data} if rel == "dvc.yaml" else {rel: data, "dvc.yaml": pipeline}
        facts = run_collector("dvc", files)
        assert any(f.key == "dvc.pipelines" for f in facts)

    check()


@FUZZ
@given(
    yaml_documents(
        IMPORT_KEYS + DVC_KEYS, DVC_WORDS, seeds("corpus:data/*.dvc", "sample_projects/*/layers/*/data/*.dvc")
    ),
    lines(DVC_CONFIG, seeds("sample_projects/*/layers/*/.dvc/config")),
)
def test_dvc_files_and_config_give_facts_or_error_facts(tracked, config):
    facts = run_collector("dvc", {"data/raw.csv.dvc": tracked, ".dvc/config": config})
    assert any(f.key == "dvc.files" for f in facts)


@FUZZ
@given(yaml_documents(FEAST_KEYS, FEAST_WORDS, seeds("corpus:features/*")), lines(FEAST_PY))
def test_feast_repositories_give_facts_or_error_facts(config, definitions):
    facts = run_collector(
        "feast",
        {
            "features/feature_store.yaml": config,
            "features/defs.py": definitions,
            "train.py": b"features = ['driver_stats:conv_rate']\n",
        },
        {"registries": {"feature_store": "features"}},
    )
    assert any(f.key == "feast.repos" for f in facts)


@FUZZ
@given(
    yaml_documents(META_KEYS, META_WORDS, seeds("sample_projects/*/layers/*/mlruns/**/meta.yaml")),
    yaml_documents(MLMODEL_KEYS, META_WORDS, seeds("sample_projects/*/layers/*/mlruns/**/MLmodel")),
    st.sampled_from([b"0.91", b"1700000000000 0.91 0\n", b"x y z", b"nan", b"", b"\xff\xfe"]),
)
def test_mlflow_file_stores_give_facts_or_error_facts(meta, mlmodel, value):
    run = "mlruns/1/abc"
    files = {
        "mlruns/1/meta.yaml": meta,
        f"{run}/meta.yaml": meta,
        f"{run}/artifacts/model/MLmodel": mlmodel,
        f"{run}/metrics/auc": value,
        f"{run}/params/lr": value,
        f"{run}/tags/mlflow.runName": value,
        "mlruns/models/m/meta.yaml": meta,
        "mlruns/models/m/version-1/meta.yaml": meta,
        "mlruns/models/m/aliases/champion": value,
    }
    facts = run_collector("mlflow", files, {"registries": {"models": ["m"]}})
    assert any(f.key == "registry.mlflow.source" for f in facts)
