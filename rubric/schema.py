"""The rubric file: its schema, its loader, inheritance and its content hash.

A rubric names the ML Test Score's four sections, the debt categories of
Sculley et al., the paper's litmus questions, maturity levels, and checks.
Each check says when it earns the automated point and when the manual half
point, as conditions over evidence keys. A team's rubric may ``extends`` the
default one: add checks, override fields of inherited checks, disable checks
with a reason, scope checks to some projects, and define its own totals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mldebt import validated
from mldebt.errors import InputError
from mldebt.rubric import conditions, reasons
from mldebt.yamlfile import Document, load

if TYPE_CHECKING:
    from mldebt.rubric.spec import Check as CheckSpec
    from mldebt.rubric.spec import CheckOverride, RubricSpec

ID = r"^[a-z0-9][a-z0-9-]{0,79}$"
DEFAULT_RUBRIC = Path(__file__).with_name("default.yaml")
SECTION_IDS = ("data", "model", "infra", "monitor")
SectionId = Literal["data", "model", "infra", "monitor"]
# the code a kept rubric depends on: a change to how rubrics are checked or resolved checks them again
_CODE = [Path(__file__).with_name(name) for name in ("schema.py", "spec.py", "conditions.py", "reasons.py")] + [
    Path(validated.__file__).with_name(name) for name in ("validation.py", "yamlfile.py")
]


class _Identified(Protocol):
    """A category, question, level, tier or total, as written (a ``spec`` model) or inherited: merged by id."""

    @property
    def id(self) -> str: ...

    def model_dump(self) -> dict[str, Any]: ...


class _Part:
    """A rubric's part as resolved: plain frozen values, built from the resolved JSON (``from_content``).

    The file's schema, with its constraints and error messages, is ``spec``'s
    pydantic models; these hold what passed it, so scoring needs no pydantic.
    """

    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]:
        """The fields as plain data, by the name the pydantic models of the rubric's parts gave it."""
        data = asdict(self)  # type: ignore[call-overload]  # every subclass is a dataclass
        return {k: v for k, v in data.items() if v is not None} if exclude_none else data


@dataclass(frozen=True)
class Section(_Part):
    id: SectionId
    title: str


@dataclass(frozen=True)
class Category(_Part):
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Question(_Part):
    """One of the paper's litmus questions: measured by proxy checks plus an attestation."""

    id: str
    title: str
    proxies: list[str]
    attestation: str | None = None  # question id in mldebt/questions.yaml


@dataclass(frozen=True)
class Level(_Part):
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Target(_Part):
    """What a tier expects: a maturity level held and an ML Test Score reached."""

    level: str | None = None  # None: no level expected
    ml_test_score: float = 0.0


@dataclass(frozen=True)
class Tier(_Part):
    """How much a project is expected to hold, by what it is for (research, prototype, production)."""

    id: str
    title: str
    description: str = ""
    target: Target = Target()


TIER_IDS = ("research", "prototype", "production")
DEFAULT_TIER = "prototype"


@dataclass(frozen=True)
class Total(_Part):
    """A team's own headline figure: a weighted mean of category scores."""

    id: str
    title: str
    categories: dict[str, float]


@dataclass(frozen=True)
class Scope(_Part):
    teams: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Check(_Part):
    """A check as resolved; ``spec.Check`` says what each field means and allows."""

    id: str
    title: str
    effort_hours: float
    why: str
    fix: str
    section: SectionId | None = None
    ml_test: str | None = None
    category: str | None = None
    level: str | None = None
    weight: float = 1.0
    automated: str | None = None
    manual: str | None = None
    attestation: str | None = None
    applies_to: Scope | None = None
    applies_when: str | None = None
    not_applicable: str | None = None
    fixed_with: str | None = None
    expected_from: Literal["research", "prototype", "production"] | None = None
    references: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rubric:
    """A validated rubric with inheritance applied: what the engine scores with."""

    name: str
    version: str
    sections: tuple[Section, ...]
    categories: tuple[Category, ...]
    questions: tuple[Question, ...]
    levels: tuple[Level, ...]
    totals: tuple[Total, ...]
    checks: tuple[Check, ...]
    disabled: dict[str, str]
    hash: str
    source: str
    content: str
    tiers: tuple[Tier, ...] = ()
    _by_id: dict[str, Check] = field(default_factory=dict, repr=False, compare=False)

    def check(self, check_id: str) -> Check | None:
        if not self._by_id:
            self._by_id.update((c.id, c) for c in self.checks)
        return self._by_id.get(check_id)

    def tier(self, tier_id: str | None) -> Tier:
        """The tier of that id (the default tier, prototype, when none is given or it is unknown).

        A rubric without tiers keeps the project's tier and sets no target.
        """
        wanted = tier_id if tier_id in TIER_IDS else DEFAULT_TIER
        by_id = {t.id: t for t in self.tiers}
        return by_id.get(wanted) or Tier(id=wanted, title=wanted.title())

    def category_title(self, category_id: str) -> str:
        return next((c.title for c in self.categories if c.id == category_id), category_id)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.content)
        return data


def load_rubric(path: Path | str | None = None, known_keys: Iterable[str] | None = None) -> Rubric:
    """Load, validate and resolve a rubric (the default one when ``path`` is None).

    ``known_keys`` are the evidence keys the collectors declare; when given, a
    condition that reads any other key is an error. A rubric loaded before,
    with the same files, keys and code, is taken from the cache (``mldebt.validated``).
    """
    source = Path(path) if path else DEFAULT_RUBRIC
    known = set(known_keys) if known_keys is not None else None
    return validated.remembered(
        "rubric",
        _CODE,
        [str(source), json.dumps(sorted(known) if known is not None else None)],
        lambda: _load(source, known),
        lambda rubric: {"content": rubric.content, "source": rubric.source},
        lambda kept: from_content(kept["content"], source=kept["source"]),
        shipped=source if source == DEFAULT_RUBRIC else None,
    )


def _load(source: Path, known: set[str] | None) -> tuple[Rubric, list[Path]]:
    """The rubric at ``source`` validated and resolved, and the files it was read from (its ``extends`` chain)."""
    spec, doc = _read(source)
    base: Rubric | None = None
    files = [source]
    if spec.extends:
        base_path = DEFAULT_RUBRIC if spec.extends == "default" else (source.resolve().parent / spec.extends)
        if base_path.resolve() == source.resolve():
            raise InputError(doc.message(("extends",), "a rubric cannot extend itself"))
        try:
            base, inherited = _load(base_path, known)
        except InputError as exc:
            raise InputError(doc.message(("extends",), f"the base rubric is not valid: {exc}")) from None
        files += inherited
    resolved = _resolve(spec, base, doc)
    base_ids = {c.id for c in base.checks} | set(base.disabled) if base else set()
    problems = _cross_check(resolved, spec, doc, base_ids, known)
    if problems:
        raise InputError.of_file(doc.path, "the rubric", problems)
    return resolved, files


def _read(source: Path) -> tuple[RubricSpec, Document]:
    from mldebt.rubric.spec import RubricSpec  # pydantic loads only when a rubric file is validated
    from mldebt.validation import validate

    doc = load(source, what="rubric file")
    return validate(RubricSpec, doc, what="the rubric"), doc


def _resolve(spec: RubricSpec, base: Rubric | None, doc: Document) -> Rubric:
    problems: list[str] = []
    if base is None:
        for name in ("sections", "categories"):
            if not getattr(spec, name):
                problems.append(doc.message((name,), "required unless the rubric 'extends' another"))
        for name in ("overrides", "disable"):
            if getattr(spec, name):
                problems.append(doc.message((name,), "only a rubric that 'extends' another can override or disable"))
        if not spec.checks:
            problems.append(doc.message(("checks",), "a rubric needs at least one check"))
    if problems:
        raise InputError.of_file(doc.path, "the rubric", problems)

    def merged(mine: Sequence[_Identified], inherited: Sequence[_Identified]) -> tuple[_Identified, ...]:
        ids = {item.id for item in mine}
        return tuple(item for item in inherited if item.id not in ids) + tuple(mine)

    from mldebt.rubric.spec import Check as CheckSpec

    inherited_checks = list(base.checks) if base else []
    overridden: list[Check | CheckSpec] = []
    for check in inherited_checks:
        change = spec.overrides.get(check.id)
        overridden.append(
            CheckSpec.model_validate({**check.model_dump(), **change.model_dump(exclude_none=True)})
            if change
            else check
        )
    checks = tuple(c for c in overridden if c.id not in spec.disable) + tuple(spec.checks)
    disabled = {**(base.disabled if base else {}), **spec.disable}
    data = {
        "rubric": spec.rubric,
        "version": spec.version,
        "sections": [s.model_dump() for s in (spec.sections or (base.sections if base else ()))],
        "categories": [c.model_dump() for c in merged(spec.categories, base.categories if base else ())],
        "questions": [q.model_dump() for q in merged(spec.questions, base.questions if base else ())],
        "levels": [lv.model_dump() for lv in merged(spec.levels, base.levels if base else ())],
        "tiers": [t.model_dump() for t in merged(spec.tiers, base.tiers if base else ())],
        "totals": [t.model_dump() for t in merged(spec.totals, base.totals if base else ())],
        "checks": [c.model_dump(exclude_none=True) for c in checks],
        "disabled": disabled,
    }
    content = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return from_content(content, source=str(doc.path))


def from_content(content: str, source: str = "(stored)") -> Rubric:
    """Rebuild a resolved rubric from the JSON the store keeps for each scan."""
    data = json.loads(content)
    return Rubric(
        name=data["rubric"],
        version=data["version"],
        sections=tuple(Section(**s) for s in data["sections"]),
        categories=tuple(Category(**c) for c in data["categories"]),
        questions=tuple(Question(**q) for q in data.get("questions", [])),
        levels=tuple(Level(**lv) for lv in data.get("levels", [])),
        totals=tuple(Total(**t) for t in data.get("totals", [])),
        checks=tuple(_check(c) for c in data["checks"]),
        disabled=data.get("disabled", {}),
        tiers=tuple(_tier(t) for t in data.get("tiers", [])),
        hash=hashlib.sha256(content.encode()).hexdigest()[:16],
        source=source,
        content=content,
    )


def _check(data: dict[str, Any]) -> Check:
    scope = data.get("applies_to")
    return Check(**{**data, "applies_to": Scope(**scope)}) if scope is not None else Check(**data)


def _tier(data: dict[str, Any]) -> Tier:
    target = data.get("target")
    return Tier(**{**data, "target": Target(**target)}) if target is not None else Tier(**data)


def key_is_known(key: str, known: set[str]) -> bool:
    """A condition may read a declared key or a field inside a declared (mapping) key."""
    parts = key.split(".")
    return any(".".join(parts[:n]) in known for n in range(len(parts), 0, -1))


def _cross_check(
    rubric: Rubric, spec: RubricSpec, doc: Document, inherited: set[str], known: set[str] | None
) -> list[str]:
    problems = []
    if sorted(s.id for s in rubric.sections) != sorted(SECTION_IDS):
        problems.append(
            doc.message(("sections",), f"must be exactly the four ML Test Score sections {', '.join(SECTION_IDS)}")
        )
    categories = {c.id for c in rubric.categories}
    levels = {lv.id for lv in rubric.levels}
    seen: set[str] = set()
    for i, check in enumerate(spec.checks):
        loc = ("checks", i)
        if check.id in seen or check.id in inherited:
            problems.append(doc.message(loc + ("id",), f"duplicate check id {check.id!r}"))
        seen.add(check.id)
        if check.section is None and check.category is None:
            problems.append(doc.message(loc, "a check needs a section, a category, or both"))
        if check.ml_test and check.section != check.ml_test.split()[0].lower():
            expected = check.ml_test.split()[0].lower()
            problems.append(
                doc.message(loc + ("section",), f"ML Test Score test {check.ml_test!r} belongs to section {expected!r}")
            )
        if check.automated is None and check.manual is None and check.attestation is None:
            problems.append(doc.message(loc, "a check needs an 'automated' or 'manual' condition or an 'attestation'"))
        problems += _check_fields(check, loc, doc, categories, levels, known)
    for check_id, change in spec.overrides.items():
        if check_id not in inherited:
            problems.append(
                doc.message(("overrides", check_id), f"no inherited check {check_id!r} to override", key=True)
            )
        else:
            problems += _check_fields(change, ("overrides", check_id), doc, categories, levels, known)
    for check_id in spec.disable:
        if check_id not in inherited:
            problems.append(doc.message(("disable", check_id), f"no inherited check {check_id!r} to disable", key=True))
    ml_tests: dict[str, str] = {}
    for i, check in enumerate(spec.checks):
        if check.ml_test and check.ml_test in ml_tests:
            problems.append(
                doc.message(
                    ("checks", i, "ml_test"), f"{check.ml_test} is already scored by check {ml_tests[check.ml_test]!r}"
                )
            )
        elif check.ml_test:
            ml_tests[check.ml_test] = check.id
    check_ids = {c.id for c in rubric.checks}
    for i, tier in enumerate(spec.tiers):
        if tier.id not in TIER_IDS:
            problems.append(doc.message(("tiers", i, "id"), f"a tier is one of {', '.join(TIER_IDS)}"))
        if tier.target.level is not None and tier.target.level not in levels:
            problems.append(doc.message(("tiers", i, "target", "level"), f"unknown level {tier.target.level!r}"))
    for i, check in enumerate(spec.checks):
        if check.fixed_with is not None:
            target = rubric.check(check.fixed_with)
            if target is None:
                problems.append(doc.message(("checks", i, "fixed_with"), f"unknown check {check.fixed_with!r}"))
            elif target.fixed_with is not None or check.fixed_with == check.id:
                problems.append(
                    doc.message(("checks", i, "fixed_with"), "name the check whose fix clears both, not a chain")
                )
            elif target.effort_hours < check.effort_hours:
                problems.append(
                    doc.message(
                        ("checks", i, "fixed_with"),
                        f"the fix of {target.id!r} clears this check too, so its effort "
                        f"({target.effort_hours:g} h) cannot be less than this check's ({check.effort_hours:g} h)",
                    )
                )
    for i, question in enumerate(spec.questions):
        for j, proxy in enumerate(question.proxies):
            if proxy not in check_ids:
                problems.append(doc.message(("questions", i, "proxies", j), f"unknown check {proxy!r}"))
        if question.attestation and known is not None and f"attest.{question.attestation}" not in known:
            problems.append(
                doc.message(("questions", i, "attestation"), f"unknown attestation question {question.attestation!r}")
            )
    for i, total in enumerate(spec.totals):
        for category_id in total.categories:
            if category_id not in categories:
                problems.append(
                    doc.message(("totals", i, "categories", category_id), f"unknown category {category_id!r}", key=True)
                )
    return problems


def _check_fields(
    check: CheckSpec | CheckOverride,
    loc: tuple[str | int, ...],
    doc: Document,
    categories: set[str],
    levels: set[str],
    known: set[str] | None,
) -> list[str]:
    problems = []
    if check.category is not None and check.category not in categories:
        problems.append(doc.message(loc + ("category",), f"unknown category {check.category!r}"))
    if check.level is not None and check.level not in levels:
        problems.append(doc.message(loc + ("level",), f"unknown level {check.level!r}"))
    if check.attestation and known is not None and f"attest.{check.attestation}" not in known:
        problems.append(doc.message(loc + ("attestation",), f"unknown attestation question {check.attestation!r}"))
    if check.applies_when is not None and not check.not_applicable:
        sentence = "a check with 'applies_when' needs a 'not_applicable' sentence"
        problems.append(doc.message(loc + ("applies_when",), sentence))
    if check.not_applicable:
        problems += [
            doc.message(loc + ("not_applicable",), f"no collector produces {key}")
            for key in reasons.placeholders(check.not_applicable)
            if known is not None and not key_is_known(key, known)
        ]
    for name in ("automated", "manual", "applies_when"):
        expression = getattr(check, name)
        if expression is None:
            continue
        try:
            keys = conditions.keys(expression)
        except conditions.ConditionError as exc:
            problems.append(doc.message(loc + (name,), str(exc)))
            continue
        if known is not None:
            unknown = sorted(k for k in keys if not key_is_known(k, known))
            if unknown:
                problems.append(doc.message(loc + (name,), f"no collector produces {', '.join(unknown)}"))
    return problems
