"""A repository's commit laid out, and its history's log read, while the command that will scan it loads.

``mldebt collect`` of one repository first imports the collectors and loads
the rubric, work that holds one core; laying the commit's files out and
reading its log are work for git, the disk and another core. ``prefetch``
forks a process that does them at once (a thread would wait for the
interpreter's lock at every write). Both land where the scan looks for them
(the layout in the cache under its tree's id, the log in the collect cache),
so the scan finds them done; what they need is imported before the fork,
which the command imports anyway. Nothing here reports: what goes wrong, the scan
meets again and reports itself. ``settle`` waits for that process; a scan
calls it before it lays anything out.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

from mldebt.collectors.repo.history import read_early
from mldebt.sources.gitlocate import locate
from mldebt.sources.gitsource import checkout
from mldebt.sources.portfolio import Project

WAIT_S = 120.0  # a prefetch still running after this is stopped: the scan does the work itself
_running: list[int] = []


def prefetch(project: Project, as_of: datetime | None) -> None:
    """Start laying out ``project``'s commit (a local git repository's) and reading its log, in a forked process.

    Only from a process with one thread (forking is only safe then), and not for
    a URL (a clone is fetched over the network, with credentials: only the scan does that).
    """
    if project.is_url or threading.active_count() != 1 or not hasattr(os, "fork"):
        return
    gc.freeze()  # the cyclic collector then leaves what exists alone: its walks would copy every page (copy on write)
    pid = os.fork()
    if pid == 0:  # the child: never returns into the command
        try:
            _warm(project, as_of)
        finally:
            os._exit(0)
    _running.append(pid)


def settle() -> None:
    """Wait until what ``prefetch`` started is done (or stop it after WAIT_S)."""
    while _running:
        pid = _running.pop()
        deadline = time.monotonic() + WAIT_S
        with suppress(ChildProcessError):
            while os.waitpid(pid, os.WNOHANG) == (0, 0):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    break
                time.sleep(0.002)


def _warm(project: Project, as_of: datetime | None) -> None:
    with suppress(Exception):  # the scan does all of it again, and says what fails
        if locate(Path(project.repo)).git_dir is None:
            return  # a plain folder is copied for each scan, not kept: nothing to do ahead
        moment = as_of or datetime.now(UTC)  # as the scan's (its log is kept by the window's first day)
        with read_early(project.name, project.subpath, moment) as start, checkout(project, as_of, start):
            pass  # entering lays the tree out in the cache; leaving keeps the log git read meanwhile
