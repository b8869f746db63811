"""Features shared by training, evaluation and the scoring service."""
import numpy as np
import pandas as pd

from credit.schema import HOME_OWNERSHIP, PURPOSES

NUMERIC = [
    "age",
    "log_income",
    "debt_to_income",
    "loan_amount",
    "term_months",
    "employment_years",
    "num_open_accounts",
    "delinquencies_2y",
]


def feature_names():
    return (
        NUMERIC
        + [f"home_{value.lower()}" for value in HOME_OWNERSHIP]
        + [f"purpose_{value}" for value in PURPOSES]
    )


def build_features(df):
    """Model matrix with a fixed column order that does not depend on the rows."""
    income = df["annual_income"].astype(float)
    out = pd.DataFrame(index=df.index)
    out["age"] = df["age"].astype(float)
    out["log_income"] = np.log1p(income)
    out["debt_to_income"] = df["loan_amount"] / income.clip(lower=1000.0)
    out["loan_amount"] = df["loan_amount"].astype(float)
    out["term_months"] = df["term_months"].astype(float)
    out["employment_years"] = df["employment_years"].fillna(0.0).astype(float)
    out["num_open_accounts"] = df["num_open_accounts"].astype(float)
    out["delinquencies_2y"] = df["delinquencies_2y"].astype(float)
    for value in HOME_OWNERSHIP:
        out[f"home_{value.lower()}"] = (df["home_ownership"] == value).astype(float)
    for value in PURPOSES:
        out[f"purpose_{value}"] = (df["purpose"] == value).astype(float)
    return out[feature_names()]
