"""Which files are tests (by what they hold, not only their names), which tests check data or models,
the languages of the program code and the debt markers of its Python files (issue 21, class g)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from mldebt.collectors.code import scan
from mldebt.collectors.interface import Fact, Snapshot
from mldebt.collectors.repo.collector import RepoCollector

from .conftest import write_files


def facts_of(root: Path) -> list[Fact]:
    return list(RepoCollector().collect(Snapshot(project="p", root=root)))


def values(facts: list[Fact]) -> dict:
    return {f.key: f.value for f in facts if not f.is_error}


def located(facts: list[Fact], key: str) -> list[tuple[str | None, int | None, str]]:
    return [(f.path, f.line, f.value) for f in facts if f.key == key]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


LOCUST = """from locust import HttpUser, between, task


class WebsiteUser(HttpUser):
    wait_time = between(0, 1)

    @task
    def predict(self):
        self.client.post("/predict", json={})
"""
EVALUATE = (
    "import torch\n\n\ndef main(config):\n    return torch.load(config)\n\n\nif __name__ == '__main__':\n    main(1)\n"
)


def test_a_file_is_a_test_file_when_it_holds_tests_that_pytest_or_unittest_collect(project):
    write_files(
        project,
        {
            "tests/test_train.py": "def test_a():\n    assert 1\n",
            "src/tests/etl_tests.py": "def test_etl():\n    assert 1\n",  # *_tests.py
            "pkg/model_test.py": "import unittest\n\n\nclass Model(unittest.TestCase):\n    def test_x(self):\n        pass\n",
            "app/tests.py": "from unittest import TestCase as TC\n\n\nclass Views(TC):\n    def test_v(self):\n        pass\n",
            "api/misc/locust_load_test.py": LOCUST,  # a Locust load script
            "test.py": EVALUATE,  # an evaluation script
            "tests/test_with_init.py": "class TestX:\n    def __init__(self):\n        pass\n\n    def test_no(self):\n        pass\n",
            "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef x():\n    return 1\n",
            "tests/helpers/run_if.py": "def test_helper():\n    pass\n",  # not a test file name
            "test_notebook.ipynb": json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        },
    )
    found = values(facts_of(project))
    assert found["repo.tests.paths"] == [
        "app/tests.py",
        "pkg/model_test.py",
        "src/tests/etl_tests.py",
        "tests/test_train.py",
    ]
    assert found["repo.tests.files"] == 4
    assert found["repo.tests.functions"] == 4
    assert found["repo.tests.not_tests"] == ["api/misc/locust_load_test.py", "test.py", "tests/test_with_init.py"]
    assert found["repo.tests.frameworks"] == ["unittest"]
    # what is not a test is read as the code it is
    assert found["repo.python.modules"] == 9 - 4
    assert "test.py" in found["code.pipeline.entry_scripts"]  # its main guard


def test_pytest_python_files_setting_makes_other_names_collectable(project):
    write_files(
        project,
        {
            "pytest.ini": "[pytest]\npython_files = check_*.py\n",
            "checks/check_rows.py": "def test_rows():\n    assert 1\n",
            "sub/pyproject.toml": '[tool.pytest.ini_options]\npython_files = ["spec_*.py"]\n',
            "sub/spec_model.py": "def test_spec():\n    assert 1\n",
            "other/check_nothing.py": "def helper():\n    pass\n",
        },
    )
    found = values(facts_of(project))
    assert found["repo.tests.paths"] == ["checks/check_rows.py", "sub/spec_model.py"]
    assert found["repo.tests.not_tests"] == ["other/check_nothing.py"]


def test_a_candidate_is_parsed_once(project, monkeypatch):
    calls = []
    real = ast.parse

    def counting(source, *args, **kwargs):
        calls.append(kwargs.get("filename"))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(scan.ast, "parse", counting)
    write_files(project, {"tests/test_a.py": "def test_a():\n    assert 1\n", "load_test.py": LOCUST})
    found = values(facts_of(project))
    assert sorted(c for c in calls if c) == ["load_test.py", "tests/test_a.py"]
    assert found["repo.tests.paths"] == ["tests/test_a.py"]


def test_an_unparsable_candidate_is_reported_as_a_test_file(project):
    write_files(project, {"tests/test_broken.py": "def test_x(:\n"})
    facts = facts_of(project)
    assert [(f.key, f.path) for f in facts if f.is_error] == [("repo.tests.unparsed", "tests/test_broken.py")]


DATAMODULE = """class MNISTDataModule:
    def __init__(self, batch_size=32):
        self.data_train = None

    def train_dataloader(self):
        return []
"""
DATAMODULE_TEST = """import torch

from src.data.mnist_datamodule import MNISTDataModule


def test_mnist_datamodule():
    dm = MNISTDataModule(batch_size=4)
    dm.setup()
    total = len(dm.data_train) + len(dm.data_val)
    assert total == 70_000
    x, y = next(iter(dm.train_dataloader()))
    assert x.dtype == torch.float32
"""
QUERY_TEST = """from google.cloud import bigquery

from src.common import datasource_utils


def test_training_query():
    query = datasource_utils.source_query(limit=100)
    client = bigquery.Client(project="p")
    df = client.query(query).to_dataframe()
    columns = set(df.columns)
    assert columns == {"a", "b"}
"""
READER_TEST = """import pandas as pd


class TestRaw:
    def setup_method(self):
        self.raw = pd.read_csv("data/raw.csv")

    def test_no_nulls(self):
        assert not self.raw.isnull().any().any()
"""


def test_tests_that_assert_on_data_are_data_tests_with_where(project):
    write_files(
        project,
        {
            "src/data/mnist_datamodule.py": DATAMODULE,
            "src/common/datasource_utils.py": "def source_query(limit):\n    return 'select 1'\n",
            "tests/test_datamodules.py": DATAMODULE_TEST,
            "tests/test_query.py": QUERY_TEST,
            "tests/test_raw.py": READER_TEST,
        },
    )
    facts = facts_of(project)
    found = values(facts)
    assert found["repo.tests.data"] == 3
    assert located(facts, "repo.tests.data.at") == [
        (
            "tests/test_datamodules.py",
            10,
            "test_mnist_datamodule asserts on data from src.data.mnist_datamodule.MNISTDataModule",
        ),
        ("tests/test_query.py", 11, "test_training_query asserts on data from google.cloud.bigquery.Client"),
        ("tests/test_raw.py", 9, "TestRaw.test_no_nulls asserts on data from pandas.read_csv"),
    ]
    # train_dataloader() reads data, it does not train a model
    assert found["repo.tests.model"] == 0


SYNTHETIC_FIXTURE = """import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def data():
    x = np.random.uniform(-1, 1, size=100)
    return pd.DataFrame({"x": x, "y": 2 * x})
"""
URL_TEST = """from app.security import validate_url, sanitise


def test_validate_url_rejects_javascript():
    assert validate_url("javascript:alert(1)") is False


def test_schema_validation_of_input():
    assert sanitise("<b>") == "&lt;b&gt;"
"""
REQUEST_TEST = """from app.schemas import PredictRequest


def test_request_validation():
    assert PredictRequest(url="http://x").url == "http://x"
"""
MODEL_TEST = """from src.data.load import load_features
from src.model import Model


def test_one_prediction_per_row():
    X = load_features()
    model = Model()
    model.fit(X)
    pred = model.predict(X)
    assert pred.shape == (X.shape[0],)
"""


def test_tests_of_their_own_fixture_of_urls_or_of_models_are_not_data_tests(project):
    write_files(
        project,
        {
            "tests/conftest.py": SYNTHETIC_FIXTURE,
            "tests/test_placeholder.py": "def test_something(data):\n    assert len(data) == 100\n",
            "app/security.py": "def validate_url(url):\n    return url.startswith('http')\n\n\ndef sanitise(s):\n    return s\n",
            "app/schemas.py": "from pydantic import BaseModel\n\n\nclass PredictRequest(BaseModel):\n    url: str\n",
            "tests/test_security.py": URL_TEST,
            "tests/test_api.py": REQUEST_TEST,
            "src/data/load.py": "import pandas as pd\n\n\ndef load_features():\n    return pd.read_csv('x.csv')\n",
            "src/model.py": "class Model:\n    def fit(self, X):\n        pass\n\n    def predict(self, X):\n        return X\n",
            "tests/test_model.py": MODEL_TEST,
            "tests/helpers/frames.py": "import pandas as pd\n\n\ndef make_df():\n    return pd.DataFrame({'a': [1]})\n",
            "tests/test_helper.py": "from tests.helpers.frames import make_df\n\n\ndef test_h():\n    assert len(make_df()) == 1\n",
        },
    )
    facts = facts_of(project)
    found = values(facts)
    assert found["repo.tests.functions"] == 6
    assert found["repo.tests.data"] == 0
    assert found["repo.tests.data_libraries"] == []
    assert located(facts, "repo.tests.model.at") == [
        ("tests/test_model.py", 5, "test_one_prediction_per_row: prediction, training")
    ]


PANDERA_SCHEMA = (
    "import pandera as pa\n\nRAW = pa.DataFrameSchema({})\n\n\ndef validate_raw(df):\n    return RAW.validate(df)\n"
)
FIXTURES = """import pytest

from src.prep import load_df, split_df


@pytest.fixture
def titanic_splits():
    df = load_df()
    return split_df(df)
"""
FIXTURE_TEST = """from tests.fixtures import titanic_splits


def test_no_leak(titanic_splits):
    train, test = titanic_splits
    assert len(train) + len(test) == 891
"""


def test_validation_libraries_and_fixtures_that_load_data_make_data_tests(project):
    write_files(
        project,
        {
            "src/credit/schema.py": PANDERA_SCHEMA,
            "tests/test_schema.py": "from credit.schema import validate_raw\n\n\ndef test_ok(frame):\n    validate_raw(frame)\n",
            "src/prep.py": "def load_df():\n    return []\n\n\ndef split_df(df):\n    return df, df\n",
            "tests/fixtures.py": FIXTURES,
            "tests/test_leak.py": FIXTURE_TEST,
        },
    )
    facts = facts_of(project)
    found = values(facts)
    assert found["repo.tests.data"] == 2
    assert found["repo.tests.data_libraries"] == ["pandera"]
    assert located(facts, "repo.tests.data.at") == [
        ("tests/test_leak.py", 6, "test_no_leak asserts on data from src.prep.split_df"),
        ("tests/test_schema.py", 4, "test_ok calls pandera"),
    ]


def test_model_kinds_come_from_what_a_test_does_not_from_its_data_names(project):
    write_files(
        project,
        {
            "tests/test_prep.py": "from src.prep import fill\n\n\ndef test_fill(dummy_df):\n    assert fill(dummy_df) == 1\n",
            "tests/test_baseline.py": (
                "from sklearn.dummy import DummyClassifier\n\n\n"
                "def test_beats_chance(X, y):\n    assert DummyClassifier().fit(X, y).score(X, y) < 0.9\n"
            ),
        },
    )
    found = values(facts_of(project))
    assert found["repo.tests.model_kinds"] == {"baseline": 1, "evaluation": 1, "training": 1}
    assert found["repo.tests.model"] == 1


NOTEBOOK_R = {
    "cells": [{"cell_type": "code", "source": "x <- 1", "metadata": {}, "outputs": [], "execution_count": 1}],
    "metadata": {"kernelspec": {"display_name": "R", "language": "R", "name": "ir"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_program_languages_leave_glue_out_and_count_terraform_and_notebook_kernels(project):
    write_files(
        project,
        {
            "src/train.py": "x = 1\n",
            "scripts/run.sh": "python src/train.py\n",
            "Makefile": "run:\n\tbash scripts/run.sh\n",
            "Dockerfile": "FROM python:3.11\n",
            "docs/javascripts/mathjax.js": "window.MathJax = {};\n",  # the docs site's, not the program's
            "explore.ipynb": json.dumps({**NOTEBOOK_R, "metadata": {}}),  # no kernel named: Python
        },
    )
    assert values(facts_of(project))["repo.languages.program"] == ["Python"]
    write_files(project, {"provision/terraform/main.tf": 'resource "google_storage_bucket" "b" {}\n'})
    found = values(facts_of(project))
    assert found["repo.languages.program"] == ["HCL", "Python"]
    assert found["repo.languages"]["HCL"] == 1
    write_files(project, {"analysis.ipynb": json.dumps(NOTEBOOK_R)})
    assert values(facts_of(project))["repo.languages.program"] == ["HCL", "Python", "R"]


def test_python_debt_markers_count_only_python_files(project):
    write_files(
        project,
        {
            "src/a.py": "# TODO: one\nx = 1  # FIXME two\n# XXX three\n# KLUDGE not counted here\n",
            "tests/test_a.py": "def test_a():\n    pass  # HACK four\n",
            "n.ipynb": json.dumps(
                {"cells": [{"cell_type": "code", "source": "# TODO nb", "metadata": {}, "outputs": []}], "metadata": {}}
            ),
            "run.sh": "# TODO shell\n",
            "settings.ini": "# TODO ini\n",
        },
    )
    found = values(facts_of(project))
    assert found["repo.debt_markers.python"] == 4
    assert found["repo.debt_markers.count"] == 7  # also the notebook's, the shell script's and KLUDGE


def test_an_expression_too_deep_to_follow_leaves_the_test_counted(project):
    deep = "+".join(["df"] * 1500)
    write_files(
        project,
        {
            "tests/test_deep.py": (
                f"import pytest\n\n\n@pytest.fixture\ndef df():\n    return {deep}\n\n\n"
                f"def test_deep(df):\n    y = {deep}\n    assert y == 1\n"
            ),
        },
    )
    facts = facts_of(project)
    assert not [f for f in facts if f.is_error]
    assert values(facts)["repo.tests.functions"] == 1
