"""Reading the interaction and item tables exported by the analytics team."""
import pandas as pd

INTERACTION_COLUMNS = ["user_id", "item_id", "event", "ts"]
ITEM_COLUMNS = ["item_id", "category", "price", "in_stock"]


def load_interactions(path, min_per_user=3):
    """Events per user and item, dropping users with too little history."""
    df = pd.read_parquet(path, columns=INTERACTION_COLUMNS)
    df["user_id"] = df["user_id"].astype(str)
    df["item_id"] = df["item_id"].astype(str)
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    counts = df.groupby("user_id")["item_id"].transform("size")
    return df[counts >= min_per_user].reset_index(drop=True)


def load_items(path):
    items = pd.read_parquet(path, columns=ITEM_COLUMNS)
    items["item_id"] = items["item_id"].astype(str)
    return items


def split_by_time(df, holdout_days):
    """Everything before the last ``holdout_days`` days is training data."""
    cutoff = df["ts"].max() - pd.Timedelta(days=holdout_days)
    return df[df["ts"] <= cutoff], df[df["ts"] > cutoff]
