"""Data contract for the loan application extract, written with pandera.

Run as a module to check a file before it enters the pipeline::

    PYTHONPATH=src python -m credit.schema data/raw.csv
"""
import sys

import pandas as pd
import pandera as pa
from pandera import Check, Column, DataFrameSchema

TERMS = [12, 24, 36, 48, 60]
HOME_OWNERSHIP = ["RENT", "OWN", "MORTGAGE", "OTHER"]
PURPOSES = ["debt_consolidation", "credit_card", "home_improvement", "car", "small_business", "other"]
# The partner feed used 9999999 for "income unknown" (RISK-212). Anything at or
# above this is treated as invalid rather than as a very wealthy applicant.
MAX_INCOME = 2_000_000

RAW_SCHEMA = DataFrameSchema(
    {
        "application_id": Column(str, unique=True),
        "application_date": Column("datetime64[ns]"),
        "age": Column(int, Check.in_range(18, 100)),
        "annual_income": Column(float, [Check.ge(0), Check.lt(MAX_INCOME)]),
        "loan_amount": Column(float, Check.in_range(500, 100_000)),
        "term_months": Column(int, Check.isin(TERMS)),
        "employment_years": Column(float, Check.in_range(0, 60), nullable=True),
        "home_ownership": Column(str, Check.isin(HOME_OWNERSHIP)),
        "purpose": Column(str, Check.isin(PURPOSES)),
        "num_open_accounts": Column(int, Check.ge(0)),
        "delinquencies_2y": Column(int, Check.ge(0)),
        "defaulted": Column(int, Check.isin([0, 1])),
    },
    checks=[
        Check(lambda df: df["defaulted"].mean() < 0.5, error="default rate above 50%, label bug?"),
    ],
    strict=True,
    coerce=True,
)


def read_raw(path):
    return pd.read_csv(path, dtype={"application_id": str}, parse_dates=["application_date"])


def validate_raw(df, lazy=True):
    """Return the coerced frame or raise ``pandera.errors.SchemaErrors``."""
    return RAW_SCHEMA.validate(df, lazy=lazy)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = argv[0] if argv else "data/raw.csv"
    df = read_raw(path)
    try:
        validate_raw(df)
    except pa.errors.SchemaErrors as err:
        print(f"{path}: {len(err.failure_cases)} failed checks", file=sys.stderr)
        print(err.failure_cases.head(50).to_string(), file=sys.stderr)
        return 1
    print(f"{path}: {len(df)} rows passed validation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
