"""What the MLflow collector reads from any source: model versions, runs, and the registry holding them.

A tracking server, a committed ``mlruns/`` file store and a committed SQLite
database (``mlflow.db``) are all read into these records; the facts are made
from the records, so the three sources give the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from mldebt.collectors.interface import Fact
from mldebt.yamlfile import UNBUILDABLE, safe_load

MAX_VERSIONS = 50  # per model, newest first, whose MLmodel is read
MAX_RUNS = 1000
MAX_BYTES = 1024 * 1024


@dataclass
class Version:
    model: str
    number: int
    created: datetime
    stage: str = "None"
    status: str = "READY"
    run_id: str | None = None
    signature: bool = False
    input_example: bool = False


@dataclass
class Run:
    run_id: str
    started: datetime | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Registry:
    models: list[str] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    aliases: dict[str, dict[str, int]] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    problems: list[Fact] = field(default_factory=list)

    def merge(self, other: Registry) -> None:
        """Add another store's records; a model, version or run already held is kept as first read."""
        self.models += [m for m in other.models if m not in self.models]
        held = {(v.model, v.number) for v in self.versions}
        self.versions += [v for v in other.versions if (v.model, v.number) not in held]
        for model, aliases in other.aliases.items():
            self.aliases.setdefault(model, aliases)
        for run_id, run in other.runs.items():
            self.runs.setdefault(run_id, run)
        self.problems += other.problems


def when(milliseconds: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def read_mlmodel(text: str) -> tuple[bool, bool]:
    """(has a signature, has an input example) from an MLmodel file."""
    try:
        data = safe_load(text)
    except (yaml.YAMLError, *UNBUILDABLE):  # also a value it cannot build: !!int x
        return False, False
    data = data if isinstance(data, dict) else {}
    signature = data.get("signature")
    return (isinstance(signature, dict) and bool(signature.get("inputs")), bool(data.get("saved_input_example_info")))


def version_of(model: str, item: dict[str, Any]) -> Version | None:
    """A version from MLflow's own JSON or YAML of it (REST reply, file store meta.yaml); None when unusable."""
    created = when(item.get("creation_timestamp"))
    if not str(item.get("version", "")).isdigit() or created is None:
        return None
    return Version(
        model=model,
        number=int(item["version"]),
        created=created,
        stage=str(item.get("current_stage") or "None"),
        status=str(item.get("status") or "READY"),
        run_id=item["run_id"] if isinstance(item.get("run_id"), str) and item["run_id"] else None,
    )
