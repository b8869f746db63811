"""Work started ahead in a forked process, while this one goes on with other work.

Parts of a scan do not depend on each other but would run one after the
other on one core while the machine's other cores idle: the collectors that
do not need the repository collector's results, while it lists and reads its
files. ``ahead`` forks a process that computes one part from the same data,
shared copy-on-write, and hands back its result through a pipe; this process
does the rest meanwhile and takes the result when it needs it.

Copy-on-write is not free: each page either process writes after the fork
(a reference count is a write) is copied. Early in a scan there is little to
copy; after the file summaries are in, there is much. A project's dead code,
found in a child forked then while this process found its copied code, took
longer than both in one process (the standard library: 5% of the scan).
So ``fed`` forks its child before the work exists and sends it its inputs
through a pipe as they come: it reads nothing of this process's memory, and
the dead code is found that way (``code.batch.DeadCode``).

The child touches nothing the parent holds open (no database connection,
no buffered output) and leaves with ``os._exit`` (no ``atexit`` handler);
what it keeps, such as a collector's cache entries, goes through connections
it opens itself. Whatever goes wrong in it (it cannot be started, it fails,
it is killed), the work is done again in this process, so the result and any
exception are the ones the plain call gives.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Generic, TypeVar

T = TypeVar("T")


def workers() -> int:
    """Processes a scan may keep busy: one per core; ``MLDEBT_FILE_WORKERS`` caps it (a portfolio pool's
    workers set 1, so pools do not nest)."""
    cap = os.environ.get("MLDEBT_FILE_WORKERS", "")
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        cores = max(1, os.cpu_count() or 1)
    return min(cores, int(cap)) if cap.isdigit() and int(cap) > 0 else cores


class Pending(Generic[T]):
    """The result of ``work``: from the forked child if it gave one, else computed here when asked for."""

    def __init__(self, work: Callable[[], T], pid: int | None = None, pipe: int | None = None) -> None:
        self._work = work
        self._pid = pid
        self._pipe = pipe
        self.forked = pid is not None

    def __call__(self) -> T:
        found = self._collect()
        if found is not None:
            return found[0]
        return self._work()

    def _collect(self) -> tuple[T] | None:
        """(the child's result,), or None when there is no child or it gave none."""
        if self._pid is None or self._pipe is None:
            return None
        pid, pipe = self._pid, self._pipe
        self._pid = self._pipe = None
        chunks = []
        try:
            while chunk := os.read(pipe, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(pipe)
            _, status = os.waitpid(pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not chunks:
            return None
        try:
            return (pickle.loads(b"".join(chunks)),)  # our own child's bytes, never a file's or a peer's
        except Exception:
            return None

    def close(self) -> None:
        """Stop a child whose result was never asked for."""
        if self._pid is not None:
            with suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None


@contextmanager
def ahead(work: Callable[[], T], worth_it: bool = True) -> Iterator[Pending[T]]:
    """``work()`` started in a forked process, its result got by calling what the block is given.

    Only forks when ``worth_it`` (starting a process costs a few milliseconds)
    and when this process has a single thread (forking is only safe then);
    otherwise, and if the child gives no result, the call runs ``work()`` here.
    Leaving the block stops a child whose result was not asked for.
    """
    pending = _start(work) if worth_it and threading.active_count() == 1 and hasattr(os, "fork") else Pending(work)
    try:
        yield pending
    finally:
        pending.close()


def _start(work: Callable[[], T]) -> Pending[T]:
    try:
        read, write = os.pipe()
    except OSError:
        return Pending(work)
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return Pending(work)
    if pid == 0:  # the child: never returns into the caller
        code = 1
        try:
            os.close(read)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # an interrupt ends it; the parent does the work or stops
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(write, view) :]
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return Pending(work, pid, read)


class Fed(Generic[T]):
    """A forked process that reads what this one sends it (``send``), one message at a time, and gives back what
    ``consume`` made of them all (``result``): work that follows this process's as its inputs arrive, on another
    core, without copying what this process holds (the child reads its inputs from the pipe, not from memory
    shared with this process)."""

    def __init__(self, pid: int, inputs: int, output: int) -> None:
        self._pid: int | None = pid
        self._inputs: int | None = inputs
        self._output: int | None = output

    def send(self, message: bytes) -> bool:
        """Hand ``message`` over; False once the child is gone (what it would have made is then made here)."""
        if self._inputs is None:
            return False
        try:
            view = memoryview(len(message).to_bytes(4, "big") + message)
            while view:
                view = view[os.write(self._inputs, view) :]
        except OSError:
            self.finish()
            return False
        return True

    def finish(self) -> None:
        """Every message is sent: the child makes its result from them now (``result`` takes it)."""
        if self._inputs is not None:
            os.close(self._inputs)  # the child reads to the end of its inputs, then makes its result
            self._inputs = None

    def result(self) -> tuple[T] | None:
        """(what the child made,) once every message is sent, or None if it made nothing (it failed or was gone)."""
        self.finish()
        if self._pid is None or self._output is None:
            return None
        pid, output = self._pid, self._output
        self._pid = self._output = None
        chunks = []
        try:
            while chunk := os.read(output, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(output)
            _, status = os.waitpid(pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not chunks:
            return None
        try:
            return (pickle.loads(b"".join(chunks)),)  # our own child's bytes, never a file's or a peer's
        except Exception:
            return None

    def close(self) -> None:
        """Stop a child whose result was never asked for."""
        self.finish()
        if self._pid is not None:
            with suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None
        if self._output is not None:
            os.close(self._output)
            self._output = None


def fed(consume: Callable[[Iterator[bytes]], T]) -> Fed[T] | None:
    """A child that runs ``consume`` over the messages sent to it (``Fed``); None if none can be started here
    (another thread is alive, or forking fails): the caller then does the work itself.

    What the child inherits of this process (open connections, buffered output) it leaves alone, as ``ahead``'s
    child does; it ends with ``os._exit``. It reads to the end of what was sent once this process closes its end
    (``finish``, or ``result``) and no process forked after it holds a copy: a pool's workers, forked later, must
    be gone by then.
    """
    if threading.active_count() != 1 or not hasattr(os, "fork"):
        return None
    try:
        inputs_read, inputs_write = os.pipe()
        output_read, output_write = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        for fd in (inputs_read, inputs_write, output_read, output_write):
            os.close(fd)
        return None
    if pid == 0:  # the child: never returns into the caller
        code = 1
        try:
            os.close(inputs_write)
            os.close(output_read)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # an interrupt ends it; the parent does the work or stops
            data = pickle.dumps(consume(_messages(inputs_read)), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(output_write, view) :]
            code = 0
        finally:
            os._exit(code)
    os.close(inputs_read)
    os.close(output_write)
    return Fed(pid, inputs_write, output_read)


def _messages(fd: int) -> Iterator[bytes]:
    """The messages ``Fed.send`` wrote to ``fd`` (each its length, then its bytes), to the end of the pipe."""
    with os.fdopen(fd, "rb") as pipe:
        while head := pipe.read(4):
            size = int.from_bytes(head, "big")
            message = pipe.read(size)
            if len(head) < 4 or len(message) < size:
                raise EOFError("a message cut short")  # the sender died mid-message: no result from the child
            yield message
