"""The question catalogue's schema: pydantic models that check ``questions.yaml`` as written.

Only loading a catalogue not already known valid (``mldebt.validated``) needs
them; ``questions.Question`` holds what passed, without pydantic.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from mldebt.questions import QUESTION_ID, RESERVED
from mldebt.validation import Strict


class Question(Strict):
    id: str = Field(pattern=QUESTION_ID)
    title: str = Field(min_length=1)
    category: str = Field(min_length=1)
    litmus: bool = False
    good_answer: str = Field(min_length=1)
    valid_days: int = Field(default=180, ge=1, le=3660)

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED:
            raise ValueError(f"{value!r} is reserved for a summary key (attest.{value})")
        return value


class Catalogue(Strict):
    questions: list[Question] = Field(min_length=1)
