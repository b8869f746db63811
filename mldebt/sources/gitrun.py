"""The one way mldebt runs git: a hardened runner with a deadline.

Every git command of a scan goes through ``run`` (or ``batch`` for a
long-lived ``cat-file --batch``). What makes it safe against a hostile
repository:

- Git never reads the scanned repository's configuration. Git always reads
  ``$GIT_DIR/config`` and every file it includes, and ``-c`` can override a
  key but cannot stop an include from being opened (a FIFO there blocks git
  forever) nor name every key that runs a program. So reads never point git at
  the scanned repository's own git directory: ``gitlocate.shadow`` builds a
  stand-in git directory of ours (our ``config``, a copy of ``HEAD``, links to
  the repository's ``objects`` and ``refs``), and every read names it with
  ``--git-dir``. Its configuration is ours alone, so no program setting of the
  repository (gpg, pager, diff drivers, textconv, filters, ssh, askpass,
  credential helpers, fsmonitor, hooks, includes) exists for git; without
  ``info/`` there are no repository attributes or grafts either.
- Git reads no system or global configuration for local reads
  (``GIT_CONFIG_NOSYSTEM``, ``GIT_CONFIG_GLOBAL=/dev/null``); inherited
  ``GIT_*`` variables are dropped; replace refs are ignored; no pager, no
  prompt. Git never fetches a missing object from a promisor remote (a
  partial clone): the stand-in's configuration names none, and
  ``GIT_NO_LAZY_FETCH`` forbids it to git 2.44 and later. Clone and fetch
  (``network=True``) keep the user's own system and global configuration
  (credential helpers, proxies, ``insteadOf``), which is the user's, never
  the scanned repository's.
- Each command runs in its own process group under a deadline
  (``MLDEBT_GIT_TIMEOUT`` seconds, 600 by default); past it the whole group
  (git and its helpers, such as ``git-remote-https``) is killed and the command
  fails with a message saying so.
- Credentials of an http(s) URL never reach disk or the command line:
  ``credentials`` strips them from the URL and hands them to git through
  environment variables, read by a credential helper bound to that URL's host.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from mldebt.errors import InputError

ALLOWED_PROTOCOLS = "https:http:ssh:git:file"
SAFE_CONFIG = [
    "-c",
    "core.fsmonitor=false",
    "-c",
    "protocol.ext.allow=never",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "log.showSignature=false",
    "-c",
    "core.pager=cat",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
]
TIMEOUT_ENV = "MLDEBT_GIT_TIMEOUT"
DEFAULT_TIMEOUT_S = 600.0
BATCH_PIPE_BYTES = 1024 * 1024  # the kernel's default cap for an unprivileged process (fs.pipe-max-size)
NETWORK_ENV = (
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_SSH_VARIANT",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_NOSYSTEM",
)  # the user's own settings, kept for clone and fetch
USER_VAR, PASSWORD_VAR = "MLDEBT_GIT_USERNAME", "MLDEBT_GIT_PASSWORD"
HELPER = (
    f'!f() {{ if [ "$1" = get ]; then printf "username=%s\\npassword=%s\\n" "${USER_VAR}" "${PASSWORD_VAR}"; fi; }}; f'
)


class GitError(InputError):
    """A git command failed or ran past its deadline."""


def timeout_s() -> float:
    """Seconds one git command may run (``MLDEBT_GIT_TIMEOUT``)."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise InputError(f"{TIMEOUT_ENV}={raw!r}: expected a number of seconds greater than 0")
    return value


def environment(network: bool = False, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a git command: ours, never the caller's GIT_* settings."""
    keep = NETWORK_ENV if network else ()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in keep}
    env.update(
        GIT_ALLOW_PROTOCOL=ALLOWED_PROTOCOLS,
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_ATTR_NOSYSTEM="1",
        GIT_OPTIONAL_LOCKS="0",
        GIT_NO_LAZY_FETCH="1",
        GIT_PAGER="cat",
        PAGER="cat",
        LC_ALL="C",
    )
    if not network:
        env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    env.update(extra or {})
    return env


def _command(args: Sequence[str], git_dir: Path | None) -> list[str]:
    where = ["--git-dir", str(git_dir)] if git_dir is not None else []
    return ["git", "--no-pager", *SAFE_CONFIG, *where, *args]


def _start(
    args: Sequence[str],
    git_dir: Path | None,
    cwd: Path | None,
    network: bool,
    extra_env: dict[str, str] | None,
    stdin: int | None,
    stderr: int = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    place = Path(cwd or git_dir or Path.cwd())
    env = environment(network, extra_env)
    if git_dir is None:  # no repository discovery beyond the folder we run in
        env["GIT_CEILING_DIRECTORIES"] = str(place.resolve().parent)
    return subprocess.Popen(
        _command(args, git_dir),
        cwd=place,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)


def run(
    args: Sequence[str],
    git_dir: Path | None = None,
    cwd: Path | None = None,
    network: bool = False,
    extra_env: dict[str, str] | None = None,
    input: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run git with ``args`` on ``git_dir`` (a git directory of ours); bytes out, never raises for an exit status.

    Raises GitError when the command runs past its deadline (the whole process
    group is killed first).
    """
    limit = timeout_s()
    proc = _start(args, git_dir, cwd, network, extra_env, subprocess.PIPE if input is not None else None)
    try:
        out, err = proc.communicate(input, timeout=limit)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        raise GitError(f"git {args[0]} timed out after {limit:g} s ({TIMEOUT_ENV})") from None
    except BaseException:
        _kill(proc)
        proc.wait()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def output(args: Sequence[str], git_dir: Path, what: str) -> str:
    """The text git prints for ``args``; GitError naming ``what`` when it fails."""
    proc = run(args, git_dir)
    if proc.returncode != 0:
        raise GitError(f"{what}: git {args[0]} failed: {last_line(proc.stderr, proc.returncode)}")
    return proc.stdout.decode(errors="replace").strip()


def last_line(stderr: bytes, status: int) -> str:
    lines = stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {status}"


@contextmanager
def batch(args: Sequence[str], git_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A git command fed on stdin (``cat-file --batch``), killed with its group at the deadline."""
    limit = timeout_s()
    proc = _start(args, git_dir, None, False, None, subprocess.PIPE, subprocess.DEVNULL)
    _widen(proc)
    timer = threading.Timer(limit, _kill, [proc])
    timer.daemon = True
    timer.start()
    try:
        yield proc
    except (OSError, ValueError, InputError):
        if not timer.is_alive():
            raise GitError(f"git {args[0]} timed out after {limit:g} s ({TIMEOUT_ENV})") from None
        raise
    finally:
        timer.cancel()
        timer.join()  # gone on return (at once, once cancelled): a process with a thread alive forks no workers
        _kill(proc)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        proc.wait()


def _widen(proc: subprocess.Popen[bytes]) -> None:
    """A larger pipe for git's output, so git runs ahead while we write what it sent (fewer stalls on either side).

    Only where the system allows it (Linux, within the user's pipe quota); the default pipe works as well, slower.
    """
    assert proc.stdout is not None
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setting is not None:
        with suppress(OSError):
            fcntl.fcntl(proc.stdout.fileno(), setting, BATCH_PIPE_BYTES)


def credentials(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without user and password, and the environment that lends them to git for one command.

    Only http(s) URLs take a password (sent by git's own credential handling,
    to that scheme, host and port only); another URL with one is refused.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc or "://" not in url:
        return url, {}
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, has_password, password = userinfo.partition(":")
    if parts.scheme not in ("http", "https"):
        if has_password:
            raise InputError(
                f"{urlunsplit(parts._replace(netloc=hostport))}: a password in a git URL is only taken for http(s)"
            )
        return url, {}
    clean = urlunsplit(parts._replace(netloc=hostport))
    scope = f"{parts.scheme}://{hostport}/"
    entries = [("credential.helper", ""), (f"credential.{scope}.helper", HELPER)]  # ours only, for that host
    env = {"GIT_CONFIG_COUNT": str(len(entries)), USER_VAR: unquote(user), PASSWORD_VAR: unquote(password)}
    for number, (key, value) in enumerate(entries):
        env[f"GIT_CONFIG_KEY_{number}"], env[f"GIT_CONFIG_VALUE_{number}"] = key, value
    return clean, env
