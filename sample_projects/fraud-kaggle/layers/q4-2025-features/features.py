"""Feature engineering for the card fraud competition."""
import numpy as np
import pandas as pd

CATEGORICAL = ["ProductCD", "card4", "card6", "P_emaildomain", "R_emaildomain", "DeviceType"]
RAW_NUMERIC = ["card1", "card2", "card3", "card5", "addr1", "addr2", "dist1", "C1", "C2", "C13", "D1", "D15"]
FREQ_COLUMNS = ["card1", "card2", "addr1", "P_emaildomain", "DeviceInfo"]


def frequency_encode(df, columns):
    # TODO: the top public kernels count over train+test together; we count
    # within whatever frame we are given, so test-time frequencies differ.
    out = pd.DataFrame(index=df.index)
    for col in columns:
        counts = df[col].value_counts(dropna=False)
        out[f"{col}_freq"] = df[col].map(counts).fillna(0).astype("float32")
    return out


def uid_aggregates(df):
    # HACK: card1 + addr1 + the day the card was first seen stands in for a
    # customer id, which the competition data does not have.
    day = df["TransactionDT"] // 86400
    uid = (
        df["card1"].astype(str)
        + "_" + df["addr1"].astype(str)
        + "_" + (day - df["D1"].fillna(0)).astype(int).astype(str)
    )
    grouped = df.groupby(uid)["TransactionAmt"]
    out = pd.DataFrame(index=df.index)
    out["uid_amt_mean"] = grouped.transform("mean")
    out["uid_amt_std"] = grouped.transform("std").fillna(0)
    out["uid_count"] = grouped.transform("size")
    out["amt_to_uid_mean"] = df["TransactionAmt"] / out["uid_amt_mean"]
    return out


def build_features(df):
    out = pd.DataFrame(index=df.index)
    out["amt"] = df["TransactionAmt"]
    out["log_amt"] = np.log1p(df["TransactionAmt"])
    out["amt_cents"] = (df["TransactionAmt"] % 1).round(3)
    # TransactionDT is seconds from an unknown reference point
    out["hour"] = (df["TransactionDT"] // 3600) % 24
    out["weekday"] = (df["TransactionDT"] // (3600 * 24)) % 7
    for col in CATEGORICAL:
        out[col] = df[col].astype("category").cat.codes
    for col in RAW_NUMERIC:
        out[col] = df[col].fillna(-999)
    return pd.concat([out, frequency_encode(df, FREQ_COLUMNS), uid_aggregates(df)], axis=1)
