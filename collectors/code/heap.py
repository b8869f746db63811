"""Python's cyclic garbage collector, paused where the objects made hold no cycles.

Reference counting frees what the analyses make; the cyclic collector only
adds walks. Each collection that a burst of allocations triggers walks every
object alive, and a process holding a project's file summaries (or a worker
forked from one) holds millions of them, none in a cycle: a full collection
then costs tens of milliseconds to find next to nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, then as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
