"""Code evidence that holds on real repositories (issue 21): each on a minimal repository.

c. a supporting library counts where non-test code really uses it, not for an import, a type hint or a fixture;
f. copies, variants and experimental branches are found by structure, never by a name;
h. a centralized configuration is found where the code reads its settings from one place;
i. experiment tracking (also through framework loggers and tracker configs) and model registries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mldebt.collectors.code import configuration
from mldebt.collectors.code.scan import summarise
from mldebt.collectors.interface import Fact, Snapshot
from mldebt.collectors.repo.collector import RepoCollector

from .conftest import write_files


@pytest.fixture
def scan(tmp_path: Path):
    """Write files into a fresh project; return (values by key, {key: [(path, line, value)]} of .at facts)."""
    count = iter(range(100))

    def run(files: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[tuple[str | None, int | None, Any]]]]:
        root = tmp_path / f"p{next(count)}"
        write_files(root, files)
        facts = list(RepoCollector().collect(Snapshot(project="p", root=root)))
        assert not [f for f in facts if f.is_error], [f for f in facts if f.is_error]
        return _split(facts)

    return run


def _split(facts: list[Fact]) -> tuple[dict[str, Any], dict[str, list[tuple[str | None, int | None, Any]]]]:
    values = {f.key: f.value for f in facts if not f.key.endswith(".at")}
    places: dict[str, list[tuple[str | None, int | None, Any]]] = {}
    for f in facts:
        if f.key.endswith(".at"):
            places.setdefault(f.key[:-3], []).append((f.path, f.line, f.value))
    return values, places


def settings(files: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[tuple[str | None, int | None, Any]]]]:
    """configuration.facts over a project given as {path: text}, as the repository collector hands it over."""
    tests = {rel for rel in files if rel.rsplit("/", 1)[-1].startswith("test_") and rel.endswith(".py")}
    summaries = {rel: summarise(rel, text, is_test=rel in tests) for rel, text in files.items() if rel.endswith(".py")}
    return _split(list(configuration.facts(summaries, tests, sorted(files), files.get)))


# -- c. libraries count where they are used ---------------------------------------------------------

SCHEMA = (
    "import pandera as pa\nfrom pandera.typing import DataFrame\n\nclass Orders(pa.DataFrameModel):\n    amount: int\n"
)


def test_a_pandera_schema_only_in_type_hints_is_not_validation(scan):
    found, _ = scan(
        {"src/features.py": SCHEMA + "\ndef clean(df: DataFrame[Orders]) -> DataFrame[Orders]:\n    return df\n"}
    )
    assert found["code.libraries.validation"] == []


def test_pandera_validating_through_a_decorator_or_a_call_counts(scan):
    found, places = scan(
        {
            "src/features.py": SCHEMA + "\n@pa.check_types\ndef clean(df: DataFrame[Orders]) -> DataFrame[Orders]:\n"
            "    return df\n"
        }
    )
    assert found["code.libraries.validation"] == ["pandera"]
    assert places["code.libraries.validation"] == [("src/features.py", 8, "pandera: @pandera.check_types")]
    found, places = scan(
        {
            "src/schemas.py": SCHEMA,
            "src/pipeline.py": "from schemas import Orders\n\ndef run(df):\n    return Orders.validate(df)\n",
        }
    )
    assert found["code.libraries.validation"] == ["pandera"]
    assert places["code.libraries.validation"] == [
        ("src/schemas.py", 4, "pandera: Orders (pandera class, used in src/pipeline.py)")
    ]


def test_great_expectations_in_tests_fixtures_and_test_helpers_is_not_validation(scan):
    found, _ = scan(
        {
            "tests/conftest.py": "import great_expectations as ge\n\ndef suite():\n    return ge.get_context()\n",
            "tests/test_data.py": "import great_expectations as ge\n\ndef test_x():\n    ge.from_pandas(df)\n",
            "src/checks/fixtures.py": "import pytest\nimport great_expectations as ge\n\n@pytest.fixture\n"
            "def context():\n    return ge.get_context()\n",
            "src/pkg/helpers.py": "import great_expectations as ge\nimport pytest\n\ndef ctx():\n    return ge.get_context()\n",
            "src/pkg/io.py": "import great_expectations as ge\n",
        }
    )
    assert found["code.libraries.validation"] == []


def test_great_expectations_in_the_pipeline_counts_with_its_place(scan):
    found, places = scan(
        {
            "src/pipeline.py": "import great_expectations as ge\n\ndef check(df):\n"
            "    ge.from_pandas(df).expect_column_values_to_not_be_null('id')\n"
        }
    )
    assert found["code.libraries.validation"] == ["great_expectations"]
    assert places["code.libraries.validation"] == [
        (
            "src/pipeline.py",
            4,
            "great_expectations: great_expectations.from_pandas().expect_column_values_to_not_be_null",
        )
    ]


def test_a_route_validates_its_pydantic_parameters_and_variables_are_not_libraries(scan):
    route = "from fastapi import FastAPI\nfrom pydantic import BaseModel\n\napp = FastAPI()\n\nclass Item(BaseModel):\n    x: int\n\n"
    found, places = scan(
        {"app/main.py": route + "@app.post('/predict')\ndef predict(item: Item):\n    return item.x\n"}
    )
    assert (found["code.libraries.validation"], found["code.libraries.serving"]) == (["pydantic"], ["fastapi"])
    assert places["code.libraries.validation"][0][:2] == ("app/main.py", 10)
    found, _ = scan(
        {
            "app/main.py": route + "def helper(item: Item):\n    return item.x\n",
            "plots.py": "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.set_title('t')\nlime = load()\n"
            "lime.explain()\n",
        }
    )
    assert (
        found["code.libraries.validation"],
        found["code.libraries.tuning"],
        found["code.libraries.explainability"],
    ) == (
        [],
        [],
        [],
    )


# -- f. smells by structure, not by name -------------------------------------------------------------

NAMED_LIKE_COPIES = {
    "train_v2.py": "def train_v2(x):\n    return x + 1\n",
    "model_old.py": "def copy_paste(df):\n    df_new = df.copy()\n    return df_new\n",
    "copy_paste.py": "def new_shape(shape):\n    new_shape = list(shape)\n    if new_shape:\n        return new_shape\n"
    "    return None\n",
    "experimental/train_experimental.py": "import argparse\np = argparse.ArgumentParser()\n"
    "p.add_argument('--use_new_loss', action='store_true')\nargs = p.parse_args()\nif args.use_new_loss:\n"
    "    print(1)\nif args.experimental:\n    print(2)\n",
    "notebooks/eda_copy.ipynb": '{"cells": [{"cell_type": "code", "source": "df_new = 1", "metadata": {}, '
    '"outputs": [], "execution_count": null}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
}


def test_names_alone_never_make_a_finding(scan):
    found, places = scan(NAMED_LIKE_COPIES)
    assert (
        found["code.smells.experimental_files"],
        found["code.smells.experimental_functions"],
        found["code.smells.duplicate_functions"],
        found["code.smells.flag_branches"],
        found["code.smells.train_serve_duplicates"],
    ) == ([], 0, 0, 0, 0)
    assert not {k for k in places if k.startswith("code.smells.") and k != "code.smells.dead_code"}


BODY = (
    "    rows = read(path)\n"
    "    rows = [r for r in rows if r.valid]\n"
    "    totals = aggregate(rows, by='customer')\n"
    "    totals['ratio'] = totals.spend / totals.visits\n"
    "    write(totals, target)\n"
    "    return totals\n"
)


def test_copied_function_bodies_are_duplicates_whatever_their_names(scan):
    found, places = scan(
        {
            "jobs/daily.py": "def summarise(path, target):\n" + BODY,
            "jobs/weekly.py": "def build(path, target):\n" + BODY.replace("'customer'", "'region'"),  # a literal apart
        }
    )
    assert found["code.smells.duplicate_functions"] == 1
    assert places["code.smells.duplicate_functions"] == [
        ("jobs/weekly.py", 1, "build: same body as summarise (jobs/daily.py:1)")
    ]
    assert found["code.smells.experimental_functions"] == 0


def test_a_function_edited_in_one_statement_is_a_variant(scan):
    edited = BODY.replace("    write(totals, target)\n", "    totals = totals.dropna()\n    write(totals, target)\n")
    found, places = scan(
        {"jobs/daily.py": "def summarise(path, target):\n" + BODY + "\n\ndef compute(path, target):\n" + edited}
    )
    assert found["code.smells.experimental_functions"] == 1
    assert places["code.smells.experimental_functions"] == [
        ("jobs/daily.py", 10, "compute: one statement away from summarise (jobs/daily.py:1)")
    ]
    assert found["code.smells.duplicate_functions"] == 0


def test_a_notebook_copied_and_edited_is_an_experimental_file(scan):
    cells = [
        "df = load('2026-01')",
        "train, test = split(df[FEATURES], df['y'], test_size=0.25, random_state=42)",
        "clf = Pipeline([('pre', pre), ('model', Model(depth=3))])",
        "clf.fit(train, train_y)",
        "proba = clf.predict_proba(test)[:, 1]",
        "print('AUC', round(auc(test_y, proba), 3))",
        "print(report(test_y, (proba > 0.4).astype(int)))",
        "errors = test[proba.round() != test_y]",
        "errors.to_csv('errors.csv')",
        "summary = errors.describe()",
    ]

    def notebook(sources: list[str]) -> str:
        import json

        return json.dumps(
            {
                "cells": [
                    {"cell_type": "code", "source": s, "metadata": {}, "outputs": [], "execution_count": None}
                    for s in sources
                ],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )

    edited = [c.replace("Model(depth=3)", "Boosted(rate=0.1)") for c in cells]
    found, places = scan({"nb/model.ipynb": notebook(cells), "nb/zz_trial.ipynb": notebook(edited)})
    assert found["code.smells.experimental_files"] == ["nb/zz_trial.ipynb"]
    assert places["code.smells.experimental_files"] == [
        ("nb/zz_trial.ipynb", None, "90% of its code is also in nb/model.ipynb")
    ]


def test_branches_fixed_by_code_or_environment_are_flag_branches(scan):
    _, places = scan(
        {
            "train.py": "import os\nSWITCH = True\nmode = False\n\ndef run(x, mode):\n    if SWITCH:\n        x = 1\n"
            "    if mode:\n        x = 2\n    if os.environ.get('PIPELINE_V2'):\n        x = 3\n    if False:\n        x = 4\n"
            "    return x\n",
            "cli.py": "RENDER = False\n\ndef main(args):\n    global RENDER\n    RENDER = args.render\n    if RENDER:\n"
            "        show()\n",
        }
    )
    assert places["code.smells.flag_branches"] == [
        ("train.py", 6, "SWITCH"),
        ("train.py", 10, "environment PIPELINE_V2"),
        ("train.py", 12, "constant False"),
    ]


# -- i. experiment tracking and model registries -------------------------------------------------------


def test_tensorboard_through_a_dynamic_import_and_keras(scan):
    found, places = scan(
        {
            "logger/visualization.py": "import importlib\n\nclass Writer:\n    def __init__(self, log_dir):\n"
            "        for module in ['torch.utils.tensorboard', 'tensorboardX']:\n"
            "            try:\n                self.writer = importlib.import_module(module).SummaryWriter(log_dir)\n"
            "                break\n            except ImportError:\n                pass\n",
            "trainer.py": "import tensorflow as tf\ncallback = tf.keras.callbacks.TensorBoard(log_dir='logs')\n",
        }
    )
    assert found["code.tracking.libraries"] == ["tensorboard"]
    assert [p[:2] for p in places["code.tracking.calls"]] == [("logger/visualization.py", 7), ("trainer.py", 2)]


def test_vertex_ai_experiments_count_and_plain_sdk_calls_do_not(scan):
    found, places = scan(
        {
            "task.py": "from google.cloud import aiplatform as vertex_ai\n\ndef main(args):\n"
            "    vertex_ai.init(project=args.project, experiment=args.experiment)\n    vertex_ai.start_run('r1')\n"
            "    vertex_ai.log_metrics({'auc': 0.9})\n"
        }
    )
    assert found["code.tracking.libraries"] == ["vertex-ai"]
    assert [p[1] for p in places["code.tracking.calls"]] == [4, 5, 6]
    found, _ = scan(
        {
            "deploy.py": "from google.cloud import aiplatform\naiplatform.init(project='p')\naiplatform.Endpoint('e').predict(x)\n"
        }
    )
    assert found["code.tracking.libraries"] == []


def test_framework_loggers_and_trackers(scan):
    found, _ = scan(
        {
            "lit.py": "from lightning.pytorch import Trainer\nfrom lightning.pytorch.loggers import WandbLogger\n"
            "trainer = Trainer(logger=WandbLogger(project='p'))\n",
            "cat.py": "from catalyst import dl\nloggers = {'tb': dl.TensorboardLogger(logdir='logs')}\n",
            "hf.py": "from transformers import TrainingArguments\nargs = TrainingArguments('out', report_to=['mlflow'])\n",
            "cml.py": "from clearml import Task, Logger\ntask = Task.init(project_name='p')\n"
            "Logger.current_logger().report_scalar('loss', 'train', 0.1, 1)\n",
            "live.py": "from dvclive import Live\nwith Live() as live:\n    live.log_metric('acc', 0.9)\n",
        }
    )
    assert found["code.tracking.libraries"] == ["clearml", "dvclive", "mlflow", "tensorboard", "wandb"]
    found, _ = scan(
        {"lit.py": "from lightning.pytorch import Trainer\ntrainer = Trainer(max_epochs=3)\ntrainer.fit(m)\n"}
    )
    assert found["code.tracking.libraries"] == []  # Lightning's default logger is not a chosen tracker


def test_trackers_configured_in_yaml_are_configured_tracking():
    found, places = settings(
        {
            "configs/train.yaml": "defaults:\n  - logger: null\n",
            "configs/logger/wandb.yaml": "wandb:\n  _target_: lightning.pytorch.loggers.wandb.WandbLogger\n  project: p\n",
            "configs/logger/csv.yaml": "csv:\n  _target_: lightning.pytorch.loggers.csv_logs.CSVLogger\n",
            "configs/trainer/hf.yaml": "args:\n  report_to: [tensorboard]\n",
            "src/train.py": "import hydra\n\n@hydra.main(config_path='../configs', config_name='train')\ndef main(cfg):\n"
            "    pass\n",
        }
    )
    assert found["code.tracking.configured"] == ["tensorboard", "wandb"]
    assert places["code.tracking.configured"] == [
        ("configs/logger/wandb.yaml", 2, "wandb: lightning.pytorch.loggers.wandb.WandbLogger"),
        ("configs/trainer/hf.yaml", 2, "tensorboard: report_to: tensorboard"),
    ]
    found, _ = settings({"configs/train.yaml": "trainer:\n  _target_: lightning.pytorch.Trainer\n"})
    assert found["code.tracking.configured"] == []


def test_model_registry_calls_of_vertex_clearml_wandb_and_sagemaker(scan):
    found, places = scan(
        {
            "components.py": "from google.cloud import aiplatform as vertex_ai\n\ndef push(uri):\n"
            "    return vertex_ai.Model.upload(display_name='m', artifact_uri=uri)\n",
            "infer.py": "from clearml import Task, OutputModel\n\ndef load():\n    task = Task.get_task(task_id='t')\n"
            "    path = task.models['output'][-1].get_local_copy()\n    OutputModel(task=task, name='ranker')\n"
            "    return path\n",
            "wb.py": "import wandb\nrun = wandb.init()\nrun.log_artifact('model.pt', type='model')\nrun.link_model('m', 'reg')\n",
            "sm.py": "import boto3\nfrom sagemaker.workflow.step_collections import RegisterModel\n"
            "step = RegisterModel(name='r', model_package_group_name='g')\n",
        }
    )
    assert [(p[0], p[1]) for p in places["code.registry.calls"]] == [
        ("components.py", 4),
        ("infer.py", 5),
        ("infer.py", 6),
        ("sm.py", 3),
        ("wb.py", 3),
        ("wb.py", 4),
    ]
    found, _ = scan({"train.py": "import mlflow\nwith mlflow.start_run():\n    mlflow.sklearn.log_model(m, 'model')\n"})
    assert found["code.registry.calls"] == 0  # logging a model is not registering it


# -- h. a centralized configuration ---------------------------------------------------------------------


def test_hydra_dvc_params_and_mlproject_are_central_configuration():
    found, places = settings(
        {
            "conf/config.yaml": "defaults:\n  - model: gbm\n",
            "conf/model/gbm.yaml": "depth: 3\n",
            "app.py": "import hydra\n\n@hydra.main(config_path='conf', config_name='config')\ndef main(cfg):\n    pass\n",
        }
    )
    assert found["code.config.centralized"] is True
    assert places["code.config.centralized"] == [("app.py", 3, "Hydra config tree conf, read through hydra in app.py")]
    found, places = settings(
        {
            "params.yaml": "train:\n  seed: 1\n",
            "dvc.yaml": "stages:\n  train:\n    cmd: python src/train.py --params params.yaml\n    params:\n"
            "      - train.seed\n",
            "src/train.py": "import argparse\nimport yaml\np = argparse.ArgumentParser()\n"
            "p.add_argument('--params')\nargs = p.parse_args()\nparams = yaml.safe_load(open(args.params))\n",
        }
    )
    assert places["code.config.centralized"] == [("dvc.yaml", 4, "DVC stage train takes parameters from params.yaml")]
    found, places = settings(
        {
            "MLproject": "name: p\nentry_points:\n  main:\n    parameters:\n      alpha: {type: float, default: 0.5}\n"
            "    command: python train.py {alpha}\n",
            "train.py": "import sys\nalpha = float(sys.argv[1])\n",
        }
    )
    assert places["code.config.centralized"] == [("MLproject", None, "MLproject entry points take 1 parameters")]


def test_a_config_file_the_code_parses_and_a_settings_module_are_central_configuration():
    _, places = settings(
        {
            "config.json": '{"lr": 0.1}\n',
            "parse_config.py": "import json\nfrom pathlib import Path\n\ndef load(folder):\n"
            "    with open(Path(folder) / 'config.json') as f:\n        return json.load(f)\n",
        }
    )
    assert places["code.config.centralized"] == [("parse_config.py", 5, "config.json is named here and parsed as json")]
    module = "import os\nPROJECT = os.getenv('PROJECT', '')\nREGION = os.getenv('REGION', '')\nBUCKET = 'gs://b'\n"
    _, places = settings(
        {
            "src/pipelines/config.py": module,
            "src/pipelines/train.py": "from src.pipelines import config\nprint(config.PROJECT)\n",
            "src/pipelines/runner.py": "from src.pipelines.config import REGION\n",
            "src/tests/test_config.py": "from src.pipelines import config\n",
        }
    )
    assert places["code.config.centralized"] == [
        (
            "src/pipelines/config.py",
            None,
            "Python settings module (3 settings) imported by src/pipelines/runner.py, src/pipelines/train.py",
        )
    ]


def test_argparse_defaults_a_helper_config_py_and_a_config_used_once_are_not_central():
    helpers = "import random\n\ntrain_envs = ['car_racing']\n\ndef random_action(t):\n    return random.random()\n"
    found, _ = settings(
        {
            "config.py": helpers,
            "01_generate.py": "import config\nconfig.random_action(1)\n",
            "02_train.py": "import argparse\nimport config\np = argparse.ArgumentParser()\n"
            "p.add_argument('--epochs', default=10)\n",
            "settings.py": "A = 1\nB = 2\nC = 3\n",
            "main.py": "from settings import A\n",
            "data/params.json": '{"x": 1}\n',
        }
    )
    assert found["code.config.centralized"] is False
