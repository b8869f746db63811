"""Feature engineering for the card fraud model.

``base_features`` only looks at a single row; ``aggregate_features`` needs the
whole frame (frequencies and per-card statistics), so its values depend on
which transactions are scored together.
"""
import numpy as np
import pandas as pd
from tqdm import tqdm

CATEGORICAL = ["ProductCD", "card4", "card6", "P_emaildomain", "R_emaildomain", "DeviceType"]
RAW_NUMERIC = ["card1", "card2", "card3", "card5", "addr1", "addr2", "dist1", "C1", "C2", "C13", "D1", "D15"]
FREQ_COLUMNS = ["card1", "card2", "addr1", "P_emaildomain", "DeviceInfo"]
UID_STATS = ["mean", "std", "size"]


def base_features(df):
    out = pd.DataFrame(index=df.index)
    out["amt"] = df["TransactionAmt"]
    out["log_amt"] = np.log1p(df["TransactionAmt"])
    out["amt_cents"] = (df["TransactionAmt"] % 1).round(3)
    # TransactionDT is seconds from an unknown reference point
    out["hour"] = (df["TransactionDT"] // 3600) % 24
    out["weekday"] = (df["TransactionDT"] // (3600 * 24)) % 7
    for col in CATEGORICAL:
        # FIXME: category codes are assigned per frame, so "visa" can get a
        # different code at scoring time than it had in training.
        out[col] = df[col].astype("category").cat.codes
    for col in RAW_NUMERIC:
        out[col] = df[col].fillna(-999)
    return out


def make_uid(df):
    # HACK: card1 + addr1 + the day the card was first seen stands in for a
    # customer id, which the data does not have.
    day = df["TransactionDT"] // 86400
    return (
        df["card1"].astype(str)
        + "_" + df["addr1"].astype(str)
        + "_" + (day - df["D1"].fillna(0)).astype(int).astype(str)
    )


def aggregate_features(df):
    out = pd.DataFrame(index=df.index)
    # TODO: count over train+test together like the top public kernels do.
    for col in tqdm(FREQ_COLUMNS, desc="frequencies", leave=False):
        counts = df[col].value_counts(dropna=False)
        out[f"{col}_freq"] = df[col].map(counts).fillna(0).astype("float32")
    grouped = df.groupby(make_uid(df))["TransactionAmt"]
    for stat in UID_STATS:
        name = "uid_count" if stat == "size" else f"uid_amt_{stat}"
        out[name] = grouped.transform(stat)
    out["uid_amt_std"] = out["uid_amt_std"].fillna(0)
    out["amt_to_uid_mean"] = df["TransactionAmt"] / out["uid_amt_mean"]
    return out


def build_features(df):
    return pd.concat([base_features(df), aggregate_features(df)], axis=1)
