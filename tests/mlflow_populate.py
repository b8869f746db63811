"""Experiments, runs and registered models made through MLflow's own client, and the facts they give.

One population for every source the MLflow collector reads: a tracking server,
an ``mlruns`` file store and a SQLite database (``mlflow.db``).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path

DAY_MS = 24 * 3600 * 1000


def populate(uri: str, artifacts: str | None = None) -> None:
    """Experiments, runs and registered models made through MLflow's own client.

    Version 1 of credit-default is a logged model (MLflow 3's models:/ source) without a signature;
    version 2 is a model folder logged as run artifacts (a runs:/ source) with a signature and an
    input example; churn's only version points at a run folder holding no model.
    """
    with warnings.catch_warnings():  # MLflow's advice on stages, pickling and type hints
        warnings.simplefilter("ignore")
        _populate(uri, artifacts)


def _populate(uri: str, artifacts: str | None) -> None:
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.models import Model, infer_signature

    class Scorer(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input["income"]

    client = MlflowClient(uri)
    mlflow.set_tracking_uri(uri)
    now = int(time.time() * 1000)
    experiment = client.create_experiment("credit-default", artifact_location=artifacts)
    frame = pd.DataFrame({"income": [41000.0, 52000.0], "term_months": [36, 60]})
    runs = []
    for index, (auc, seeded) in enumerate([(0.71, True), (0.745, True), (0.60, False)]):
        run = client.create_run(
            experiment,
            start_time=now - (30 - index) * DAY_MS,
            run_name=f"train-{index}",
            tags={"mlflow.source.git.commit": "9c1e2f4"} if seeded else None,
        )
        client.log_param(run.info.run_id, "learning_rate", "0.05")
        if seeded:
            client.log_param(run.info.run_id, "seed", "20251009")
        client.log_metric(run.info.run_id, "valid_auc", auc)
        client.log_metric(run.info.run_id, "valid_brier", 0.2 - auc / 10)
        client.set_terminated(run.info.run_id)
        runs.append(run.info.run_id)
    client.create_registered_model("credit-default")
    with mlflow.start_run(run_id=runs[0]):
        first = mlflow.pyfunc.log_model(name="model", python_model=Scorer(), pip_requirements=["pandas"])
    folder = Path(tempfile.mkdtemp())
    Model(
        run_id=runs[1],
        artifact_path="model",
        signature=infer_signature(frame, frame["income"]),
        saved_input_example_info={"artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split"},
    ).save(folder / "MLmodel")
    (folder / "input_example.json").write_text(frame.to_json(orient="split", index=False))
    client.log_artifacts(runs[1], str(folder), "model")
    shutil.rmtree(folder)
    client.create_model_version("credit-default", first.model_uri, run_id=runs[0], model_id=first.model_id)
    client.create_model_version("credit-default", f"runs:/{runs[1]}/model", run_id=runs[1])
    client.set_registered_model_alias("credit-default", "champion", "2")
    client.transition_model_version_stage("credit-default", "1", "Archived")
    client.create_registered_model("churn")
    client.create_model_version("churn", f"runs:/{runs[2]}/model", run_id=runs[2])  # no model logged there
    client.transition_model_version_stage("churn", "1", "Production")


EXPECTED = {
    "registry.mlflow.models": ["churn", "credit-default"],
    "registry.mlflow.aliases": {"credit-default": {"champion": 2}},
    "registry.mlflow.stages": {"churn": {"1": "Production"}, "credit-default": {"1": "Archived"}},
    "registry.mlflow.versions.count": 3,
    "registry.mlflow.versions.per_model": {"churn": 1, "credit-default": 2},
    "registry.mlflow.versions.with_signature": 1,
    "registry.mlflow.versions.with_input_example": 1,
    "registry.mlflow.production.versions": {"churn": 1, "credit-default": 2},
    "registry.mlflow.production.rollback_available": False,  # churn has no earlier version
    "registry.mlflow.production.quality_compared": False,  # nor a predecessor to compare with
    "registry.mlflow.production.quality_delta": {"credit-default": {"valid_auc": 0.035, "valid_brier": -0.0035}},
    "registry.mlflow.model_age_days": 10,
    "registry.mlflow.runs.count": 3,
    "registry.mlflow.runs.with_params": 3,
    "registry.mlflow.runs.with_metrics": 3,
    "registry.mlflow.runs.with_code_version": 2,
    "registry.mlflow.runs.with_seed": 2,
    "registry.mlflow.runs.reproducible": 2,
}
