"""DVC stage ``evaluate``: validation metrics and the gates a model must pass."""
import json
import sys
from pathlib import Path

import joblib
import pandas as pd
import yaml
from sklearn.metrics import roc_auc_score

from credit.features import build_features

METRICS_PATH = Path("metrics/eval.json")


def score(model, df):
    return roc_auc_score(df["defaulted"], model.predict_proba(build_features(df))[:, 1])


def main():
    params = yaml.safe_load(Path("params.yaml").read_text())["evaluate"]
    valid_df = pd.read_parquet("data/prepared/valid.parquet")
    model = joblib.load("models/model.joblib")
    metrics = {"auc": score(model, valid_df), "rows": len(valid_df)}
    METRICS_PATH.parent.mkdir(parents=True, exist_ok=True)
    METRICS_PATH.write_text(json.dumps(metrics, indent=2))
    if metrics["auc"] < params["min_auc"]:
        print(f"AUC {metrics['auc']:.3f} is below the floor of {params['min_auc']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
