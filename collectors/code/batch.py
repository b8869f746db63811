"""Summarise many source files: cached ones from the cache, the rest over every core.

Each job is one file's text and what it is (module, test, notebook code).
Summaries are cached by the file's git blob id and the analyser version, so a
scan of a new commit re-reads only the files that changed. Large batches are
spread over a process pool (the parse is CPU-bound, so threads would not help);
small ones run in this process, where starting workers would cost more than
it saves.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from mldebt.collectors.ahead import workers
from mldebt.collectors.code.heap import collector_paused
from mldebt.collectors.code.scan import ANALYSER_VERSION, summarise
from mldebt.collectors.meanwhile import waiting
from mldebt.collectors.repo.cache import Cache, as_json, pack

_Args = tuple[str, str, bool, bool, bool]  # what a worker needs of a job: rel, text, is_test, notebook, complexity
POOL_MIN_BYTES = 400_000  # below this much uncached source, one process is faster
MIN_CHUNK_BYTES = 16_000  # a chunk's hand-over to a worker costs about what summarising this much source does
T = TypeVar("T")


@dataclass(frozen=True)
class Job:
    rel: str
    blob: str
    text: str
    is_test: bool = False
    notebook: bool = False
    complexity: bool = False  # also measure radon's complexity, on the same parse (a hotspot candidate)

    @property
    def key(self) -> str:
        kind = "nb" if self.notebook else "test" if self.is_test else "py"
        return f"py:{ANALYSER_VERSION}:{kind}:{self.blob}:{self.rel}"


def summarise_all(jobs: list[Job], cache: Cache) -> dict[str, dict[str, Any]]:
    """Summary of every job, by relative path.

    A fresh summary comes back as the JSON the cache keeps (``_work``) and is
    read here as a cached one is: the same objects whether it was cached, made
    by a worker or made here, and a worker's result crosses the pipe as bytes
    (pickling the summary and unpickling it here cost as much as the JSON).
    The garbage collector is paused throughout (``collector_paused``): results read
    back from the cache and from workers are many small objects without cycles.
    """
    with collector_paused():
        return _summarise_all(jobs, cache)


def _summarise_all(jobs: list[Job], cache: Cache) -> dict[str, dict[str, Any]]:
    cached = cache.get_many(job.key for job in jobs)
    out = {job.rel: cached[job.key] for job in jobs if job.key in cached}
    missing = [job for job in jobs if job.key not in cached]
    fresh, encoded = {}, {}
    for rel, raw, kept in _run(missing):
        fresh[rel], encoded[rel] = json.loads(raw), kept
    cache.put_encoded({job.key: encoded[job.rel] for job in missing if job.rel in encoded})
    out.update(fresh)
    return out


def _run(jobs: list[Job]) -> Iterator[tuple[str, bytes, bytes]]:
    size = sum(len(job.text) for job in jobs)
    if not worth_a_pool(size):
        yield from _work([_args(job) for job in jobs])
        return
    chunks = [[_args(job) for job in chunk] for chunk in chunked(jobs, lambda job: len(job.text), workers())]
    done: set[str] = set()
    try:
        for rel, summary, kept in spread(_work, chunks):
            done.add(rel)
            yield rel, summary, kept
    except (BrokenProcessPool, OSError):  # a worker died: finish here, file by file
        yield from _work([_args(job) for job in jobs if job.rel not in done])


def worth_a_pool(size: int) -> bool:
    """Whether ``size`` bytes of CPU-bound work should be spread over worker processes.

    Workers are forked: no re-import of the caller's ``__main__`` (which spawn
    and forkserver need), and they start at once. Forking is only safe with no
    other thread alive, so otherwise, and for small inputs, one process does it all.
    """
    return workers() >= 2 and size >= POOL_MIN_BYTES and threading.active_count() == 1


def spread(work: Callable[[list[Any]], list[Any]], chunks: list[list[Any]]) -> Iterator[Any]:
    """``work(chunk)``'s results for every chunk, in order, from forked worker processes (see ``worth_a_pool``).

    Once the workers have their chunks, what ``collectors.meanwhile.while_waiting``
    gave runs here, before the results are read. ``work`` must be a module-level function. A worker that dies raises
    BrokenProcessPool (or OSError) here, after the results already yielded.
    """
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=max(1, min(workers(), len(chunks))), mp_context=context) as pool:
        running = pool.map(work, chunks)  # every chunk handed out, the workers forked
        waiting()  # what the registry runs meanwhile (collectors.meanwhile): this process only waits from here
        for results in running:
            yield from results


def chunked(items: list[T], size: Callable[[T], int], workers: int) -> list[list[T]]:
    """``items``, biggest first, in chunks that shrink with the work left (guided self-scheduling).

    Each chunk is about a quarter of a worker's share of what is left, and at
    least MIN_CHUNK_BYTES: big chunks while much is left (few hand-overs), and
    small ones at the end, taken by whichever worker is free, so that no worker
    idles long while another finishes a big chunk. Big files go first, so none
    comes last alone.
    """
    left = sum(map(size, items))
    chunks: list[list[T]] = []
    chunk: list[T] = []
    held = 0
    limit = max(MIN_CHUNK_BYTES, left // (4 * workers))
    for item in sorted(items, key=size, reverse=True):
        chunk.append(item)
        held += size(item)
        if held >= limit:
            chunks.append(chunk)
            left -= held
            chunk, held = [], 0
            limit = max(MIN_CHUNK_BYTES, left // (4 * workers))
    if chunk:
        chunks.append(chunk)
    return chunks


def _args(job: Job) -> _Args:
    return job.rel, job.text, job.is_test, job.notebook, job.complexity


def _work(chunk: list[_Args]) -> list[tuple[str, bytes, bytes]]:
    """Each file's summary as JSON, and as the cache keeps it (both made here, where the work is spread)."""
    results: list[tuple[str, bytes, bytes]] = []
    for rel, text, is_test, notebook, complexity in chunk:
        try:
            summary = summarise(rel, text, is_test=is_test, notebook=notebook, complexity=complexity)
        except Exception as exc:
            summary = {
                "lines": text.count("\n"),
                "markers": {"count": 0, "kinds": {}, "at": []},
                "error": {"message": f"cannot analyse: {type(exc).__name__}: {exc}", "line": None},
            }
        raw = as_json(summary)
        results.append((rel, raw, pack(raw)))
    return results
