"""Summarise many source files: cached ones from the cache, the rest over every core.

Each job is one file's text and what it is (module, test, notebook code).
Summaries are cached by the file's git blob id and the analyser version, so a
scan of a new commit re-reads only the files that changed. Large batches are
spread over a process pool (the parse is CPU-bound, so threads would not help);
small ones run in this process, where starting workers would cost more than
it saves.

The project's dead code (``deadcode.unused`` over every file's state) is the
longest of the passes that need every summary. When a pool makes every
summary, each file's dead-code state comes from its worker as JSON of its own,
and this process sends it on, unread, to a process forked before the pool
(``ahead.fed``) that reads them as they come and, once the summaries are in,
finds the unused code while this process goes on with the other passes
(``summarise_project``, ``DeadCode``). The child reads the states from a pipe,
not from memory shared with this process, so nothing is copied on write.
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

from mldebt.collectors.ahead import Fed, fed, workers
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
    """Summary of every job, by relative path, each with its dead-code state (``summarise_project`` without the
    process beside)."""
    with collector_paused():
        return _summarise_all(jobs, cache, beside=False)[0]


def summarise_project(jobs: list[Job], cache: Cache) -> tuple[dict[str, dict[str, Any]], DeadCode | None]:
    """Summary of every job, by relative path, and the project's dead code when it is found beside them.

    A fresh summary comes back as the JSON the cache keeps (``_work``) and is
    read here as a cached one is: the same objects whether it was cached, made
    by a worker or made here, and a worker's result crosses the pipe as bytes
    (pickling the summary and unpickling it here cost as much as the JSON).
    When a pool makes every summary, their dead-code states are not read here:
    they go to the process beside (``DeadCode``), and the summaries come
    without them. Otherwise the DeadCode is None and each summary holds its state.
    The garbage collector is paused throughout (``collector_paused``): results read
    back from the cache and from workers are many small objects without cycles.
    """
    with collector_paused():
        return _summarise_all(jobs, cache, beside=True)


def _summarise_all(jobs: list[Job], cache: Cache, beside: bool) -> tuple[dict[str, dict[str, Any]], DeadCode | None]:
    cached = cache.get_many(job.key for job in jobs)
    out = {job.rel: cached[job.key] for job in jobs if job.key in cached}
    missing = [job for job in jobs if job.key not in cached]
    child = fed(_unused_beside) if beside and not cached and _pooled(missing) else None
    dead = DeadCode(child) if child is not None else None
    fresh, encoded = {}, {}
    try:
        for rel, rest, state, kept in _run(missing):
            summary = fresh[rel] = json.loads(rest)
            encoded[rel] = kept
            if state is None:
                continue
            if dead is None:
                summary["dead"] = json.loads(state)
            else:
                dead.add(rel, state)
    except BaseException:
        if dead is not None:
            dead.close()
        raise
    cache.put_encoded({job.key: encoded[job.rel] for job in missing if job.rel in encoded})
    out.update(fresh)
    return out, dead


class DeadCode:
    """The project's dead code, found in a process beside this one from the states sent to it (``add``), once
    the names that configuration spells are known (``start``); found here from the same states if that process
    gives nothing. ``close`` stops it if its result is never asked for."""

    def __init__(self, child: Fed[list[dict[str, Any]]]) -> None:
        self._child: Fed[list[dict[str, Any]]] | None = child
        self._states: list[tuple[str, bytes]] = []
        self._named: list[str] = []

    def add(self, rel: str, state: bytes) -> None:
        self._states.append((rel, state))
        if self._child is not None and not self._child.send(b"s" + _path(rel) + b"\0" + state):
            self._child.close()
            self._child = None

    def start(self, named: list[str]) -> None:
        """Every state is sent: the child finds the unused code now, given what configuration names (``named``)."""
        self._named = named
        if self._child is not None:
            self._child.send(b"n" + json.dumps(named).encode())
            self._child.finish()

    def found(self) -> list[dict[str, Any]]:
        """``deadcode.unused``'s findings over every file's state, sorted by path as the facts take them."""
        got = self._child.result() if self._child is not None else None
        self._child = None
        if got is not None:
            return got[0]
        return _unused({rel: json.loads(state) for rel, state in self._states}, self._named)

    def close(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None


def _path(rel: str) -> bytes:
    return rel.encode("utf-8", "surrogatepass")


def _unused_beside(messages: Iterator[bytes]) -> list[dict[str, Any]]:
    """What the child beside makes of the messages ``DeadCode`` sends: each file's state, then the names."""
    states: dict[str, Any] = {}
    named: list[str] = []
    with collector_paused():
        for message in messages:
            if message[:1] == b"s":
                rel, _, state = message[1:].partition(b"\0")
                states[rel.decode("utf-8", "surrogatepass")] = json.loads(state)
            else:
                named = json.loads(message[1:])
        return _unused(states, named)


def _unused(states: dict[str, Any], named: list[str]) -> list[dict[str, Any]]:
    from mldebt.collectors.code.deadcode import unused

    return unused(sorted(states.items()), named=named)


def _run(jobs: list[Job]) -> Iterator[tuple[str, bytes, bytes | None, bytes]]:
    if not _pooled(jobs):
        yield from _work([_args(job) for job in jobs])
        return
    chunks = [[_args(job) for job in chunk] for chunk in chunked(jobs, lambda job: len(job.text), workers())]
    done: set[str] = set()
    try:
        for result in spread(_work, chunks):
            done.add(result[0])
            yield result
    except (BrokenProcessPool, OSError):  # a worker died: finish here, file by file
        yield from _work([_args(job) for job in jobs if job.rel not in done])


def _pooled(jobs: list[Job]) -> bool:
    return worth_a_pool(sum(len(job.text) for job in jobs))


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


def _work(chunk: list[_Args]) -> list[tuple[str, bytes, bytes | None, bytes]]:
    """For each file: its summary as JSON without its dead-code state, that state as JSON apart (None when it has
    none), and the whole summary as the cache keeps it; all made here, where the work is spread."""
    results: list[tuple[str, bytes, bytes | None, bytes]] = []
    for rel, text, is_test, notebook, complexity in chunk:
        try:
            summary = summarise(rel, text, is_test=is_test, notebook=notebook, complexity=complexity)
        except Exception as exc:
            summary = {
                "lines": text.count("\n"),
                "markers": {"count": 0, "kinds": {}, "at": []},
                "error": {"message": f"cannot analyse: {type(exc).__name__}: {exc}", "line": None},
            }
        dead = summary.pop("dead", None)
        rest = as_json(summary)
        if dead is None:
            results.append((rel, rest, None, pack(rest)))
            continue
        state = as_json(dead)
        # as_json of the whole summary, whose state summarise puts last: the rest's members, then the state's
        members = rest[:-1] + b"," if rest != b"{}" else b"{"
        results.append((rel, rest, state, pack(members + b'"dead":' + state + b"}")))
    return results
