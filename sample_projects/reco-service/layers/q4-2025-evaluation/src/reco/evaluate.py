"""Offline evaluation on a time-based holdout.

    PYTHONPATH=src python -m reco.evaluate [--config config.yaml]
"""
import argparse
import json

import numpy as np

from reco.config import load_config
from reco.data import load_interactions, split_by_time
from reco.model import fit, recommend


def precision_at_k(recommended, relevant, k):
    if k <= 0:
        raise ValueError("k must be positive")
    return len(set(recommended[:k]) & set(relevant)) / k


def recall_at_k(recommended, relevant, k):
    if k <= 0:
        raise ValueError("k must be positive")
    if not relevant:
        return 0.0
    return len(set(recommended[:k]) & set(relevant)) / len(set(relevant))


def evaluate(model, holdout, k):
    """Mean precision/recall@k over users that appear in the holdout."""
    precisions, recalls, covered = [], [], 0
    for user_id, group in holdout.groupby("user_id"):
        relevant = group["item_id"].unique().tolist()
        recommended = recommend(model, user_id, k)
        covered += bool(recommended)
        precisions.append(precision_at_k(recommended, relevant, k))
        recalls.append(recall_at_k(recommended, relevant, k))
    users = len(precisions)
    return {
        "users": users,
        "user_coverage": covered / users if users else 0.0,
        f"precision@{k}": float(np.mean(precisions)) if users else 0.0,
        f"recall@{k}": float(np.mean(recalls)) if users else 0.0,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate on the last days of data.")
    parser.add_argument("--config", default=None)
    args = parser.parse_args(argv)
    cfg = load_config(args.config)
    interactions = load_interactions(cfg["data"]["interactions"], cfg["data"]["min_interactions_per_user"])
    train, holdout = split_by_time(interactions, cfg["evaluation"]["holdout_days"])
    model = fit(
        train,
        half_life_days=cfg["features"]["half_life_days"],
        neighbours=cfg["model"]["neighbours"],
        shrinkage=cfg["model"]["shrinkage"],
        event_weights=cfg["features"]["event_weights"],
    )
    print(json.dumps(evaluate(model, holdout, cfg["evaluation"]["k"]), indent=2))


if __name__ == "__main__":
    main()
