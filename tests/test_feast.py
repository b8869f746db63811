"""Feast collector: feature_store.yaml, declared feature views, and the features code uses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.registries.feast import FeastCollector

from .conftest import corpus_files, write_files

STORE = """\
project: credit_features
registry: data/registry.db
provider: local
online_store:
    type: sqlite
    path: data/online_store.db
entity_key_serialization_version: 3
"""
DEFINITIONS = """\
from datetime import timedelta

import feast
from feast import Entity, FeatureService, FeatureView, Field, FileSource
from feast.on_demand_feature_view import on_demand_feature_view
from feast.types import Float32, Float64, Int64

applicant = Entity(name="applicant", join_keys=["applicant_id"])
bureau_source = FileSource(name="bureau_source", path="data/bureau.parquet", timestamp_field="ts")

bureau_stats = FeatureView(
    name="bureau_stats",
    entities=[applicant],
    ttl=timedelta(days=30),
    schema=[
        Field(name="open_accounts", dtype=Int64),
        Field(name="delinquencies_2y", dtype=Int64),
        Field(name="utilization", dtype=Float32),
        Field(name="inquiries_6m", dtype=Int64),
    ],
    source=bureau_source,
)

income = feast.FeatureView(name="income_stats", entities=[applicant], source=bureau_source,
                           schema=[Field(name="declared_income", dtype=Float32)])


@on_demand_feature_view(sources=[bureau_stats], schema=[Field(name="utilization_sq", dtype=Float64)])
def derived(inputs):
    return inputs


scoring_v1 = FeatureService(name="scoring_v1", features=[bureau_stats[["open_accounts"]], derived])
"""
TRAIN = """\
from feast import FeatureStore

FEATURES = ["bureau_stats:delinquencies_2y", "bureau_stats:utilization", "bureau_stats:typo_feature"]


def training_frame(store: FeatureStore, entities):
    return store.get_historical_features(entity_df=entities, features=FEATURES).to_df()
"""
SERVE = """\
def online(store, rows):
    return store.get_online_features(features=store.get_feature_service("scoring_v1"), entity_rows=rows)
"""


def collect(root: Path) -> list:
    return list(FeastCollector().collect(Snapshot(project="p", root=root)))


def values(facts: list) -> dict:
    return {f.key: f.value for f in facts if not f.is_error}


def errors(facts: list) -> list[tuple[str, str, str | None, int | None]]:
    return [(f.key, f.error, f.path, f.line) for f in facts if f.is_error]


def test_declared_features_against_those_code_uses(tmp_path):
    write_files(
        tmp_path,
        {
            "features/feature_store.yaml": STORE,
            "features/definitions.py": DEFINITIONS,
            "src/train.py": TRAIN,
            "src/serve.py": SERVE,
        },
    )
    facts = collect(tmp_path)
    assert errors(facts) == []
    got = values(facts)
    assert got["feast.repos"] == ["features/feature_store.yaml"]
    assert got["feast.projects"] == {"features/feature_store.yaml": "credit_features"}
    assert got["feast.online_stores"] == {"features/feature_store.yaml": "sqlite"}
    assert got["feast.offline_stores"] == {"features/feature_store.yaml": "file"}
    assert got["feast.feature_views"] == ["bureau_stats", "derived", "income_stats"]
    assert got["feast.entities"] == ["applicant"]
    assert got["feast.feature_services"] == ["scoring_v1"]
    assert got["feast.features.declared"] == 6
    # the training code names two features; the serving code uses the service (open_accounts, derived)
    assert got["feast.features.referenced"] == 4
    assert got["feast.features.unused"] == ["bureau_stats:inquiries_6m", "income_stats:declared_income"]
    assert got["feast.features.unknown"] == ["bureau_stats:typo_feature"]


def test_references_in_notebooks_count(tmp_path):
    notebook = {
        "cells": [
            {"cell_type": "code", "source": ["%matplotlib inline\n", "feats = ['income_stats:declared_income']\n"]}
        ]
    }
    write_files(
        tmp_path,
        {
            "feature_repo/feature_store.yaml": STORE,
            "feature_repo/defs.py": DEFINITIONS,
            "explore.ipynb": json.dumps(notebook),
        },
    )
    got = values(collect(tmp_path))
    assert got["feast.features.referenced"] == 1
    assert "income_stats:declared_income" not in got["feast.features.unused"]


def test_a_project_without_feast(tmp_path):
    write_files(tmp_path, {"train.py": "x = 'a:b'\n"})
    assert values(collect(tmp_path)) == {"feast.repos": []}


@pytest.mark.parametrize(
    "files,expected",
    [
        (
            {"fr/feature_store.yaml": "project: [x\n"},
            (
                "feast.repos",
                "fr/feature_store.yaml:2:1: YAML syntax error: while parsing a flow sequence expected ',' "
                "or ']', but got '<stream end>'",
                "fr/feature_store.yaml",
                2,
            ),
        ),
        (
            {"fr/feature_store.yaml": "registry: x\n"},
            (
                "feast.repos",
                "fr/feature_store.yaml: not a Feast configuration (no 'project' key)",
                "fr/feature_store.yaml",
                1,
            ),
        ),
        (
            {"fr/feature_store.yaml": STORE, "fr/bad.py": "def broken(:\n"},
            ("feast.feature_views", "fr/bad.py: Python syntax error: invalid syntax", "fr/bad.py", 1),
        ),
    ],
)
def test_unreadable_files_are_error_facts(tmp_path, files, expected):
    write_files(tmp_path, files)
    assert errors(collect(tmp_path)) == [expected]


def test_the_collector_produces_only_declared_keys(tmp_path):
    write_files(
        tmp_path, {"features/feature_store.yaml": STORE, "features/definitions.py": DEFINITIONS, "src/train.py": TRAIN}
    )
    assert {f.key for f in collect(tmp_path)} <= set(FeastCollector.keys)


def test_every_corpus_feature_store_is_read(corpus, tmp_path):
    read, failed = [], []
    for index, source in enumerate(corpus_files(corpus, "features")):
        folder = tmp_path / str(index)
        folder.mkdir()
        shutil.copyfile(source, folder / "feature_store.yaml")
        facts = collect(folder)
        got = values(facts)
        read += [(source.name.split("__")[-3], got)] if got["feast.repos"] else []
        failed += [(source.name.split("__")[-3], e) for e in errors(facts)]
    by_template = dict(read)
    assert set(by_template) == {"local", "minimal"}
    # the aws template's %PLACEHOLDER% values are not plain YAML: an error fact with its line
    assert failed == [
        (
            "aws",
            (
                "feast.repos",
                "feature_store.yaml:22:17: YAML syntax error: while scanning for "
                "the next token found character '%' that cannot start any token",
                "feature_store.yaml",
                22,
            ),
        )
    ]
    local = by_template["local"]
    assert (local["feast.providers"], local["feast.online_stores"]) == (
        {"feature_store.yaml": "local"},
        {"feature_store.yaml": "sqlite"},
    )
    assert local["feast.placeholders"] == {"feature_store.yaml": []}
    minimal = by_template["minimal"]
    # an online store with only a path (the default type applies) and /path/to placeholders
    assert minimal["feast.online_stores"] == {"feature_store.yaml": "sqlite"}
    assert minimal["feast.placeholders"] == {"feature_store.yaml": ["online_store.path", "registry"]}


def test_the_feature_repository_the_portfolio_names_must_exist(tmp_path):
    write_files(tmp_path, {"features/feature_store.yaml": STORE})
    snapshot = Snapshot(project="p", root=tmp_path, sources={"registries": {"feature_store": "feature_repo"}})
    facts = list(FeastCollector().collect(snapshot))
    assert errors(facts) == [
        (
            "feast.repos",
            "feature_repo: the portfolio names this feature repository, but it holds no feature_store.yaml",
            "feature_repo",
            None,
        )
    ]
    assert values(facts)["feast.repos"] == ["features/feature_store.yaml"]
    named = Snapshot(project="p", root=tmp_path, sources={"registries": {"feature_store": "features/"}})
    assert errors(list(FeastCollector().collect(named))) == []
