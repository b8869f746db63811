"""DVC stage ``prepare``: validate the raw extract and split it out of time."""
from pathlib import Path

import yaml

from credit.schema import read_raw, validate_raw

OUT_DIR = Path("data/prepared")


def split_by_date(df, valid_fraction):
    """The most recent applications become the validation set."""
    df = df.sort_values(["application_date", "application_id"]).reset_index(drop=True)
    cut = int(len(df) * (1 - valid_fraction))
    return df.iloc[:cut], df.iloc[cut:]


def main():
    params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
    df = validate_raw(read_raw("data/raw.csv"))
    train, valid = split_by_date(df, params["valid_fraction"])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    train.to_parquet(OUT_DIR / "train.parquet", index=False)
    valid.to_parquet(OUT_DIR / "valid.parquet", index=False)
    print(f"train={len(train)} valid={len(valid)} default_rate={df['defaulted'].mean():.3f}")


if __name__ == "__main__":
    main()
