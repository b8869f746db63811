import numpy as np
from scipy import sparse

from reco.serve import recommend_with_fallback


def make_model():
    """Two users and three items; b is the only item in stock."""
    return {
        "user_index": {"u1": 0, "u2": 1},
        "items": ["a", "b", "c"],
        "matrix": sparse.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])),
        "neighbours": np.array([[1, 2], [2, 0], [1, 0]]),
        "scores": np.array([[0.5, 0.1], [0.9, 0.0], [0.9, 0.0]]),
        "popular": [("c", 10.0), ("b", 9.5), ("a", 4.0)],
        "in_stock": {"b"},
    }


def test_unknown_user_gets_popular_items_with_stock_boost():
    items, source = recommend_with_fallback(make_model(), "nobody", top_n=2)
    assert source == "popular"
    assert items == ["b", "c"]


def test_known_user_is_topped_up_without_duplicates():
    items, source = recommend_with_fallback(make_model(), "u1", top_n=3)
    assert source == "personal+popular"
    assert items == ["b", "c", "a"]


def test_no_fallback_when_personal_list_is_full():
    items, source = recommend_with_fallback(make_model(), "u1", top_n=2)
    assert source == "personal"
    assert items == ["b", "c"]
