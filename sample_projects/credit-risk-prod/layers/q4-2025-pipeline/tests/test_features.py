import numpy as np

from credit.features import build_features, feature_names


def test_columns_do_not_depend_on_rows(applications):
    few = build_features(applications.head(3))
    many = build_features(applications)
    assert list(few.columns) == list(many.columns) == feature_names()


def test_no_missing_values(applications):
    assert not build_features(applications).isna().any().any()


def test_zero_income_does_not_blow_up_debt_to_income(applications):
    applications.loc[0, "annual_income"] = 0.0
    features = build_features(applications)
    assert np.isfinite(features.loc[0, "debt_to_income"])
    assert features.loc[0, "debt_to_income"] <= applications.loc[0, "loan_amount"] / 1000.0


def test_one_hot_columns_sum_to_one(applications):
    features = build_features(applications)
    home = features[[c for c in features.columns if c.startswith("home_")]]
    assert (home.sum(axis=1) == 1).all()
