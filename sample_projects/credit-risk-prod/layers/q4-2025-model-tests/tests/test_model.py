import numpy as np
import pytest

from credit.evaluate import BASELINE_FEATURES, check_gates, fit_baseline, score
from credit.features import build_features
from credit.train import set_seeds, train_model

PARAMS = {"seed": 11, "learning_rate": 0.1, "max_iter": 150, "max_leaf_nodes": 15, "l2_regularization": 1.0}


@pytest.fixture
def split(applications):
    cut = int(len(applications) * 0.8)
    return applications.iloc[:cut], applications.iloc[cut:]


class TestModelQuality:
    def test_beats_logistic_baseline(self, split):
        train, valid = split
        model = train_model(train, PARAMS)
        baseline = fit_baseline(train, seed=PARAMS["seed"])
        assert score(model, valid) > score(baseline, valid, BASELINE_FEATURES)

    def test_auc_well_above_chance(self, split):
        train, valid = split
        assert score(train_model(train, PARAMS), valid) > 0.65

    def test_outputs_are_probabilities(self, split):
        train, valid = split
        proba = train_model(train, PARAMS).predict_proba(build_features(valid))[:, 1]
        assert ((proba >= 0) & (proba <= 1)).all()


def test_training_is_reproducible(split):
    train, valid = split
    set_seeds(PARAMS["seed"])
    first = train_model(train, PARAMS).predict_proba(build_features(valid))
    set_seeds(PARAMS["seed"])
    second = train_model(train, PARAMS).predict_proba(build_features(valid))
    assert np.allclose(first, second)


def test_gates_block_model_without_uplift():
    params = {"min_auc": 0.7, "min_uplift_over_baseline": 0.02}
    failures = check_gates({"auc": 0.75, "baseline_auc": 0.74}, params)
    assert len(failures) == 1
    assert "uplift" in failures[0]


def test_gates_pass_good_model():
    params = {"min_auc": 0.7, "min_uplift_over_baseline": 0.02}
    assert check_gates({"auc": 0.78, "baseline_auc": 0.71}, params) == []
