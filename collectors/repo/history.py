"""History collector: what git says about the project, read-only and bounded in time.

Everything is relative to the scanned commit and the scan's ``as_of`` moment
(never to "now" or the user's HEAD): commits and authors in the last 90 and
365 days, files one person alone has touched, churn per file, hotspots (churn
times cyclomatic complexity, measured by radon), and the age of the last change
to training and model code. One ``git log`` over at most HISTORY_DAYS and
MAX_COMMITS is read, and cached by commit, sub-path and window.
"""

from __future__ import annotations

import ast
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mldebt.collectors.code.patterns import tokens
from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.repo import files as repo_files
from mldebt.collectors.repo.cache import Cache, code_version
from mldebt.collectors.repo.tree import blob_ids, tree_id
from mldebt.errors import MldebtError
from mldebt.sources.gitrun import run as run_git

HISTORY_DAYS = 730  # authorship is read over two years; churn and counts over one
MAX_COMMITS = 20_000
HOTSPOTS = 10
MAX_COMPLEXITY_BYTES = 256 * 1024
VERSION = code_version("repo/history.py")
TRAINING_WORDS = {"train", "training", "model", "models", "fit", "estimator", "network", "trainer"}
_Log = list[list[Any]]
_EARLY: ContextVar[dict[str, Callable[[], _Log]] | None] = ContextVar("mldebt_history_early", default=None)


class HistoryCollector(Collector):
    name = "history"
    keys = {
        "git.commits.90d": "commits touching the project in the 90 days before the scan",
        "git.commits.365d": "commits touching the project in the 365 days before the scan",
        "git.authors.90d": "distinct authors in the 90 days before the scan",
        "git.authors.365d": "distinct authors in the 365 days before the scan",
        "git.files.single_author": "files (touched in the last two years) that only one author changed",
        "git.files.single_author_share": "share of the files touched in the last two years with one author",
        "git.churn.top": "files with the most lines changed in the last 365 days: path, churn, commits",
        "git.hotspots": "Python files ranked by churn (365 days) times cyclomatic complexity (radon)",
        "git.hotspots.at": "where: one fact per hotspot",
        "git.training_code.last_change_days": "days since the last change to training or model code",
        "git.history.window": "what was read: since, until, commits, whether the commit limit cut it",
        "git.error": "(error facts) history that could not be read",
        "git.churn.unread": "(error facts) changed lines not counted: blobs the counts need are missing",
    }

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        if snapshot.git_dir is None or snapshot.commit is None:
            yield Fact.failure("git.error", "not a git repository: no history to read")
            return
        as_of, since = _window(snapshot)
        cache = Cache()
        try:
            try:
                commits = _kept_log(snapshot, since, cache)
            except ValueError as exc:  # a blob the line counts need is missing: a partial or damaged copy
                commits = _log(snapshot, since, line_counts=False)
                yield Fact.failure("git.churn.unread", f"changed lines not counted, changed files only: {exc}")
            present = set(_files(snapshot))
            yield from _facts(snapshot, commits, present, as_of, since, cache)
        except (OSError, ValueError, MldebtError) as exc:
            yield Fact.failure("git.error", f"cannot read history: {exc}")
        finally:
            cache.close()


def _window(snapshot: Snapshot) -> tuple[datetime, datetime]:
    """The scan's moment (UTC) and the first day of the history read before it."""
    as_of = (snapshot.as_of or datetime.now(UTC)).astimezone(UTC)
    return as_of, (as_of - timedelta(days=HISTORY_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)


def _log_key(snapshot: Snapshot, since: datetime) -> str:
    return f"history:{VERSION}:{snapshot.commit}:{snapshot.subpath or ''}:{since.date()}"


def _kept_log(snapshot: Snapshot, since: datetime, cache: Cache) -> _Log:
    """The log since ``since`` with line counts, read once per commit, sub-path and window and kept in the cache.

    A read started early (``read_early``) is taken, not started again.
    ValueError when a blob the line counts need is missing (nothing is kept then).
    """
    key = _log_key(snapshot, since)
    commits = cache.get(key)
    if commits is None:
        early = _take_early(key)
        commits = early() if early else _log(snapshot, since)
        cache.put(key, commits)
    return list(commits)


@contextmanager
def read_early(project: str, subpath: str | None, as_of: datetime) -> Iterator[Callable[[Path, str], None]]:
    """A ``start(git_dir, commit)`` to call as soon as a scan's commit is known, before its files are laid out.

    From then on git reads the history's log (unless it is kept) in a thread
    that only waits for git, and the collectors of this block take it
    (``hotspot_candidates``, ``_kept_log``) instead of asking git again: the
    log is read while the files are written and listed, not after. The first
    taker joins the thread, before any process pool forks; one no collector
    took is joined when the block ends, so no thread outlives the scan, and
    kept as a collector would have kept it.
    """
    reads: dict[str, Callable[[], _Log]] = {}

    def start(git_dir: Path, commit: str) -> None:
        snapshot = Snapshot(project=project, root=git_dir, commit=commit, git_dir=git_dir, subpath=subpath, as_of=as_of)
        _, since = _window(snapshot)
        key = _log_key(snapshot, since)
        cache = Cache()
        try:
            if cache.get(key) is None:
                reads[key] = _in_thread(lambda: _log(snapshot, since))
        finally:
            cache.close()

    token = _EARLY.set(reads)
    try:
        yield start
    finally:
        _EARLY.reset(token)
        for key, join in reads.items():
            with suppress(Exception):  # no collector wanted this log, so none reports its error
                log = join()
                cache = Cache()
                try:
                    cache.put(key, log)
                finally:
                    cache.close()


def _take_early(key: str) -> Callable[[], _Log] | None:
    """The read ``read_early`` started for ``key`` (to join), taken from it; None when there is none."""
    reads = _EARLY.get()
    return reads.pop(key, None) if reads else None


def _in_thread(read: Callable[[], _Log]) -> Callable[[], _Log]:
    """``read()`` started now in a thread; the returned call joins it and gives its result, or raises its error."""
    logs: list[_Log] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            logs.append(read())
        except Exception as exc:  # raised again in the caller's thread, when it joins
            errors.append(exc)

    reader = threading.Thread(target=run, name="mldebt-git-log", daemon=True)
    reader.start()

    def join() -> _Log:
        reader.join()
        if errors:
            raise errors[0]
        return logs[0]

    return join


def hotspot_candidates(snapshot: Snapshot, cache: Cache) -> Callable[[], set[str]]:
    """The Python files whose complexity the hotspots will need (the most churned in the year before the scan),
    asked now and read when the returned function is called.

    The repository collector asks first, so that it measures them on the parse
    it makes anyway and keeps each under ``complexity_key``; this collector then
    finds them measured. The log read here is kept, as ``collect`` keeps it; a
    history that cannot be read gives none (``collect`` reports why). A log
    not kept yet is read by git in a thread that only waits for git (the one
    ``read_early`` started, if any), while the caller reads its files; the call
    joins it (before any process pool forks).
    """
    if snapshot.git_dir is None or snapshot.commit is None:
        return set
    as_of, since = _window(snapshot)
    key = _log_key(snapshot, since)
    kept = cache.get(key)
    read: Callable[[], _Log] = (
        (lambda: list(kept)) if kept is not None else _take_early(key) or _in_thread(lambda: _log(snapshot, since))
    )

    def candidates() -> set[str]:
        try:
            commits = read()
            if kept is None:
                cache.put(key, commits)  # kept as _kept_log keeps it
            present = set(_files(snapshot))
        except (OSError, ValueError, MldebtError):
            return set()
        churn, _, _ = _churn(commits, present, as_of.timestamp())
        return set(_candidates(churn))

    return candidates


def complexity_key(blob: str) -> str:
    """Where a file's measured complexity is kept in the cache, by its git blob id."""
    return f"cc:{blob}"


def _git(snapshot: Snapshot, *args: str) -> bytes:
    """git's output for ``args`` on the snapshot's stand-in git directory (gitrun: isolated, with a deadline)."""
    assert snapshot.git_dir is not None
    proc = run_git(args, snapshot.git_dir)
    if proc.returncode != 0:
        raise ValueError(f"git {args[0]} failed: {proc.stderr.decode(errors='replace').strip()[:200]}")
    return proc.stdout


def _log(snapshot: Snapshot, since: datetime, line_counts: bool = True) -> list[list[Any]]:
    """[[sha, unix time, author, [[path, lines changed], ...]], ...], newest first.

    Without ``line_counts`` only the trees are compared (no blob is read, so a
    copy that lacks some still gives its history) and every change counts 0 lines.
    """
    args = [
        "log",
        "-z",
        "--no-merges",
        "--no-show-signature",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--numstat" if line_counts else "--name-only",
        f"--max-count={MAX_COMMITS}",
        f"--since={since.isoformat()}",
        "--format=@@%H%x09%at%x09%aE",
    ]
    if snapshot.subpath:
        args.append(f"--relative={snapshot.subpath}")
    out = _git(snapshot, *args, snapshot.commit or "HEAD", "--", *([snapshot.subpath] if snapshot.subpath else []))
    commits: list[list[Any]] = []
    for token in out.split(b"\0"):
        token = token.lstrip(b"\n")
        if token.startswith(b"@@"):
            sha, when, author = token[2:].decode(errors="replace").split("\t", 2)
            commits.append([sha, int(when), author.lower(), []])
        elif token and commits and not line_counts:
            commits[-1][3].append([repo_files.display(os.fsdecode(token)), 0])
        elif token and commits:
            added, deleted, path = token.split(b"\t", 2)
            churn = (int(added) if added.isdigit() else 0) + (int(deleted) if deleted.isdigit() else 0)
            commits[-1][3].append([repo_files.display(os.fsdecode(path)), churn])
    return commits


def _files(snapshot: Snapshot) -> Iterator[str]:
    listed = blob_ids(snapshot)  # survives a folder whose tree object is missing
    if listed is not None:
        yield from (repo_files.display(path) for path in listed)
        return
    tree = tree_id(snapshot)
    if tree:
        for raw in _git(snapshot, "ls-tree", "-r", "-z", "--name-only", tree).split(b"\0"):
            if raw:
                yield repo_files.display(os.fsdecode(raw))


def _facts(
    snapshot: Snapshot, commits: list[list[Any]], present: set[str], as_of: datetime, since: datetime, cache: Cache
) -> Iterator[Fact]:
    now = as_of.timestamp()
    for days in (90, 365):
        recent = [c for c in commits if now - c[1] <= days * 86400]
        yield Fact(f"git.commits.{days}d", len(recent))
        yield Fact(f"git.authors.{days}d", len({c[2] for c in recent}))
    churn, touches, authors = _churn(commits, present, now)
    single = sorted(p for p, who in authors.items() if len(who) == 1)
    yield Fact("git.files.single_author", len(single))
    yield Fact("git.files.single_author_share", round(len(single) / len(authors), 2) if authors else None)
    top = sorted(churn, key=lambda p: (-churn[p], p))
    yield Fact("git.churn.top", [{"path": p, "churn": churn[p], "commits": touches[p]} for p in top[:20]])
    hotspots = _hotspots(snapshot, _candidates(churn), churn, cache)
    yield Fact("git.hotspots", hotspots)
    for spot in hotspots:
        yield Fact("git.hotspots.at", f"churn {spot['churn']} x complexity {spot['complexity']}", path=spot["path"])
    training = sorted(p for p in present if p.endswith((".py", ".ipynb")) and TRAINING_WORDS & set(tokens(p)))
    last = next((c[1] for c in commits if any(path in training for path, _ in c[3])), None)
    if last is None and training:
        out = _git(
            snapshot,
            "log",
            "-1",
            "--no-show-signature",
            "--format=%at",
            snapshot.commit or "HEAD",
            "--",
            *(f"{snapshot.subpath}/{p}" if snapshot.subpath else p for p in training[:200]),
        ).strip()
        last = int(out) if out else None
    if last is not None:
        yield Fact("git.training_code.last_change_days", max(0, int((now - last) // 86400)))
    yield Fact(
        "git.history.window",
        {
            "since": since.date().isoformat(),
            "until": as_of.isoformat(),
            "commits": len(commits),
            "truncated": len(commits) >= MAX_COMMITS,
        },
    )


def _churn(
    commits: list[list[Any]], present: set[str], now: float
) -> tuple[dict[str, int], dict[str, int], dict[str, set[str]]]:
    """Per file still present: lines changed and commits in the last 365 days, and every author in the window."""
    authors: dict[str, set[str]] = defaultdict(set)
    churn: dict[str, int] = defaultdict(int)
    touches: dict[str, int] = defaultdict(int)
    for _, when, author, changes in commits:
        for path, lines in changes:
            if path in present:
                authors[path].add(author)
                if now - when <= 365 * 86400:
                    churn[path] += lines
                    touches[path] += 1
    return churn, touches, authors


def _candidates(churn: dict[str, int]) -> list[str]:
    """The Python files measured for hotspots: the most churned, twice as many as are shown."""
    return [p for p in sorted(churn, key=lambda p: (-churn[p], p)) if p.endswith(".py")][: HOTSPOTS * 2]


def _hotspots(snapshot: Snapshot, candidates: list[str], churn: dict[str, int], cache: Cache) -> list[dict[str, Any]]:
    """The candidates ranked by churn times complexity; a complexity kept by the blob's id (the repository
    collector measures them on its own parse) is not measured again, and its file is not read."""
    listed = blob_ids(snapshot) or {}  # git's ids of the laid-out files: SHA-1, as blob_id, in most repositories
    keys: dict[str, str] = {}  # path -> cache key
    texts: dict[str, str] = {}  # path -> text, of the files read
    entries: dict[str, repo_files.Entry] = {}
    for path in candidates:
        try:
            entry = repo_files.Entry(path, snapshot.root / path, (snapshot.root / path).lstat().st_size)
        except OSError:
            continue
        oid = listed.get(path)
        if oid is not None and len(oid) == 40 and entry.size <= MAX_COMPLEXITY_BYTES:
            keys[path], entries[path] = complexity_key(oid), entry  # read below only if it was not measured
        else:
            _read(entry, keys, texts)
    known = cache.get_many(keys.values())
    for path, entry in entries.items():
        if keys[path] not in known:
            del keys[path]
            _read(entry, keys, texts)
    missing = [(path, text) for path, text in texts.items() if keys[path] not in known]
    measured = dict(_measure(missing))
    cache.put_many({keys[path]: value for path, value in measured.items() if value is not None})
    spots: list[dict[str, Any]] = []
    for path, key in keys.items():
        complexity = known[key] if key in known else measured.get(path)
        if complexity is not None:
            spots.append(
                {"path": path, "churn": churn[path], "complexity": complexity, "score": churn[path] * complexity}
            )
    return sorted(spots, key=lambda s: (-int(s["score"]), s["path"]))[:HOTSPOTS]


def _read(entry: repo_files.Entry, keys: dict[str, str], texts: dict[str, str]) -> None:
    """A candidate's key and text, from its bytes; nothing for a file not read (too large, binary, unreadable)."""
    data = repo_files.read(entry, MAX_COMPLEXITY_BYTES)  # larger files are generated more often than written
    if isinstance(data, bytes):
        keys[entry.rel] = complexity_key(repo_files.blob_id(data))
        texts[entry.rel] = repo_files.decode(data, entry.rel)[0]


def _measure(files: list[tuple[str, str]]) -> list[tuple[str, int | None]]:
    """(path, radon's total cyclomatic complexity or None when it cannot be measured), over every core when worth it."""
    if not files:  # every candidate measured before: the analyser need not load
        return []
    from concurrent.futures.process import BrokenProcessPool  # only a file not measured before needs the pool

    from mldebt.collectors.code.batch import spread, worth_a_pool

    if not worth_a_pool(sum(len(text) for _, text in files)):
        return _complexities(files)
    try:
        return list(spread(_complexities, [[item] for item in sorted(files, key=lambda f: -len(f[1]))]))
    except (BrokenProcessPool, OSError):  # a worker died: measure here
        return _complexities(files)


def _complexities(files: list[tuple[str, str]]) -> list[tuple[str, int | None]]:
    from mldebt.collectors.code.scan import measured_complexity

    out: list[tuple[str, int | None]] = []
    for path, text in files:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            out.append((path, None))
            continue
        out.append((path, measured_complexity(tree)))
    return out
