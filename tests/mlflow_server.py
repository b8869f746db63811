"""A real MLflow tracking server for the tests, on a free loopback port.

The server keeps its runs and registry in a SQLite file and its artifacts in
a folder under the caller's temporary directory. MLflow's telemetry is
switched off, so nothing leaves the machine. ``launch`` returns at once and
``ready`` waits for the server to answer (it takes 15-30 s to boot here);
``stop`` ends the server's whole process group (the server and its workers),
which ``launch`` created.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

# no telemetry; no background job runners (the server's GenAI jobs are not needed here)
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
START_TIMEOUT_S = 120.0


@dataclass
class MlflowServer:
    url: str
    process: subprocess.Popen
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(root: Path) -> MlflowServer:
    """Start ``mlflow server`` with a SQLite backend in ``root`` and return at once (see ``ready``)."""
    port = free_port()
    log = root / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(QUIET)
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{root / 'mlflow.db'}",
        "--default-artifact-root",
        str(root / "artifacts"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return MlflowServer(url=f"http://127.0.0.1:{port}", process=process, log=log)


def ready(server: MlflowServer) -> MlflowServer:
    """Wait until the server answers /health; stop it and raise if it exits or stays silent."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"mlflow server exited with {server.process.returncode}: {server.log.read_text()[-2000:]}"
            )
        try:
            if requests.get(f"{server.url}/health", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop(server)
    raise RuntimeError(f"mlflow server did not answer within {START_TIMEOUT_S:.0f} s: {server.log.read_text()[-2000:]}")


def start(root: Path) -> MlflowServer:
    return ready(launch(root))


def stop(server: MlflowServer) -> None:
    """Terminate the server's process group; kill it if it has not exited after 15 s."""
    if server.process.poll() is not None:
        return
    group = os.getpgid(server.process.pid)
    os.killpg(group, signal.SIGTERM)
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        server.process.wait(timeout=5)
