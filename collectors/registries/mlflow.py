"""MLflow collector: the model registry and the tracked runs behind it.

Three sources, one set of facts: a tracking server read through its REST API
(``registries.mlflow_url`` in the portfolio, its token from the environment
variable ``MLFLOW_TRACKING_TOKEN``, sent only to that host), or, without a
server, the stores committed in the project: ``mlruns/`` file stores and
MLflow's SQLite databases (``mlflow.db``), read by ``mlflow_local`` without
MLflow. Nothing of MLflow is imported or run.

The registry is judged as it stood at the scan's moment: versions created and
runs started after ``snapshot.as_of`` are left out, and ages count from it.
The version serving production is the one an alias such as ``champion`` or
``production`` points at, or else the newest in the ``Production`` stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mldebt.collectors.http import ApiClient, ApiError
from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.registries.mlflow_local import Store, find_stores, read_store
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
from mldebt.redact import without_credentials

TOKEN_ENV = "MLFLOW_TRACKING_TOKEN"
PRODUCTION_ALIASES = ("production", "prod", "champion", "live")
SEED = re.compile(r"(^|[._-])(seed|random_state|random_seed)($|[._-])", re.I)
CODE_VERSION = ("mlflow.source.git.commit", "git_commit", "git_sha", "code_version")


class MlflowCollector(Collector):
    name = "mlflow"
    keys = {
        "registry.mlflow.source": "where the registry was read: 'server' (with its URL), 'sqlite' (a committed "
        "MLflow database such as mlflow.db, at its path), 'file' (a committed mlruns/ store, at its path), "
        "or null when there is none",
        "registry.mlflow.stores": "every committed MLflow store read: kind (sqlite or file) and path",
        "registry.mlflow.models": "registered models followed",
        "registry.mlflow.aliases": "each model's aliases and the version they point at",
        "registry.mlflow.stages": "versions in a stage other than None (Staging, Production, Archived)",
        "registry.mlflow.versions.count": "model versions created by the scan's moment",
        "registry.mlflow.versions.per_model": "versions per model",
        "registry.mlflow.versions.with_signature": "versions whose MLmodel declares an input signature",
        "registry.mlflow.versions.with_input_example": "versions logged with an input example",
        "registry.mlflow.production.versions": "the version serving production, per model",
        "registry.mlflow.production.rollback_available": "every production model has an earlier version to go back to",
        "registry.mlflow.production.quality_compared": "each production version's run and its predecessor's "
        "log a common metric, so quality was comparable at promotion",
        "registry.mlflow.production.quality_delta": "production minus previous version, per shared metric",
        "registry.mlflow.model_age_days": "days since the oldest production version was registered",
        "registry.mlflow.runs.count": "tracked runs started by the scan's moment (newest 1000)",
        "registry.mlflow.runs.with_params": "runs logging parameters",
        "registry.mlflow.runs.with_metrics": "runs logging metrics",
        "registry.mlflow.runs.with_code_version": "runs recording the code version (git commit)",
        "registry.mlflow.runs.with_seed": "runs recording a random seed",
        "registry.mlflow.runs.reproducible": "runs recording parameters, metrics, code version and seed",
    }

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        settings = snapshot.sources.get("registries") or {}
        url, wanted = settings.get("mlflow_url"), list(settings.get("models") or [])
        on = snapshot.as_of or datetime.now(UTC)
        on = on if on.tzinfo else on.replace(tzinfo=UTC)
        if url:
            try:
                client = ApiClient(url, token_env=TOKEN_ENV)
            except ApiError as exc:
                yield Fact.failure(
                    "registry.mlflow.models", without_credentials(f"MLflow server: {exc}"), url=without_credentials(url)
                )
                return
            yield Fact("registry.mlflow.source", "server", url=without_credentials(client.base_url))
            try:
                registry = read_server(client, wanted, on)
            except ApiError as exc:
                yield Fact.failure(
                    "registry.mlflow.models",
                    without_credentials(f"MLflow server: {exc}"),
                    url=without_credentials(client.base_url),
                )
                return
            registry.problems = [
                replace(f, url=without_credentials(f.url or ""), error=without_credentials(f.error or ""))
                for f in registry.problems
            ]
        else:
            stores, unread = find_stores(snapshot.root, snapshot.skipped)
            if not stores and not unread:
                # Looked and found none: a fact, so registry checks fail rather than stay unknown.
                yield Fact("registry.mlflow.source", None)
                return
            found = stores + [Store("sqlite", rel, snapshot.root / rel) for rel, _ in unread]
            first = min(found, key=lambda s: (s.kind != "sqlite", s.rel.count("/"), s.rel))
            yield Fact("registry.mlflow.source", first.kind, path=first.rel)
            yield Fact("registry.mlflow.stores", [{"kind": s.kind, "path": s.rel} for s in found])
            for rel, why in unread:
                yield Fact.failure("registry.mlflow.models", f"{rel}: an MLflow database not read: {why}", path=rel)
            if not stores:  # there is a registry, and what it holds is unknown
                return
            registry = Registry()
            for store in stores:
                registry.merge(read_store(store, wanted, on))
            registry.models.sort()
            for name in sorted(set(wanted) - set(registry.models)):
                registry.problems.append(
                    Fact.failure("registry.mlflow.models", f"registered model {name!r} not found", path=first.rel)
                )
        yield from registry.problems
        yield from facts(registry, on)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _paged(client: ApiClient, path: str, key: str, params: dict[str, Any], pages: int = 20) -> Iterator[dict[str, Any]]:
    token = None
    for _ in range(pages):
        reply = client.get_json(path, {**params, **({"page_token": token} if token else {})})
        reply = reply if isinstance(reply, dict) else {}
        yield from _dicts(reply.get(key))
        token = reply.get("next_page_token")
        if not token or not isinstance(token, str):
            return


def read_server(client: ApiClient, wanted: list[str], on: datetime) -> Registry:
    """The registry and runs of a tracking server; ApiError when the registry cannot be read at all."""
    registry = Registry()
    for model in _paged(client, "api/2.0/mlflow/registered-models/search", "registered_models", {"max_results": 100}):
        name = str(model.get("name"))
        if wanted and name not in wanted:
            continue
        registry.models.append(name)
        registry.aliases[name] = {
            str(a.get("alias")): int(a["version"])
            for a in _dicts(model.get("aliases"))
            if str(a.get("version", "")).isdigit()
        }
        quoted = name.replace("'", "\\'")
        listed = [
            version_of(name, v)
            for v in _paged(
                client,
                "api/2.0/mlflow/model-versions/search",
                "model_versions",
                {"filter": f"name='{quoted}'", "max_results": 200},
            )
        ]
        found = sorted((v for v in listed if v and v.created <= on), key=lambda v: -v.number)
        for version in found[:MAX_VERSIONS]:
            try:
                text = client.get(
                    "model-versions/get-artifact", {"path": "MLmodel", "name": name, "version": version.number}
                ).text
                version.signature, version.input_example = read_mlmodel(text[:MAX_BYTES])
            except ApiError as exc:
                if exc.status != 404:  # no MLmodel: a version registered without a logged model
                    registry.problems.append(
                        Fact.failure(
                            "registry.mlflow.versions.with_signature",
                            f"{name} v{version.number}: {exc}",
                            url=client.base_url,
                        )
                    )
        registry.versions += found
    for name in sorted(set(wanted) - set(registry.models)):
        registry.problems.append(
            Fact.failure("registry.mlflow.models", f"registered model {name!r} not found", url=client.base_url)
        )
    try:
        _server_runs(client, registry, on)
    except ApiError as exc:
        registry.problems.append(
            Fact.failure("registry.mlflow.runs.count", f"MLflow server: {exc}", url=client.base_url)
        )
    return registry


def _server_runs(client: ApiClient, registry: Registry, on: datetime) -> None:
    """The newest runs of every experiment, and the runs behind the registered versions."""
    experiments = [
        str(e["experiment_id"])
        for e in _paged(client, "api/2.0/mlflow/experiments/search", "experiments", {"max_results": 1000})
        if e.get("experiment_id") is not None
    ]
    if experiments:
        reply = client.post_json(
            "api/2.0/mlflow/runs/search",
            {"experiment_ids": experiments[:100], "max_results": MAX_RUNS, "order_by": ["attributes.start_time DESC"]},
        )
        for item in _dicts(reply.get("runs") if isinstance(reply, dict) else None):
            run = _run(item)
            if run and (run.started is None or run.started <= on):
                registry.runs[run.run_id] = run
    for version in registry.versions:  # runs behind versions that fell outside the newest runs
        if version.run_id and version.run_id not in registry.runs:
            try:
                reply = client.get_json("api/2.0/mlflow/runs/get", {"run_id": version.run_id})
            except ApiError:
                continue
            body = reply.get("run") if isinstance(reply, dict) else None
            run = _run(body if isinstance(body, dict) else {})
            if run:
                registry.runs[run.run_id] = run


def _pairs(items: Any) -> dict[str, Any]:
    return {str(i.get("key")): i.get("value") for i in _dicts(items)}


def _run(item: dict[str, Any]) -> Run | None:
    info, data = item.get("info"), item.get("data")
    info, data = info if isinstance(info, dict) else {}, data if isinstance(data, dict) else {}
    run_id = info.get("run_id") or info.get("run_uuid")
    if not run_id or not isinstance(run_id, str):
        return None
    return Run(
        run_id=str(run_id),
        started=when(info.get("start_time")),
        params=_pairs(data.get("params")),
        metrics=_pairs(data.get("metrics")),
        tags=_pairs(data.get("tags")),
    )


def production(registry: Registry) -> dict[str, Version]:
    """Each model's version serving production: a production-like alias, else the newest Production stage."""
    chosen = {}
    for model in registry.models:
        versions = {v.number: v for v in registry.versions if v.model == model}
        aliases = registry.aliases.get(model, {})
        by_alias = next((versions[aliases[a]] for a in PRODUCTION_ALIASES if aliases.get(a) in versions), None)
        staged = [v for v in versions.values() if v.stage.lower() == "production"]
        pick = by_alias or max(staged, key=lambda v: v.number, default=None)
        if pick:
            chosen[model] = pick
    return chosen


def _reproducible(run: Run) -> dict[str, bool]:
    keys = list(run.params) + list(run.tags)
    return {
        "with_params": bool(run.params),
        "with_metrics": bool(run.metrics),
        "with_code_version": any(k in CODE_VERSION and (run.params.get(k) or run.tags.get(k)) for k in keys),
        "with_seed": any(SEED.search(k) for k in keys),
    }


def _compare(registry: Registry, current: Version) -> dict[str, float] | None:
    """Shared metrics of the production version's run and the previous version's, as differences."""
    earlier = [v for v in registry.versions if v.model == current.model and v.number < current.number and v.run_id]
    previous = max(earlier, key=lambda v: v.number, default=None)
    if previous is None:
        return None
    now, before = registry.runs.get(current.run_id or ""), registry.runs.get(previous.run_id or "")
    if now is None or before is None:
        return None
    shared = sorted(set(now.metrics) & set(before.metrics))
    try:
        return {m: round(float(now.metrics[m]) - float(before.metrics[m]), 6) for m in shared}
    except (TypeError, ValueError):
        return None


def facts(registry: Registry, on: datetime) -> Iterator[Fact]:
    yield Fact("registry.mlflow.models", sorted(registry.models))
    yield Fact("registry.mlflow.aliases", {m: a for m, a in sorted(registry.aliases.items()) if a})
    yield Fact(
        "registry.mlflow.stages",
        {
            m: {str(v.number): v.stage for v in registry.versions if v.model == m and v.stage.lower() != "none"}
            for m in sorted(registry.models)
            if any(v.model == m and v.stage.lower() != "none" for v in registry.versions)
        },
    )
    yield Fact("registry.mlflow.versions.count", len(registry.versions))
    yield Fact(
        "registry.mlflow.versions.per_model",
        {m: sum(v.model == m for v in registry.versions) for m in sorted(registry.models)},
    )
    yield Fact("registry.mlflow.versions.with_signature", sum(v.signature for v in registry.versions))
    yield Fact("registry.mlflow.versions.with_input_example", sum(v.input_example for v in registry.versions))
    serving = production(registry)
    yield Fact("registry.mlflow.production.versions", {m: v.number for m, v in sorted(serving.items())})
    if serving:
        yield Fact(
            "registry.mlflow.production.rollback_available",
            all(
                any(o.model == m and o.number < v.number and o.status == "READY" for o in registry.versions)
                for m, v in serving.items()
            ),
        )
        deltas = {m: _compare(registry, v) for m, v in sorted(serving.items())}
        yield Fact("registry.mlflow.production.quality_compared", all(bool(d) for d in deltas.values()))
        yield Fact("registry.mlflow.production.quality_delta", {m: d for m, d in deltas.items() if d})
        yield Fact("registry.mlflow.model_age_days", max((on - v.created).days for v in serving.values()))
    runs = [_reproducible(r) for r in registry.runs.values()]
    yield Fact("registry.mlflow.runs.count", len(runs))
    for part in ("with_params", "with_metrics", "with_code_version", "with_seed"):
        yield Fact(f"registry.mlflow.runs.{part}", sum(r[part] for r in runs))
    yield Fact("registry.mlflow.runs.reproducible", sum(all(r.values()) for r in runs))
