"""`mldebt export parquet DIR`: the store's history as Parquet datasets for a data warehouse.

pyarrow is imported only when the command runs, so `mldebt --help` and every
other command start without it.
"""

from __future__ import annotations

from pathlib import Path

import click

from mldebt.cli.options import db_option, existing_store, quarter_option


@click.command("parquet")
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--since", metavar="QUARTER", help="Only scans made in this quarter (2026Q3) or later.")
@click.option("--project", metavar="NAME", help="Only this project's scans and items.")
@db_option
def export_parquet(folder: Path, since: str | None, project: str | None, db_path: Path) -> None:
    """Write scans, results, scores and paydown items as Parquet datasets partitioned by quarter.

    Each dataset is a folder of hive-style partitions, one file per quarter
    (DIR/scans/quarter=2026Q4/part-0.parquet), readable by pandas, DuckDB and
    Spark with the quarter as a column. The paydown items are the open items at
    each project's last scan of each quarter; those marked current are today's
    backlog, the same items and effort as `mldebt export backlog`. The export
    replaces DIR as a whole only once every file is written, so a failed run
    leaves an earlier export as it was. Tokens and users are never exported.

    \b
    Example:
        mldebt export parquet warehouse/mldebt
        mldebt export parquet warehouse/mldebt --since 2026Q3 --project fraud-model
        duckdb -c "select quarter, count(*) from read_parquet('warehouse/mldebt/scans/*/*.parquet',
                   hive_partitioning=true) group by quarter"
    """
    from mldebt.exports.parquet import export_parquet as write_export

    first = quarter_option(since, "--since")
    with existing_store(db_path) as db:
        done = write_export(db, folder, since=first, project=project)
    counts = ", ".join(f"{done.rows[name]:,} {name.replace('_', ' ')}" for name in done.rows)
    span = done.quarters[0] if len(done.quarters) == 1 else f"{done.quarters[0]} to {done.quarters[-1]}"
    click.echo(f"wrote {counts} ({span}, {done.size_bytes() / 1e6:.1f} MB) to {folder}")
