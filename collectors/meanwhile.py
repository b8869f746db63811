"""Work that runs while a collector waits on its worker processes.

A collector that hands its work to other processes (the repository
collector's file pool) has nothing to do in this process until they finish.
The registry gives it, for that time, the collectors that do not depend on
it (``while_waiting``); the waiting collector calls ``waiting()`` once its
workers are started, and they run then, in this process and thread, while
the workers parse. Nothing runs in a thread: a process pool forks only when
no other thread is alive, and these collectors start after it has forked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_PENDING: ContextVar[list[Callable[[], None]] | None] = ContextVar("mldebt_meanwhile", default=None)


@contextmanager
def while_waiting(work: Callable[[], None]) -> Iterator[None]:
    """While the block runs, the first ``waiting()`` runs ``work`` (once); if none does, ``work`` never runs."""
    token = _PENDING.set([work])
    try:
        yield
    finally:
        _PENDING.reset(token)


def waiting() -> None:
    """This process is about to wait on its workers: run what ``while_waiting`` gave, if anything is left."""
    pending = _PENDING.get()
    while pending:
        pending.pop()()
