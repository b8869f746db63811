"""Read config.yaml into a plain dictionary."""
import os
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config.yaml"


def load_config(path=None):
    """Load the YAML config; ``RECO_CONFIG`` overrides the default location."""
    path = path or os.environ.get("RECO_CONFIG") or DEFAULT_PATH
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)
