"""Each code fact and smell detector, on a small project that shows it and one that does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.repo.collector import RepoCollector

from .conftest import write_files


@pytest.fixture
def scan(tmp_path: Path):
    """Write files into a fresh project and return (values by key, [(key, path, line, value)] of .at facts)."""
    count = iter(range(100))

    def run(files: dict[str, str]) -> tuple[dict, list]:
        root = tmp_path / f"p{next(count)}"
        write_files(root, files)
        facts = list(RepoCollector().collect(Snapshot(project="p", root=root)))
        assert not [f for f in facts if f.is_error], [f for f in facts if f.is_error]
        values = {f.key: f.value for f in facts if not f.key.endswith(".at")}
        return values, [(f.key[:-3], f.path, f.line, f.value) for f in facts if f.key.endswith(".at")]

    return run


def at(places: list, key: str) -> list:
    return [(path, line, value) for k, path, line, value in places if k == key]


def test_thresholds_compared_with_model_outputs(scan):
    found, places = scan(
        {
            "serve.py": (
                "THRESHOLD = 0.73\n"
                "def decide(model, x, rows):\n"
                "    proba = model.predict_proba(x)[:, 1]\n"
                "    flagged = proba > 0.5\n"
                "    if model.predict(x) >= THRESHOLD:\n"
                "        return 0.2 < rows['score'] < 0.9\n"
                "    return flagged\n"
            )
        }
    )
    assert found["code.smells.thresholds"] == 3
    assert at(places, "code.smells.thresholds") == [
        ("serve.py", 4, "proba vs 0.5"),
        ("serve.py", 5, "model.predict(x) vs 0.73"),
        ("serve.py", 6, "rows['score'] vs 0.2"),
    ]
    found, _ = scan(
        {
            "train.py": (
                "def split(df, n):\n    if len(df) > 0.5 * n:\n        return df.sample(frac=0.8)\n"
                "    return df[df.age > 0.5]\n"
            ),
            "tests/test_model.py": "def test_auc(score):\n    assert score > 0.65\n",
        }
    )
    assert found["code.smells.thresholds"] == 0


def test_hard_coded_data_paths_and_urls(scan):
    found, places = scan(
        {
            "load.py": (
                '"""Reads /data/docs/only.csv, which is a docstring."""\n'
                "import pandas as pd\n"
                "RAW = '/mnt/share/raw.parquet'\n"
                "df = pd.read_csv('s3://bucket/train.csv')\n"
                "extra = pd.read_csv('https://example.com/extra.csv')\n"
                "out = f'/home/ana/out/{RAW}.csv'\n"
                "local = pd.read_csv('data/train.csv')\n"
                "print('see /var/log/x.txt for details')\n"
                "raise SystemExit('https://example.com/help')\n"
            )
        }
    )
    assert (
        found["code.smells.data_paths"],
        found["code.smells.data_urls"],
        found["code.smells.relative_data_paths"],
    ) == (3, 1, 1)
    assert at(places, "code.smells.data_paths") == [
        ("load.py", 3, "/mnt/share/raw.parquet"),
        ("load.py", 4, "s3://bucket/train.csv"),
        ("load.py", 6, "/home/ana/out/{}.csv"),
    ]
    found, _ = scan({"app.py": "ROUTE = '/users/<id>'\nNAME = 'model'\nPATH = '/dev/null'\n"})
    assert (found["code.smells.data_paths"], found["code.smells.data_urls"]) == (0, 0)


TRAIN = (
    "import pandas as pd\n\n"
    "def fit(path):\n"
    "    df = pd.read_csv(path)\n"
    "    df = df.dropna()\n"
    "    model = Model(depth=3)\n"
    "    model.fit(df[FEATURES], df['y'])\n"
    "    score = model.score(df[FEATURES], df['y'])\n"
    "    return model, score\n\n"
    "def report(model, path):\n"
    "    df = pd.read_csv(path)\n"
    "    predictions = model.predict(df[FEATURES])\n"
    "    errors = (predictions != df['y']).sum()\n"
    "    summary = {'errors': int(errors), 'rows': len(df)}\n"
    "    pd.DataFrame([summary]).to_csv('report.csv')\n"
    "    return summary\n"
)


def test_experimental_copies_and_flag_branches(scan):
    variant = TRAIN.replace("def fit(", "def fit_v2(").replace("    df = df.dropna()\n", "    df = df.fillna(0)\n")
    found, places = scan(
        {
            "train.py": TRAIN + "\nUSE_NEW_LOSS = False\n\ndef run(x):\n    if USE_NEW_LOSS:\n        return x\n"
            "    if os.getenv('LEGACY_MODE') == '1':\n        return x\n    return x\n",
            "trial.py": variant,
            "notebooks/model_experimental.ipynb": '{"cells": []}',
        }
    )
    assert found["code.smells.experimental_files"] == ["trial.py"]  # mostly train.py's code
    assert at(places, "code.smells.experimental_functions") == [
        ("trial.py", 3, "fit_v2: one statement away from fit (train.py:3)")
    ]
    assert at(places, "code.smells.flag_branches") == [
        ("train.py", 22, "USE_NEW_LOSS"),
        ("train.py", 24, "environment LEGACY_MODE"),
    ]
    found, _ = scan(
        {
            "train.py": "def fit(x):\n    if x.ready:\n        return x\n",
            "train_old.py": "y = 2\n",
            "fit_v2.py": "def fit_v2(new_shape, df_new):\n    if new_shape:\n        return df_new\n",
        }
    )
    assert (
        found["code.smells.experimental_files"],
        found["code.smells.experimental_functions"],
        found["code.smells.flag_branches"],
    ) == ([], 0, 0)


def test_dead_code_is_found_by_vulture(scan):
    found, places = scan(
        {
            "pkg/core.py": "import os\n\ndef used():\n    return 1\n\ndef never_called():\n    return 2\n\n"
            "def after():\n    return 3\n    print('unreachable')\n",
            "pkg/app.py": "from pkg.core import used, after\n\n@app.route('/x')\ndef view():\n    return used() + after()\n",
            "tests/test_core.py": "from pkg.core import used\n\ndef test_used():\n    assert used() == 1\n",
        }
    )
    assert found["code.smells.dead_code_by_type"] == {"function": 1, "import": 1, "unreachable_code": 1}
    assert [p[:2] for p in at(places, "code.smells.dead_code")] == [
        ("pkg/core.py", 1),
        ("pkg/core.py", 6),
        ("pkg/core.py", 11),
    ]
    found, _ = scan({"m.py": "def f():\n    return 1\n\nprint(f())\n"})
    assert found["code.smells.dead_code"] == 0


FEATURES = "def add_ratio(df):\n    df['ratio'] = df['amount'] / df['income']\n    return df.fillna(0)\n"


def test_feature_code_duplicated_between_training_and_serving(scan):
    found, places = scan({"train.py": FEATURES + "X = add_ratio(load())\n", "serve/app.py": FEATURES})
    assert found["code.smells.train_serve_duplicates"] == 2  # the function and its feature statement
    assert at(places, "code.smells.train_serve_duplicates") == [
        ("serve/app.py", 1, "function add_ratio"),
        ("serve/app.py", 2, "feature statement"),
    ]
    found, _ = scan(
        {
            "features.py": FEATURES,
            "train.py": "from features import add_ratio\n",
            "serve.py": "from features import add_ratio\n",
        }
    )
    assert found["code.smells.train_serve_duplicates"] == 0


def test_pipeline_jungle_indicators(scan):
    found, places = scan(
        {
            "a.py": "import pandas as pd\ndf = pd.read_csv('raw.csv')\ndf['t'] = df['x'].fillna(0) * 2\n",
            "b.py": "import pandas as pd\nif __name__ == '__main__':\n    df = pd.read_parquet(path)\n"
            "    df['t'] = df['x'].fillna(0) * 2\n",
            "lib.py": "def f(df):\n    return df\n",
        }
    )
    assert found["code.pipeline.entry_scripts"] == ["a.py", "b.py"]
    assert found["code.pipeline.raw_data_entry_scripts"] == ["a.py", "b.py"]
    assert found["code.pipeline.repeated_preprocessing"] == 1
    assert at(places, "code.pipeline.repeated_preprocessing") == [("a.py", 3, "feature statement")]
    found, _ = scan({"lib.py": "def f(df):\n    df['t'] = df['x'] * 2\n    return df\n"})
    assert (found["code.pipeline.entry_scripts"], found["code.pipeline.repeated_preprocessing"]) == ([], 0)


def test_seeds_set_and_missing_per_library(scan):
    found, places = scan(
        {
            "train.py": "import random\nimport numpy as np\nimport torch\nfrom sklearn.model_selection import train_test_split\n"
            "random.seed(1)\nnp.random.seed(1)\nx = np.random.rand(3)\n"
            "a, b = train_test_split(x, random_state=42)\n"
        }
    )
    assert found["code.seeds.in_use"] == ["numpy", "random", "sklearn", "torch"]
    assert found["code.seeds.set"] == ["numpy", "random", "sklearn"]
    assert found["code.seeds.missing"] == ["torch"]
    assert at(places, "code.seeds.set") == [
        ("train.py", 5, "random"),
        ("train.py", 6, "numpy"),
        ("train.py", 8, "sklearn"),
    ]
    found, _ = scan(
        {
            "t.py": "import numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
            "m = LogisticRegression(random_state=None)\nprint(np.zeros(2))\n"
        }
    )
    assert (found["code.seeds.in_use"], found["code.seeds.set"]) == (["sklearn"], [])


def test_tracking_registry_and_configuration(scan):
    found, places = scan(
        {
            "train.py": "import mlflow\nimport wandb\nimport hydra\nfrom mlflow import MlflowClient\n"
            "@hydra.main(config_path='conf')\ndef main(cfg):\n    mlflow.log_metric('auc', 0.9)\n"
            "    wandb.init(project='p')\n    mlflow.sklearn.log_model(m, 'm', registered_model_name='churn')\n"
            "    MlflowClient().transition_model_version_stage('churn', 1, 'Production')\n"
            "    return mlflow.pyfunc.load_model('models:/churn/Production')\n",
            "cli.py": "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.01)\n"
            "clf = GradientBoosting(learning_rate=0.1, n_estimators=300)\n",
            "conf/config.yaml": "defaults:\n  - model: gbm\n",
            "conf/model/gbm.yaml": "depth: 3\n",
        }
    )
    assert found["code.tracking.libraries"] == ["mlflow", "wandb"]
    assert found["code.tracking.calls"] == 3  # log_metric, init, log_model
    assert found["code.registry.calls"] == 3  # registered_model_name=, transition_..., models:/ URI
    assert found["code.config.readers"] == ["hydra"]
    assert found["code.config.files"] == ["conf/config.yaml", "conf/model/gbm.yaml"]
    assert found["code.config.hydra"] == [{"path": "conf", "groups": 1, "files": 2}]
    assert at(places, "code.config.cli_defaults") == [("cli.py", 3, "--lr")]
    assert at(places, "code.config.hyperparameter_literals") == [
        ("cli.py", 4, "learning_rate=0.1"),
        ("cli.py", 4, "n_estimators=300"),
    ]
    found, _ = scan({"x.py": "def f(a, lr):\n    return a\n"})
    assert (
        found["code.tracking.calls"],
        found["code.registry.calls"],
        found["code.config.readers"],
        found["code.config.hyperparameter_literals"],
    ) == (0, 0, [], 0)


def test_feature_flags(scan):
    found, places = scan(
        {
            "app.py": "import os\nimport ldclient\nENABLE_RERANK = True\n"
            "if os.getenv('USE_NEW_RANKER'):\n    pass\nflag = os.environ['FEATURE_X']\n"
        }
    )
    assert found["code.flags.libraries"] == ["launchdarkly"]
    assert found["code.flags.feature_flags"] == 4
    assert at(places, "code.flags.feature_flags") == [
        ("app.py", 3, "ENABLE_RERANK (constant)"),
        ("app.py", 4, "USE_NEW_RANKER (environment)"),
        ("app.py", 6, "FEATURE_X (environment)"),
    ]
    found, _ = scan({"app.py": "import os\nHOME = os.getenv('HOME')\nDEBUG_LEVEL = 2\n"})
    assert found["code.flags.feature_flags"] == 0


def test_plain_old_data_signals(scan):
    found, _ = scan(
        {
            "m.py": "from dataclasses import dataclass\nfrom typing import NamedTuple\n\n@dataclass\nclass A:\n"
            "    x: int\n\nclass B(NamedTuple):\n    y: int\n\ndef f(row: dict, other: Dict[str, int]):\n"
            "    return row['a'] + row['b']\n"
        }
    )
    assert found["code.plain_old_data"] == {"record_types": 2, "dict_annotations": 2, "string_key_lookups": 2}


def test_notebooks_that_production_code_runs_or_imports(scan):
    found, places = scan(
        {
            "nb/report.ipynb": '{"cells": []}',
            "nb/helpers.ipynb": '{"cells": []}',
            "pipeline.py": "import papermill as pm\npm.execute_notebook('nb/report.ipynb', 'out.ipynb')\n",
            "use.py": "import import_ipynb\nfrom nb import helpers\n",
            "run.sh": "#!/bin/sh\njupyter nbconvert --to html --execute nb/report.ipynb\n",
            "tests/test_nb.py": "def test_nb():\n    pm.execute_notebook('nb/report.ipynb', 'x.ipynb')\n",
        }
    )
    assert found["repo.notebooks.used_by_code"] == 3
    assert at(places, "repo.notebooks.used_by_code") == [
        ("pipeline.py", 2, "runs nb/report.ipynb"),
        ("run.sh", 2, "runs nbconvert --to html --execute nb/report.ipynb"),
        ("use.py", None, "imports nb/helpers.ipynb"),
    ]
    found, _ = scan({"nb/a.ipynb": '{"cells": []}', "x.py": "print('a.ipynb is documented elsewhere')\n"})
    assert found["repo.notebooks.used_by_code"] == 0
