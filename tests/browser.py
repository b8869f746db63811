"""Helpers for the web tests: the sample portfolio in a store, a real `mldebt serve`, and Debian's Chromium.

The sample store is built once per test session (the four sample projects,
collected at four quarter ends and at HEAD) and copied for each test, so
every test gets a fresh database. The server is the real command, started on
a free loopback port and stopped by its process id. Chromium is the system's
(``/usr/bin/chromium``), driven by Playwright; nothing is downloaded and it is
kept off the network.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mldebt.rubric.schema import load_rubric
from mldebt.scanning.scans import save_portfolio
from mldebt.sources.portfolio import load_portfolio
from mldebt.store.db import open_db
from scripts.samples import build_samples, collect_at, quarter_end_moments

from .conftest import ROOT

LAST_SCAN = datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC)  # fixed, so that no figure depends on today
CHROMIUM = Path(os.environ.get("MLDEBT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
_BUILT: dict[str, Path] = {}


def build_sample_store(base: Path) -> Path:
    """The sample portfolio with five scans per project (four quarter ends and 2026-11-20), built once per session."""
    if str(base) in _BUILT:
        return _BUILT[str(base)]
    dest = base / "web-samples"
    dest.mkdir()
    keep = {k: os.environ.get(k) for k in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "MLDEBT_CACHE")}
    os.environ.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", MLDEBT_CACHE=str(dest / "cache"))
    try:
        portfolio = load_portfolio(build_samples(ROOT / "sample_projects", dest))
        db = open_db(dest / "samples.db")
        rubric = load_rubric()
        save_portfolio(db, portfolio)
        for moment in [*quarter_end_moments(), LAST_SCAN]:
            collect_at(db, portfolio, rubric, moment)
        db.close()
    finally:
        for key, value in keep.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    _BUILT[str(base)] = dest / "samples.db"
    return _BUILT[str(base)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(db_path: Path, *args: str) -> Iterator[str]:
    """Run `mldebt serve` on a free loopback port; yield its base URL; stop it by its pid."""
    port = free_port()
    exe = Path(sys.executable).with_name("mldebt")
    log_path = db_path.with_name(f"serve-{port}.log")
    with log_path.open("w") as log:  # a file, not a pipe: nobody reads while the server runs
        proc = subprocess.Popen(
            [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db_path), *args],
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mldebt serve did not start: {log_path.read_text()}") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install the Debian packages chromium and chromium-driver "
            "(bash scripts/test.sh installs them)"
        )


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A browser context of Debian's Chromium with a fresh profile; requests leaving loopback are aborted."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        context.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:") else route.abort(),
        )
        try:
            yield context
        finally:
            context.close()


def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: MLDEBT_ARTIFACTS (e.g. test-artifacts/, ignored by git) or a pytest temp folder."""
    chosen = os.environ.get("MLDEBT_ARTIFACTS")
    folder = Path(chosen) / "screenshots" if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: Any, store: Path, name: str = "elena", password: str = "correct horse battery") -> str:
    """Add a user to the store and sign ``client`` in through the form; return the session's CSRF token."""
    from mldebt.access import add_user

    db = open_db(store)
    if not db["users"].count_where("name = ?", [name]):
        add_user(db, name, password)
    db.close()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"})
    assert response.status_code == 303, response.get_data(as_text=True)
    return csrf_of(client.get("/login").get_data(as_text=True))
