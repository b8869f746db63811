import pandera as pa
import pytest

from credit.prepare import drop_rejected
from credit.schema import MAX_INCOME, validate_raw


def test_synthetic_applications_pass(applications):
    assert len(validate_raw(applications)) == len(applications)


def test_underage_applicant_is_rejected(applications):
    applications.loc[0, "age"] = 16
    with pytest.raises(pa.errors.SchemaErrors):
        validate_raw(applications)


def test_unknown_term_is_rejected(applications):
    applications.loc[3, "term_months"] = 18
    with pytest.raises(pa.errors.SchemaErrors):
        validate_raw(applications)


def test_duplicate_application_ids_are_rejected(applications):
    applications.loc[1, "application_id"] = applications.loc[0, "application_id"]
    with pytest.raises(pa.errors.SchemaErrors):
        validate_raw(applications)


def test_unexpected_column_is_rejected(applications):
    with pytest.raises(pa.errors.SchemaErrors):
        validate_raw(applications.assign(national_id="redacted"))


def test_missing_employment_years_is_allowed(applications):
    applications["employment_years"] = None
    validate_raw(applications)


def test_placeholder_income_is_rejected(applications):
    applications.loc[5, "annual_income"] = 9_999_999.0
    with pytest.raises(pa.errors.SchemaErrors):
        validate_raw(applications)


def test_prepare_drops_a_few_bad_rows(applications):
    applications.loc[[5, 6], "annual_income"] = float(MAX_INCOME)
    cleaned, rejected = drop_rejected(applications, max_fraction=0.01)
    assert rejected == 2
    assert len(cleaned) == len(applications) - 2


def test_prepare_refuses_to_drop_many_rows(applications):
    applications.loc[:99, "annual_income"] = 9_999_999.0
    with pytest.raises(pa.errors.SchemaErrors):
        drop_rejected(applications, max_fraction=0.01)
