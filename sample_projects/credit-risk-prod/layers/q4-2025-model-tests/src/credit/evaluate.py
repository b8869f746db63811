"""DVC stage ``evaluate``: validation metrics and the gates a model must pass.

Besides an absolute AUC floor, the model has to beat a small logistic
regression on three features by a margin; otherwise the extra complexity is
not worth it.
"""
import json
import sys
from pathlib import Path

import joblib
import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from credit.features import build_features

METRICS_PATH = Path("metrics/eval.json")
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
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
