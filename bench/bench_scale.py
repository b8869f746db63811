"""Benchmark: what one server and one store hold at an organisation's scale (issue 19, docs/SCALE.md).

The evidence is real: the four sample projects are built and collected at four
quarter ends and at head (20 scans, ~190 facts each) into a seed store. A scale
store is then made with SQL inside SQLite, not by collecting again: 20 teams of
projects, each project given one scan a week for 50 weeks (2025-10-06 on), each
scan a copy of the evidence of its sample project's real scan of that time of
the year, so each project's debt moves as its sample's did. Then, for stores of
1,000 and 10,000 scans:

- `mldebt score` (the whole store re-scored with the default rubric, what a
  rubric change costs): wall and CPU time of the process, median of runs;
- the store's size per 1,000 scans after scoring (file size once the WAL is
  checkpointed, and each table's share from SQLite's dbstat);
- `mldebt export parquet` of the store: wall time (median of runs) and size.

And pushes per minute: a real `mldebt serve` (waitress, 8 threads) and
gunicorn (2 workers x 4 threads, as README's production line with this
machine's cores) on loopback, over the 10,000-scan store (a year of history),
take real evidence bundles (the sample projects' own, collected now) from N
concurrent clients with team-bound push tokens, each push for a random project
under a new scan id, for a fixed time; the figure is the median of runs.

    python bench/bench_scale.py [--part store|pushes|all] [--scans 1000 10000] [--runs 3]
                                [--seconds 30] [--clients 8] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # scripts/, tests/ and bench/ beside mldebt

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEAMS = 20
WEEKS = 50
FIRST_WEEK = datetime(2025, 10, 6, 12, 0, tzinfo=UTC)
MOMENTS = [
    datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC),
    None,  # head
]
SCAN_COLUMNS = ("commit_sha", "commit_date", "tool_version", "rubric_hash", "duration_s", "fact_count", "error_count")
EVIDENCE_COLUMNS = ("key", "value", "type", "collector", "path", "line", "url", "error")


@dataclass
class Seed:
    """The seed store's real scans by sample project (in time order), and one bundle per sample to push."""

    db_path: Path
    scans: dict[str, list[str]]
    bundles: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_seed(root: Path) -> Seed:
    from mldebt.collectors.registry import declared_keys
    from mldebt.rubric.schema import load_rubric
    from mldebt.scanning.scans import collect_evidence, collect_project, save_portfolio
    from mldebt.sources.portfolio import load_portfolio
    from mldebt.store.db import open_db
    from scripts.samples import build_samples

    portfolio = load_portfolio(build_samples(ROOT / "sample_projects", root / "samples"))
    rubric = load_rubric(None, declared_keys())
    db = open_db(root / "seed.db")
    save_portfolio(db, portfolio)
    scans: dict[str, list[str]] = {}
    for moment in MOMENTS:
        for project in portfolio.projects:
            scans.setdefault(project.name, []).append(collect_project(db, project, rubric, moment).scan_id)
    db.close()
    bundles = {p.name: collect_evidence(p).to_json() for p in portfolio.projects}
    return Seed(root / "seed.db", scans, bundles)


def build_store(seed: Seed, path: Path, scans: int) -> list[str]:
    """A store of ``scans`` scans: projects of 50 weekly scans in 20 teams, copied from the seed with SQL."""
    from mldebt.store.db import open_db

    open_db(path).close()  # the schema, as mldebt makes it
    projects = scans // WEEKS
    samples = sorted(seed.scans)
    conn = sqlite3.connect(path)
    conn.execute("attach database ? as seed", [str(seed.db_path)])
    conn.execute("create temp table copies (id text, project text, as_of text, source text)")
    names = [f"p{n:05d}" for n in range(projects)]
    with conn:
        for t in range(TEAMS):
            conn.execute(
                "insert into teams (id, name, owner) values (?, ?, ?)",
                [f"t{t:02d}", f"Team {t}", f"lead{t}@example.com"],
            )
        project_columns = [r[1] for r in conn.execute("pragma table_info(projects)") if r[1] not in ("id", "team_id")]
        listed = ", ".join(project_columns)
        for n, name in enumerate(names):
            sample = samples[n % len(samples)]
            conn.execute(
                f"insert into projects (id, team_id, {listed}) select ?, ?, {listed} from seed.projects where id = ?",
                [name, f"t{n % TEAMS:02d}", sample],
            )
        copies = []
        for n, name in enumerate(names):
            real = seed.scans[samples[n % len(samples)]]
            for week in range(WEEKS):
                source = real[week * len(real) // WEEKS]  # the sample's real scan of that time of the year
                copies.append((uuid.uuid4().hex, name, (FIRST_WEEK + timedelta(weeks=week)).isoformat(), source))
        conn.executemany("insert into copies values (?, ?, ?, ?)", copies)
        scan_columns = ", ".join(SCAN_COLUMNS)
        conn.execute(
            f"insert into scans (id, project_id, as_of, collected_at, {scan_columns}) "
            f"select c.id, c.project, c.as_of, c.as_of, {', '.join('s.' + x for x in SCAN_COLUMNS)} "
            "from copies c join seed.scans s on s.id = c.source"
        )
        conn.execute(
            f"insert into evidence (scan_id, {', '.join(EVIDENCE_COLUMNS)}) "
            f"select c.id, {', '.join('e.' + x for x in EVIDENCE_COLUMNS)} "
            "from copies c join seed.evidence e on e.scan_id = c.source order by c.id, e.id"
        )
        conn.execute("insert or ignore into rubrics select * from seed.rubrics")
    conn.execute("detach database seed")
    conn.close()
    return names


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of a child process, and its output; a failure stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed ({done.returncode}): {done.stderr[-800:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def store_size(path: Path) -> tuple[int, dict[str, int]]:
    """The file's size with the WAL checkpointed into it, and the bytes of each table with its indexes."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("pragma wal_checkpoint(truncate)")
        tables = dict(
            conn.execute(
                "select coalesce(m.tbl_name, d.name), sum(d.pgsize) from dbstat d "
                "left join sqlite_master m on m.name = d.name group by 1 order by 2 desc"
            ).fetchall()
        )
    finally:
        conn.close()
    return path.stat().st_size, tables


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def bench_store(seed: Seed, root: Path, scans: int, runs: int) -> Path:
    mldebt = str(BIN / "mldebt")
    path = root / f"scale-{scans}.db"
    started = time.perf_counter()
    build_store(seed, path, scans)
    built = time.perf_counter() - started
    first = timed([mldebt, "score", "--db", str(path)])
    score_runs = [first] + [timed([mldebt, "score", "--db", str(path)]) for _ in range(runs - 1)]
    size, tables = store_size(path)
    export_runs = [timed([mldebt, "export", "parquet", str(root / f"parquet-{scans}"), "--db", str(path)])]
    export_runs += [
        timed([mldebt, "export", "parquet", str(root / f"parquet-{scans}"), "--db", str(path)]) for _ in range(runs - 1)
    ]
    exported = folder_size(root / f"parquet-{scans}")
    wall = statistics.median(r[0] for r in score_runs)
    cpu = statistics.median(r[1] for r in score_runs)
    print(f"store of {scans:,} scans ({scans // WEEKS} projects x {WEEKS} weekly scans), copied in {built:.1f} s")
    print(
        f"  mldebt score: {wall:.1f} s wall, {cpu:.1f} s CPU (median of {runs}; runs "
        f"{', '.join(f'{r[0]:.1f}' for r in score_runs)} s), {wall / scans * 1000:.2f} ms per scan"
    )
    print(f"  store size: {size / 1e6:.1f} MB, {size / scans * 1000 / 1e6:.1f} MB per 1,000 scans")
    shares = ", ".join(f"{name} {b / size:.0%}" for name, b in list(tables.items())[:5])
    print(f"  by table (with its indexes): {shares}")
    ewall = statistics.median(r[0] for r in export_runs)
    print(
        f"  mldebt export parquet: {ewall:.1f} s wall (median of {runs}; runs "
        f"{', '.join(f'{r[0]:.1f}' for r in export_runs)} s), {exported / 1e6:.1f} MB "
        f"({exported / size:.1%} of the store), {export_runs[0][2].strip()}"
    )
    return path


@dataclass
class Pushed:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def push_load(base: str, tokens: dict[str, str], teams: dict[str, list[str]], seed: Seed, clients: int, seconds: float):
    import requests

    out, lock, stop = Pushed(seconds), threading.Lock(), threading.Event()
    sample_of = {
        name: sorted(seed.bundles)[int(name[1:]) % len(seed.bundles)] for names in teams.values() for name in names
    }

    def client(index: int) -> None:
        team = sorted(teams)[index % len(teams)]
        pick = random.Random(index)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[team]}"
        while not stop.is_set():
            name = pick.choice(teams[team])
            now = datetime.now(UTC).isoformat()
            bundle = seed.bundles[sample_of[name]]
            body = dict(
                bundle,
                scan_id=uuid.uuid4().hex,
                as_of=now,
                collected_at=now,
                project={**bundle["project"], "name": name},
            )
            started = time.perf_counter()
            try:
                answer = session.post(base + "/api/v1/scans", json=body, timeout=120)
                failure = None if answer.status_code in (200, 201) else f"{answer.status_code} {answer.text[:200]}"
            except requests.RequestException as exc:
                failure = f"no answer: {exc}"
            with lock:
                if failure is None and not stop.is_set():
                    out.latencies.append(time.perf_counter() - started)
                elif failure is not None:
                    out.failures.append(failure)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    out.seconds = time.monotonic() - started
    for thread in threads:
        thread.join(300)
    return out


def bench_pushes(seed: Seed, path: Path, runs: int, seconds: float, clients: int, servers: list[str]) -> None:
    from mldebt.access import create_token
    from mldebt.store.db import open_db
    from tests.soak import Setup, start_server, stop_server

    db = open_db(path)
    teams: dict[str, list[str]] = {}
    for row in db.execute("select team_id, id from projects order by id").fetchall():
        teams.setdefault(row[0], []).append(row[1])
    tokens = {team: create_token(db, f"push-{team}", ["push"], team=team)[0] for team in teams}
    scans_before = db.execute("select count(*) from scans").fetchone()[0]
    db.close()
    env = dict(os.environ, MLDEBT_DB=str(path), MLDEBT_CACHE=str(path.parent / "cache"))
    env.pop("MLDEBT_PUSH_TOKEN", None)
    setup = Setup(path.parent, path, path, [], {}, {}, env)
    print(
        f"pushes: {clients} concurrent clients, {seconds:.0f} s a run, into the store of {scans_before:,} scans "
        f"({sum(map(len, teams.values()))} projects in {len(teams)} teams), one sample bundle "
        f"({len(next(iter(seed.bundles.values()))['facts'])} facts) per push"
    )
    for server in servers:
        rates, p50s, p95s, failed = [], [], [], 0
        for _ in range(runs):
            process, base = start_server(setup, server)
            try:
                result = push_load(base, tokens, teams, seed, clients, seconds)
            finally:
                stop_server(process)
            rates.append(len(result.latencies) / result.seconds * 60)
            ordered = sorted(result.latencies) or [float("nan")]
            p50s.append(statistics.median(ordered))
            p95s.append(ordered[int(0.95 * (len(ordered) - 1))])
            failed += len(result.failures)
            for problem in result.failures[:3]:
                print("   ", problem)
        label = "mldebt serve (waitress, 8 threads)" if server == "serve" else "gunicorn (2 workers x 4 threads)"
        print(
            f"  {label}: {statistics.median(rates):.0f} pushes/min stored (median of {runs}; runs "
            f"{', '.join(f'{r:.0f}' for r in rates)}), latency p50 {statistics.median(p50s) * 1000:.0f} ms, "
            f"p95 {statistics.median(p95s) * 1000:.0f} ms, refused {failed}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("store", "pushes", "all"), default="all")
    parser.add_argument("--scans", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--server", choices=("serve", "gunicorn", "both"), default="both")
    parser.add_argument("--keep", type=Path, help="keep the stores and exports in this folder")
    args = parser.parse_args()
    if any(n % WEEKS or n <= 0 for n in args.scans):
        parser.error(f"--scans: each a positive multiple of {WEEKS} (projects of {WEEKS} weekly scans)")
    root = args.keep or Path(tempfile.mkdtemp(prefix="mldebt-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load average {os.getloadavg()[0]:.1f} at the start"
    )
    try:
        started = time.perf_counter()
        seed = build_seed(root)
        print(
            f"seed: {sum(map(len, seed.scans.values()))} real scans of {len(seed.scans)} sample projects "
            f"in {time.perf_counter() - started:.1f} s"
        )
        stores = {}
        if args.part in ("store", "all"):
            for scans in args.scans:
                stores[scans] = bench_store(seed, root, scans, args.runs)
        if args.part in ("pushes", "all"):
            biggest = max(args.scans)
            path = stores.get(biggest) or root / f"scale-{biggest}.db"
            if not path.exists():  # (a store kept from an earlier run with --keep is used as it is)
                build_store(seed, path, biggest)
                timed([str(BIN / "mldebt"), "score", "--db", str(path)])
            servers = ["serve", "gunicorn"] if args.server == "both" else [args.server]
            bench_pushes(seed, path, args.runs, args.seconds, args.clients, servers)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
