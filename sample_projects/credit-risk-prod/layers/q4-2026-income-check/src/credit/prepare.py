"""DVC stage ``prepare``: validate the raw extract and split it out of time."""
from pathlib import Path

import pandera as pa
import yaml

from credit.schema import read_raw, validate_raw

OUT_DIR = Path("data/prepared")


def split_by_date(df, valid_fraction):
    """The most recent applications become the validation set."""
    df = df.sort_values(["application_date", "application_id"]).reset_index(drop=True)
    cut = int(len(df) * (1 - valid_fraction))
    return df.iloc[:cut], df.iloc[cut:]


def drop_rejected(df, max_fraction):
    """Validate ``df``, dropping rows that fail row-level checks.

    Only a small share of rows may be dropped; beyond ``max_fraction`` (or if a
    whole-table check fails) the original ``SchemaErrors`` is raised.
    """
    try:
        return validate_raw(df), 0
    except pa.errors.SchemaErrors as err:
        bad_rows = err.failure_cases["index"].dropna().unique()
        if len(bad_rows) == 0 or len(bad_rows) > max_fraction * len(df):
            raise
        return validate_raw(df.drop(index=bad_rows)), len(bad_rows)


def main():
    params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
    df, rejected = drop_rejected(read_raw("data/raw.csv"), params["max_rejected_fraction"])
    if rejected:
        print(f"dropped {rejected} rows that failed validation")
    train, valid = split_by_date(df, params["valid_fraction"])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    train.to_parquet(OUT_DIR / "train.parquet", index=False)
    valid.to_parquet(OUT_DIR / "valid.parquet", index=False)
    print(f"train={len(train)} valid={len(valid)} default_rate={df['defaulted'].mean():.3f}")


if __name__ == "__main__":
    main()
