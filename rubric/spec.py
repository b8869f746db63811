"""The rubric file's schema: pydantic models that check a rubric as written, with error locations.

Only loading a rubric that is not already known valid (``mldebt.validated``)
needs them; what the engine scores with is ``schema.Rubric``, built from the
resolved rubric's JSON without pydantic.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mldebt.rubric.schema import ID, SectionId
from mldebt.validation import Strict


class Section(Strict):
    id: SectionId
    title: str


class Category(Strict):
    id: str = Field(pattern=ID)
    title: str
    description: str = ""


class Question(Strict):
    """One of the paper's litmus questions: measured by proxy checks plus an attestation."""

    id: str = Field(pattern=ID)
    title: str
    attestation: str | None = None  # question id in mldebt/questions.yaml
    proxies: list[str] = Field(min_length=1)


class Level(Strict):
    id: str = Field(pattern=ID)
    title: str
    description: str = ""


class Target(Strict):
    """What a tier expects: a maturity level held and an ML Test Score reached."""

    level: str | None = None  # None: no level expected
    ml_test_score: float = Field(default=0.0, ge=0, le=7)


class Tier(Strict):
    """How much a project is expected to hold, by what it is for (research, prototype, production)."""

    id: str = Field(pattern=ID)
    title: str
    description: str = ""
    target: Target = Target()


class Total(Strict):
    """A team's own headline figure: a weighted mean of category scores."""

    id: str = Field(pattern=ID)
    title: str
    categories: dict[str, float] = Field(min_length=1)


class Scope(Strict):
    teams: list[str] = []
    tags: list[str] = []
    languages: list[str] = []


class Check(Strict):
    id: str = Field(pattern=ID)
    title: str
    section: SectionId | None = None
    ml_test: str | None = Field(default=None, pattern=r"^(Data|Model|Infra|Monitor) [1-7]$")
    category: str | None = None
    level: str | None = None
    weight: float = Field(default=1.0, gt=0, le=10)
    effort_hours: float = Field(ge=0, le=1000)
    automated: str | None = None
    manual: str | None = None
    attestation: str | None = None  # a current attestation of this question earns manual credit
    applies_to: Scope | None = None
    # a condition over evidence: when it is false the check does not apply (n/a) and counts nowhere
    applies_when: str | None = None
    # the sentence shown when the check does not apply; may name facts as {key}
    not_applicable: str | None = None
    # another check whose fix clears this one too: their paydown is one item, with that check's effort
    fixed_with: str | None = None
    # the lowest tier expected to meet this check; below it the check is n/a (research code is not held to production)
    expected_from: Literal["research", "prototype", "production"] | None = None
    why: str = Field(min_length=1)
    fix: str = Field(min_length=1)
    references: list[str] = []


class CheckOverride(Strict):
    title: str | None = None
    category: str | None = None
    level: str | None = None
    weight: float | None = Field(default=None, gt=0, le=10)
    effort_hours: float | None = Field(default=None, ge=0, le=1000)
    automated: str | None = None
    manual: str | None = None
    attestation: str | None = None
    applies_to: Scope | None = None
    applies_when: str | None = None
    not_applicable: str | None = None
    fixed_with: str | None = None
    expected_from: Literal["research", "prototype", "production"] | None = None
    why: str | None = None
    fix: str | None = None


class RubricSpec(Strict):
    rubric: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    extends: str | None = None
    sections: list[Section] = []
    categories: list[Category] = []
    questions: list[Question] = []
    levels: list[Level] = []
    tiers: list[Tier] = []
    totals: list[Total] = []
    checks: list[Check] = []
    overrides: dict[str, CheckOverride] = {}
    disable: dict[str, str] = {}
