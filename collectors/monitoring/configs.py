"""Data and model monitoring set up in the repository: validation suites, drift monitors, their libraries.

Recognised files: Great Expectations expectation suites (JSON) and checkpoints
(YAML), the legacy Evidently monitoring-service config (``monitors`` with a
``column_mapping``), whylogs and NannyML configs. Which monitoring and
validation libraries Python code uses, and how, is ``pycode``'s to read.
Each finding says which monitoring concerns it speaks to; the mapping is data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mldebt.collectors.repo.configfiles import ConfigError, line_of, load_json, load_yaml, mapping, scalar, sequence

# Evidently monitor / preset names -> concern
EVIDENTLY = {
    "data_drift": "training_serving_skew",
    "datadrift": "training_serving_skew",
    "cat_target_drift": "prediction_bias",
    "num_target_drift": "prediction_bias",
    "target_drift": "prediction_bias",
    "regression_performance": "prediction_quality",
    "classification_performance": "prediction_quality",
    "prob_classification_performance": "prediction_quality",
    "data_quality": "data_invariants",
    "data_integrity": "data_invariants",
}
# importable library -> (tool name, concerns it serves)
LIBRARIES: dict[str, tuple[str, list[str]]] = {
    "evidently": ("evidently", ["training_serving_skew", "prediction_quality"]),
    "whylogs": ("whylogs", ["data_invariants", "training_serving_skew"]),
    "nannyml": ("nannyml", ["prediction_quality", "training_serving_skew"]),
    "great_expectations": ("great_expectations", ["data_invariants"]),
    "pandera": ("pandera", ["data_invariants"]),
    "deepchecks": ("deepchecks", ["data_invariants", "training_serving_skew"]),
    "alibi_detect": ("alibi-detect", ["training_serving_skew"]),
    "tensorflow_data_validation": ("tensorflow-data-validation", ["data_invariants", "training_serving_skew"]),
    "frouros": ("frouros", ["training_serving_skew"]),
    "soda": ("soda", ["data_invariants"]),
}


@dataclass
class MonitorConfig:
    tool: str
    kind: str  # "suite", "checkpoint", "monitoring service", ...
    name: str
    line: int | None
    concerns: list[str]
    details: dict[str, Any] = field(default_factory=dict)

    def fact(self) -> dict[str, Any]:
        return {"tool": self.tool, "kind": self.kind, "name": self.name, "concerns": self.concerns, **self.details}


def looks_like_config(rel: str, text: str) -> bool:
    name = rel.rsplit("/", 1)[-1].lower()
    return (
        '"expectation_type"' in text
        or '"expectations"' in text
        or "class_name: Checkpoint" in text
        or ("monitors" in text and "column_mapping" in text)
        or name.startswith(("whylogs", ".whylogs", "nannyml"))
    )


def parse_config(rel: str, text: str) -> MonitorConfig | None:
    """The monitoring config in ``text``, or None when the file is something else."""
    name = rel.rsplit("/", 1)[-1]
    data = load_json(text) if rel.lower().endswith(".json") else load_yaml(text)
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("expectations"), list):
        return _suite(data, name, text)
    if data.get("class_name") == "Checkpoint" or ("validations" in data and "action_list" in data):
        validations = sequence(data.get("validations"))
        return MonitorConfig(
            "great_expectations",
            "checkpoint",
            scalar(data.get("name")) or name,
            line_of(data),
            ["data_invariants"],
            {"validations": len(validations), "actions": _count(data.get("action_list"))},
        )
    service = data.get("service")
    if not isinstance(service, dict):
        service = data
    if isinstance(service.get("monitors"), list) and "column_mapping" in data:
        monitors = [m for m in service["monitors"] if isinstance(m, str)]
        columns = mapping(data["column_mapping"])
        concerns = sorted({EVIDENTLY[m.lower()] for m in monitors if m.lower() in EVIDENTLY})
        return MonitorConfig(
            "evidently",
            "monitoring service",
            name,
            line_of(service, "monitors"),
            concerns,
            {
                "monitors": monitors,
                "window_size": service.get("window_size")
                if isinstance(service.get("window_size"), (int, float))
                else None,
                "features": _count(columns.get("numerical_features")) + _count(columns.get("categorical_features")),
                "target": scalar(columns.get("target")),
                "prediction": scalar(columns.get("prediction")),
            },
        )
    lowered = name.lower()
    if lowered.startswith(("whylogs", ".whylogs")):
        return MonitorConfig(
            "whylogs",
            "profiling config",
            name,
            line_of(data),
            ["data_invariants", "training_serving_skew"],
            {"keys": sorted(map(str, data))[:20]},
        )
    if lowered.startswith("nannyml"):
        return MonitorConfig(
            "nannyml",
            "monitoring config",
            name,
            line_of(data),
            ["prediction_quality", "training_serving_skew"],
            {"keys": sorted(map(str, data))[:20]},
        )
    return None


def _count(value: object) -> int:
    return len(value) if isinstance(value, list) else 0


def _suite(data: dict[Any, Any], name: str, text: str) -> MonitorConfig | None:
    expectations = [e for e in data["expectations"] if isinstance(e, dict)]
    types = Counter(scalar(e.get("expectation_type") or e.get("type")) or "?" for e in expectations)
    if expectations and not any(e.get("expectation_type") or e.get("type") for e in expectations):
        return None
    if not expectations and "expectation_suite_name" not in data and "name" not in data:
        return None
    parameterized = "$PARAMETER" in text
    suite = scalar(data.get("expectation_suite_name")) or scalar(data.get("name")) or name
    return MonitorConfig(
        "great_expectations",
        "suite",
        suite,
        line_of(data),
        ["data_invariants"],
        {
            "expectations": len(expectations),
            "types": dict(types.most_common(10)),
            "empty": not expectations,
            "parameterized": parameterized,
        },
    )


def read_config(rel: str, text: str) -> MonitorConfig | None:
    """``parse_config`` with parse problems raised as ConfigError (the caller records them)."""
    try:
        return parse_config(rel, text)
    except ConfigError:
        raise
    except (RecursionError, ValueError) as exc:
        raise ConfigError(f"cannot read: {type(exc).__name__}") from None
