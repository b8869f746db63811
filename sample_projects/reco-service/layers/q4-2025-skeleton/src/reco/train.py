"""Fit the item-item model and save it with joblib.

    PYTHONPATH=src python -m reco.train [--config config.yaml]
"""
import argparse
import logging
from pathlib import Path

import joblib

from reco.config import load_config
from reco.data import load_interactions
from reco.model import fit

log = logging.getLogger("reco.train")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the item-item model.")
    parser.add_argument("--config", default=None)
    args = parser.parse_args(argv)
    cfg = load_config(args.config)

    interactions = load_interactions(cfg["data"]["interactions"], cfg["data"]["min_interactions_per_user"])
    model = fit(
        interactions,
        half_life_days=cfg["features"]["half_life_days"],
        neighbours=cfg["model"]["neighbours"],
        shrinkage=cfg["model"]["shrinkage"],
        event_weights=cfg["features"]["event_weights"],
    )
    path = Path(cfg["model"]["artifact"])
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    log.info("trained on %d events, %d items -> %s", len(interactions), len(model["items"]), path)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    main()
