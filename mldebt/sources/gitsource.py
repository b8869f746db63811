"""Lay out a project as it was at one commit, without touching the user's tree.

The commit is HEAD (or the portfolio's ``ref``), or with ``as_of`` the last
commit before that moment. Its files are written from git's object database
(``git ls-tree`` and ``git cat-file``, so no attribute, filter or hook of the
scanned repository ever runs) into the mldebt cache, under the id of the
project's tree: the same tree is laid out once and shared by every later scan
of it. Links and submodules are not recreated, oversized blobs are not written,
and paths that would leave the folder are refused. A file or folder whose git
object is missing or damaged (a partial clone, a damaged copy) is left out and
said to be unreadable, the rest is laid out, and such a layout is not kept
(``gitobjects``); git never fetches a missing object during a scan. Git URLs
are cloned (bare, with full history, which the history facts need) into the
cache and fetched again on later scans.

Every git command goes through ``gitrun`` against a stand-in git directory
(``gitlocate.shadow``), so nothing of the scanned repository's configuration
is read and every command has a deadline. Which repository a folder is, is
decided by ``gitlocate.locate``: a ``.git`` link leading outside the folder,
and a folder inside another repository, are refused rather than followed. A
folder without git is laid out too (``folderlayout``), its FIFOs, devices and
sockets left out.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mldebt.errors import InputError, MldebtError
from mldebt.redact import without_credentials
from mldebt.sources.folderlayout import laid_out
from mldebt.sources.gitlocate import Located, locate, shadow
from mldebt.sources.gitobjects import WHY, is_unreadable, listing, read_objects, unreadable_file, unreadable_folder
from mldebt.sources.gitrun import ALLOWED_PROTOCOLS, SAFE_CONFIG, GitError, credentials, last_line, output, run
from mldebt.sources.portfolio import Project, check_git_url

__all__ = [
    "ALLOWED_PROTOCOLS",
    "SAFE_CONFIG",
    "Checkout",
    "NoCommitYet",
    "cache_dir",
    "checkout",
    "clone",
    "lay_out",
    "resolve_commit",
    "tree_of",
]
MAX_BLOB_BYTES = 8 * 1024 * 1024  # larger blobs are listed as skipped and never written
MAX_CACHED_TREES = 12  # laid-out trees kept in the cache, least recently used dropped first
TREE_LAYOUT_VERSION = "1"
_OBJECT_LINE = re.compile(rb"([0-9a-f]{40}|[0-9a-f]{64}) (blob|tree|commit|tag) [0-9]+\n")  # cat-file --batch-check


class NoCommitYet(MldebtError):
    """The project has no commit before the requested date: nothing to scan."""


@dataclass
class Checkout:
    root: Path
    commit: str | None
    commit_date: str | None
    skipped: list[tuple[str, str]] = field(default_factory=list)
    git_dir: Path | None = None  # a stand-in git directory of ours (see gitlocate.shadow), valid during the scan
    tree: str | None = None  # git id of the project's tree (the sub-path's, in a monorepo)


def cache_dir() -> Path:
    base = os.environ.get("MLDEBT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mldebt"
    )
    return Path(base)


def _key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:24]


def clone(url: str) -> Path:
    """A bare clone of ``url`` in the cache, fetched up to date.

    The clone is kept under the URL without its credentials, and remembers
    only that URL: a user and password in an http(s) URL are lent to git for
    each clone or fetch through the environment (``gitrun.credentials``) and
    never written to disk. A ``file://`` repository is read through a stand-in
    git directory, like a local path, so its configuration is never read.
    """
    problem = check_git_url(url)
    if problem:
        raise InputError(without_credentials(f"{url}: git URL {problem}"))
    clean, lent = credentials(url)
    repos, locks = cache_dir() / "repos", cache_dir() / "repo-locks"
    for folder in (repos, locks):
        folder.mkdir(parents=True, exist_ok=True)
    dest = repos / _key(clean)
    with open(locks / dest.name, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one clone or fetch of a URL at a time: a monorepo's projects share it
        _forget_legacy(repos / _key(url), dest, clean)
        with _source(clean) as source:
            if (dest / "HEAD").exists():
                proc = run(
                    [
                        "fetch",
                        "--quiet",
                        "--prune",
                        "--no-write-fetch-head",
                        "--",
                        source,
                        "+refs/heads/*:refs/heads/*",
                        "+refs/tags/*:refs/tags/*",
                    ],
                    git_dir=dest,
                    network=True,
                    extra_env=lent,
                )
            else:
                proc = _clone_into(source, clean, dest, lent)
    if proc.returncode != 0:
        raise GitError(without_credentials(f"{clean}: cannot clone: {last_line(proc.stderr, proc.returncode)}"))
    return dest


def _clone_into(source: str, clean: str, dest: Path, lent: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """Clone into a private folder renamed into place once whole, remembering only the clean URL."""
    work = Path(tempfile.mkdtemp(prefix=".cloning-", dir=dest.parent))
    try:
        proc = run(["clone", "--bare", "--quiet", "--", source, "repo"], cwd=work, network=True, extra_env=lent)
        if proc.returncode == 0:
            run(["config", "remote.origin.url", clean], git_dir=work / "repo")
            (work / "repo").rename(dest)
        return proc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _forget_legacy(legacy: Path, dest: Path, clean: str) -> None:
    """A clone made by an older mldebt under the URL with its credentials: move it, without them."""
    if legacy == dest or not (legacy / "HEAD").exists():
        return
    if (dest / "HEAD").exists():
        shutil.rmtree(legacy, ignore_errors=True)
        return
    run(["config", "remote.origin.url", clean], git_dir=legacy)
    legacy.rename(dest)


@contextmanager
def _source(url: str) -> Iterator[str]:
    """What git fetches from: the URL, or for ``file://`` a stand-in for the repository it names."""
    if not url.startswith("file://"):
        yield url
        return
    folder = Path(unquote(urlsplit(url).path))
    where = _repository(folder, url)
    if where.git_dir is None:
        raise InputError(f"{url}: not a git repository")
    with shadow(where) as stand_in:
        yield f"file://{stand_in}"


def _repository(folder: Path, name: str) -> Located:
    where = locate(folder)
    if where.top is not None:
        raise InputError(
            f"{name} is a folder inside the git repository {where.top}, not its top: "
            f"set repo: {where.top} and subpath: {where.subpath} in the portfolio"
        )
    return where


def resolve_commit(git_dir: Path, ref: str | None, as_of: datetime | None, name: str | None = None) -> str:
    """The commit to scan in ``git_dir`` (a stand-in of ours); ``name`` is how messages call the repository."""
    name = name or str(git_dir)
    target = ref or "HEAD"
    if target.startswith("-"):
        raise InputError(f"{name}: bad git ref {target!r}")
    if as_of is None:
        proc = run(["rev-parse", "--verify", "--quiet", f"{target}^{{commit}}"], git_dir)
        if proc.returncode != 0:
            named = run(["rev-parse", "--verify", "--quiet", target], git_dir).stdout.decode().strip()
            if named and run(["cat-file", "-e", named], git_dir).returncode != 0:
                raise GitError(f"{name}: cannot read {target}: git object {named[:12]} is {WHY}")
            raise InputError(f"{name}: {target} does not name a commit (a repository with no commits yet?)")
        return proc.stdout.decode().strip()
    sha = output(["rev-list", "-1", f"--before={as_of.isoformat()}", target, "--"], git_dir, name)
    if not sha:
        raise NoCommitYet(f"no commit before {as_of.date().isoformat()}")
    return sha


def tree_of(git_dir: Path, commit: str, subpath: str | None = None) -> str | None:
    """The id of the commit's tree, or of its sub-path's tree; None when the sub-path is not a folder.

    GitError when the tree, or a folder on the way to the sub-path, is in the
    commit but its git object cannot be read (a partial or damaged copy).
    """
    spec = f"{commit}:{subpath}" if subpath else f"{commit}^{{tree}}"
    named = _readable_object(git_dir, spec)
    if named is not None:
        return named[0] if named[1] == "tree" else None
    proc = run(["rev-parse", "--verify", "--quiet", spec], git_dir)
    oid = proc.stdout.decode().strip()
    if proc.returncode != 0:
        if subpath:
            _check_folders_on_the_way(git_dir, commit, subpath)
            return None
        oid = run(["log", "-1", "--no-show-signature", "--format=%T", commit, "--"], git_dir).stdout.decode().strip()
        if not oid:
            return None
    kind = run(["cat-file", "-t", oid], git_dir)
    if kind.returncode != 0:
        what = f"folder {subpath!r}" if subpath else "files"
        raise GitError(f"cannot read the {what} of commit {commit[:12]}: git tree {oid[:12]} is {WHY}")
    return oid if kind.stdout.decode().strip() == "tree" else None


def _readable_object(git_dir: Path, spec: str) -> tuple[str, str] | None:
    """The id and type of the object ``spec`` names, when git resolves it and can read it: one git process.

    None in every other case (a missing or damaged object, a name that does
    not resolve), for the caller's slower way, which says what is wrong.
    """
    if "\n" in spec:  # one name per line of git's input
        return None
    proc = run(["cat-file", "--batch-check"], git_dir, input=f"{spec}\n".encode())
    found = _OBJECT_LINE.fullmatch(proc.stdout) if proc.returncode == 0 else None
    return (found[1].decode(), found[2].decode()) if found else None


def _check_folders_on_the_way(git_dir: Path, commit: str, subpath: str) -> None:
    """GitError naming the first folder above ``subpath`` that the commit has but git cannot read."""
    tree_of(git_dir, commit)
    parts = subpath.strip("/").split("/")
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        if tree_of(git_dir, commit, folder) is None:  # raises when it is there but unreadable
            return


@contextmanager
def checkout(
    project: Project, as_of: datetime | None = None, on_commit: Callable[[Path, str], None] | None = None
) -> Iterator[Checkout]:
    """Yield the project's files at the chosen commit, laid out in the cache.

    ``on_commit(git_dir, commit)`` is called once the commit is known, before
    its files are written: what only needs git can start meanwhile.
    """
    if project.is_url:
        where, name = locate(clone(project.repo)), without_credentials(project.repo)
    else:
        where, name = _repository(Path(project.repo), project.repo), project.repo
    if where.git_dir is None:
        if as_of is not None:
            raise InputError(f"{name}: not a git repository, so it has no history to read at an earlier moment")
        folder = where.folder / project.subpath if project.subpath else where.folder
        with laid_out(folder, cache_dir() / "folders") as (root, skipped):
            yield Checkout(root=root, commit=None, commit_date=None, skipped=skipped)
        return
    with shadow(where) as git_dir:
        sha = resolve_commit(git_dir, project.ref, as_of, name)
        commit_date = output(["log", "-1", "--no-show-signature", "--format=%cI", sha], git_dir, name)
        tree = tree_of(git_dir, sha, project.subpath)
        if tree is None:
            raise InputError(
                f"{project.name}: sub-path {project.subpath!r} does not exist at commit {sha[:12]} "
                f"of {name} (not committed there?)"
            )
        if on_commit is not None:
            on_commit(git_dir, sha)
        with lay_out(git_dir, tree) as (root, skipped):
            yield Checkout(root=root, commit=sha, commit_date=commit_date, skipped=skipped, git_dir=git_dir, tree=tree)


@contextmanager
def lay_out(repo: Path, tree: str) -> Iterator[tuple[Path, list[tuple[str, str]]]]:
    """The folder holding ``tree``'s files (written once per tree id) and what was left out, while the block runs.

    A finished layout is ``trees/<id>/files`` beside its ``meta.json``; it is
    built in a private temporary folder and renamed into place, so a scan never
    sees half a tree and two scans of one tree do not collide. While the block
    runs, no other scan evicts it. A tree some of whose git objects cannot be
    read is laid out for this scan alone and removed after it: kept under the
    tree's id, it would stand for that tree once the objects are back.
    """
    base = cache_dir() / "trees"
    home = base / f"{tree}-{TREE_LAYOUT_VERSION}"
    meta = home / "meta.json"
    if not meta.is_file():
        base.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".building-", dir=base))
        try:
            skipped, size = _write_tree(repo, tree, work / "files")
            if any(is_unreadable(why) for _, why in skipped):
                yield work / "files", [(path, why) for path, why in skipped]
                return
            (work / "meta.json").write_text(json.dumps({"tree": tree, "bytes": size, "skipped": skipped}))
            with suppress(OSError):  # another scan laid out the same tree first
                work.rename(home)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _evict(base, keep=home)
    with open(meta, "rb") as in_use:
        fcntl.flock(in_use, fcntl.LOCK_SH)  # while held, no other scan evicts this layout (see _evict)
        os.utime(meta)  # most recently used: evicted last
        yield home / "files", [(path, why) for path, why in json.loads(meta.read_text())["skipped"]]


def display_path(raw: bytes) -> str:
    """A path as facts show it: UTF-8, with undecodable bytes escaped (``\\xe9``)."""
    return raw.decode("utf-8", errors="backslashreplace")


def _safe_parts(raw: bytes) -> list[str] | None:
    parts = raw.split(b"/")
    if any(p in (b"", b".", b"..") or p.lower() == b".git" or b"\0" in p for p in parts):
        return None
    return [os.fsdecode(p) for p in parts]


def _write_tree(repo: Path, tree: str, dest: Path) -> tuple[list[list[str]], int]:
    """Write ``tree``'s files into ``dest``; what was left out, and the bytes written.

    A file or folder whose git object is missing or damaged is left out with
    a reason saying so (``gitobjects.is_unreadable``), and the rest is written.
    """
    dest.mkdir(parents=True)
    skipped: list[list[str]] = []
    wanted: dict[str, list[tuple[str, Path]]] = {}  # blob id -> (shown path, target); one blob may be many files
    found = listing(repo, tree, sizes=True)
    for raw, oid in found.unreadable:
        skipped.append([display_path(raw), unreadable_folder(oid)])
    for entry in found.entries:
        name = display_path(entry.path)
        parts = _safe_parts(entry.path)
        if entry.mode == "120000":
            skipped.append([name, "symbolic link not followed"])
        elif entry.kind == "commit":
            skipped.append([name, "submodule not followed"])
        elif entry.kind != "blob":
            continue
        elif parts is None:
            skipped.append([name, "path leaves the project folder"])
        elif entry.size is not None and entry.size > MAX_BLOB_BYTES:
            skipped.append([name, f"larger than {MAX_BLOB_BYTES} bytes ({entry.size})"])
        else:
            wanted.setdefault(entry.oid, []).append((name, dest.joinpath(*parts)))
    total = 0
    folders: set[Path] = set()  # made already: one mkdir per folder, not per file
    for oid, kind, size, data in read_objects(repo, list(wanted), MAX_BLOB_BYTES):
        for name, target in wanted[oid]:
            if kind is None:
                skipped.append([name, unreadable_file(oid)])
            elif data is None:
                skipped.append([name, f"larger than {MAX_BLOB_BYTES} bytes ({size})"])
            else:
                total += len(data)
                _write_file(target, data, dest, skipped, folders)
    return skipped, total


def _write_file(target: Path, data: bytes, dest: Path, skipped: list[list[str]], folders: set[Path]) -> None:
    try:
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as exc:  # e.g. a file and a folder of the same name, or a name too long
        skipped.append([str(target.relative_to(dest)), f"not written: {exc.strerror}"])


def _evict(base: Path, keep: Path) -> None:
    """Drop the least recently used layouts beyond MAX_CACHED_TREES (and stale half-built ones)."""
    done = []
    for child in base.iterdir():
        try:  # another scan may rename or evict an entry between the listing and the look at it
            if child.name.startswith(".building-"):
                if time.time() - child.stat().st_mtime > 24 * 3600:
                    shutil.rmtree(child, ignore_errors=True)
            elif child != keep:
                done.append(((child / "meta.json").stat().st_mtime_ns, child))
        except OSError:
            continue
    for _, child in sorted(done, reverse=True)[MAX_CACHED_TREES - 1 :]:
        try:
            with open(child / "meta.json", "rb") as held:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a scan reads the layout
                shutil.rmtree(child, ignore_errors=True)
        except OSError:  # in use (kept for a later eviction), or already gone
            continue
