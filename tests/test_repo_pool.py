"""Large batches go through real forked worker processes and come back exactly as one process computes them."""

from __future__ import annotations

import json
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
    summaries = {rel: json.loads(raw) for rel, raw, _ in pooled}  # each summary crosses the pipe as its JSON
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


def test_chunks_hold_every_file_once_biggest_first_and_shrink_towards_the_end():
    sizes = [900_000, 5, 40_000, 250_000, 3_000, 120_000] + [7_000 + n for n in range(300)]
    chunks = code_batch.chunked(sizes, lambda size: size, 2)
    assert sorted(s for chunk in chunks for s in chunk) == sorted(sizes)  # each once
    assert [s for chunk in chunks for s in chunk] == sorted(sizes, reverse=True)  # the biggest first
    held = [sum(chunk) for chunk in chunks]
    assert held[0] >= sum(sizes) // 8  # a quarter of a worker's share of everything
    assert all(h >= code_batch.MIN_CHUNK_BYTES for h in held[:-1])  # small enough to balance, not to cost
    assert held[-4:] < held[:4] and max(held[-4:]) < 3 * code_batch.MIN_CHUNK_BYTES  # small ones at the end
    assert code_batch.chunked([], len, 2) == []
