"""DVC stage ``train``: fit the default model and log the run and the model to MLflow."""
import json
import random
from pathlib import Path

import joblib
import mlflow
import numpy as np
import pandas as pd
import yaml
from sklearn.ensemble import HistGradientBoostingClassifier
from mlflow.models import infer_signature
from sklearn.metrics import brier_score_loss, roc_auc_score

from credit.features import build_features

MODEL_PATH = Path("models/model.joblib")
METRICS_PATH = Path("metrics/train.json")


def set_seeds(seed):
    random.seed(seed)
    np.random.seed(seed)


def train_model(train_df, params):
    model = HistGradientBoostingClassifier(
        learning_rate=params["learning_rate"],
        max_iter=params["max_iter"],
        max_leaf_nodes=params["max_leaf_nodes"],
        l2_regularization=params["l2_regularization"],
        early_stopping=False,
        random_state=params["seed"],
    )
    return model.fit(build_features(train_df), train_df["defaulted"])


def main():
    params = yaml.safe_load(Path("params.yaml").read_text())["train"]
    set_seeds(params["seed"])
    train_df = pd.read_parquet("data/prepared/train.parquet")
    valid_df = pd.read_parquet("data/prepared/valid.parquet")

    mlflow.set_experiment("credit-default")
    with mlflow.start_run(run_name="dvc-train"):
        for name, value in params.items():
            mlflow.log_param(name, value)
        mlflow.log_param("train_rows", len(train_df))
        model = train_model(train_df, params)
        proba = model.predict_proba(build_features(valid_df))[:, 1]
        metrics = {
            "valid_auc": roc_auc_score(valid_df["defaulted"], proba),
            "valid_brier": brier_score_loss(valid_df["defaulted"], proba),
        }
        for name, value in metrics.items():
            mlflow.log_metric(name, value)
        features = build_features(valid_df)
        mlflow.sklearn.log_model(model, artifact_path="model", signature=infer_signature(features, proba),
                                 input_example=features.head(5))

    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, MODEL_PATH)
    METRICS_PATH.parent.mkdir(parents=True, exist_ok=True)
    METRICS_PATH.write_text(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
