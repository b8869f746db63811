import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

PURPOSES = ["debt_consolidation", "credit_card", "home_improvement", "car", "small_business", "other"]


def synthetic_applications(n=3000, seed=7):
    """Applications whose default risk depends on debt-to-income, delinquencies and age."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(mean=10.8, sigma=0.5, size=n).round(-2)
    loan = rng.uniform(1_000, 40_000, size=n).round(-2)
    age = rng.integers(18, 80, size=n)
    delinquencies = rng.poisson(0.3, size=n)
    term = rng.choice([12, 24, 36, 48, 60], size=n)
    logit = -3.0 + 4.0 * loan / income + 0.8 * delinquencies + 0.01 * term + 1.0 * (age < 25)
    defaulted = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "application_id": [f"A{i:07d}" for i in range(n)],
            "application_date": pd.date_range("2024-01-01", periods=n, freq="h"),
            "age": age,
            "annual_income": income,
            "loan_amount": loan,
            "term_months": term,
            "employment_years": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 30, size=n).round(1)),
            "home_ownership": rng.choice(["RENT", "OWN", "MORTGAGE", "OTHER"], size=n, p=[0.45, 0.15, 0.38, 0.02]),
            "purpose": rng.choice(PURPOSES, size=n),
            "num_open_accounts": rng.integers(0, 20, size=n),
            "delinquencies_2y": delinquencies,
            "defaulted": defaulted,
        }
    )


@pytest.fixture
def applications():
    return synthetic_applications()
