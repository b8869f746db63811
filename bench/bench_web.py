"""Benchmark: the web scorecard's portfolio, project and backlog pages on a large generated portfolio.

A store of 500 projects (25 teams of 20) with 12 quarterly scans each is
written straight into SQLite: a rubric of 34 checks (the ML Test Score's 28
tests plus six debt checks, over the default rubric's sections and
categories), each scan's results drifting toward better over the quarters,
the figures aggregated by the rubric engine from those results, and the
paydown items derived from the history. Nothing is collected.

The app is served by a production WSGI server on loopback (gunicorn with two
worker processes, or waitress as `mldebt serve` runs it) and each page is
measured with `wrk` at 10 connections. Three modes: ``cached`` (the default
configuration: a page is rendered once and served from the cache until the
store changes), ``1 write/s`` (the same while another process commits to the
store every second, so that every page is rendered again each second), and
``uncached`` (``MLDEBT_PAGE_CACHE=0``: every request renders its page, the
worst case).

Goal (issue 7): median under 50 ms and p99 under 200 ms per page.

    python bench/bench_web.py [--server gunicorn|waitress] [--seconds 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECTS, TEAMS, QUARTERS = 500, 25, 12
PAGES = {"portfolio": "/", "project": "/projects/p-0250", "backlog": "/backlog"}
SECTION_OF = {"data": "Data", "model": "Model", "infra": "Infra", "monitor": "Monitor"}


def bench_rubric():
    """34 checks over the default rubric's sections and categories, as the store keeps rubrics."""
    from mldebt.rubric.schema import from_content, load_rubric

    base = load_rubric().as_data()
    categories = [c["id"] for c in base["categories"]]
    checks = []
    for s_index, section in enumerate(base["sections"]):
        for n in range(1, 8):
            checks.append(
                {
                    "id": f"{section['id']}-{n}",
                    "title": f"{SECTION_OF[section['id']]} test {n}",
                    "section": section["id"],
                    "ml_test": f"{SECTION_OF[section['id']]} {n}",
                    "category": categories[(s_index * 7 + n) % len(categories)],
                    "weight": 1 + n % 3,
                    "effort_hours": float(2 + (n * 5) % 17),
                    "automated": f"bench.{section['id']}_{n} == 2",
                    "manual": f"bench.{section['id']}_{n} >= 1",
                    "why": "Generated for the benchmark.",
                    "fix": "Generated for the benchmark.",
                }
            )
    for n, category in enumerate(categories[:6]):
        checks.append(
            {
                "id": f"debt-{n}",
                "title": f"Debt check {n}",
                "category": category,
                "weight": 2.0,
                "effort_hours": 8.0,
                "automated": f"bench.debt_{n} == 2",
                "why": "Generated.",
                "fix": "Generated.",
            }
        )
    data = {**base, "rubric": "bench", "version": "1", "checks": checks}
    return from_content(json.dumps(data, sort_keys=True, separators=(",", ":")), source="bench")


def build(db_path: Path, seed: int = 7) -> None:
    from mldebt.rubric.engine import Result, aggregate
    from mldebt.scanning.scans import _save_rubric, _save_scorecard, update_paydown
    from mldebt.store.db import open_db

    rng = random.Random(seed)
    rubric = bench_rubric()
    db = open_db(db_path)
    ends = [f"{2024 + q // 4}-{3 * (q % 4) + 3:02d}-{[31, 30, 30, 31][q % 4]}T23:59:59+00:00" for q in range(QUARTERS)]
    with db.atomic():
        _save_rubric(db, rubric)
        db["teams"].insert_all(
            {"id": f"t-{t:02d}", "name": f"Team {t:02d}", "owner": f"lead{t}@example.com"} for t in range(TEAMS)
        )
        db["projects"].insert_all(
            {
                "id": f"p-{p:04d}",
                "team_id": f"t-{p % TEAMS:02d}",
                "name": f"p-{p:04d}",
                "repo": f"/srv/repos/p-{p:04d}",
                "owner": f"owner{p}@example.com",
                "description": "A generated project",
                "tags": '["generated"]',
                "sources": "{}",
            }
            for p in range(PROJECTS)
        )
        for p in range(PROJECTS):
            level = {c.id: rng.choice([0, 0, 0, 1, 1, 2]) for c in rubric.checks}
            for _q, as_of in enumerate(ends):
                for c in rubric.checks:  # debt is paid down more often than it is added
                    if rng.random() < 0.12:
                        level[c.id] = min(2, level[c.id] + 1)
                    elif rng.random() < 0.04:
                        level[c.id] = max(0, level[c.id] - 1)
                results = [
                    Result(
                        c.id,
                        ("fail", "manual", "automated")[level[c.id]],
                        level[c.id] / 2,
                        c.weight,
                        f"generated: level {level[c.id]}",
                        (f"bench.{c.id}",),
                    )
                    for c in rubric.checks
                ]
                scan_id = uuid.UUID(int=rng.getrandbits(128)).hex
                db["scans"].insert(
                    {
                        "id": scan_id,
                        "project_id": f"p-{p:04d}",
                        "as_of": as_of,
                        "collected_at": as_of,
                        "commit_sha": f"{rng.getrandbits(160):040x}",
                        "commit_date": as_of,
                        "tool_version": "bench",
                        "rubric_hash": rubric.hash,
                        "duration_s": 0.0,
                        "fact_count": 0,
                        "error_count": 0,
                    }
                )
                _save_scorecard(db, scan_id, aggregate(rubric, list(rubric.checks), results, {}))
            update_paydown(db, f"p-{p:04d}", rubric)
    db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(server: str, db_path: Path, cache: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, MLDEBT_DB=str(db_path), MLDEBT_PAGE_CACHE="256" if cache else "0")
    bin_dir = Path(sys.executable).parent
    if server == "gunicorn":
        cmd = [
            str(bin_dir / "gunicorn"),
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "mldebt.webapp:create_app()",
        ]
    else:
        cmd = [str(bin_dir / "mldebt"), "serve", "--port", str(port), "--threads", "8", "--db", str(db_path)]
    log = (db_path.parent / f"{server}.log").open("a")  # a pipe nobody reads would fill up and stall the server
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{server} did not start: see {db_path.parent / (server + '.log')}") from None
            time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c10", f"-d{seconds}s", "--timeout", "30s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"{url}: errors or time-outs under load\n{out}")
    figures = {}
    for pct in ("50", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        figures[f"p{pct}"] = float(value) * UNITS[unit]
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return figures


def writer(db_path: Path, stop: threading.Event) -> None:
    """Commit to the store once a second, as a CI push or an attestation would."""
    conn = sqlite3.connect(db_path, timeout=30)
    tick = 0
    while not stop.wait(1.0):
        tick += 1
        with conn:
            conn.execute("insert or replace into web_settings (key, value) values ('bench_tick', ?)", [str(tick)])
    conn.close()


def single(url: str, repeats: int = 20) -> float:
    """Median time of one request at a time: the cost of rendering when nothing competes."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[len(times) // 2]


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    load = os.getloadavg()[0]
    return (
        f"{model}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load average {load:.1f} at the start"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="build the store here (reused when it exists)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    folder = args.keep or Path(tempfile.mkdtemp(prefix="mldebt-bench-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "bench.db"
    if not db_path.exists():
        started = time.perf_counter()
        build(db_path)
        print(f"built {PROJECTS} projects x {QUARTERS} scans in {time.perf_counter() - started:.1f} s: {db_path}")
    print(machine())
    print(f"server: {args.server}; wrk -t2 -c10 -d{args.seconds}s --timeout 30s --latency; figures in ms")
    print(f"{'page':<10} {'mode':<9} {'single':>7} {'median':>7} {'p99':>7} {'req/s':>7}  goal (50 / 200 ms)")
    for mode in ("cached", "1 write/s", "uncached"):
        proc, base = start(args.server, db_path, mode != "uncached")
        try:
            for name, path in PAGES.items():
                one = single(base + path)
                stop_writes = threading.Event()
                if mode == "1 write/s":
                    threading.Thread(target=writer, args=(db_path, stop_writes), daemon=True).start()
                try:
                    figures = wrk(base + path, args.seconds)
                finally:
                    stop_writes.set()
                ok = figures["p50"] < 50 and figures["p99"] < 200
                print(
                    f"{name:<10} {mode:<9} {one:7.1f} {figures['p50']:7.1f} "
                    f"{figures['p99']:7.1f} {figures['rps']:7.0f}  {'met' if ok else 'NOT met'}"
                )
        finally:
            stop(proc)
    if not args.keep:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
