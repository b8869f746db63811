"""`mldebt export parquet DIR` (issue 19 item 4): the store's history for a warehouse, read back as one would.

The sample store (tests/sample_store.py: four projects scanned at four quarter
ends and at head) is exported with the real command, then read back with
pandas and with DuckDB, and every total is compared with the store's own:
scans per quarter, results per status, the scores' sums by scope, and the open
paydown items, whose effort and count must be `mldebt export backlog`'s. A
write that fails half way (a real file-size limit) leaves the earlier export
whole.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mldebt.readmodel.quarters import Quarter

from .test_output_safety import held_open
from .test_output_safety import mldebt as run_mldebt

DATASETS = ("scans", "results", "scores", "paydown_items")


def export(db: Path, folder: Path, *args: str, limit: int | None = None) -> subprocess.CompletedProcess:
    return run_mldebt("export", "parquet", str(folder), *args, "--db", str(db), limit=limit)


def store_rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def duck(sql: str) -> list[tuple]:
    return duckdb.sql(sql).fetchall()


def files_of(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and its content's hash."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def exported(sample_db: Path, tmp_path: Path) -> Path:
    token = run_mldebt(
        "token", "create", "ci-reco", "--scope", "push", "--project", "reco-service", "--db", str(sample_db)
    )
    assert token.returncode == 0, token.stderr
    (tmp_path / "token.txt").write_text(token.stdout)
    done = export(sample_db, tmp_path / "warehouse")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote 20 scans, ") and "(2025Q4 to 2026Q4, " in done.stdout
    return tmp_path / "warehouse"


def test_pandas_and_duckdb_read_the_totals_the_store_holds(exported: Path, sample_db: Path):
    quarters = Counter(str(Quarter.of(as_of)) for (as_of,) in store_rows(sample_db, "select as_of from scans"))
    assert quarters == {"2025Q4": 4, "2026Q1": 4, "2026Q2": 4, "2026Q3": 4, "2026Q4": 4}
    for name in DATASETS:  # hive-style partitions, one file each
        found = sorted(p.relative_to(exported / name).as_posix() for p in (exported / name).rglob("*.parquet"))
        assert found == [f"quarter={q}/part-0.parquet" for q in sorted(quarters)], name

    scans = pd.read_parquet(exported / "scans")
    assert scans.groupby("quarter", observed=True).size().to_dict() == quarters
    glob = f"read_parquet('{exported}/scans/*/*.parquet', hive_partitioning=true)"
    assert dict(duck(f"select quarter, count(*) from {glob} group by quarter")) == quarters
    teams = dict(store_rows(sample_db, "select id, team_id from projects"))
    assert dict(zip(scans.project, scans.team, strict=True)) == teams
    assert set(scans.tier) == {t for (t,) in store_rows(sample_db, "select tier from projects")}
    assert set(scans.scan_id) == {i for (i,) in store_rows(sample_db, "select id from scans")}

    statuses = dict(store_rows(sample_db, "select status, count(*) from results group by status"))
    results = pd.read_parquet(exported / "results")
    assert results.groupby("status").size().to_dict() == statuses
    glob = f"read_parquet('{exported}/results/*/*.parquet', hive_partitioning=true)"
    assert dict(duck(f"select status, count(*) from {glob} group by status")) == statuses
    assert results.points.sum() == pytest.approx(store_rows(sample_db, "select sum(points) from results")[0][0])

    by_scope = dict(store_rows(sample_db, "select scope, total(value) from scores group by scope"))
    assert by_scope["category"] > 0
    scores = pd.read_parquet(exported / "scores")
    assert scores.groupby("scope").value.sum().to_dict() == pytest.approx(by_scope)
    glob = f"read_parquet('{exported}/scores/*/*.parquet', hive_partitioning=true)"
    assert dict(duck(f"select scope, coalesce(sum(value), 0) from {glob} group by scope")) == pytest.approx(by_scope)
    nulls = dict(store_rows(sample_db, "select scope, count(*) - count(value) from scores group by scope"))
    assert scores.value.isna().groupby(scores.scope).sum().to_dict() == nulls
    got = duck(f"select count(*), sum(value) from {glob} where scope = 'category'")[0]
    assert got == pytest.approx(
        store_rows(sample_db, "select count(*), sum(value) from scores where scope = 'category'")[0]
    )


def test_the_current_paydown_items_are_the_backlog_exports(exported: Path, sample_db: Path):
    backlog = json.loads(run_mldebt("export", "backlog", "--format", "json", "--db", str(sample_db)).stdout)
    assert backlog
    items = pd.read_parquet(exported / "paydown_items")
    current = items[items.current]
    assert sorted(current.item_id) == sorted(i["id"] for i in backlog)
    assert current.effort_hours.sum() == pytest.approx(sum(i["effort_hours"] for i in backlog))
    by_project = Counter()
    for i in backlog:
        by_project[i["project"]] += i["effort_hours"]
    assert current.groupby("project").effort_hours.sum().to_dict() == pytest.approx(dict(by_project))
    assert {tuple(c) for c in current.clears} == {tuple(i["clears"]) for i in backlog}
    glob = f"read_parquet('{exported}/paydown_items/*/*.parquet', hive_partitioning=true)"
    hours, count = duck(f"select sum(effort_hours), count(*) from {glob} where current")[0]
    assert (hours, count) == (pytest.approx(sum(i["effort_hours"] for i in backlog)), len(backlog))

    # every quarter's items add up to the open effort of the scan they stand at, as every surface counts it
    scans = pd.read_parquet(exported / "scans").sort_values("as_of")
    last = scans.groupby(["project", "quarter"], observed=True).tail(1)  # each project's last scan of each quarter
    at = items.groupby("scan_id").effort_hours.sum()
    assert set(at.index) <= set(last.scan_id) and len(last) == 20
    for scan in last.itertuples():
        assert at.get(scan.scan_id, 0.0) == pytest.approx(scan.effort_hours), scan.scan_id
    assert {i["id"]: i["location"] for i in backlog} == dict(zip(current.item_id, current.location, strict=True))
    assert set(items.quarter.astype(str)) == {"2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"}
    assert set(items[items.current].quarter.astype(str)) == {"2026Q4"}


def test_columns_have_stable_types_and_no_index_or_secret(exported: Path):
    schemas = {name: pq.read_schema(next((exported / name).rglob("*.parquet"))) for name in DATASETS}
    for name, schema in schemas.items():
        assert not [f for f in schema.names if f.startswith("__")], name  # no pandas index columns
        assert schema.metadata is None or b"pandas" not in schema.metadata, name
        assert schema.field("scan_id").type == pa.string(), name
    utc = pa.timestamp("us", tz="UTC")
    assert [schemas["scans"].field(c).type for c in ("as_of", "collected_at", "commit_date")] == [utc] * 3
    assert schemas["paydown_items"].field("opened_at").type == utc
    assert schemas["paydown_items"].field("clears").type == pa.list_(pa.string())
    assert schemas["scans"].field("open_items").type == pa.int64()
    manifest = json.loads((exported / "_mldebt_export.json").read_text())
    assert manifest["format"] == "mldebt-parquet" and manifest["datasets"]["scans"]["rows"] == 20

    token = (exported.parent / "token.txt").read_text().split()[0]
    everything = b"".join(p.read_bytes() for p in exported.rglob("*") if p.is_file())
    for secret in (token, hashlib.sha256(token.encode()).hexdigest(), "api_tokens", "password"):
        assert secret.encode() not in everything


def test_since_and_project_choose_the_partitions(sample_db: Path, tmp_path: Path):
    done = export(sample_db, tmp_path / "w", "--since", "2026Q3", "--project", "reco-service")
    assert done.returncode == 0, done.stderr
    scans = pd.read_parquet(tmp_path / "w" / "scans")
    assert sorted(scans.quarter.astype(str)) == ["2026Q3", "2026Q4"] and set(scans.project) == {"reco-service"}
    assert set(pd.read_parquet(tmp_path / "w" / "results").project) == {"reco-service"}
    items = pd.read_parquet(tmp_path / "w" / "paydown_items")
    assert set(items.project) == {"reco-service"} and set(items.quarter.astype(str)) == {"2026Q3", "2026Q4"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--since", "2026Q5"], 2, "mldebt: error: --since '2026Q5': expected a quarter such as 2026Q3\n"),
        (["--project", "nope"], 2, "mldebt: error: no project named 'nope' in the database (projects: "),
        (["--since", "2027Q1"], 1, "nothing written: no scans in or after 2027Q1\n"),
    ],
)
def test_bad_options_are_one_line(sample_db: Path, tmp_path: Path, args, code, message):
    done = export(sample_db, tmp_path / "w", *args)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert not (tmp_path / "w").exists() and not list(tmp_path.glob(".w.*"))


def test_a_folder_that_is_not_an_export_is_never_replaced(sample_db: Path, tmp_path: Path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me\n")
    done = export(sample_db, mine)
    assert done.returncode == 2
    assert done.stderr == (
        f"mldebt: error: {mine}: holds files that are not an mldebt Parquet export; "
        "give a new or empty folder or an earlier export\n"
    )
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_a_write_that_fails_half_way_leaves_the_earlier_export_whole(exported: Path, sample_db: Path, tmp_path: Path):
    before = files_of(exported)
    sizes = sorted(p.stat().st_size for p in exported.rglob("*.parquet"))
    limit = (sizes[0] + sizes[-1]) // 2  # the first quarter's small files fit, a larger one does not
    with held_open(sample_db):
        done = export(sample_db, exported, limit=limit)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"mldebt: error: {exported}: writing failed (File too large); nothing was written "
        "and the export already there is unchanged\n"
    )
    assert files_of(exported) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    again = export(sample_db, exported, "--since", "2026Q4")  # and the next run replaces it whole
    assert again.returncode == 0, again.stderr
    assert sorted(pd.read_parquet(exported / "scans").quarter.astype(str)) == ["2026Q4"] * 4


def test_the_command_line_starts_without_the_parquet_writer():
    code = "import sys, mldebt.cli.main; print(sorted(m for m in sys.modules if m.startswith('mldebt.exports.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "parquet" not in loaded and "warehouse" not in loaded
