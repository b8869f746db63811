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
        self._child = _Child[T](pid, pipe) if pid is not None and pipe is not None else None
        self.forked = pid is not None

    @property
    def _pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def __call__(self) -> T:
        found = self._child.take() if self._child is not None else None
        if found is not None:
            return found[0]
        return self._work()

    def close(self) -> None:
        """Stop a child whose result was never asked for."""
        if self._child is not None:
            self._child.stop()


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
    forked = _fork(lambda _: work(), with_inputs=False)
    if forked is None:
        return Pending(work)
    pid, _, output = forked
    return Pending(work, pid, output)


class Fed(Generic[T]):
    """A forked process that reads what this one sends it (``send``), one message at a time, and gives back what
    ``consume`` made of them all (``result``): work that follows this process's as its inputs arrive, on another
    core, without copying what this process holds (the child reads its inputs from the pipe, not from memory
    shared with this process)."""

    def __init__(self, pid: int, inputs: int, output: int) -> None:
        self._child: _Child[T] | None = _Child(pid, output)
        self._inputs: int | None = inputs

    @property
    def _pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def send(self, message: bytes) -> bool:
        """Hand ``message`` over; False once the child is gone (what it would have made is then made here)."""
        if self._inputs is None:
            return False
        try:
            _write_all(self._inputs, len(message).to_bytes(4, "big") + message)
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
        child, self._child = self._child, None
        return child.take() if child is not None else None

    def close(self) -> None:
        """Stop a child whose result was never asked for."""
        self.finish()
        if self._child is not None:
            self._child.stop()
            self._child = None


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
    forked = _fork(lambda inputs: consume(_messages(inputs)), with_inputs=True)
    if forked is None:
        return None
    pid, inputs, output = forked
    return Fed(pid, inputs, output)


class _Child(Generic[T]):
    """A forked child that writes its one result, pickled, to ``output`` and ends."""

    def __init__(self, pid: int | None, output: int | None) -> None:
        self.pid = pid
        self._output = output

    def take(self) -> tuple[T] | None:
        """(the child's result,), or None when it is gone or gave none; the child is reaped either way."""
        if self.pid is None or self._output is None:
            return None
        pid, output = self.pid, self._output
        self.pid = self._output = None
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

    def stop(self) -> None:
        """Stop the child (its result not wanted) and reap it."""
        if self.pid is not None:
            with suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None
        if self._output is not None:
            os.close(self._output)
            self._output = None


def _fork(work: Callable[[int], object], with_inputs: bool) -> tuple[int, int, int] | None:
    """Fork a child that runs ``work`` (given the read end of its inputs' pipe, or -1) and writes what it returns,
    pickled, to its output pipe; (its pid, the write end of its inputs' pipe or -1, the read end of its output),
    or None if the pipes or the fork cannot be made."""
    pipes: list[int] = []
    try:
        for _ in range(2 if with_inputs else 1):
            pipes.extend(os.pipe())
    except OSError:
        for fd in pipes:
            os.close(fd)
        return None
    output_read, output_write = pipes[:2]
    inputs_read, inputs_write = pipes[2:] if with_inputs else (-1, -1)
    try:
        pid = os.fork()
    except OSError:
        for fd in pipes:
            os.close(fd)
        return None
    if pid == 0:  # the child: never returns into the caller
        code = 1
        try:
            os.close(output_read)
            if with_inputs:
                os.close(inputs_write)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # an interrupt ends it; the parent does the work or stops
            _write_all(output_write, pickle.dumps(work(inputs_read), protocol=pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            os._exit(code)
    os.close(output_write)
    if with_inputs:
        os.close(inputs_read)
    return pid, inputs_write, output_read


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _messages(fd: int) -> Iterator[bytes]:
    """The messages ``Fed.send`` wrote to ``fd`` (each its length, then its bytes), to the end of the pipe."""
    with os.fdopen(fd, "rb") as pipe:
        while head := pipe.read(4):
            size = int.from_bytes(head, "big")
            message = pipe.read(size)
            if len(head) < 4 or len(message) < size:
                raise EOFError("a message cut short")  # the sender died mid-message: no result from the child
            yield message
