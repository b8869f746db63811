import pytest

from reco.evaluate import evaluate, precision_at_k, recall_at_k
from reco.model import fit


class TestPrecisionAtK:
    def test_counts_hits_in_first_k(self):
        assert precision_at_k(["a", "b", "c"], ["b", "z"], k=2) == 0.5

    def test_rejects_non_positive_k(self):
        with pytest.raises(ValueError):
            precision_at_k(["a"], ["a"], k=0)


class TestRecallAtK:
    def test_all_relevant_found(self):
        assert recall_at_k(["a", "b", "c"], ["a", "c"], k=3) == 1.0

    def test_duplicates_in_relevant_do_not_count_twice(self):
        assert recall_at_k(["a"], ["a", "a"], k=1) == 1.0

    def test_no_relevant_items_gives_zero(self):
        assert recall_at_k(["a", "b"], [], k=2) == 0.0


def test_evaluate_reports_all_holdout_users(interactions):
    train = interactions[interactions["ts"] < "2025-11-10"]
    holdout = interactions[interactions["ts"] >= "2025-11-10"]
    model = fit(train, half_life_days=30, neighbours=3, shrinkage=0.0)
    metrics = evaluate(model, holdout, k=2)
    assert metrics["users"] == 2
    assert 0.0 <= metrics["recall@2"] <= 1.0
