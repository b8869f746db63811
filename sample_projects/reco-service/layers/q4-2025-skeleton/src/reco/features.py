"""Turn raw events into a weighted user x item matrix."""
import numpy as np
from scipy import sparse

DEFAULT_EVENT_WEIGHTS = {"view": 1.0, "cart": 3.0, "purchase": 5.0}


def interaction_weights(df, half_life_days, event_weights=None, now=None):
    """Event weight times an exponential time decay with the given half-life."""
    event_weights = event_weights or DEFAULT_EVENT_WEIGHTS
    now = df["ts"].max() if now is None else now
    age_days = (now - df["ts"]).dt.total_seconds() / 86400.0
    decay = np.power(0.5, age_days / half_life_days)
    return df["event"].map(event_weights).fillna(0.0) * decay


def user_item_matrix(df, weights):
    """Sparse matrix of summed weights plus the user and item labels."""
    users = df["user_id"].astype("category")
    items = df["item_id"].astype("category")
    matrix = sparse.csr_matrix(
        (weights.to_numpy(), (users.cat.codes.to_numpy(), items.cat.codes.to_numpy())),
        shape=(len(users.cat.categories), len(items.cat.categories)),
    )
    matrix.sum_duplicates()
    return matrix, list(users.cat.categories), list(items.cat.categories)
