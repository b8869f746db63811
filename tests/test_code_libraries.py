"""Families of supporting libraries (tuning, fairness, explainability, validation, serving) the code uses."""

from __future__ import annotations

from pathlib import Path

from mldebt.collectors.code.libraries import matches
from mldebt.collectors.interface import Snapshot
from mldebt.collectors.repo.collector import RepoCollector

from .conftest import write_files


def families(root: Path, files: dict[str, str]) -> dict[str, list[str]]:
    write_files(root, files)
    facts = RepoCollector().collect(Snapshot(project="p", root=root))
    return {
        f.key.rsplit(".", 1)[1]: f.value
        for f in facts
        if f.key.startswith("code.libraries.") and f.key != "code.libraries.ml" and not f.key.endswith(".at")
    }


def test_uses_of_each_family_are_found(tmp_path):
    found = families(
        tmp_path,
        {
            "src/tune.py": "import optuna\nfrom sklearn.model_selection import GridSearchCV\n"
            "study = optuna.create_study()\nsearch = GridSearchCV(model, grid)\n",
            "src/fair.py": "from fairlearn.metrics import MetricFrame\nimport shap\n"
            "frame = MetricFrame(metrics=m, y_true=y, y_pred=p)\nvalues = shap.TreeExplainer(model)\n",
            "src/schema.py": "import pandera as pa\nschema = pa.DataFrameSchema({'x': pa.Column(int)})\n",
            "src/serve.py": "from fastapi import FastAPI\nfrom ray import tune\napp = FastAPI()\ntune.run(train)\n",
        },
    )
    assert found == {
        "tuning": ["optuna", "ray.tune", "sklearn.model_selection.GridSearchCV"],
        "fairness": ["fairlearn"],
        "explainability": ["shap"],
        "validation": ["pandera"],
        "serving": ["fastapi"],
    }


def test_tests_and_lookalike_names_do_not_count(tmp_path):
    found = families(
        tmp_path,
        {
            "tests/test_model.py": "import optuna\nimport fairlearn\noptuna.create_study()\n",
            "conftest.py": "import shap\nshap.Explainer(m)\n",
            "src/model.py": "import optunity\nimport shapely\nfrom sklearn.model_selection import train_test_split\n"
            "optunity.maximize(f)\nshapely.Point(0, 0)\ntrain_test_split(x)\n",
            "src/broken.py": "import fairlearn\ndef (:\n",
        },
    )
    assert found == {"tuning": [], "fairness": [], "explainability": [], "validation": [], "serving": []}


def test_a_prefix_matches_only_at_a_dot():
    assert matches({"ray.tune.schedulers", "ray.train"}, {"ray.tune", "ray.serve"}) == ["ray.tune"]
    assert matches({"raytune"}, {"ray.tune"}) == []
