"""The store as Parquet datasets for a data warehouse, one folder per table, partitioned by quarter.

``export_parquet(db, DIR)`` writes four datasets, each in hive-style
partitions by the quarter of each scan's ``as_of`` (UTC), one file per
partition: ``DIR/scans/quarter=2026Q4/part-0.parquet``. pandas
(``pd.read_parquet(DIR / "scans")``), DuckDB (``read_parquet('DIR/scans/*/*.parquet',
hive_partitioning=true)``) and Spark (``spark.read.parquet(DIR + "/scans")``)
read them with the quarter as a column.

- ``scans``: one row per scan, with its project's team and tier, its headline
  figures and the open effort of its paydown items then (the effort model
  every surface uses, ``readmodel.effort``);
- ``results``: one row per check per scan, with its plain reason;
- ``scores``: the scores table as stored, one row per scope and name per scan
  (``category`` rows are the debt categories' health, ``section`` rows the ML
  Test Score sections, and so on);
- ``paydown_items``: the open items at each project's last scan of each
  quarter, from the backlog's read model (``readmodel.backlog``); the rows
  with ``current`` true are today's backlog, the same items and effort as
  ``mldebt export backlog``.

Columns have fixed types (ids and labels strings, moments UTC timestamps in
microseconds, figures doubles, counts 64-bit integers) whatever the data, so a
later export appends cleanly to an earlier one. Nothing secret is in the
store's tables read here (tokens, users and sessions are never read).

The export is written into a temporary folder beside ``DIR`` and renamed into
place only when every file is written and synced: a failed run leaves the
previous export whole. A folder that holds anything but an earlier export is
never replaced.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlite_utils

from mldebt import __version__
from mldebt.atomicfile import OutputError
from mldebt.exports.warehouse import DATASETS, Batch, plan, quarter_batches
from mldebt.readmodel.quarters import Quarter

MANIFEST = "_mldebt_export.json"  # Spark, DuckDB and pyarrow skip files whose names start with "_"
FORMAT = "mldebt-parquet"
FORMAT_VERSION = 1
STAMP = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "scans": pa.schema(
        [
            ("scan_id", pa.string()),
            ("project", pa.string()),
            ("team", pa.string()),
            ("tier", pa.string()),
            ("as_of", STAMP),
            ("collected_at", STAMP),
            ("commit", pa.string()),
            ("commit_date", STAMP),
            ("tool_version", pa.string()),
            ("rubric_hash", pa.string()),
            ("facts", pa.int64()),
            ("errors", pa.int64()),
            ("overall", pa.float64()),
            ("grade", pa.string()),
            ("ml_test_score", pa.float64()),
            ("band", pa.string()),
            ("level", pa.string()),
            ("target_level", pa.string()),
            ("gap", pa.string()),
            ("effort_hours", pa.float64()),
            ("open_items", pa.int64()),
        ]
    ),
    "results": pa.schema(
        [
            ("scan_id", pa.string()),
            ("project", pa.string()),
            ("check_id", pa.string()),
            ("status", pa.string()),
            ("points", pa.float64()),
            ("weight", pa.float64()),
            ("reason", pa.string()),
        ]
    ),
    "scores": pa.schema(
        [
            ("scan_id", pa.string()),
            ("project", pa.string()),
            ("scope", pa.string()),
            ("name", pa.string()),
            ("value", pa.float64()),
            ("max", pa.float64()),
            ("label", pa.string()),
        ]
    ),
    "paydown_items": pa.schema(
        [
            ("scan_id", pa.string()),
            ("as_of", STAMP),
            ("current", pa.bool_()),
            ("item_id", pa.string()),
            ("project", pa.string()),
            ("team", pa.string()),
            ("owner", pa.string()),
            ("check_id", pa.string()),
            ("title", pa.string()),
            ("status", pa.string()),
            ("section", pa.string()),
            ("ml_test", pa.string()),
            ("category_id", pa.string()),
            ("effort_hours", pa.float64()),
            ("priority", pa.float64()),
            ("gap", pa.float64()),
            ("weight", pa.float64()),
            ("scans_unmet", pa.int64()),
            ("opened_at", STAMP),
            ("clears", pa.list_(pa.string())),
            ("location", pa.string()),
        ]
    ),
}
assert tuple(SCHEMAS) == DATASETS


class NothingToExport(OutputError):
    """No scan matches what was asked: like a gate with nothing to judge, exit 1."""

    exit_code = 1


@dataclass
class Exported:
    """What an export wrote: its folder, its quarters, and the rows of each dataset."""

    folder: Path
    quarters: list[str]
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DATASETS, 0))

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


def export_parquet(
    db: sqlite_utils.Database, folder: Path | str, *, since: Quarter | None = None, project: str | None = None
) -> Exported:
    """Write the store's scans, results, scores and paydown items under ``folder``, replacing an earlier export.

    Raises OutputError when ``folder`` cannot be (re)placed, NothingToExport when no scan matches."""
    target = _target(folder)
    quarters = plan(db, since=since, project=project)
    if not quarters:
        after = f" in or after {since}" if since else ""
        raise NothingToExport(folder, f"nothing written: no scans{after}{f' of {project}' if project else ''}")
    temporary = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        temporary.mkdir()
        done = Exported(target, [str(q) for q in quarters])
        for quarter, batches in quarter_batches(db, quarters, project=project):
            _write_quarter(temporary, str(quarter), batches, done)
        _write_manifest(temporary, done, since, project)
        _sync_tree(temporary)
        _put_in_place(temporary, target)
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        kept = " and the export already there is unchanged" if target.exists() else ""
        raise OutputError(folder, f"writing failed ({exc.strerror or exc}); nothing was written{kept}") from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return done


def _target(folder: Path | str) -> Path:
    """The folder to write, once it is clear it may be replaced: missing, empty, or an earlier export."""
    target = Path(os.path.realpath(folder))
    if not target.parent.is_dir():
        raise OutputError(folder, f"folder {Path(folder).parent} does not exist")
    if target.exists() and not target.is_dir():
        raise OutputError(folder, "is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise OutputError(
            folder,
            "holds files that are not an mldebt Parquet export; give a new or empty folder or an earlier export",
        )
    return target


def _write_quarter(root: Path, quarter: str, batches: Iterator[Batch], done: Exported) -> None:
    """One file per dataset for the quarter, a row group per batch of scans.

    Each file is built in memory and written with Python's own file I/O, so a write the disk refuses raises
    a plain OSError (and a half-built writer owns no file to close)."""
    sinks = {name: pa.BufferOutputStream() for name in SCHEMAS}
    writers = {name: pq.ParquetWriter(sinks[name], schema, compression="snappy") for name, schema in SCHEMAS.items()}
    for batch in batches:
        for name, columns in batch.items():
            if columns:  # a batch without rows of a dataset adds nothing; the file keeps its schema
                table = pa.Table.from_pydict(columns, schema=SCHEMAS[name])
                writers[name].write_table(table)
                done.rows[name] += table.num_rows
    for name, writer in writers.items():
        writer.close()
        folder = root / name / f"quarter={quarter}"
        folder.mkdir(parents=True)
        (folder / "part-0.parquet").write_bytes(sinks[name].getvalue().to_pybytes())
        del sinks[name]


def _write_manifest(root: Path, done: Exported, since: Quarter | None, project: str | None) -> None:
    """What the folder is, for the next export (which replaces only a folder holding one) and for people."""
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "since": str(since) if since else None,
        "project": project,
        "partitioned_by": "quarter",
        "quarters": done.quarters,
        "datasets": {
            name: {"rows": done.rows[name], "columns": [f"{f.name} {f.type}" for f in schema]}
            for name, schema in SCHEMAS.items()
        },
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _sync_tree(root: Path) -> None:
    """Every file and folder on disk before the rename makes them the export."""
    for folder, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _sync_folder(Path(folder))


def _sync_folder(folder: Path) -> None:
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _put_in_place(temporary: Path, target: Path) -> None:
    """Rename the new export to ``target``; an earlier one is moved aside first and removed once that worked."""
    if not target.exists():
        os.rename(temporary, target)
        _sync_folder(target.parent)
        return
    old = target.parent / f".{target.name}.{secrets.token_hex(6)}.old"
    os.rename(target, old)
    try:
        os.rename(temporary, target)
    except BaseException:
        os.rename(old, target)
        raise
    _sync_folder(target.parent)
    shutil.rmtree(old, ignore_errors=True)
