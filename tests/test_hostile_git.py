"""Hostile git repositories (issue 15 items 2, 4, 7, 8): a scan runs nothing of theirs, never hangs,
keeps no credentials in the cache, and scans exactly the repository it was given.

The collects run the real CLI in a child process (``python -m mldebt collect``) under a timeout, so a
scan that hangs fails the test instead of hanging the suite.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mldebt.collectors.http import ApiClient, ApiError

from .conftest import git

pytestmark = [pytest.mark.slow]

LIMIT_S = 120  # no collect below may take longer
COMMIT_DATES = ("2026-01-05T10:00:00+00:00", "2026-01-06T10:00:00+00:00")

# Every setting that names a program git may run, each pointing at its own script.
PROGRAM_KEYS = [
    "gpg.program",
    "gpg.openpgp.program",
    "gpg.ssh.program",
    "gpg.x509.program",
    "core.pager",
    "pager.log",
    "pager.show",
    "diff.external",
    "diff.evil.textconv",
    "diff.evil.command",
    "filter.evil.clean",
    "filter.evil.smudge",
    "filter.evil.process",
    "merge.evil.driver",
    "core.sshCommand",
    "core.askPass",
    "credential.helper",
    "core.fsmonitor",
    "uploadpack.packObjectsHook",
    "core.alternateRefsCommand",
    "core.gitProxy",
    "core.editor",
    "sequence.editor",
    "gc.auto.program",
]
HOOKS = [
    "post-checkout",
    "post-merge",
    "reference-transaction",
    "pre-auto-gc",
    "post-rewrite",
    "post-index-change",
    "fsmonitor-watchman",
    "pre-commit",
    "post-commit",
    "push-to-checkout",
    "pre-receive",
    "post-receive",
    "update",
    "post-update",
    "proc-receive",
]
SIGNATURES = {  # one commit signed each way: with log.showSignature git would verify each with its program
    "openpgp": "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----",
    "ssh": "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----",
    "x509": "-----BEGIN SIGNED MESSAGE-----\nMIIB\n-----END SIGNED MESSAGE-----",
}


def script(folder: Path, name: str, sentinel: Path) -> Path:
    """An executable that records that it ran (which is what must never happen)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'#!/bin/sh\necho {name} "$@" >> {sentinel}\nexit 1\n')
    path.chmod(0o755)
    return path


def signed_commits(repo: Path) -> None:
    """Append one commit per signature format on main, made by hand so no signing program is needed."""
    for number, (kind, signature) in enumerate(SIGNATURES.items()):
        tree, parent = git(repo, "rev-parse", "HEAD^{tree}"), git(repo, "rev-parse", "HEAD")
        stamp = 1767607200 + 3600 * (number + 30)
        header = "gpgsig " + "\n ".join(signature.split("\n"))
        body = (
            f"tree {tree}\nparent {parent}\nauthor A <a@example.com> {stamp} +0000\n"
            f"committer A <a@example.com> {stamp} +0000\n{header}\n\nsigned with {kind}\n"
        )
        sha = subprocess.run(
            ["git", "-C", str(repo), "hash-object", "-t", "commit", "-w", "--stdin"],
            input=body,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
        git(repo, "update-ref", "refs/heads/main", sha)


def plant(repo: Path, tmp_path: Path, fifo: bool) -> Path:
    """Make ``repo`` hostile: every program setting, hooks, attributes and includes; the sentinel's path."""
    sentinel = tmp_path / "sentinel-ran"
    bin_dir = tmp_path / "hostile-bin"
    config = repo / ".git" / "config"

    def put(key: str, value: str, file: Path = config) -> None:
        subprocess.run(["git", "config", "--file", str(file), "--add", key, value], check=True)

    hooks = tmp_path / "hostile-hooks"
    for name in HOOKS:
        script(repo / ".git" / "hooks", name, sentinel)
        script(hooks, name, sentinel)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* filter=evil diff=evil merge=evil\n")
    for key in PROGRAM_KEYS:
        put(key, str(script(bin_dir, key.replace(".", "-"), sentinel)))
    for key, value in {
        "log.showSignature": "true",
        "filter.evil.required": "true",
        "core.hooksPath": str(hooks),
        "diff.evil.binary": "false",
        "gc.auto": "1",
        "remote.origin.url": f"ext::{bin_dir}/ext %S",
        "protocol.ext.allow": "always",
        "core.worktree": str(tmp_path),
    }.items():
        put(key, value)
    included = tmp_path / "included.cfg"
    for key in ("gpg.program", "gpg.ssh.program", "gpg.x509.program", "core.pager", "core.fsmonitor"):
        put(key, str(script(bin_dir, f"included-{key.replace('.', '-')}", sentinel)), included)
    put("log.showSignature", "true", included)
    put("include.path", str(included))
    put("includeIf.gitdir:/.path", str(included))
    put("includeIf.onbranch:main.path", str(included))
    if fifo:
        os.mkfifo(tmp_path / "config-fifo")
        put("include.path", str(tmp_path / "config-fifo"))
        put("includeIf.gitdir:/.path", str(tmp_path / "config-fifo"))
    return sentinel


def hostile_repo(make_repo, tmp_path: Path, fifo: bool) -> tuple[Path, Path]:
    repo = make_repo(
        "hostile",
        [
            (
                COMMIT_DATES[0],
                {
                    "train.py": "import numpy as np\nnp.random.seed(0)\n",
                    "README.md": "# r\n",
                    ".gitattributes": "* filter=evil diff=evil merge=evil\n*.py diff=evil\n",
                },
            ),
            (COMMIT_DATES[1], {"train.py": "import numpy as np\nnp.random.seed(1)\n"}),
        ],
    )
    signed_commits(repo)
    return repo, plant(repo, tmp_path, fifo)


def collect(tmp_path: Path, *args: str, timeout: float = LIMIT_S, **env: str) -> subprocess.CompletedProcess:
    """`mldebt collect ARGS` in a child process, failing the test if it runs past ``timeout``."""
    command = [sys.executable, "-m", "mldebt", "collect", *args, "--db", str(tmp_path / "mldebt.db"), "--jobs", "1"]
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=tmp_path, env=dict(os.environ, **env)
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`mldebt collect {' '.join(args)}` was still running after {timeout} s")


def portfolio(tmp_path: Path, repo: str, subpath: str | None = None) -> Path:
    path = tmp_path / "portfolio.yaml"
    extra = f"\n        subpath: {subpath}" if subpath else ""
    path.write_text(
        f'portfolio: P\nteams:\n  - name: T\n    projects:\n      - name: hostile\n        repo: "{repo}"{extra}\n'
    )
    return path


def facts(tmp_path: Path) -> list[tuple]:
    """(key, value, path, error) of every fact of the one scan in the store."""
    with sqlite3.connect(tmp_path / "mldebt.db") as db:
        assert db.execute("select count(*) from scans").fetchone()[0] == 1
        return db.execute("select key, value, path, error from evidence order by id").fetchall()


def value(found: list[tuple], key: str) -> str:
    return next(v for k, v, _, error in found if k == key and error is None)


# Item 2: nothing named by the scanned repository runs ------------------------------------------


@pytest.mark.parametrize("fifo", [False, True], ids=["programs", "fifo-include"])
@pytest.mark.parametrize("how", ["path", "path-as-of", "file-url", "file-url-as-of"])
def test_no_program_of_the_scanned_repository_ever_runs(make_repo, tmp_path, how, fifo):
    repo, sentinel = hostile_repo(make_repo, tmp_path, fifo)
    target = str(portfolio(tmp_path, f"file://{repo}")) if how.startswith("file-url") else str(repo)
    as_of = ["--as-of", "2026-02-01"] if how.endswith("as-of") else []
    started = time.monotonic()
    done = collect(tmp_path, target, *as_of)
    assert not sentinel.exists(), f"a program of the scanned repository ran: {sentinel.read_text()}"
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < LIMIT_S
    found = facts(tmp_path)
    assert value(found, "git.commits.365d") == "5"  # the history was read, through the hostile config
    assert not [f for f in found if f[0] == "git.error"]
    assert not (tmp_path / "README.md").exists()  # core.worktree pointed here: nothing was checked out


def test_the_scanned_repository_is_left_as_it_was(make_repo, tmp_path):
    repo, sentinel = hostile_repo(make_repo, tmp_path, fifo=False)
    before = {p: p.read_bytes() for p in (repo / ".git").rglob("*") if p.is_file()}
    assert collect(tmp_path, str(repo)).returncode == 0
    after = {p: p.read_bytes() for p in (repo / ".git").rglob("*") if p.is_file()}
    assert after == before and not sentinel.exists()


# Item 4: no credentials in the cache -----------------------------------------------------------


class AuthServer:
    """A dumb-HTTP git server on loopback that answers only with the right basic-auth credentials."""

    def __init__(self, root: Path, user: str, password: str) -> None:
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.authorized: list[str] = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                server.authorized.append(self.path)
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def served(make_repo, tmp_path) -> Iterator[tuple[AuthServer, Path]]:
    origin = make_repo("origin", [(COMMIT_DATES[0], {"train.py": "x = 1\n"})])
    root = tmp_path / "served"
    root.mkdir()
    bare = root / "repo.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(bare))
    git(bare, "update-server-info")
    server = AuthServer(root, "robot", "s3cret-T0KEN-value")
    yield server, origin
    server.close()


def files_holding(folder: Path, *needles: bytes) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            hits += [f"{path}: {needle!r}" for needle in needles if needle in data]
    return hits


def test_credentials_of_a_git_url_are_used_but_never_kept(served, tmp_path, run, make_repo):
    server, origin = served
    secrets = (b"s3cret-T0KEN-value", base64.b64encode(b"robot:s3cret-T0KEN-value"))
    target = portfolio(tmp_path, f"http://robot:s3cret-T0KEN-value@127.0.0.1:{server.port}/repo.git")
    result = run("collect", str(target))
    assert result.exit_code == 0, result.output
    assert any("/repo.git/info/refs" in path for path in server.authorized)  # the credentials were really sent
    git(origin, "commit", "-q", "--allow-empty", "-m", "later", date=COMMIT_DATES[1])
    git(tmp_path / "served" / "repo.git", "fetch", "-q", str(origin), "+refs/heads/*:refs/heads/*")
    git(tmp_path / "served" / "repo.git", "update-server-info")
    assert run("collect", str(target), "--restart").exit_code == 0  # the second scan fetches, with credentials
    with sqlite3.connect(tmp_path / "mldebt.db") as db:
        assert db.execute("select count(distinct commit_sha) from scans").fetchone()[0] == 2
    assert files_holding(tmp_path / "cache", *secrets) == []
    assert files_holding(tmp_path, *[s for s in secrets]) == [f"{target}: {secrets[0]!r}"]  # only the portfolio


def test_a_clone_an_older_mldebt_kept_with_credentials_is_cleaned(served, tmp_path, run):
    server, _ = served
    url = f"http://robot:s3cret-T0KEN-value@127.0.0.1:{server.port}/repo.git"
    legacy = tmp_path / "cache" / "repos" / hashlib.sha256(url.encode()).hexdigest()[:24]
    legacy.parent.mkdir(parents=True)
    git(tmp_path, "clone", "-q", "--bare", url, str(legacy))  # what the clone of an older version kept
    assert files_holding(tmp_path / "cache", b"s3cret-T0KEN-value")
    result = run("collect", str(portfolio(tmp_path, url)))
    assert result.exit_code == 0, result.output
    assert files_holding(tmp_path / "cache", b"s3cret-T0KEN-value") == []
    assert not legacy.exists() and len(list((tmp_path / "cache" / "repos").iterdir())) == 1


def test_a_wrong_password_is_an_error_that_does_not_show_it(served, tmp_path, run):
    server, _ = served
    target = portfolio(tmp_path, f"http://robot:not-the-password@127.0.0.1:{server.port}/repo.git")
    result = run("collect", str(target))
    assert result.exit_code == 2
    assert "cannot clone" in result.output and "not-the-password" not in result.output
    assert files_holding(tmp_path / "cache", b"not-the-password") == []


# Item 7: hangs -------------------------------------------------------------------------------


def test_fifos_sockets_and_devices_in_a_plain_folder_are_skipped_not_opened(tmp_path):
    folder = tmp_path / "plain"
    (folder / "src").mkdir(parents=True)
    (folder / ".mldebt").mkdir()
    (folder / "src" / "train.py").write_text("import numpy as np\nnp.random.seed(0)\n")
    special = [
        "dvc.yaml",
        "params.yaml",
        "requirements.txt",
        "pyproject.toml",
        "setup.py",
        "MLmodel",
        "feature_store.yaml",
        ".mldebt/attestations.yaml",
        "src/model.py",
        ".github/workflows/ci.yml",
    ]
    (folder / ".github" / "workflows").mkdir(parents=True)
    for rel in special:
        os.mkfifo(folder / rel)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(folder / "environment.yml"))
        special.append("environment.yml")
        if os.geteuid() == 0:  # only root may make device nodes: one that reads zeros forever
            os.mknod(folder / "Dockerfile", stat.S_IFCHR | 0o644, os.makedev(1, 5))
            special.append("Dockerfile")
        done = collect(tmp_path, str(folder), timeout=60)
    assert done.returncode == 0, done.stderr
    found = facts(tmp_path)
    skipped = {path for key, _, path, error in found if key == "repo.files.skipped" and error == "not a regular file"}
    assert skipped == set(special)
    assert value(found, "repo.python.files") == "1"
    assert stat.S_ISFIFO(os.lstat(folder / "dvc.yaml").st_mode)  # left as it was


def test_a_clone_from_a_server_that_never_answers_times_out(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    listener.settimeout(0.1)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # accepted, and never answered
            except TimeoutError:
                continue
            except OSError:
                return

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    target = portfolio(tmp_path, f"http://127.0.0.1:{listener.getsockname()[1]}/repo.git")
    started = time.monotonic()
    try:
        done = collect(tmp_path, str(target), timeout=60, MLDEBT_GIT_TIMEOUT="2")
    finally:
        stop.set()
        acceptor.join(5)  # no thread may outlive the test: later tests count them
        listener.close()
        for conn in held:
            conn.close()
    assert time.monotonic() - started < 30
    assert done.returncode == 2
    assert "git clone timed out after 2 s (MLDEBT_GIT_TIMEOUT)" in done.stderr
    assert held  # git did connect
    assert not list((tmp_path / "cache").glob("repos/*"))  # no half-made clone is left behind


def test_a_bad_git_timeout_setting_is_one_clear_error(make_repo, tmp_path):
    repo = make_repo("r", [(COMMIT_DATES[0], {"a.py": "a = 1\n"})])
    done = collect(tmp_path, str(repo), MLDEBT_GIT_TIMEOUT="soon")
    assert done.returncode == 2
    assert "MLDEBT_GIT_TIMEOUT='soon': expected a number of seconds" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_api_that_drips_its_answer_is_cut_at_the_total_deadline():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def drip() -> None:
        conn = listener.accept()[0]
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        while not stop.wait(0.2):  # one byte at a time, each well within the read timeout
            try:
                conn.sendall(b" ")
            except OSError:
                break
        conn.close()

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    client = ApiClient(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=(2.0, 2.0), total_timeout=1.5)
    started = time.monotonic()
    try:
        with pytest.raises(ApiError, match=r"timed out after 1.5 s"):
            client.get_json("api")
    finally:
        stop.set()
        dripper.join(5)
        listener.close()
    assert time.monotonic() - started < 6


# Item 8: the repository scanned is the one named ---------------------------------------------


def test_a_gitdir_file_pointing_elsewhere_is_refused(make_repo, tmp_path, run):
    other = make_repo("other", [(COMMIT_DATES[0], {"secret.py": "key = 1\n"})])
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.py").write_text("a = 1\n")
    (folder / ".git").write_text(f"gitdir: {other / '.git'}\n")
    result = run("collect", str(folder))
    assert result.exit_code == 2
    assert result.output == (
        f"mldebt: error: {folder}: {folder / '.git'} is a gitdir link (a git worktree or "
        f"submodule) to {other / '.git'}, outside the folder; not followed\n"
    )
    assert not (tmp_path / "mldebt.db").exists() or facts_count(tmp_path) == 0


def test_a_git_symlink_pointing_elsewhere_is_refused(make_repo, tmp_path, run):
    other = make_repo("other", [(COMMIT_DATES[0], {"secret.py": "key = 1\n"})])
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / ".git").symlink_to(other / ".git")
    result = run("collect", str(folder))
    assert result.exit_code == 2
    assert "not followed" in result.output and "outside the folder" in result.output


def test_a_gitdir_file_inside_the_folder_is_followed(make_repo, tmp_path, run):
    repo = make_repo("inside", [(COMMIT_DATES[0], {"a.py": "a = 1\n"})])
    (repo / ".git").rename(repo / ".repo-git")
    (repo / ".git").write_text("gitdir: .repo-git\n")
    result = run("collect", str(repo))
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "mldebt.db") as db:
        assert db.execute("select commit_sha from scans").fetchone()[0] == git(
            repo, "--git-dir", ".repo-git", "rev-parse", "HEAD"
        )


def facts_count(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "mldebt.db") as db:
        return db.execute("select count(*) from scans").fetchone()[0]


MONOREPO = [
    (
        COMMIT_DATES[0],
        {"svc/a/train.py": "a = 1\n", "svc/a/README.md": "# a\n", "svc/b/serve.py": "b = 1\n", "top.py": "t = 1\n"},
    )
]


def test_collecting_a_subfolder_scopes_the_scan_to_it_and_says_so(make_repo, tmp_path, run):
    repo = make_repo("mono", MONOREPO)
    result = run("collect", str(repo / "svc" / "a"))
    assert result.exit_code == 0, result.output
    assert (
        f"mldebt: note: {repo / 'svc' / 'a'} is inside the git repository {repo}: scanning its "
        "sub-path svc/a as committed"
    ) in result.output
    found = facts(tmp_path)
    assert value(found, "repo.files.total") == "2"  # train.py and README.md, nothing of the rest of the repository
    with sqlite3.connect(tmp_path / "mldebt.db") as db:
        assert db.execute("select id, subpath, repo from projects").fetchall() == [("a", "svc/a", str(repo))]


def test_a_subfolder_that_is_not_committed_is_refused(make_repo, tmp_path, run):
    repo = make_repo("mono", MONOREPO)
    (repo / "scratch").mkdir()
    (repo / "scratch" / "x.py").write_text("x = 1\n")
    result = run("collect", str(repo / "scratch"))
    assert result.exit_code == 2
    assert "sub-path 'scratch' does not exist at commit" in result.output


def test_a_portfolio_repo_inside_another_repository_is_refused(make_repo, tmp_path, run):
    repo = make_repo("mono", MONOREPO)
    result = run("collect", str(portfolio(tmp_path, str(repo / "svc" / "a"))))
    assert result.exit_code == 2
    assert (
        f"{repo / 'svc' / 'a'} is a folder inside the git repository {repo}, not its top: "
        f"set repo: {repo} and subpath: svc/a"
    ) in result.output
    assert facts_count(tmp_path) == 0
