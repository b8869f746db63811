"""The listing of a scanned commit's tree: the git blob id of each file, read once per tree.

Git ids name content, so what a collector learns from one file stays true for
as long as the file's blob id (and the collector's code) is unchanged: results
cached under the blob id let a later scan skip every file it has seen before.
The listing comes from ``git ls-tree`` in the repository (never from the
files, which may be anything) and is kept in memory per tree id, which names
an immutable listing, so the collectors of one scan share it.

The ids describe the commit, so they describe ``Snapshot.root`` only when the
root holds that commit's tree, as ``gitsource.checkout`` lays it out; a
snapshot without a git directory or commit has no listing. A snapshot of a
partial or damaged copy lacks the files whose objects are gone
(``unreadable``): their ids are listed, but nothing read from its root stands
for the whole tree.
"""

from __future__ import annotations

import os
from collections import OrderedDict

from mldebt.collectors.interface import Snapshot
from mldebt.errors import MldebtError
from mldebt.sources import gitobjects
from mldebt.sources.gitsource import tree_of

KEPT = 4  # listings kept in memory (one scan needs one)
_TREES: dict[tuple[str, str], str | None] = {}  # keyed by ids alone: the git directory is a per-scan stand-in
_LISTINGS: OrderedDict[str, dict[str, str]] = OrderedDict()


def tree_id(snapshot: Snapshot) -> str | None:
    """The git id of the snapshot's tree (its sub-path's, in a monorepo), or None."""
    if snapshot.git_dir is None or snapshot.commit is None:
        return None
    if snapshot.tree is not None:  # the checkout read it already
        return snapshot.tree
    key = (snapshot.commit, snapshot.subpath or "")
    if key not in _TREES:  # a commit id names one tree forever
        if len(_TREES) > 64:
            _TREES.clear()
        try:
            _TREES[key] = tree_of(snapshot.git_dir, snapshot.commit, snapshot.subpath)
        except MldebtError:  # git timed out: no listing, and a later call tries again
            return None
    return _TREES[key]


def blob_ids(snapshot: Snapshot) -> dict[str, str] | None:
    """``{path: blob id}`` of every file in the snapshot's tree, paths relative to its root; None without git.

    Paths are decoded as the file system decodes them (``os.fsdecode``), as a
    walk of the root spells them. Links and submodules are left out.
    """
    tree = tree_id(snapshot)
    if tree is None:
        return None
    key = tree
    listing = _LISTINGS.get(key)
    if listing is None:
        listing, whole = _list(snapshot, tree)
        if listing is None:
            return None
        if not whole:  # a listing that lacks an unreadable folder is not kept for the tree
            return listing
        _LISTINGS[key] = listing
        while len(_LISTINGS) > KEPT:
            _LISTINGS.popitem(last=False)
    _LISTINGS.move_to_end(key)
    return listing


def unreadable(snapshot: Snapshot) -> list[str]:
    """Paths of the snapshot whose git object could not be read (a partial or damaged copy), so are not in its root.

    A snapshot with any does not hold its commit's tree: what is learnt from
    its files must not be kept under the tree's id.
    """
    return [path for path, why in snapshot.skipped if gitobjects.is_unreadable(why)]


def _list(snapshot: Snapshot, tree: str) -> tuple[dict[str, str] | None, bool]:
    """The listing, and whether it is whole: a folder whose tree cannot be read is left out (``gitobjects.listing``)."""
    assert snapshot.git_dir is not None
    try:
        found = gitobjects.listing(snapshot.git_dir, tree)
    except (OSError, MldebtError):
        return None, False
    files = {os.fsdecode(e.path): e.oid for e in found.entries if e.kind == "blob" and e.mode != "120000"}
    return files, not found.unreadable
