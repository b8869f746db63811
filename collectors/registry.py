"""The explicit list of collectors, and the loop that runs them safely."""

from __future__ import annotations

from dataclasses import replace

from mldebt.collectors.ahead import ahead, workers
from mldebt.collectors.attestations import AttestationCollector
from mldebt.collectors.ci.config import CIConfigCollector
from mldebt.collectors.ci.history import CIHistoryCollector
from mldebt.collectors.ci.results import CIResultsCollector
from mldebt.collectors.interface import SCAN_KEYS, Collector, Fact, Snapshot
from mldebt.collectors.meanwhile import while_waiting
from mldebt.collectors.monitoring.collector import MonitoringCollector
from mldebt.collectors.registries.dvc import DvcCollector
from mldebt.collectors.registries.feast import FeastCollector
from mldebt.collectors.registries.mlflow import MlflowCollector
from mldebt.collectors.registries.packages import PackagesCollector
from mldebt.collectors.repo.collector import RepoCollector
from mldebt.collectors.repo.deps import DepsCollector
from mldebt.collectors.repo.history import HistoryCollector
from mldebt.redact import without_credentials

COLLECTORS: dict[str, type[Collector]] = {
    RepoCollector.name: RepoCollector,
    DepsCollector.name: DepsCollector,
    HistoryCollector.name: HistoryCollector,
    DvcCollector.name: DvcCollector,
    FeastCollector.name: FeastCollector,
    PackagesCollector.name: PackagesCollector,
    MlflowCollector.name: MlflowCollector,
    AttestationCollector.name: AttestationCollector,
    CIConfigCollector.name: CIConfigCollector,
    CIResultsCollector.name: CIResultsCollector,
    CIHistoryCollector.name: CIHistoryCollector,
    MonitoringCollector.name: MonitoringCollector,
}
NEEDS_REPO = (HistoryCollector.name,)  # reads the complexity the repository collector measured and kept


def declared_keys() -> dict[str, str]:
    """Every evidence key some collector (or the scan itself) can produce, with its meaning."""
    return {**{key: text for cls in COLLECTORS.values() for key, text in cls.keys.items()}, **SCAN_KEYS}


def collect(snapshot: Snapshot, names: list[str] | None = None) -> list[Fact]:
    """Run the named collectors (all by default) over ``snapshot``; their facts in the order of COLLECTORS.

    A collector that raises does not end the scan: what it yielded before the
    failure is kept and the failure becomes the error fact ``<name>.error``.
    No fact keeps the user and password of a URL (``mldebt.redact``).
    The collectors that do not need the repository collector's results run
    beside it: in a forked process from the start (``collectors.ahead``), on
    the core the repository collector leaves idle while it lists and reads its
    files, or else in this process while it waits on its file pool
    (``collectors.meanwhile``). When the repository's facts are kept already
    (an unchanged tree), they run after it here: it is quick to wait for. The
    history, which reads the complexity the repository collector measured,
    runs after it.
    """
    order = names or list(COLLECTORS)
    found: dict[str, list[Fact]] = {}
    if "repo" in order:
        independent = [name for name in order if name not in ("repo", *NEEDS_REPO)]

        def others() -> dict[str, list[Fact]]:
            return {name: _run(name, snapshot) for name in independent}

        worth_it = bool(independent) and workers() >= 2 and not RepoCollector.kept(snapshot)  # else it is quick
        with ahead(others, worth_it) as beside:
            if beside.forked:
                found["repo"] = _run("repo", snapshot)
                found.update(beside())
            else:
                with while_waiting(lambda: found.update(others())):
                    found["repo"] = _run("repo", snapshot)
    for name in order:
        if name not in found:
            found[name] = _run(name, snapshot)
    return [fact for name in order for fact in found[name]]


def _run(name: str, snapshot: Snapshot) -> list[Fact]:
    facts: list[Fact] = []
    collector = COLLECTORS[name]()
    try:
        for fact in collector.collect(snapshot):
            facts.append(_public(fact if fact.collector else replace(fact, collector=name)))
    except Exception as exc:
        facts.append(_public(Fact.failure(f"{name}.error", f"{type(exc).__name__}: {exc}", collector=name)))
    return facts


def _public(fact: Fact) -> Fact:
    return replace(
        fact,
        value=without_credentials(fact.value),
        error=without_credentials(fact.error),
        url=without_credentials(fact.url),
        path=without_credentials(fact.path),
    )
