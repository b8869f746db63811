"""The README's first command, `bash scripts/demo.sh`, run as a newcomer would on a fresh clone.

The clone is the repository's tracked files copied to a temporary folder (no
`demo/`, no database, no build output); the virtual environment (MLDEBT_VENV) is
a new one that sees this one's packages, so the set-up installs the lock file
without downloading anything and points the editable install at the copy, each
step in one line. What is measured is what a
newcomer reads before the scorecard's address: fewer than 40 lines, set-up
included, and the address then answers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
SCORECARD = "The web scorecard: "
MOST_LINES = 40
pytestmark = [pytest.mark.slow, pytest.mark.server]


def fresh_clone(dest: Path) -> Path:
    """The tracked files of the checkout, as `git clone` would lay them out (uncommitted edits included)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source, target = ROOT / name, dest / name
        if not source.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        target.chmod(source.stat().st_mode)
    return dest


def overlay_venv(dest: Path) -> Path:
    """A virtual environment of its own that sees this one's installed packages (a .pth line), so the
    set-up installs nothing from the network but points its own editable install at the copy; the
    environment running the tests is never touched."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True)
    site = subprocess.run(
        [str(dest / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_relative_to(sys.prefix))
    Path(site, "_mldebt_test_deps.pth").write_text(ours + "\n")
    return dest


def lines_until_scorecard(process: subprocess.Popen[str], timeout: float) -> list[str]:
    """Every line the demo printed (stdout and stderr together) up to and including the scorecard's address."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith(SCORECARD):
            return lines
    raise AssertionError("the demo never printed the scorecard's address:\n" + "\n".join(lines[-30:]))


def test_the_demo_prints_under_40_lines_before_a_scorecard_that_answers(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path / "mldebt")
    port = free_port()
    env = {
        **os.environ,
        "MLDEBT_VENV": str(overlay_venv(tmp_path / "venv")),
        "MLDEBT_PORT": str(port),
        "MLDEBT_SETUP_LOG": str(tmp_path / "setup.log"),
        "COLUMNS": "100",
    }
    for name in ("MLDEBT_DB", "MLDEBT_BASE_URL", "MLDEBT_DEMO_DIR", "NO_COLOR"):
        env.pop(name, None)
    process = subprocess.Popen(
        ["bash", "scripts/demo.sh"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        lines = lines_until_scorecard(process, timeout=600)
        shown = "\n".join(lines)
        assert len(lines) < MOST_LINES, f"{len(lines)} lines before the scorecard:\n{shown}"
        # at 100 columns; the test's own temporary venv path is longer than a user's .venv would be
        assert all(len(line) <= 100 for line in lines if str(tmp_path) not in line), shown
        url = f"http://127.0.0.1:{port}/"
        assert lines[-1] == f"{SCORECARD}{url}  (press Ctrl-C to stop it)"
        setup = [line for line in lines if line.startswith("[setup] ")]
        assert len(setup) == 3, shown  # one line per step: system packages, environment, dependencies
        assert not [line for line in lines if "warning" in line.lower()], shown
        deadline = time.monotonic() + 30
        while True:
            try:
                page = requests.get(url, timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert page.status_code == 200 and "credit-risk-prod" in page.text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
