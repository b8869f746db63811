"""Large batches go through real forked worker processes and come back exactly as one process computes them."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from mldebt.collectors.code import batch as code_batch
from mldebt.collectors.code.batch import Job
from mldebt.collectors.repo import history
from mldebt.collectors.repo.cache import encode

STDLIB = Path(sysconfig.get_paths()["stdlib"])
NAMES = [
    "argparse.py",
    "typing.py",
    "inspect.py",
    "email/_header_value_parser.py",
    "unittest/mock.py",
    "unittest/case.py",
    "dataclasses.py",
    "pathlib.py",
]  # about 600 KB: just over the pool's threshold


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two worker processes, whatever this machine's core count: the pool path is the one under test."""
    monkeypatch.setattr(code_batch, "workers", lambda: 2)


def _texts() -> list[tuple[str, str]]:
    found = [
        (f"lib/{name}", (STDLIB / name).read_text(encoding="utf-8")) for name in NAMES if (STDLIB / name).is_file()
    ]
    found.append(("lib/broken.py", "def f(:\n"))
    assert sum(len(text) for _, text in found) >= code_batch.POOL_MIN_BYTES, "not enough source to need a pool"
    return found


def test_the_pool_summarises_exactly_as_one_process_does(two_workers):
    jobs = [Job(rel, f"blob{n}", text, is_test=rel.endswith("case.py")) for n, (rel, text) in enumerate(_texts())]
    assert code_batch.worth_a_pool(sum(len(job.text) for job in jobs))
    pooled = list(code_batch._run(jobs))
    alone = code_batch._work([code_batch._args(job) for job in jobs])
    assert sorted(pooled, key=lambda item: item[0]) == sorted(alone, key=lambda item: item[0])
    summaries = {rel: summary for rel, summary, _ in pooled}
    assert summaries["lib/broken.py"]["error"]["message"].startswith("Python syntax error")
    assert all(kept == encode(summaries[rel]) for rel, _, kept in pooled)  # each as the cache keeps it


def test_hotspot_complexity_is_measured_the_same_over_the_pool(two_workers):
    files = _texts()
    assert code_batch.worth_a_pool(sum(len(text) for _, text in files))
    pooled = sorted(history._measure(files))
    assert pooled == sorted(history._complexities(files))
    assert dict(pooled)["lib/broken.py"] is None and all(isinstance(v, int) for k, v in pooled if k != "lib/broken.py")


def test_the_repository_collector_runs_with_the_cyclic_collector_paused_and_restores_it(tmp_path, monkeypatch):
    """Its file summaries are millions of objects without cycles: a full collection would walk them all."""
    import gc

    from mldebt.collectors.interface import Fact, Snapshot
    from mldebt.collectors.repo import collector as repo_collector

    seen = []

    def facts(snapshot, cache):
        seen.append(gc.isenabled())
        yield Fact("repo.files.total", 0)
        seen.append(gc.isenabled())

    monkeypatch.setattr(repo_collector, "_collect", facts)
    assert gc.isenabled()
    found = list(repo_collector.RepoCollector().collect(Snapshot(project="p", root=tmp_path)))
    assert [f.key for f in found] == ["repo.files.total"] and seen == [False, False] and gc.isenabled()
