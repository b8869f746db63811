"""Real Prometheus and Alertmanager processes for the monitoring tests, from Debian's packages.

Each server gets a free loopback port, its own temporary config and storage
directory, is waited for until its ``/-/ready`` answers, and is stopped (then
killed if it lingers) when the ``with`` block ends. A system service the
Debian package may have installed is never used.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

READY_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    pytest.fail(f"{names[0]} is not installed: install Debian's package (scripts/test.sh does: TEST_APT)")


@contextlib.contextmanager
def running(command: list[str], url: str, log: Path) -> Iterator[str]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                if process.poll() is not None:
                    pytest.fail(f"{command[0]} exited with {process.returncode}: {log.read_text()[-2000:]}")
                try:
                    if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{command[0]} not ready after {READY_TIMEOUT} s: {log.read_text()[-2000:]}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextlib.contextmanager
def prometheus(workdir: Path, rules: str) -> Iterator[str]:
    """A Prometheus evaluating ``rules`` every second and scraping itself; yields its base URL."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "rules.yml").write_text(rules)
    (workdir / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "rule_files: [rules.yml]\n"
        f"scrape_configs:\n  - job_name: self\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
    )
    command = [
        binary("prometheus"),
        f"--config.file={workdir / 'prometheus.yml'}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with running(command, f"http://127.0.0.1:{port}", workdir / "prometheus.log") as url:
        yield url


@contextlib.contextmanager
def alertmanager(workdir: Path, config: str) -> Iterator[str]:
    """An Alertmanager with ``config``, clustering off; yields its base URL."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "alertmanager.yml").write_text(config)
    command = [
        binary("prometheus-alertmanager", "alertmanager"),
        f"--config.file={workdir / 'alertmanager.yml'}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    with running(command, f"http://127.0.0.1:{port}", workdir / "alertmanager.log") as url:
        yield url


def wait_for(url: str, predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    """Poll ``url`` (JSON) until ``predicate(reply)`` is true; return the reply."""
    deadline = time.monotonic() + timeout
    while True:
        reply = requests.get(url, timeout=2).json()
        if predicate(reply) or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)
