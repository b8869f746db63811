"""DVC stage ``evaluate``: validation metrics and the gates a model must pass.

Besides an absolute AUC floor, the model has to beat a small logistic
regression on three features by a margin; otherwise the extra complexity is
not worth it. A model that passes is registered in MLflow, and becomes the
champion only if its validation AUC is at least the current champion's.
"""
import json
import sys
from pathlib import Path

import joblib
import mlflow
import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from credit.features import build_features

METRICS_PATH = Path("metrics/eval.json")
MODEL_NAME = "credit-default"
CHAMPION = "champion"
BASELINE_FEATURES = ["debt_to_income", "delinquencies_2y", "term_months"]


def fit_baseline(train_df, seed):
    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))
    return baseline.fit(build_features(train_df)[BASELINE_FEATURES], train_df["defaulted"])


def score(model, df, columns=None):
    features = build_features(df)
    if columns is not None:
        features = features[columns]
    return roc_auc_score(df["defaulted"], model.predict_proba(features)[:, 1])


def check_gates(metrics, params):
    """Human-readable reasons the model must not be promoted (empty if fine)."""
    failures = []
    if metrics["auc"] < params["min_auc"]:
        failures.append(f"AUC {metrics['auc']:.3f} is below the floor of {params['min_auc']}")
    uplift = metrics["auc"] - metrics["baseline_auc"]
    if uplift < params["min_uplift_over_baseline"]:
        failures.append(f"uplift over the baseline is only {uplift:.3f}")
    return failures


def promote(run_id, auc):
    """Register the run's model; move the champion alias to it unless the champion scores better."""
    client = mlflow.MlflowClient()
    version = mlflow.register_model(f"runs:/{run_id}/model", MODEL_NAME).version
    try:
        champion = client.get_model_version_by_alias(MODEL_NAME, CHAMPION)
        champion_auc = client.get_run(champion.run_id).data.metrics["valid_auc"]
    except mlflow.exceptions.MlflowException:
        champion_auc = None
    if champion_auc is None or auc >= champion_auc:
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    return version


def main():
    params = yaml.safe_load(Path("params.yaml").read_text())["evaluate"]
    train_df = pd.read_parquet("data/prepared/train.parquet")
    valid_df = pd.read_parquet("data/prepared/valid.parquet")
    model = joblib.load("models/model.joblib")
    baseline = fit_baseline(train_df, params["seed"])
    metrics = {
        "auc": score(model, valid_df),
        "baseline_auc": score(baseline, valid_df, BASELINE_FEATURES),
        "rows": len(valid_df),
    }
    METRICS_PATH.parent.mkdir(parents=True, exist_ok=True)
    METRICS_PATH.write_text(json.dumps(metrics, indent=2))
    failures = check_gates(metrics, params)
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        return 1
    trained = mlflow.search_runs(experiment_names=["credit-default"], output_format="list", max_results=1,
                                 filter_string="tags.mlflow.runName = 'dvc-train'",
                                 order_by=["attributes.start_time DESC"])[0]
    promote(trained.info.run_id, trained.data.metrics["valid_auc"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
