"""Lay out a project as it was at one commit, without touching the user's tree.

The commit is HEAD (or the portfolio's ``ref``), or with ``as_of`` the last
commit before that moment. Its files are written from git's object database
(``git ls-tree`` and ``git cat-file``, so no attribute, filter or hook of the
scanned repository ever runs) into the mldebt cache, under the id of the
project's tree: the same tree is laid out once and shared by every later scan
of it. Links and submodules are not recreated, oversized blobs are not written,
and paths that would leave the folder are refused. Git URLs are cloned (bare,
with full history, which the history facts need) into the cache and fetched
again on later scans.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

from .errors import InputError, MldebtError
from .portfolio import Project, check_git_url
from .redact import without_credentials

ALLOWED_PROTOCOLS = "https:http:ssh:git:file"
SAFE_CONFIG = ["-c", "core.fsmonitor=false", "-c", "protocol.ext.allow=never", "-c", "core.hooksPath=/dev/null"]
MAX_BLOB_BYTES = 8 * 1024 * 1024  # larger blobs are listed as skipped and never written
MAX_CACHED_TREES = 12  # laid-out trees kept in the cache, least recently used dropped first
TREE_LAYOUT_VERSION = "1"


class NoCommitYet(MldebtError):
    """The project has no commit before the requested date: nothing to scan."""


@dataclass
class Checkout:
    root: Path
    commit: str | None
    commit_date: str | None
    skipped: list[tuple[str, str]] = field(default_factory=list)
    git_dir: Path | None = None
    tree: str | None = None  # git id of the project's tree (the sub-path's, in a monorepo)


def git(repo: Path, *args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess:
    env = dict(os.environ, GIT_ALLOW_PROTOCOL=ALLOWED_PROTOCOLS, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return subprocess.run(["git", *SAFE_CONFIG, "-C", str(repo), *args], env=env, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, check=False)


def _out(repo: Path, *args: str) -> str:
    proc = git(repo, *args)
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit status {proc.returncode}"
        raise InputError(f"{repo}: git {args[0]} failed: {detail}")
    return proc.stdout.strip()


def is_git_repo(path: Path) -> bool:
    proc = git(path, "rev-parse", "--git-dir")
    return proc.returncode == 0


def cache_dir() -> Path:
    base = os.environ.get("MLDEBT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mldebt")
    return Path(base)


def clone(url: str) -> Path:
    """A bare clone of ``url`` in the cache, fetched up to date."""
    problem = check_git_url(url)
    if problem:
        raise InputError(without_credentials(f"{url}: git URL {problem}"))
    dest = cache_dir() / "repos" / hashlib.sha256(url.encode()).hexdigest()[:24]
    locks = cache_dir() / "repo-locks"
    for folder in (dest.parent, locks):
        folder.mkdir(parents=True, exist_ok=True)
    with open(locks / dest.name, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one clone or fetch of a URL at a time: a monorepo's projects share it
        if (dest / "HEAD").exists():
            proc = git(dest, "fetch", "--quiet", "--prune", "--", "origin", "+refs/heads/*:refs/heads/*",
                       "+refs/tags/*:refs/tags/*")
        else:
            proc = git(dest.parent, "clone", "--bare", "--quiet", "--", url, dest.name)
    if proc.returncode != 0:
        raise InputError(without_credentials(f"{url}: cannot clone: {proc.stderr.strip() or proc.returncode}"))
    return dest


def resolve_commit(repo: Path, ref: str | None, as_of: datetime | None) -> str:
    target = ref or "HEAD"
    if target.startswith("-"):
        raise InputError(f"{repo}: bad git ref {target!r}")
    if as_of is None:
        proc = git(repo, "rev-parse", "--verify", "--quiet", f"{target}^{{commit}}")
        if proc.returncode != 0:
            raise InputError(f"{repo}: {target} does not name a commit (a repository with no commits yet?)")
        return proc.stdout.strip()
    sha = _out(repo, "rev-list", "-1", f"--before={as_of.isoformat()}", target, "--")
    if not sha:
        raise NoCommitYet(f"no commit before {as_of.date().isoformat()}")
    return sha


def tree_of(repo: Path, commit: str, subpath: str | None = None) -> str | None:
    """The id of the commit's tree, or of its sub-path's tree; None when the sub-path is not a folder."""
    spec = f"{commit}:{subpath}" if subpath else f"{commit}^{{tree}}"
    proc = git(repo, "rev-parse", "--verify", "--quiet", spec)
    oid = proc.stdout.strip()
    if proc.returncode != 0 or git(repo, "cat-file", "-t", oid).stdout.strip() != "tree":
        return None
    return oid


@contextmanager
def checkout(project: Project, as_of: datetime | None = None) -> Iterator[Checkout]:
    """Yield the project's files at the chosen commit, laid out in the cache."""
    repo = clone(project.repo) if project.is_url else Path(project.repo)
    if not is_git_repo(repo):
        if as_of is not None:
            raise InputError(f"{repo}: not a git repository, so --as-of has no history to read")
        root = repo / project.subpath if project.subpath else repo
        yield Checkout(root=root, commit=None, commit_date=None)
        return
    sha = resolve_commit(repo, project.ref, as_of)
    commit_date = _out(repo, "show", "-s", "--format=%cI", sha)
    tree = tree_of(repo, sha, project.subpath)
    if tree is None:
        raise InputError(f"{project.name}: sub-path {project.subpath!r} does not exist at commit {sha[:12]}")
    root, skipped = lay_out(repo, tree)
    with open(root.parent / "meta.json", "rb") as in_use:
        fcntl.flock(in_use, fcntl.LOCK_SH)  # while held, no other scan evicts this layout (see _evict)
        yield Checkout(root=root, commit=sha, commit_date=commit_date, skipped=skipped, git_dir=repo, tree=tree)


def lay_out(repo: Path, tree: str) -> tuple[Path, list[tuple[str, str]]]:
    """The folder holding ``tree``'s files, written once per tree id; and what was left out.

    A finished layout is ``trees/<id>/files`` beside its ``meta.json``; it is
    built in a private temporary folder and renamed into place, so a scan never
    sees half a tree and two scans of one tree do not collide.
    """
    base = cache_dir() / "trees"
    home = base / f"{tree}-{TREE_LAYOUT_VERSION}"
    meta = home / "meta.json"
    if meta.is_file():
        os.utime(meta)  # most recently used: evicted last
        return home / "files", [tuple(item) for item in json.loads(meta.read_text())["skipped"]]
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=base))
    try:
        skipped, size = _write_tree(repo, tree, work / "files")
        (work / "meta.json").write_text(json.dumps({"tree": tree, "bytes": size, "skipped": skipped}))
        try:
            work.rename(home)
        except OSError:  # another scan laid out the same tree first
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _evict(base, keep=home)
    return home / "files", [tuple(item) for item in skipped]


def _entries(repo: Path, tree: str) -> Iterator[tuple[str, str, str, int | None, bytes]]:
    """(mode, type, object id, size, raw path) of every entry below ``tree``."""
    proc = subprocess.run(["git", *SAFE_CONFIG, "-C", str(repo), "ls-tree", "-r", "-z", "-l", "--full-tree", tree],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, LC_ALL="C"), check=False)
    if proc.returncode != 0:
        raise InputError(f"{repo}: cannot list tree {tree[:12]}: {proc.stderr.decode(errors='replace').strip()}")
    for record in proc.stdout.split(b"\0"):
        if not record:
            continue
        head, _, raw_path = record.partition(b"\t")
        mode, kind, oid, size = head.decode().split()
        yield mode, kind, oid, (int(size) if size.isdigit() else None), raw_path


def display_path(raw: bytes) -> str:
    """A path as facts show it: UTF-8, with undecodable bytes escaped (``\\xe9``)."""
    return raw.decode("utf-8", errors="backslashreplace")


def _safe_parts(raw: bytes) -> list[str] | None:
    parts = raw.split(b"/")
    if any(p in (b"", b".", b"..") or p.lower() == b".git" or b"\0" in p for p in parts):
        return None
    return [os.fsdecode(p) for p in parts]


def _write_tree(repo: Path, tree: str, dest: Path) -> tuple[list[list[str]], int]:
    dest.mkdir(parents=True)
    skipped: list[list[str]] = []
    wanted: list[tuple[str, Path]] = []
    for mode, kind, oid, size, raw in _entries(repo, tree):
        name = display_path(raw)
        parts = _safe_parts(raw)
        if mode == "120000":
            skipped.append([name, "symbolic link not followed"])
        elif kind == "commit":
            skipped.append([name, "submodule not followed"])
        elif kind != "blob":
            continue
        elif parts is None:
            skipped.append([name, "path leaves the project folder"])
        elif size is not None and size > MAX_BLOB_BYTES:
            skipped.append([name, f"larger than {MAX_BLOB_BYTES} bytes ({size})"])
        else:
            wanted.append((oid, dest.joinpath(*parts)))
    total = 0
    env = dict(os.environ, LC_ALL="C")
    with subprocess.Popen(["git", *SAFE_CONFIG, "-C", str(repo), "cat-file", "--batch"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        for oid, target in wanted:
            proc.stdin.write(f"{oid}\n".encode())
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) != 3:
                raise InputError(f"{repo}: cannot read object {oid[:12]}")
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)  # the newline after each object
            total += len(data)
            _write_file(target, data, dest, skipped)
        proc.stdin.close()
    return skipped, total


def _write_file(target: Path, data: bytes, dest: Path, skipped: list[list[str]]) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
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
    for _, child in sorted(done, reverse=True)[MAX_CACHED_TREES - 1:]:
        try:
            with open(child / "meta.json", "rb") as held:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a scan reads the layout
                shutil.rmtree(child, ignore_errors=True)
        except OSError:  # in use (kept for a later eviction), or already gone
            continue
