"""Feature engineering for the card fraud competition."""
import numpy as np
import pandas as pd

CATEGORICAL = ["ProductCD", "card4", "card6", "P_emaildomain", "R_emaildomain", "DeviceType"]
RAW_NUMERIC = ["card1", "card2", "card3", "card5", "addr1", "addr2", "dist1", "C1", "C2", "C13", "D1", "D15"]


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
    return out
