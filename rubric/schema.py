"""The rubric file: its schema, its loader and its content hash.

A rubric names the ML Test Score's four sections, the debt categories of
Sculley et al., and checks. Each check says when it earns the automated point
and when the manual half point, as conditions over evidence keys.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from mldebt.errors import InputError
from mldebt.validation import Strict, validate
from mldebt.yamlfile import Document, load

from . import conditions

ID = r"^[a-z0-9][a-z0-9-]{0,79}$"
DEFAULT_RUBRIC = Path(__file__).with_name("default.yaml")
SECTION_IDS = ("data", "model", "infra", "monitor")


class Section(Strict):
    id: Literal["data", "model", "infra", "monitor"]
    title: str


class Category(Strict):
    id: str = Field(pattern=ID)
    title: str
    description: str = ""


class Check(Strict):
    id: str = Field(pattern=ID)
    title: str
    section: Literal["data", "model", "infra", "monitor"] | None = None
    ml_test: str | None = Field(default=None, pattern=r"^(Data|Model|Infra|Monitor) [1-7]$")
    category: str | None = None
    weight: float = Field(default=1.0, gt=0, le=10)
    effort_hours: float = Field(ge=0, le=1000)
    automated: str | None = None
    manual: str | None = None
    why: str = Field(min_length=1)
    fix: str = Field(min_length=1)
    references: list[str] = []


class RubricSpec(Strict):
    rubric: str = Field(min_length=1)
    version: str = Field(min_length=1)
    sections: list[Section] = Field(min_length=4, max_length=4)
    categories: list[Category] = Field(min_length=1)
    checks: list[Check] = Field(min_length=1)


@dataclass(frozen=True)
class Rubric:
    spec: RubricSpec
    hash: str
    source: str
    content: str

    @property
    def checks(self) -> list[Check]:
        return self.spec.checks

    def check(self, check_id: str) -> Check | None:
        return next((c for c in self.spec.checks if c.id == check_id), None)

    def category_title(self, category_id: str) -> str:
        return next((c.title for c in self.spec.categories if c.id == category_id), category_id)


def load_rubric(path: Path | str | None = None) -> Rubric:
    """Load and validate a rubric file (the default one when ``path`` is None)."""
    doc = load(path or DEFAULT_RUBRIC, what="rubric file")
    spec = validate(RubricSpec, doc, what="the rubric")
    problems = _cross_check(spec, doc)
    if problems:
        raise InputError.of_file(doc.path, "the rubric", problems)
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return Rubric(spec=spec, hash=digest, source=str(path or DEFAULT_RUBRIC), content=canonical)


def _cross_check(spec: RubricSpec, doc: Document) -> list[str]:
    problems = []
    sections = [s.id for s in spec.sections]
    if sorted(sections) != sorted(SECTION_IDS):
        problems.append(doc.message(("sections",), f"must be exactly the four ML Test Score sections {', '.join(SECTION_IDS)}"))
    categories = {c.id for c in spec.categories}
    seen: set[str] = set()
    for i, check in enumerate(spec.checks):
        loc = ("checks", i)
        if check.id in seen:
            problems.append(doc.message(loc + ("id",), f"duplicate check id {check.id!r}"))
        seen.add(check.id)
        if check.category is not None and check.category not in categories:
            problems.append(doc.message(loc + ("category",), f"unknown category {check.category!r}"))
        if check.section is None and check.category is None:
            problems.append(doc.message(loc, "a check needs a section, a category, or both"))
        if check.ml_test:
            expected = check.ml_test.split()[0].lower()
            if check.section != expected:
                problems.append(doc.message(loc + ("section",), f"ML Test Score test {check.ml_test!r} belongs to section {expected!r}"))
        if check.automated is None and check.manual is None:
            problems.append(doc.message(loc, "a check needs an 'automated' or a 'manual' condition"))
        for field_name in ("automated", "manual"):
            expression = getattr(check, field_name)
            if expression is None:
                continue
            try:
                conditions.parse(expression)
            except conditions.ConditionError as exc:
                problems.append(doc.message(loc + (field_name,), str(exc)))
    return problems
