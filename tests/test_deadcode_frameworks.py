"""Dead code that knows ML frameworks (issue 21 class e): what a framework, a decorator or a file reaches is not dead."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mldebt.collectors.code.deadcode import file_state, unparsed_state, unused
from mldebt.collectors.code.references import named_in_files
from mldebt.collectors.interface import Snapshot
from mldebt.collectors.repo.collector import RepoCollector

from .conftest import write_files


@pytest.fixture
def dead(tmp_path: Path):
    """Write files into a fresh project, collect it, and return what it reports dead as {(path, line, name)}."""
    count = iter(range(100))

    def run(files: dict[str, str]) -> set[tuple[str, int, str]]:
        root = tmp_path / f"p{next(count)}"
        write_files(root, files)
        facts = list(RepoCollector().collect(Snapshot(project="p", root=root)))
        assert not [f for f in facts if f.is_error], [f for f in facts if f.is_error]
        values = {f.key: f.value for f in facts}
        places = {(f.path, f.line, f.value.split("'")[1]) for f in facts if f.key == "code.smells.dead_code.at"}
        assert values["code.smells.dead_code"] == len(places) < 20
        return places

    return run


def states(files: dict[str, str]) -> list[tuple[str, dict]]:
    """The per-file halves, as the scan makes them (a test of the whole-program half without a collector)."""
    return [(rel, file_state(ast.parse(text), rel, text.splitlines())) for rel, text in sorted(files.items())]


MODELS = """\
import logging

import lightning as L
import pytorch_lightning as pl
import torch.nn as nn
from sklearn.base import BaseEstimator, TransformerMixin
from tensorflow import keras
from torch.utils.data import Dataset

from pkg.base import LitBase


class Net(nn.Module):
    def forward(self, x):
        return x

    def extra_repr(self):
        return "net"

    def never_called(self):
        return 1


class Lit(LitBase):
    def training_step(self, batch, batch_idx):
        return batch

    def validation_step(self, batch, batch_idx):
        return batch

    def configure_optimizers(self):
        return None

    def on_train_epoch_end(self):
        pass

    @property
    def example_input_array(self):
        return None

    def helper_nobody_calls(self):
        return 2


class Data(L.LightningDataModule):
    def prepare_data(self):
        pass

    def setup(self, stage):
        pass

    def train_dataloader(self):
        return []

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass

    def teardown(self, stage):
        pass


class StepsMixin:
    def test_step(self, batch, batch_idx):
        return batch


class Mixed(StepsMixin, pl.LightningModule):
    pass


class Block(keras.layers.Layer):
    def build(self, shape):
        pass

    def call(self, x):
        return x

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()

    def compute_output_shape(self, shape):
        return shape


class Scale(BaseEstimator, TransformerMixin):
    def fit(self, x, y=None):
        return self

    def transform(self, x):
        return x

    @property
    def n_features_out_(self):
        return 1

    def __sklearn_tags__(self):
        return None


class Images(Dataset):
    def __len__(self):
        return 0

    def __getitem__(self, i):
        return i


class ToDb(logging.Handler):
    def emit(self, record):
        pass


class Plain:
    def forward(self, x):
        return x

    def training_step(self, batch):
        return batch
"""

USES = "from pkg.models import Net, Lit, Data, Mixed, Block, Scale, Images, ToDb, Plain\n\nprint(Net, Lit, Data, Mixed, Block, Scale, Images, ToDb, Plain)\n"


def test_framework_callbacks_are_not_dead_but_a_plain_class_and_helpers_are(dead):
    found = dead(
        {
            "pkg/__init__.py": "",
            "pkg/base.py": "import lightning.pytorch as lp\n\n\nclass LitBase(lp.LightningModule):\n    pass\n",
            "pkg/models.py": MODELS,
            "run.py": USES,
        }
    )
    plain = MODELS.index("class Plain")
    assert found == {
        ("pkg/models.py", line_of(MODELS, "def never_called"), "never_called"),  # an nn.Module's helper nobody calls
        ("pkg/models.py", line_of(MODELS, "def helper_nobody_calls"), "helper_nobody_calls"),  # a LightningModule's
        ("pkg/models.py", line_of(MODELS, "def forward", plain), "forward"),  # no framework calls a plain class
        ("pkg/models.py", line_of(MODELS, "def training_step", plain), "training_step"),
    }


def line_of(text: str, needle: str, start: int = 0) -> int:
    return text.count("\n", 0, text.index(needle, start)) + 1


def test_decorators_and_names_a_framework_calls(dead):
    found = dead(
        {
            "pkg/zoo.py": "from pkg.registry import register_model, MODELS, registry\n\n\n"
            "@register_model\ndef resnet_tiny(pretrained=False):\n    return 1\n\n\n"
            "@MODELS.register_module()\nclass Head:\n    pass\n\n\n"
            '@registry.register("mlp")\ndef mlp():\n    return 2\n\n\n'
            "def not_registered():\n    return 3\n",
            "pkg/registry.py": "MODELS = registry = None\n\n\ndef register_model(fn):\n    return fn\n",
            "pkg/app.py": "import click\nimport hydra\nimport typer\nfrom fastapi import APIRouter, FastAPI\n"
            "from flask import Flask\nfrom kedro.framework.hooks import hook_impl\n\n"
            "app, router, web, cli = FastAPI(), APIRouter(), Flask(__name__), typer.Typer()\n\n\n"
            '@hydra.main(config_path="conf")\ndef train(cfg):\n    pass\n\n\n'
            "@click.group()\ndef tools():\n    pass\n\n\n@tools.command()\ndef export():\n    pass\n\n\n"
            '@cli.command()\ndef evaluate():\n    pass\n\n\n@app.get("/health")\ndef health():\n    return 1\n\n\n'
            '@router.post("/predict")\ndef predict():\n    return 1\n\n\n@web.route("/")\ndef index():\n    return 1\n\n\n'
            "class Hooks:\n    @hook_impl\n    def after_catalog_created(self, catalog):\n        pass\n\n\n"
            "print(Hooks)\n",
            "tests/conftest.py": "import pytest\n\n\ndef pytest_addoption(parser):\n    pass\n\n\n"
            "@pytest.fixture\ndef model():\n    return 1\n",
            "docs/conf.py": 'project = "p"\nhtml_theme = "alabaster"\n\n\ndef setup(app):\n    pass\n',
            "hubconf.py": "def resnet18(pretrained=False):\n    return 1\n",
            "pkg/cli.py": "import enum\n\nimport fire\n\n\nclass Tool:\n    def train(self):\n        pass\n\n"
            "    def _private(self):\n        pass\n\n\nclass Meta(type):\n    def __new__(cls, name, bases, ns):\n"
            "        return super().__new__(cls, name, bases, ns)\n\n    def __init_subclass__(cls):\n        pass\n\n\n"
            "class Color(enum.Enum):\n    RED = 1\n\n    @classmethod\n    def _missing_(cls, value):\n"
            "        return cls.RED\n\n\nprint(Meta, Color)\nfire.Fire(Tool)\n",
        }
    )
    assert {(path, name) for path, _, name in found} == {("pkg/zoo.py", "not_registered"), ("pkg/cli.py", "_private")}


def test_names_spelled_in_strings_and_exports_are_used(dead):
    found = dead(
        {
            "pkg/__init__.py": "from .layers import PublicLayer\n",
            "pkg/layers.py": "class PublicLayer:\n    pass\n\n\nclass Listed:\n    pass\n\n\nclass Extended:\n    pass\n\n\n"
            "class Looked:\n    pass\n\n\nclass Orphan:\n    pass\n\n\n"
            '__all__ = ["Listed"]\n__all__ += ["Extended"]\n',
            "pkg/build.py": "import importlib\nimport lightning\n\nfrom pkg import layers\n\n\n"
            'def trainer() -> "lightning.pytorch.Trainer":\n    return getattr(layers, "Looked")\n\n\n'
            'TASK = "pkg.jobs:nightly"\nprint(importlib, trainer)\n',
            "pkg/jobs.py": "def nightly():\n    pass\n\n\ndef weekly():\n    pass\n",
        }
    )
    assert {(path, name) for path, _, name in found} == {("pkg/layers.py", "Orphan"), ("pkg/jobs.py", "weekly")}


def test_bases_outside_the_project(dead):
    """An unknown library base may call any member; some frameworks find the class itself; a plain base calls none."""
    found = dead(
        {
            "load.py": "from locust import HttpUser, task\n\n\nclass User(HttpUser):\n    @task\n"
            "    def predict(self):\n        pass\n",
            "envs.py": "import gym\nfrom Box2D import b2ContactListener\n\n\nclass Env(gym.Env):\n"
            "    def step(self, action):\n        pass\n\n\nclass Contacts(b2ContactListener):\n"
            "    def BeginContact(self, contact):\n        pass\n\n\nclass Unused(gym.Env):\n    pass\n\n\n"
            "class Error(ValueError):\n    def hint(self):\n        return 1\n\n\nprint(Env, Contacts, Error)\n",
            "db.py": "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\n"
            "class Row(Base):\n    def label(self):\n        return 1\n",
        }
    )
    assert {(path, name) for path, _, name in found} == {("envs.py", "Unused"), ("envs.py", "hint")}


def test_configuration_and_entry_points_name_code():
    files = {
        "pyproject.toml": '[project]\nname = "p"\n\n[project.scripts]\np-train = "pkg.cli:main"\n\n'
        '[project.entry-points."mlflow.model_flavor"]\nflavor = "pkg.flavor:Flavor"\n\n'
        '[tool.poetry.scripts]\np-serve = "pkg.serve:run"\n',
        "setup.cfg": "[options.entry_points]\nconsole_scripts =\n    p-export = pkg.cli:export\n",
        "configs/model/net.yaml": "_target_: pkg.models.Net\nhidden: 64\nmetrics:\n  - top_k_acc\n",
        "config.json": '{"arch": {"type": "Small", "args": {}}, "metrics": ["accuracy"]}',
        "data/rows.json": '["NotConfig"]',
        "Dockerfile": 'CMD ["uvicorn", "pkg.api:app", "--host", "0.0.0.0"]\n',
        "Makefile": "deploy:\n\tgcloud functions deploy f --entry-point=trigger --runtime python311\n",
    }
    named = set(named_in_files(sorted(files), files.get))
    assert {"main", "Flavor", "run", "export", "Net", "top_k_acc", "Small", "accuracy", "app", "trigger"} <= named
    assert "NotConfig" not in named  # a data file is not configuration
    code = {
        "pkg/cli.py": "def main():\n    pass\n\n\ndef export():\n    pass\n\n\ndef unused():\n    pass\n",
        "pkg/models.py": "class Net:\n    pass\n\n\nclass Small:\n    pass\n\n\ndef top_k_acc():\n    pass\n\n\n"
        "def accuracy():\n    pass\n\n\nclass NotConfig:\n    pass\n",
        "pkg/api.py": "app = None\n\n\ndef trigger(event, context):\n    pass\n",
        "setup.py": 'from setuptools import setup\n\nsetup(entry_points={"console_scripts": ["p-fit = pkg.fit:fit"]})\n',
        "pkg/fit.py": "def fit():\n    pass\n",
    }
    found = {(f["path"], f["name"]) for f in unused(states(code), named=named)}
    assert found == {("pkg/cli.py", "unused"), ("pkg/models.py", "NotConfig")}
    assert {(f["path"], f["name"]) for f in unused(states(code))} >= {("pkg/cli.py", "main"), ("pkg/models.py", "Net")}


def test_a_file_python_cannot_parse_still_uses_names():
    """A notebook with IPython syntax (``x = !cmd``) cannot be parsed; the names it calls are still used."""
    code = states({"pkg/runner.py": "def compile_pipeline():\n    pass\n\n\ndef submit():\n    pass\n"})
    notebook = "out = !gcloud functions deploy --entry-point=submit\nrunner.compile_pipeline()\n"
    with pytest.raises(SyntaxError):
        ast.parse(notebook)
    assert [f["name"] for f in unused(code)] == ["compile_pipeline", "submit"]
    assert unused([*code, ("run.ipynb", unparsed_state(notebook))]) == []


def test_names_built_then_looked_up_and_hints_in_quotes():
    code = states(
        {
            "cli.py": "from __future__ import annotations\n\nfrom wandb.sdk.wandb_run import Run\n\n\n"
            "class Cli:\n    def run(self, sub):\n        getattr(self, f'add_{sub}_arguments')()\n\n"
            "    def add_train_arguments(self):\n        pass\n\n    def add_export_arguments(self):\n        pass\n\n"
            "    def remove_arguments(self):\n        pass\n\n\n"
            "def de_resnet18():\n    pass\n\n\ndef decoder(name):\n    return globals()['de_' + name]()\n\n\n"
            "def logger(run: 'Run | None' = None):\n    return run\n\n\nprint(Cli, decoder, logger)\n",
        }
    )
    assert [f["name"] for f in unused(code)] == ["remove_arguments"]


def test_a_subclass_of_a_concrete_framework_class_may_override_anything():
    """LightningModule's hooks are known; ModelCheckpoint's or nn.Conv2d's overridable internals are not."""
    code = states(
        {
            "cb.py": "from lightning.pytorch.callbacks import ModelCheckpoint\nfrom torch import nn\n\n\n"
            "class Keep(ModelCheckpoint):\n    def _should_skip_saving_checkpoint(self, trainer):\n        return False\n\n\n"
            "class Conv(nn.Conv2d):\n    def _conv_forward(self, x, w, b):\n        return x\n\n    def fold(self):\n"
            "        pass\n\n\nclass Net(nn.Module):\n    def fold(self):\n        pass\n\n\nprint(Keep, Conv, Net)\n",
        }
    )
    assert [(f["name"], f["line"]) for f in unused(code)] == [("fold", 19)]


def test_yaml_flow_lists_name_modules():
    files = {"models/yolo.yaml": "backbone:\n  - [-1, 1, Conv, [64, 3, 2]]\n  - [-1, 3, C2f, [128, True]]\n"}
    assert {"Conv", "C2f"} <= set(named_in_files(list(files), files.get))


def test_a_scan_reads_entry_points_and_configuration(dead):
    found = dead(
        {
            "pyproject.toml": '[project]\nname = "p"\n\n[project.scripts]\np = "pkg.cli:main"\n',
            "configs/model.yaml": "_target_: pkg.models.Net\n",
            "pkg/cli.py": "def main():\n    pass\n",
            "pkg/models.py": "class Net:\n    pass\n\n\nclass Old:\n    pass\n",
            "broken.ipynb": '{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": '
            '["out = !ls\\n", "from pkg.helpers import Helper\\n"]}], "metadata": {}, "nbformat": 4, '
            '"nbformat_minor": 5}',
            "pkg/helpers.py": "class Helper:\n    pass\n",
        }
    )
    assert {(path, name) for path, _, name in found} == {("pkg/models.py", "Old")}
