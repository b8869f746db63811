import pandera as pa
import pytest

from credit.schema import validate_raw


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
