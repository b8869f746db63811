import numpy as np
import pandas as pd

from reco.features import interaction_weights, user_item_matrix


def test_latest_event_keeps_full_weight(interactions):
    weights = interaction_weights(interactions, half_life_days=30)
    assert weights.iloc[-1] == 5.0


def test_weight_halves_after_one_half_life():
    df = pd.DataFrame(
        {
            "event": ["purchase", "purchase"],
            "ts": pd.to_datetime(["2025-01-01", "2025-01-31"], utc=True),
        }
    )
    weights = interaction_weights(df, half_life_days=30)
    assert np.isclose(weights.iloc[0], 2.5)


def test_unknown_events_get_zero_weight(interactions):
    df = interactions.assign(event="wishlist")
    assert (interaction_weights(df, half_life_days=30) == 0).all()


def test_matrix_has_one_row_per_user(interactions):
    weights = interaction_weights(interactions, half_life_days=30)
    matrix, users, items = user_item_matrix(interactions, weights)
    assert matrix.shape == (3, 4)
    assert users == ["u1", "u2", "u3"]
    assert items == ["a", "b", "c", "d"]
