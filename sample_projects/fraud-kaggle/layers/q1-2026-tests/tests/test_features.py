import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features import build_features, frequency_encode, uid_aggregates  # noqa: E402


def make_transactions():
    return pd.DataFrame(
        {
            "TransactionID": [1, 2, 3, 4],
            "TransactionDT": [86400, 90000, 180000, 400000],
            "TransactionAmt": [10.5, 99.0, 10.5, 2500.0],
            "ProductCD": ["W", "W", "C", "H"],
            "card1": [1000, 1000, 2000, 3000],
            "card2": [111.0, 111.0, np.nan, 222.0],
            "card3": [150.0] * 4,
            "card4": ["visa", "visa", "mastercard", None],
            "card5": [226.0] * 4,
            "card6": ["debit", "debit", "credit", "credit"],
            "addr1": [315.0, 315.0, np.nan, 204.0],
            "addr2": [87.0] * 4,
            "dist1": [np.nan, 3.0, 0.0, 12.0],
            "P_emaildomain": ["gmail.com", "gmail.com", None, "yahoo.com"],
            "R_emaildomain": [None] * 4,
            "C1": [1, 1, 2, 1],
            "C2": [1, 1, 1, 1],
            "C13": [1, 2, 1, 5],
            "D1": [0.0, 0.0, np.nan, 14.0],
            "D15": [0.0, 0.0, 3.0, 14.0],
            "DeviceType": ["desktop", "desktop", "mobile", None],
            "DeviceInfo": ["Windows", "Windows", "iOS Device", None],
        }
    )


def test_time_features_are_in_range():
    features = build_features(make_transactions())
    assert features["hour"].between(0, 23).all()
    assert features["weekday"].between(0, 6).all()


def test_frequency_encode_counts_rows():
    df = make_transactions()
    freq = frequency_encode(df, ["card1"])
    assert freq["card1_freq"].tolist() == [2.0, 2.0, 1.0, 1.0]


def test_uid_aggregates_group_same_card_and_address():
    agg = uid_aggregates(make_transactions())
    assert agg.loc[0, "uid_count"] == 2
    assert agg.loc[3, "uid_count"] == 1


def test_build_features_keeps_row_order():
    df = make_transactions()
    features = build_features(df)
    assert list(features.index) == list(df.index)
    assert np.isfinite(features["log_amt"]).all()
