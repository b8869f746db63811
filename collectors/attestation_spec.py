"""The attestations file's schema: pydantic models that check ``.mldebt/attestations.yaml`` as written.

Only a project that has the file needs them (``attestations.read_answers``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator, model_validator

from mldebt.questions import load_questions, unknown_question
from mldebt.validation import Strict


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid date: {exc}") from None
    raise ValueError(f"expected a date such as 2026-10-01, got {value!r}")


Day = Annotated[date, BeforeValidator(_iso_date)]


class AnswerSpec(Strict):
    question: str
    answer: str = Field(min_length=1)
    by: str = Field(min_length=1)
    date: Day
    link: str | None = None
    expires: Day | None = None

    @field_validator("question")
    @classmethod
    def _known(cls, value: str) -> str:
        questions = load_questions()
        if value not in questions:
            raise ValueError(unknown_question(value, questions))
        return value

    @model_validator(mode="after")
    def _expires_after_date(self) -> AnswerSpec:
        if self.expires is not None and self.expires < self.date:
            raise ValueError(f"expires ({self.expires}) is before date ({self.date})")
        return self


class AttestationFile(Strict):
    attestations: list[AnswerSpec]
