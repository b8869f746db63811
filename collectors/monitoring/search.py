"""Which code files of a snapshot name no monitoring library, exporter or job: one ``git grep`` of its tree.

On a first scan of a large project, reading every Python file and notebook
only to learn that it names none of ``pycode.NAMES`` is most of the
monitoring collector's work, done in this one process. Git finds the names
as fixed strings in the tree's blobs in one process, faster than that. A
file whose bytes hold none of the names holds nothing for the collector
(``pycode`` parses only what names one; the names are ASCII, so they are in
the bytes exactly when they are in the decoded text); the files git finds a
name in are read and looked at as before, where a name must stand as a whole word.

The search is a read of git objects like the checkout's: through ``gitrun``
on the stand-in git directory (no configuration, attribute, textconv or
filter of the scanned repository exists for git), with a deadline. It is
asked only where it pays: a snapshot of a whole, readable commit tree
(``tree.blob_ids``), with many code files not known from the cache and
most of the tree's code among them (git searches every code file of the
tree). Otherwise, or when git fails, nothing is set aside and every file is read.
"""

from __future__ import annotations

import os

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.monitoring.pycode import NAMES
from mldebt.collectors.repo.configfiles import SKIP_DIRS
from mldebt.collectors.repo.tree import blob_ids, tree_id, unreadable
from mldebt.errors import MldebtError
from mldebt.sources.gitrun import run

CODE_SUFFIXES = (".py", ".ipynb")
MIN_FILES = 64  # below this many files to read, reading them costs less than starting git


def silent(snapshot: Snapshot, unknown: list[str]) -> set[str]:
    """Those of ``unknown`` (code files to read) that name none of ``pycode.NAMES``; empty when git is not asked."""
    blobs = blob_ids(snapshot)
    tree = tree_id(snapshot)
    if not blobs or tree is None or snapshot.git_dir is None or unreadable(snapshot):
        return set()
    searched = [rel for rel in unknown if rel in blobs and rel.lower().endswith(CODE_SUFFIXES)]
    code = sum(rel.lower().endswith(CODE_SUFFIXES) and not _skipped(rel) for rel in blobs)
    if len(searched) < MIN_FILES or 2 * len(searched) < code:
        return set()
    patterns = [arg for name in NAMES for arg in ("-e", name)]
    paths = [":(icase)*.py", ":(icase)*.ipynb", *(f":(exclude,glob)**/{name}/**" for name in sorted(SKIP_DIRS))]
    args = ["grep", "-l", "-z", "-F", "--no-color", "--no-textconv", *patterns, tree, "--", *paths]
    try:
        proc = run(args, snapshot.git_dir)
    except MldebtError:  # past the deadline: read the files
        return set()
    if proc.returncode not in (0, 1):  # 1: no file names any
        return set()
    prefix = f"{tree}:".encode()
    found = [name for name in proc.stdout.split(b"\0") if name]
    if not all(name.startswith(prefix) for name in found):
        return set()
    named = {os.fsdecode(name[len(prefix) :]) for name in found}
    return {rel for rel in searched if rel not in named}


def _skipped(rel: str) -> bool:
    """In a folder the collector never walks (vendored code), which the search leaves out too."""
    return any(part in SKIP_DIRS for part in rel.split("/")[:-1])
