"""Which code files of a snapshot name no monitoring library, exporter or job: one ``git grep`` of its files.

On a first scan of a large project, reading every Python file and notebook
only to learn that it names none of ``pycode.NAMES`` is most of the
monitoring collector's work, done in this one process. ``git grep`` finds
fixed strings in the laid-out files many times faster, on every core. A
file whose bytes hold none of the names holds nothing for the collector
(``pycode`` parses only what names one; the names are ASCII, so they are in
the bytes exactly when they are in the decoded text); the files git finds a
name in are read and looked at as before, where a name must stand as a whole word.

Git searches the snapshot's own folder (``--no-index``: the very bytes the
collector would read) through ``gitrun``, under the stand-in git directory
(so no configuration of the scanned repository exists for git) and a
deadline: every file as text (``-a``, so no attribute makes one binary), no
textconv, no ignore file honoured, the folders the collector never walks
left out. It is asked only where it pays: a snapshot of a git commit with
many code files not known from the cache, most of its code among them.
Otherwise, or when git fails, nothing is set aside and every file is read.
"""

from __future__ import annotations

import os

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.monitoring.pycode import NAMES
from mldebt.collectors.repo.configfiles import SKIP_DIRS
from mldebt.errors import MldebtError
from mldebt.sources.gitrun import run

CODE_SUFFIXES = (".py", ".ipynb")
MIN_FILES = 64  # below this many files to read, reading them costs less than starting git


def silent(snapshot: Snapshot, code: list[str], unknown: list[str]) -> set[str]:
    """Those of ``unknown`` that name none of ``pycode.NAMES``; empty when git is not asked.

    ``code`` is every code file the collector walks, ``unknown`` those of them not known from the cache.
    """
    if snapshot.git_dir is None or len(unknown) < MIN_FILES or 2 * len(unknown) < len(code):
        return set()
    patterns = [arg for name in NAMES for arg in ("-e", name)]
    paths = [":(icase)*.py", ":(icase)*.ipynb", *(f":(exclude,glob)**/{name}/**" for name in sorted(SKIP_DIRS))]
    flags = ["--no-index", "--no-exclude-standard", "--text", "--no-textconv", "--no-color", "-l", "-z", "-F"]
    try:
        proc = run(["grep", *flags, *patterns, "--", *paths], snapshot.git_dir, cwd=snapshot.root)
    except MldebtError:  # past the deadline: read the files
        return set()
    if proc.returncode not in (0, 1):  # 1: no file names any
        return set()
    named = {os.fsdecode(name) for name in proc.stdout.split(b"\0") if name}
    return {rel for rel in unknown if rel not in named}
