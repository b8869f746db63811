"""A store shared under load: a real server taking pushes and reads while a CLI collects and re-scores.

Used by tests/test_store_soak.py (about a minute) and bench/bench_soak.py (five
minutes, figures in bench/NOTES.md). Everything is real: `mldebt serve` (or
gunicorn with several worker processes) as a subprocess, HTTP clients pushing
evidence bundles and reading pages, and a `mldebt collect` / `mldebt score` loop
in another process, all on one SQLite file. Afterwards every push the server
answered with 2xx must be in the store, and SQLite's integrity check must be ok.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from mldebt.access import create_token
from mldebt.scanning.scans import collect_evidence
from mldebt.sources.portfolio import load_portfolio
from mldebt.store.db import open_db

BIN = Path(sys.executable).parent
READ_PAGES = (
    "/",
    "/api/v1/portfolio",
    "/backlog",
    "/projects/{project}",
    "/api/v1/projects/{project}/scans",
    "/teams/soak",
)


@dataclass
class Setup:
    root: Path
    db_path: Path
    portfolio: Path
    projects: list[str]
    bundles: dict[str, dict[str, Any]]  # project -> a bundle collected once, re-sent under new scan ids
    tokens: dict[str, str]  # project -> push token bound to it
    env: dict[str, str]


@dataclass
class Outcome:
    seconds: float
    accepted: list[str] = field(default_factory=list)  # scan ids answered 2xx
    push_failures: list[str] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    read_failures: list[str] = field(default_factory=list)
    cli_runs: int = 0
    cli_failures: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    integrity: str = ""
    server_log: str = ""

    @property
    def pushes_per_second(self) -> float:
        return len(self.accepted) / self.seconds

    def read_percentile(self, q: float) -> float:
        ordered = sorted(self.read_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    def summary(self) -> str:
        return (
            f"{self.seconds:.0f} s: {len(self.accepted)} pushes stored ({self.pushes_per_second:.2f}/s), "
            f"{len(self.push_failures)} refused; {len(self.read_ms)} reads, p50 "
            f"{statistics.median(self.read_ms) if self.read_ms else float('nan'):.0f} ms, p99 "
            f"{self.read_percentile(0.99):.0f} ms, {len(self.read_failures)} failed; "
            f"{self.cli_runs} CLI collect+score runs, {len(self.cli_failures)} failed; "
            f"lost {len(self.lost)}; integrity {self.integrity}"
        )


def _git(repo: Path, *args: str) -> None:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="a",
        GIT_AUTHOR_EMAIL="a@example.com",
        GIT_COMMITTER_NAME="a",
        GIT_COMMITTER_EMAIL="a@example.com",
        GIT_AUTHOR_DATE="2026-01-01T00:00:00+00:00",
        GIT_COMMITTER_DATE="2026-01-01T00:00:00+00:00",
    )
    subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)


def prepare(root: Path, projects: int = 4) -> Setup:
    """Small repositories, a portfolio over them, a first collect, and one push token per project."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["portfolio: soak", "teams:", "  - name: soak", "    projects:"]
    names = []
    for i in range(projects):
        repo = root / f"repo{i}"
        (repo / "pkg").mkdir(parents=True)
        (repo / "tests").mkdir()
        for k in range(8):
            (repo / "pkg" / f"m{k}.py").write_text(f"import numpy as np\n\ndef f{k}(x):\n    return np.sum(x) + {k}\n")
        (repo / "tests" / "test_m.py").write_text("def test_m():\n    assert 1 + 1 == 2\n")
        (repo / "requirements.txt").write_text("numpy==1.26.4\n")
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "first")
        names.append(f"p{i}")
        lines += [f"      - name: p{i}", f"        repo: {repo}"]
    portfolio = root / "portfolio.yaml"
    portfolio.write_text("\n".join(lines) + "\n")
    db_path = root / "store.db"
    env = dict(os.environ, MLDEBT_CACHE=str(root / "cache"), MLDEBT_DB=str(db_path))
    env.pop("MLDEBT_PUSH_TOKEN", None)
    first = subprocess.run(
        [str(BIN / "mldebt"), "collect", str(portfolio), "--db", str(db_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if first.returncode != 0:
        raise RuntimeError(f"the first collect failed: {first.stderr}")
    loaded = load_portfolio(portfolio)
    bundles = {p.name: collect_evidence(p).to_json() for p in loaded.projects}
    db = open_db(db_path)
    try:
        tokens = {name: _push_token(db, name) for name in names}
    finally:
        db.close()
    return Setup(root, db_path, portfolio, names, bundles, tokens, env)


def _push_token(db: Any, project: str) -> str:
    token, _ = create_token(db, f"push-{project}", ["push"], project=project)
    return token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(setup: Setup, kind: str = "serve") -> tuple[subprocess.Popen, str]:
    """`mldebt serve` (one process, threads) or gunicorn (two worker processes over the same store)."""
    port = _free_port()
    log = open(setup.root / f"server-{kind}-{port}.log", "w")  # noqa: SIM115 - the server's stdout while it runs
    if kind == "serve":
        command = [str(BIN / "mldebt"), "serve", "--port", str(port), "--threads", "8", "--db", str(setup.db_path)]
    else:
        command = [
            str(BIN / "gunicorn"),
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "mldebt.webapp:create_app()",
        ]
    server = subprocess.Popen(
        command, env=setup.env, stdout=log, stderr=subprocess.STDOUT, cwd=setup.root, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {(setup.root / log.name).read_text()}")
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return server, base
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("the server did not start within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(30)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _pusher(
    setup: Setup, base: str, project: str, stop: threading.Event, out: Outcome, lock: threading.Lock, pause: float
) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {setup.tokens[project]}"
    while not stop.is_set():
        body = dict(setup.bundles[project], scan_id=uuid.uuid4().hex, as_of=_now(), collected_at=_now())
        try:
            answer = session.post(base + "/api/v1/scans", json=body, timeout=120)
            failure = None if answer.status_code in (200, 201) else f"{answer.status_code} {answer.text[:300]}"
        except requests.RequestException as exc:
            failure = f"no answer: {exc}"
        with lock:
            if failure is None:
                out.accepted.append(body["scan_id"])
            else:
                out.push_failures.append(failure)
        stop.wait(pause)


def _reader(setup: Setup, base: str, index: int, stop: threading.Event, out: Outcome, lock: threading.Lock) -> None:
    session = requests.Session()
    turn = index
    while not stop.is_set():
        page = READ_PAGES[turn % len(READ_PAGES)].format(project=setup.projects[turn % len(setup.projects)])
        turn += 1
        started = time.perf_counter()
        try:
            answer = session.get(base + page, timeout=120)
            failure = None if answer.status_code == 200 else f"{page}: {answer.status_code} {answer.text[:300]}"
        except requests.RequestException as exc:
            failure = f"{page}: no answer: {exc}"
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            if failure is None:
                out.read_ms.append(elapsed)
            else:
                out.read_failures.append(failure)


def _cli_writer(setup: Setup, stop: threading.Event, out: Outcome, lock: threading.Lock) -> None:
    """`mldebt collect` of the portfolio, then `mldebt score`, again and again: a third writer on the store."""
    mldebt = str(BIN / "mldebt")
    while not stop.is_set():
        for command in (
            [mldebt, "collect", str(setup.portfolio), "--db", str(setup.db_path)],
            [mldebt, "score", "--db", str(setup.db_path)],
        ):
            done = subprocess.run(command, env=setup.env, capture_output=True, text=True, timeout=600)
            with lock:
                if done.returncode != 0:
                    out.cli_failures.append(f"{command[1]}: exit {done.returncode}: {done.stderr[-500:]}")
        with lock:
            out.cli_runs += 1


def soak(
    setup: Setup,
    seconds: float,
    *,
    server: str = "serve",
    pushers: int = 3,
    readers: int = 3,
    cli: bool = True,
    push_pause: float = 0.0,
) -> Outcome:
    """Run the load for ``seconds``, stop the server, then look at the store as SQLite sees it."""
    process, base = start_server(setup, server)
    out = Outcome(seconds=seconds)
    lock = threading.Lock()
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_pusher, args=(setup, base, setup.projects[i % len(setup.projects)], stop, out, lock, push_pause)
        )
        for i in range(pushers)
    ]
    threads += [threading.Thread(target=_reader, args=(setup, base, i, stop, out, lock)) for i in range(readers)]
    if cli:
        threads.append(threading.Thread(target=_cli_writer, args=(setup, stop, out, lock)))
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        stop.wait(seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join(600)
        out.seconds = time.monotonic() - started
        stop_server(process)
    logs = sorted(setup.root.glob(f"server-{server}-*.log"))
    out.server_log = logs[-1].read_text() if logs else ""
    conn = sqlite3.connect(setup.db_path)
    try:
        out.integrity = "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
        stored = {row[0] for row in conn.execute("select id from scans")}
    finally:
        conn.close()
    out.lost = [scan_id for scan_id in out.accepted if scan_id not in stored]
    return out
