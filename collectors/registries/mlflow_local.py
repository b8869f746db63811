"""MLflow stores committed in the project: ``mlruns/`` file stores and SQLite databases such as ``mlflow.db``.

Neither is run through MLflow. A file store is read as the YAML and plain files
MLflow writes there (``mlruns/<experiment>/<run>/meta.yaml``,
``mlruns/models/<model>/version-<n>/meta.yaml``), with the bounded YAML loader.
A database is opened read-only and immutable (no journal, no lock, nothing
written), with views and triggers distrusted, a ceiling on value sizes and a
deadline on every query; only its tables (never a view of the same name) are
read: runs, params, metrics, tags, registered_models, model_versions and
registered_model_aliases. A version's MLmodel is looked for in the artifact
folders committed beside the store (``mlruns/``, ``mlartifacts/``).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from mldebt.collectors.interface import Fact
from mldebt.collectors.registries.mlflow_records import (
    MAX_BYTES,
    MAX_RUNS,
    MAX_VERSIONS,
    Registry,
    Run,
    Version,
    read_mlmodel,
    version_of,
    when,
)
from mldebt.collectors.repo.configfiles import walk
from mldebt.errors import InputError
from mldebt.yamlfile import parse

SQLITE_MAGIC = b"SQLite format 3\x00"
DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")
MAX_DB_BYTES = 512 * 1024 * 1024
QUERY_SECONDS = 20.0  # for all the queries on one database
MAX_VALUE_BYTES = 1024 * 1024  # a longer text or blob in a row fails the query
MAX_ROWS = 200_000  # per query: models, versions, aliases, and params, tags or metrics of 500 runs
ARTIFACT_FOLDERS = ("mlruns", "mlartifacts")
DELETED_STAGE = "deleted_internal"
NOT_MLFLOW = "not an MLflow database"  # how MLflow's SQL store marks a deleted version


@dataclass(frozen=True)
class Store:
    kind: str  # "file" (an mlruns folder) or "sqlite" (a database file)
    rel: str  # its path in the project
    full: Path


def find_stores(root: Path, skipped: tuple[tuple[str, str], ...] = ()) -> tuple[list[Store], list[tuple[str, str]]]:
    """Every committed MLflow store below ``root`` (outermost ``mlruns`` folders, MLflow databases).

    Also (path, reason) for each file named for MLflow (``mlflow.db``) that is
    not a readable MLflow database (a Git LFS pointer, damaged) or that the
    layout left out (too large, a link): it is there, but cannot be read.
    """
    stores: dict[str, Store] = {}
    unread: list[tuple[str, str]] = []
    for rel, full in walk(root):
        parts = rel.split("/")
        if "mlruns" in parts[:-1]:
            folder = "/".join(parts[: parts.index("mlruns") + 1])
            if folder not in stores and _is_file_store(root / folder):
                stores[folder] = Store("file", folder, root / folder)
        elif rel.lower().endswith(DB_SUFFIXES):
            why = _not_mlflow_db(full)
            if why is None:
                stores[rel] = Store("sqlite", rel, full)
            elif why != NOT_MLFLOW and _named_for_mlflow(rel):
                unread.append((rel, why))
    unread += [(path, why) for path, why in skipped if _named_for_mlflow(path)]
    return sorted(stores.values(), key=lambda s: (s.rel.count("/"), s.rel)), unread


def _named_for_mlflow(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1].lower()
    return name.endswith(DB_SUFFIXES) and ("mlflow" in name or "mlruns" in name)


def _is_file_store(folder: Path) -> bool:
    """An ``mlruns`` folder MLflow's file store wrote (experiments or models), not only run artifacts."""
    return (
        any((sub / "meta.yaml").is_file() or (sub.name == "models" and sub.is_dir()) for sub in _dirs(folder))
        and not folder.is_symlink()
    )


def read_store(store: Store, wanted: list[str], on: datetime) -> Registry:
    if store.kind == "sqlite":
        return read_database(store.full, store.rel, wanted, on, _artifact_roots(store))
    return read_file_store(store.full, wanted, on, store.rel)


def _artifact_roots(store: Store) -> list[Path]:
    return [p for p in (store.full.parent / name for name in ARTIFACT_FOLDERS) if p.is_dir() and not p.is_symlink()]


# --- the file store: mlruns/<experiment>/<run>/{meta.yaml,params,metrics,tags}, mlruns/models/<model>/... ---


def _read(path: Path, store: Path) -> str | None:
    """A file of the store, if it is a regular file inside it and not too large."""
    try:
        if path.is_symlink() or not path.is_file() or not path.resolve().is_relative_to(store.resolve()):
            return None
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    return raw.decode("utf-8", errors="replace") if len(raw) <= MAX_BYTES else None


def _meta(path: Path, store: Path, registry: Registry, prefix: str) -> dict[str, Any]:
    text = _read(path, store)
    if text is None:
        return {}
    rel = f"{prefix}/{path.relative_to(store).as_posix()}"
    try:
        data = parse(text, rel).data
    except InputError as exc:
        found = re.match(r"(\d+):\d+: ", str(exc)[len(rel) + 1 :])
        registry.problems.append(
            Fact.failure("registry.mlflow.models", str(exc), path=rel, line=int(found.group(1)) if found else None)
        )
        return {}
    except ValueError as exc:
        registry.problems.append(Fact.failure("registry.mlflow.models", f"{rel}: bad value: {exc}", path=rel))
        return {}
    except yaml.YAMLError as exc:  # e.g. control characters, refused before parsing starts
        registry.problems.append(
            Fact.failure("registry.mlflow.models", f"{rel}: not YAML: {str(exc).splitlines()[0]}", path=rel)
        )
        return {}
    except RecursionError:
        registry.problems.append(
            Fact.failure(
                "registry.mlflow.models", f"{rel}: nested too deeply, or an alias that contains itself", path=rel
            )
        )
        return {}
    return data if isinstance(data, dict) else {}


def _values(folder: Path, store: Path) -> dict[str, str]:
    """params/, tags/ or metrics/ of a run: one file per key (nested keys are sub-folders)."""
    out = {}
    if folder.is_dir() and not folder.is_symlink():
        for path in sorted(folder.rglob("*"))[:10_000]:
            text = _read(path, store)
            if text is not None:
                out[path.relative_to(folder).as_posix()] = text
    return out


def _last_value(text: str) -> float | None:
    lines = text.strip().splitlines()
    try:
        return float(lines[-1].split()[1]) if lines else None
    except (IndexError, ValueError):
        return None


def _dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()) if folder.is_dir() else []


def read_file_store(store: Path, wanted: list[str], on: datetime, prefix: str = "mlruns") -> Registry:
    """The registry and runs of an ``mlruns`` folder, as MLflow's file store lays them out."""
    registry = Registry()
    for experiment in _dirs(store):
        if (
            experiment.name in ("models", ".trash")
            or _meta(experiment / "meta.yaml", store, registry, prefix).get("lifecycle_stage") == "deleted"
        ):
            continue
        for folder in _dirs(experiment):
            meta = _meta(folder / "meta.yaml", store, registry, prefix) if folder.name != "models" else {}
            run_id = meta.get("run_id") or meta.get("run_uuid")
            if not run_id or meta.get("lifecycle_stage") == "deleted" or len(registry.runs) >= MAX_RUNS:
                continue
            metrics = {k: _last_value(v) for k, v in _values(folder / "metrics", store).items()}
            run = Run(
                run_id=str(run_id),
                started=when(meta.get("start_time")),
                params={k: v.strip() for k, v in _values(folder / "params", store).items()},
                metrics={k: v for k, v in metrics.items() if v is not None},
                tags={k: v.strip() for k, v in _values(folder / "tags", store).items()},
            )
            if run.started is None or run.started <= on:
                registry.runs[run.run_id] = run
    for folder in _dirs(store / "models"):
        meta = _meta(folder / "meta.yaml", store, registry, prefix)
        name = str(meta.get("name") or folder.name)
        if wanted and name not in wanted:
            continue
        registry.models.append(name)
        aliases = dict(meta.get("aliases") or {}) if isinstance(meta.get("aliases"), dict) else {}
        aliases.update({k: v.strip() for k, v in _values(folder / "aliases", store).items()})
        registry.aliases[name] = {str(a): int(v) for a, v in aliases.items() if str(v).isdigit()}
        found = [
            version_of(name, _meta(v / "meta.yaml", store, registry, prefix))
            for v in _dirs(folder)
            if v.name.startswith("version-")
        ]
        for version in sorted((v for v in found if v and v.created <= on), key=lambda v: -v.number):
            meta = _meta(folder / f"version-{version.number}" / "meta.yaml", store, registry, prefix)
            text = next((t for t in (_read(p, store) for p in mlmodel_candidates(store, meta)) if t), None)
            if text is not None:
                version.signature, version.input_example = read_mlmodel(text)
            registry.versions.append(version)
    return registry


def mlmodel_candidates(store: Path, meta: dict[str, Any]) -> Iterator[Path]:
    """Where a version's MLmodel can be in an artifact folder: by logged-model id, by run and path, by location."""
    source = str(meta.get("source") or "")
    model_id = meta.get("model_id") or (source[len("models:/") :] if source.startswith("models:/m-") else None)
    if model_id and re.fullmatch(r"[\w-]+", str(model_id)):
        yield from store.glob(f"*/models/{model_id}/artifacts/MLmodel")
    found = re.fullmatch(r"runs:/(\w+)/(.+)", source)
    if found:
        yield from store.glob(f"*/{found.group(1)}/artifacts/{found.group(2).strip('/')}/MLmodel")
    for uri in (meta.get("storage_location"), source):
        for folder in ARTIFACT_FOLDERS:
            if isinstance(uri, str) and f"/{folder}/" in uri and store.name == folder:
                yield store / uri.split(f"/{folder}/", 1)[1].strip("/") / "MLmodel"


# --- a database: MLflow's SQL store in SQLite ---


def _not_mlflow_db(full: Path) -> str | None:
    """Why ``full`` is not a readable MLflow database, or None when it is one.

    An MLflow database is SQLite with experiments and runs tables; anything
    else that opens is ``NOT_MLFLOW``. Too large, a Git LFS pointer or a
    damaged file may well be one: those are reasons to say so.
    """
    try:
        if full.stat().st_size > MAX_DB_BYTES:
            return f"larger than {MAX_DB_BYTES} bytes"
        with full.open("rb") as fh:
            head = fh.read(64)
        if head.startswith(b"version https://git-lfs"):
            return "a Git LFS pointer: the database itself is not in the repository"
        if not head.startswith(SQLITE_MAGIC):
            return NOT_MLFLOW
        with _connect(full) as conn:
            return None if {"experiments", "runs"} <= _tables(conn) else NOT_MLFLOW
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    except sqlite3.Error as exc:
        return f"cannot read: {exc}"


class _Connection:
    """A read-only connection to an untrusted database file, closed on leaving the ``with`` block."""

    def __init__(self, full: Path) -> None:
        self.conn = sqlite3.connect(f"{full.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=0)
        deadline = time.monotonic() + QUERY_SECONDS
        self.conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        for pragma in ("trusted_schema=OFF", "query_only=ON", "cell_size_check=ON", "mmap_size=0"):
            self.conn.execute(f"PRAGMA {pragma}")

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def _connect(full: Path) -> _Connection:
    return _Connection(full)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _columns(conn: sqlite3.Connection, table: str, wanted: tuple[str, ...]) -> list[str]:
    """Those of ``wanted`` the table has (its schema varies with MLflow's version); names from our list only."""
    present = {str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')}
    return [c for c in wanted if c in present]


def read_database(full: Path, rel: str, wanted: list[str], on: datetime, artifacts: list[Path]) -> Registry:
    """The registry and runs of an MLflow SQLite database; what cannot be read is a problem fact at ``rel``."""
    registry = Registry()
    try:
        with _connect(full) as conn:
            tables = _tables(conn)
            _database_runs(conn, tables, registry, on)
            if "registered_models" in tables:
                _database_models(conn, tables, registry, wanted, on, artifacts)
    except sqlite3.Error as exc:
        message = "took too long to read" if "interrupt" in str(exc).lower() else f"cannot read: {exc}"
        registry.problems.append(Fact.failure("registry.mlflow.models", f"{rel}: {message}", path=rel))
    return registry


def _in_chunks(ids: list[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        yield chunk, ",".join("?" * len(chunk))


def _database_runs(conn: sqlite3.Connection, tables: set[str], registry: Registry, on: datetime) -> None:
    stage = (
        "AND COALESCE(r.lifecycle_stage, 'active') != 'deleted'" if _columns(conn, "runs", ("lifecycle_stage",)) else ""
    )
    live = (
        "AND COALESCE(e.lifecycle_stage, 'active') != 'deleted'"
        if _columns(conn, "experiments", ("lifecycle_stage",))
        else ""
    )
    rows = conn.execute(
        "SELECT r.run_uuid, r.start_time FROM runs r LEFT JOIN experiments e ON e.experiment_id = r.experiment_id "
        f"WHERE (r.start_time IS NULL OR r.start_time <= ?) {stage} {live} ORDER BY r.start_time DESC LIMIT ?",
        (int(on.timestamp() * 1000), MAX_RUNS),
    ).fetchall()
    runs = {str(run_id): Run(run_id=str(run_id), started=when(started)) for run_id, started in rows if run_id}
    metrics = "latest_metrics" if "latest_metrics" in tables else "metrics" if "metrics" in tables else None
    for chunk, marks in _in_chunks(list(runs)):
        for table, attribute in (("params", "params"), ("tags", "tags")):
            if table in tables:
                for run_id, key, value in conn.execute(
                    f"SELECT run_uuid, key, value FROM {table} WHERE run_uuid IN ({marks}) LIMIT ?",
                    [*chunk, MAX_ROWS],
                ):
                    if str(run_id) in runs:
                        getattr(runs[str(run_id)], attribute)[str(key)] = str(value)
        if metrics:
            order = " ORDER BY timestamp, step" if metrics == "metrics" else ""
            for run_id, key, value in conn.execute(
                f"SELECT run_uuid, key, value FROM {metrics} WHERE run_uuid IN ({marks}){order} LIMIT ?",
                [*chunk, MAX_ROWS],
            ):
                if isinstance(value, (int, float)) and str(run_id) in runs:
                    runs[str(run_id)].metrics[str(key)] = float(value)
    registry.runs.update(runs)


def _database_models(
    conn: sqlite3.Connection,
    tables: set[str],
    registry: Registry,
    wanted: list[str],
    on: datetime,
    artifacts: list[Path],
) -> None:
    rows = conn.execute("SELECT name FROM registered_models LIMIT ?", (MAX_ROWS,))
    names = sorted({str(r[0]) for r in rows if r[0] is not None})
    registry.models = [n for n in names if not wanted or n in wanted]
    if "registered_model_aliases" in tables:
        query = "SELECT alias, version, name FROM registered_model_aliases LIMIT ?"
        for alias, version, model in conn.execute(query, (MAX_ROWS,)):
            if model in registry.models and str(version).isdigit():
                registry.aliases.setdefault(str(model), {})[str(alias)] = int(version)
    if "model_versions" not in tables:
        return
    columns = _columns(
        conn,
        "model_versions",
        ("name", "version", "creation_time", "current_stage", "status", "run_id", "source", "storage_location"),
    )
    query = f"SELECT {', '.join(columns)} FROM model_versions LIMIT ?"
    versions = [dict(zip(columns, r, strict=True)) for r in conn.execute(query, (MAX_ROWS,))]
    per_model: dict[str, list[tuple[Version, dict[str, Any]]]] = {}
    for row in versions:
        created = when(row.get("creation_time"))
        if row.get("name") not in registry.models or not str(row.get("version", "")).isdigit() or created is None:
            continue
        stage = str(row.get("current_stage") or "None")
        if stage.lower() == DELETED_STAGE or created > on:
            continue
        run_id = row.get("run_id")
        version = Version(
            model=str(row["name"]),
            number=int(row["version"]),
            created=created,
            stage=stage,
            status=str(row.get("status") or "READY"),
            run_id=str(run_id) if run_id else None,
        )
        per_model.setdefault(version.model, []).append((version, row))
    for model in registry.models:
        found = sorted(per_model.get(model, []), key=lambda pair: -pair[0].number)
        for version, row in found[:MAX_VERSIONS]:
            for root in artifacts:
                text = next((t for t in (_read(p, root) for p in mlmodel_candidates(root, row)) if t), None)
                if text is not None:
                    version.signature, version.input_example = read_mlmodel(text)
                    break
        registry.versions += [v for v, _ in found]
