"""Large batches go through real forked worker processes and come back exactly as one process computes them."""

from __future__ import annotations

import json
import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mldebt.collectors.code import batch as code_batch
from mldebt.collectors.code import facts as code_facts
from mldebt.collectors.code.batch import Job
from mldebt.collectors.code.scan import summarise
from mldebt.collectors.repo import history
from mldebt.collectors.repo.cache import Cache, encode

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
    # each summary crosses the pipe as its JSON, its dead-code state apart, and whole as the cache keeps it
    summaries = {rel: json.loads(rest) for rel, rest, _, _ in pooled}
    assert summaries["lib/broken.py"]["error"]["message"].startswith("Python syntax error")
    by_rel = {job.rel: job for job in jobs}
    for rel, _, state, kept in pooled:
        job = by_rel[rel]
        whole = summarise(rel, job.text, is_test=job.is_test)
        assert kept == encode(whole)
        assert state is not None and json.loads(state) == whole.pop("dead")  # every file here has a state
        assert summaries[rel] == whole


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


def _project(tmp_path: Path, name: str) -> tuple[list[Job], Cache]:
    jobs = [Job(rel, f"blob{n}", text, is_test=rel.endswith("case.py")) for n, (rel, text) in enumerate(_texts())]
    return jobs, Cache(tmp_path / f"{name}.sqlite")


NAMED = ["lib.string.capwords", "Formatter"]  # as configuration files would spell them


def test_the_dead_code_found_beside_the_pool_is_the_one_found_from_the_summaries(two_workers, tmp_path, monkeypatch):
    jobs, cache = _project(tmp_path, "beside")
    summaries, dead = code_batch.summarise_project(jobs, cache)
    assert dead is not None and dead._child is not None  # a pool made every summary: the states went beside
    assert not any("dead" in summary for summary in summaries.values())

    def not_here(states: dict[str, Any], named: list[str]) -> list[dict[str, Any]]:
        raise AssertionError("found here, not beside")

    with monkeypatch.context() as patched:
        patched.setattr(code_batch, "_unused", not_here)  # the child, forked already, keeps the real one
        dead.start(NAMED)
        found = dead.found()
    whole = code_batch.summarise_all(*_project(tmp_path, "whole"))
    assert summaries == {rel: {k: v for k, v in s.items() if k != "dead"} for rel, s in whole.items()}
    assert found == code_facts._unused(whole, NAMED) and len(found) > 10
    again, none = code_batch.summarise_project(jobs, cache)  # every summary cached: each holds its state
    assert none is None and again == whole


def test_when_the_process_beside_fails_the_dead_code_is_found_here(two_workers, tmp_path, monkeypatch):
    def failing(messages: Iterator[bytes]) -> list[dict[str, Any]]:
        raise RuntimeError("the child fails")

    monkeypatch.setattr(code_batch, "_unused_beside", failing)
    _, dead = code_batch.summarise_project(*_project(tmp_path, "beside"))
    assert dead is not None
    dead.start(NAMED)
    whole = code_batch.summarise_all(*_project(tmp_path, "whole"))
    assert dead.found() == code_facts._unused(whole, NAMED)


def test_a_scan_that_stops_early_leaves_no_process_beside(two_workers, tmp_path):
    _, dead = code_batch.summarise_project(*_project(tmp_path, "beside"))
    assert dead is not None and dead._child is not None and dead._child._pid is not None
    pid = dead._child._pid
    dead.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # stopped and reaped
