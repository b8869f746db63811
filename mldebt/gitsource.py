"""Lay out a project as it was at one commit, without touching the user's tree.

The commit is HEAD (or the portfolio's ``ref``), or with ``as_of`` the last
commit before that moment. Its files are exported with ``git archive`` into a
private temporary directory; links are not followed or recreated. Git URLs are
cloned (bare) into a cache and fetched again on later scans.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

from .errors import InputError, MldebtError
from .portfolio import Project, check_git_url

ALLOWED_PROTOCOLS = "https:http:ssh:git:file"
SAFE_CONFIG = ["-c", "core.fsmonitor=false", "-c", "protocol.ext.allow=never", "-c", "core.hooksPath=/dev/null"]


class NoCommitYet(MldebtError):
    """The project has no commit before the requested date: nothing to scan."""


@dataclass
class Checkout:
    root: Path
    commit: str | None
    commit_date: str | None
    skipped: list[tuple[str, str]] = field(default_factory=list)
    git_dir: Path | None = None


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
        raise InputError(f"{url}: git URL {problem}")
    dest = cache_dir() / "repos" / hashlib.sha256(url.encode()).hexdigest()[:24]
    if (dest / "HEAD").exists():
        proc = git(dest, "fetch", "--quiet", "--prune", "--", "origin", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        proc = git(dest.parent, "clone", "--bare", "--quiet", "--", url, dest.name)
    if proc.returncode != 0:
        raise InputError(f"{url}: cannot clone: {proc.stderr.strip() or proc.returncode}")
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


@contextmanager
def checkout(project: Project, as_of: datetime | None = None) -> Iterator[Checkout]:
    """Yield the project's files at the chosen commit in a temporary directory."""
    repo = clone(project.repo) if project.is_url else Path(project.repo)
    if not is_git_repo(repo):
        if as_of is not None:
            raise InputError(f"{repo}: not a git repository, so --as-of has no history to read")
        root = repo / project.subpath if project.subpath else repo
        yield Checkout(root=root, commit=None, commit_date=None)
        return
    sha = resolve_commit(repo, project.ref, as_of)
    commit_date = _out(repo, "show", "-s", "--format=%cI", sha)
    if project.subpath and git(repo, "cat-file", "-e", f"{sha}:{project.subpath}").returncode != 0:
        raise InputError(f"{project.name}: sub-path {project.subpath!r} does not exist at commit {sha[:12]}")
    with tempfile.TemporaryDirectory(prefix="mldebt-scan-") as tmp:
        dest = Path(tmp)
        skipped = _export(repo, sha, project.subpath, dest)
        root = dest / project.subpath if project.subpath else dest
        root.mkdir(parents=True, exist_ok=True)  # a sub-path holding only links extracts to nothing
        yield Checkout(root=root, commit=sha, commit_date=commit_date, skipped=skipped, git_dir=repo)


def _export(repo: Path, sha: str, subpath: str | None, dest: Path) -> list[tuple[str, str]]:
    """Extract ``git archive`` of the commit into dest; return members left out."""
    args = ["archive", "--format=tar", sha]
    if subpath:
        args += ["--", subpath]
    env = dict(os.environ, LC_ALL="C")
    proc = subprocess.Popen(["git", *SAFE_CONFIG, "-C", str(repo), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    skipped: list[tuple[str, str]] = []
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            for member in archive:
                if member.issym() or member.islnk():
                    skipped.append((member.name, "symbolic link not followed"))
                    continue
                if not (member.isfile() or member.isdir()):
                    continue
                try:
                    archive.extract(member, dest, filter="data")
                except (tarfile.FilterError, OSError) as exc:
                    skipped.append((member.name, f"not extracted: {exc}"))
    except tarfile.TarError as exc:
        raise InputError(f"{repo}: cannot read commit {sha[:12]}: {exc}") from None
    finally:
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        proc.wait()
    if proc.returncode != 0:
        raise InputError(f"{repo}: git archive failed: {stderr.strip()}")
    return skipped
