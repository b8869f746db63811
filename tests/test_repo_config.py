"""Configuration evidence from real files: the corpus's Hydra trees and MLproject files, read in place."""

from __future__ import annotations

from mldebt.collectors.repo.data import hydra_trees, mlproject

from .conftest import corpus_files


def test_hydra_trees_of_the_corpus(corpus):
    found = {}
    for tree in sorted((corpus / "tracking" / "hydra").iterdir()):
        files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
        trees = hydra_trees(files, lambda rel, tree=tree: (tree / rel).read_text())
        found[tree.name.split("__")[0]] = {
            root or ".": (len(paths), sorted({p.split("/")[0] for p in paths if "/" in p}))
            for root, paths in trees.items()
        }
    assert found == {
        "ashleve": {
            ".": (
                34,
                [
                    "callbacks",
                    "data",
                    "debug",
                    "experiment",
                    "extras",
                    "hparams_search",
                    "hydra",
                    "logger",
                    "model",
                    "paths",
                    "trainer",
                ],
            )
        },
        "facebookresearch": {".": (35, ["action_optimizer", "algorithm", "dynamics_model", "overrides"])},
    }


def test_mlproject_files_of_the_corpus(corpus):
    found = {
        path.name.split("__")[1]: mlproject(path.read_text())
        for path in corpus_files(corpus, "tracking")
        if path.name.endswith("MLproject")
    }
    assert found["mlflow-example"] == {"entry_points": ["main"], "parameters": {"main": 2}, "environment": "conda_env"}
    assert found["BentoML"] == {"entry_points": ["main"], "parameters": {"main": 10}, "environment": "conda_env"}
    assert found["mlflow"] == {
        "entry_points": ["als", "etl_data", "load_raw_data", "main", "train_keras"],
        "parameters": {"load_raw_data": 0, "etl_data": 2, "als": 4, "train_keras": 3, "main": 3},
        "environment": "python_env",
    }
