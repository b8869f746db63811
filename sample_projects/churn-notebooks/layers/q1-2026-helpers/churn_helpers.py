"""Helpers shared by the churn notebooks.

The notebooks live one directory down, so they import this module with::

    import sys
    sys.path.append("..")
    from churn_helpers import load_customers
"""
import matplotlib.pyplot as plt
import pandas as pd

DATA_DIR = "../data"

CATEGORICAL = [
    "gender",
    "Partner",
    "Dependents",
    "PhoneService",
    "InternetService",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
]
NUMERIC = ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]


def clean_customers(df):
    """Fix the column types the warehouse export gets wrong and add the label."""
    df = df.copy()
    # TotalCharges is exported as text and is blank for brand-new customers.
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"], errors="coerce")
    df = df.dropna(subset=["TotalCharges"])
    df["churned"] = (df["Churn"] == "Yes").astype(int)
    df["tenure_bucket"] = df["tenure"].apply(tenure_bucket)
    return df.reset_index(drop=True)


def load_customers(extract="2025-10", data_dir=DATA_DIR):
    """Read one monthly extract, e.g. ``load_customers("2026-01")``."""
    df = pd.read_csv(f"{data_dir}/telco_customers_{extract}.csv")
    return clean_customers(df)


def tenure_bucket(months):
    if months < 6:
        return "0-5"
    if months < 12:
        return "6-11"
    if months < 24:
        return "12-23"
    if months < 48:
        return "24-47"
    return "48+"


def churn_rate_by(df, column):
    """Churn rate and customer count per value of ``column``."""
    return (
        df.groupby(column)["churned"]
        .agg(churn_rate="mean", customers="count")
        .sort_values("churn_rate", ascending=False)
    )


def plot_churn_by(df, column, ax=None):
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    rates = churn_rate_by(df, column)
    rates["churn_rate"].plot.bar(ax=ax, color="#c0504d")
    ax.set_ylabel("churn rate")
    ax.set_title(f"Churn rate by {column}")
    return ax
