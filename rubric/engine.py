"""Apply a rubric to one scan's evidence: check results and the scores built on them.

ML Test Score as Breck et al. (2017): a test run by hand and documented earns
0.5, an automated one 1; a section is the sum of its tests; the final score is
the minimum over the four sections. Debt categories score 0-100 from the
weighted points of their decided checks. A check whose evidence is missing is
*unknown* and counts in neither numerator nor denominator; a waived check is
shown as waived, earns nothing, and its effort is totalled apart.

A waiver names a whole check, or one place (``path:line``) where its evidence
was found (``locations``: the places the reason names). A check unmet only at
waived places counts as waived; with other places left it keeps its result,
and its reason says which places are waived and which are not.

A check whose ``applies_when`` condition is false does not apply (*n/a*): it
is shown with the reason, and counts in no section, category, total or level
and carries no effort. In the ML Test Score an n/a test is left out of its
section: it earns nothing and is not expected, so the section's maximum drops
by one (``Scorecard.section_max``); the final score is still the lowest
section, leaving out a section only when none of its tests applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mldebt.rubric import conditions, reasons
from mldebt.rubric.schema import DEFAULT_TIER, SECTION_IDS, TIER_IDS, Check, Rubric

POINTS = {"automated": 1.0, "manual": 0.5, "fail": 0.0}
NOT_APPLICABLE = "n/a"
BANDS = [  # (upper bound inclusive, label): the 2017 paper's interpretation
    (0.0, "more of a research project than a productionized system"),
    (1.0, "not totally untested, but serious holes in reliability are possible"),
    (2.0, "a first pass at basic productionization; more investment may be needed"),
    (3.0, "reasonably tested, but more of it could be automated"),
    (5.0, "strong automated testing and monitoring, fit for mission-critical systems"),
    (float("inf"), "exceptional levels of automated testing and monitoring"),
]
GRADES = [(90.0, "A"), (75.0, "B"), (60.0, "C"), (40.0, "D"), (0.0, "F")]


@dataclass(frozen=True)
class Context:
    """What scoping needs to know about the project being scored."""

    project: str = ""
    team: str = ""
    tags: tuple[str, ...] = ()
    tier: str = ""  # research | prototype | production; the rubric's default tier when empty


def gap(rubric: Rubric, tier_id: str, level: str | None, ml_test_score: float) -> dict[str, Any]:
    """How far a project is from its tier's target: levels short, ML Test Score points short, and in words.

    ``levels`` counts the rungs of the ladder between the level held and the
    target level; ``ml_test_score`` the points below the target score (both 0 on
    target). ``size`` orders projects by how far they have to go: a level
    weighs as one point of ML Test Score.
    """
    tier = rubric.tier(tier_id)
    ladder = [lv.id for lv in rubric.levels]
    want = tier.target.level
    held_rank = ladder.index(level) + 1 if level in ladder else 0
    want_rank = ladder.index(want) + 1 if want in ladder else 0
    levels_short = max(want_rank - held_rank, 0)
    points_short = round(max(tier.target.ml_test_score - ml_test_score, 0.0), 2)
    titles = {lv.id: lv.title for lv in rubric.levels}
    parts = []
    if levels_short:
        parts.append(f"{levels_short} level{'s' if levels_short > 1 else ''} short of {titles.get(want or '', want)}")
    if points_short:
        parts.append(f"{points_short:g} ML Test Score point{'s' if points_short != 1 else ''} short")
    return {
        "levels": levels_short,
        "ml_test_score": points_short,
        "size": levels_short + points_short,
        "on_target": not parts,
        "text": "on target" if not parts else " and ".join(parts),
    }


@dataclass(frozen=True)
class Waiver:
    check_id: str
    owner: str
    reason: str
    until: str
    at: str | None = None  # one place of the check's evidence (``path:line``); None: the whole check

    @property
    def said(self) -> str:
        return f"until {self.until} by {self.owner}: {self.reason.rstrip('.')}"


@dataclass(frozen=True)
class Result:
    check_id: str
    status: str  # automated | manual | fail | unknown | waived | n/a
    points: float | None
    weight: float
    detail: str  # the condition that decided, for the check's own page
    evidence_keys: tuple[str, ...]
    reason: str = ""  # one plain sentence made from the evidence, for every surface


@dataclass
class Scorecard:
    results: list[Result]
    sections: dict[str, float]
    ml_test_score: float
    band: str
    categories: dict[str, float | None]
    overall: float | None
    grade: str
    effort_hours: float
    waived_effort_hours: float = 0.0
    unknown: int = 0
    not_applicable: int = 0
    section_max: dict[str, float] = field(default_factory=dict)
    levels: dict[str, bool] = field(default_factory=dict)
    level: str | None = None
    tier: str = ""
    target: dict[str, Any] = field(default_factory=dict)  # {"level": str | None, "ml_test_score": float}
    gap: dict[str, Any] = field(default_factory=dict)  # see ``gap``
    totals: dict[str, float | None] = field(default_factory=dict)
    questions: dict[str, dict[str, Any]] = field(default_factory=dict)


def band(score: float) -> str:
    return next(label for bound, label in BANDS if score <= bound)


def grade(percent: float | None) -> str:
    if percent is None:
        return "?"
    return next(letter for bound, letter in GRADES if percent >= bound)


def applies(check: Check, context: Context, facts: Mapping[str, Any]) -> bool:
    """Whether a check's scope (teams, tags, languages) admits this project."""
    scope = check.applies_to
    if scope is None:
        return True
    languages = facts.get("repo.languages") or {}
    return (
        (not scope.teams or context.team in scope.teams)
        and (not scope.tags or bool(set(scope.tags) & set(context.tags)))
        and (not scope.languages or bool(set(scope.languages) & set(languages)))
    )


def attested(question: str | None, facts: Mapping[str, Any]) -> bool:
    """A current (unexpired) attestation of ``question`` is among the facts."""
    if not question:
        return False
    answer = facts.get(f"attest.{question}")
    return isinstance(answer, dict) and not answer.get("expired", False)


def ordered_keys(*expressions: str | None) -> list[str]:
    """The keys the expressions read, in the order they are written."""
    found: dict[str, int] = {}
    for expression in expressions:
        if expression:
            for key in sorted(conditions.keys(expression), key=lambda k: (expression.find(k), k)):  # a set
                found.setdefault(key, len(found) * 10_000 + max(expression.find(key), 0))
    return sorted(found, key=found.__getitem__)


def reason(check: Check, status: str, evidence: reasons.Evidence, attestation: bool = False) -> str:
    """One plain sentence for a check's result, made from the evidence its conditions read."""
    if status == NOT_APPLICABLE:
        return reasons.render(check.not_applicable or "", evidence.facts)
    if status == "automated":
        return reasons.sentence("Met:", evidence, ordered_keys(check.automated))
    if status == "manual" and attestation:
        answer = evidence.facts.get(f"attest.{check.attestation}") or {}
        who = f" by {answer['by']}" if answer.get("by") else ""
        when = f" on {answer['date']}" if answer.get("date") else ""
        return f"Half met by the team's attestation of {check.attestation!r}{who}{when}."
    if status == "manual":
        manual = ordered_keys(check.manual)
        first = reasons.sentence("Half met:", evidence, manual)
        rest = [k for k in ordered_keys(check.automated) if k not in manual]
        return first + (" " + reasons.sentence("The full point also needs", evidence, rest) if rest else "")
    keys = ordered_keys(check.applies_when, check.automated, check.manual)
    if status == "unknown":
        missing = [evidence.meaning(k) for k in evidence.missing(keys)]
        return f"Unknown: no evidence was recorded for {reasons.listing(missing) or 'what this check reads'}."
    unattested = f"the team has not attested {check.attestation!r}" if check.attestation else ""
    if not keys:
        return f"Not met: {unattested or 'nothing met its conditions'}."
    looked = reasons.sentence("Not met:", evidence, keys)
    return f"{looked} Nor has the team attested {check.attestation!r}." if unattested else looked


def judge(
    check: Check,
    evaluate: conditions.Evaluator,
    facts: Mapping[str, Any],
    evidence: reasons.Evidence | None = None,
) -> Result:
    """One check's result, with its reason: n/a when it does not apply, else the best credit whose condition holds."""
    tier = str(facts.get("project.tier") or DEFAULT_TIER)
    if check.expected_from and TIER_IDS.index(tier) < TIER_IDS.index(check.expected_from):
        return Result(
            check.id,
            NOT_APPLICABLE,
            None,
            check.weight,
            f"expected from {check.expected_from} projects",
            ("project.tier",),
            f"Expected of {check.expected_from} projects and above; this project's tier is {tier}.",
        )
    result = _judge(check, evaluate, facts)
    said = reason(check, result.status, evidence or reasons.Evidence(facts), "attested" in result.detail)
    return replace(result, reason=said)


def _judge(check: Check, evaluate: conditions.Evaluator, facts: Mapping[str, Any]) -> Result:
    used: set[str] = set()
    undecided = []
    if check.applies_when is not None:
        used |= conditions.keys(check.applies_when)
        applies_now = evaluate(check.applies_when)
        if applies_now is False:
            return Result(
                check.id,
                NOT_APPLICABLE,
                None,
                check.weight,
                f"does not apply: {check.applies_when}",
                tuple(sorted(used)),
                reasons.render(check.not_applicable or "", facts),
            )
        if applies_now is None:
            undecided.append(check.applies_when)
    for status in ("automated", "manual"):
        expression = getattr(check, status)
        if expression is None:
            continue
        used |= conditions.keys(expression)
        outcome = evaluate(expression)
        if outcome is True:
            return Result(
                check.id, status, POINTS[status], check.weight, f"{status}: {expression}", tuple(sorted(used))
            )
        if outcome is None:
            undecided.append(expression)
    if check.attestation:
        used.add(f"attest.{check.attestation}")
        if attested(check.attestation, facts):
            return Result(
                check.id,
                "manual",
                POINTS["manual"],
                check.weight,
                f"manual: attested ({check.attestation})",
                tuple(sorted(used)),
            )
    if undecided:
        return Result(
            check.id, "unknown", None, check.weight, f"no evidence for: {'; '.join(undecided)}", tuple(sorted(used))
        )
    return Result(check.id, "fail", 0.0, check.weight, "no condition holds", tuple(sorted(used)))


def locations(keys: Iterable[str], evidence: reasons.Evidence) -> list[str]:
    """The places (``path:line``) of a result's evidence, in order: those of each key it read, and of the
    key's family (``repo.debt_markers`` for ``repo.debt_markers.density``: one place per marker)."""
    found: dict[str, None] = {}
    for key in keys:
        family = key.rsplit(".", 1)[0] if key.count(".") > 1 else key
        for place in (*evidence.where.get(key, ()), *evidence.where.get(family, ())):
            found.setdefault(place, None)
    return list(found)


def waive(result: Result, whole: Waiver | None, placed: Mapping[str, Waiver], evidence: reasons.Evidence) -> Result:
    """``result`` under the waivers of its check: ``whole`` (the check), ``placed`` (by place waived).

    A check that earns its full point, or does not apply, is left as it is.
    """
    if result.status in ("automated", NOT_APPLICABLE) or not (whole or placed):
        return result
    was = result.reason.rstrip(".")
    if whole:
        return replace(
            result,
            status="waived",
            points=0.0,
            detail=f"waived until {whole.until} by {whole.owner}: {whole.reason} (was {result.status})",
            reason=f"Waived {whole.said}. Without the waiver: {was}.",
        )
    places = locations(result.evidence_keys, evidence)
    waived = [p for p in places if p in placed]
    if not waived:
        return result  # the waived places hold none of its evidence now (the code moved, or was fixed)
    left = [p for p in places if p not in placed]
    terms = list(dict.fromkeys(placed[p].said for p in waived))  # one clause per owner, end and reason
    said = "; ".join(f"at {reasons.listing([p for p in waived if placed[p].said == s])} {s}" for s in terms)
    if left:
        return replace(result, reason=f"{was}. Waived {said}; still unmet at {reasons.listing(left)}.")
    return replace(
        result,
        status="waived",
        points=0.0,
        detail=f"waived at {', '.join(waived)} (was {result.status})",
        reason=f"Waived {said}. Without the waiver{'s' if len(waived) > 1 else ''}: {was}.",
    )


def score(
    rubric: Rubric,
    facts: Mapping[str, Any],
    context: Context = Context(),
    waivers: Mapping[str, Waiver] | Iterable[Waiver] | None = None,
    evidence: reasons.Evidence | None = None,
) -> Scorecard:
    """Score one scan whose readable facts are ``facts`` (dotted key -> value).

    ``waivers``: those in force, by check or as they come (a check's latest
    whole waiver counts, and each place's latest). ``evidence`` adds what
    reasons say about those facts: each key's meaning and where it was seen.
    """
    tier = rubric.tier(context.tier).id
    facts = {**facts, "project.tier": tier}
    evaluate = conditions.Evaluator(conditions.namespace(facts))
    given = list((waivers.values() if isinstance(waivers, Mapping) else waivers) or ())
    whole = {w.check_id: w for w in given if w.at is None}
    placed: dict[str, dict[str, Waiver]] = {}
    for w in given:
        if w.at is not None:
            placed.setdefault(w.check_id, {})[w.at] = w
    evidence = evidence or reasons.Evidence(facts)
    checks = [c for c in rubric.checks if applies(c, context, facts)]
    results = []
    for check in checks:
        result = judge(check, evaluate, facts, evidence)
        results.append(waive(result, whole.get(check.id), placed.get(check.id, {}), evidence))
    card = aggregate(rubric, checks, results, facts)
    target = rubric.tier(tier).target
    card.tier = tier
    card.target = {"level": target.level, "ml_test_score": target.ml_test_score}
    card.gap = gap(rubric, tier, card.level, card.ml_test_score)
    return card


def aggregate(rubric: Rubric, checks: list[Check], results: list[Result], facts: Mapping[str, Any]) -> Scorecard:
    """Every figure of a scorecard from the checks in scope and their results."""
    by_id = {r.check_id: r for r in results}

    sections = {s: 0.0 for s in SECTION_IDS}
    section_max = {s: 0.0 for s in SECTION_IDS}
    left_out = set()  # sections whose every test is n/a: nothing there is expected
    for check in checks:
        if not (check.ml_test and check.section):
            continue
        if by_id[check.id].status == NOT_APPLICABLE:
            left_out.add(check.section)
            continue
        sections[check.section] += by_id[check.id].points or 0.0
        section_max[check.section] += 1.0
    left_out = {s for s in left_out if not section_max[s]}
    final = min((v for s, v in sections.items() if s not in left_out), default=0.0)

    def decided(ids: list[str]) -> list[Result]:
        return [by_id[i] for i in ids if by_id[i].points is not None and by_id[i].status != "waived"]

    categories = {cat.id: percent(decided([c.id for c in checks if c.category == cat.id])) for cat in rubric.categories}
    overall = percent(decided([c.id for c in checks]))
    # the effort of the paydown items this scan opens: each unmet check's estimate, a fix that clears
    # two checks counted once (fixed_with), as every surface totals the open items
    unmet = {c.id for c in checks if by_id[c.id].status in ("fail", "manual")}
    open_effort = sum(c.effort_hours for c in checks if c.id in unmet and not (c.fixed_with and c.fixed_with in unmet))
    waived_effort = sum(c.effort_hours for c in checks if by_id[c.id].status == "waived")
    held = _levels(rubric, checks, by_id)
    return Scorecard(
        results=results,
        sections=sections,
        ml_test_score=final,
        band=band(final),
        categories=categories,
        overall=overall,
        grade=grade(overall),
        effort_hours=round(open_effort, 1),
        waived_effort_hours=round(waived_effort, 1),
        unknown=sum(r.status == "unknown" for r in results),
        not_applicable=sum(r.status == NOT_APPLICABLE for r in results),
        section_max=section_max,
        levels=held,
        level=next((lv.id for lv in reversed(rubric.levels) if held.get(lv.id)), None),
        totals={t.id: _weighted(t.categories, categories) for t in rubric.totals},
        questions={q.id: _question(q, by_id, facts) for q in rubric.questions},
    )


def percent(results: list[Result]) -> float | None:
    total = sum(r.weight for r in results)
    if not total:
        return None
    return round(100.0 * sum(r.weight * (r.points or 0.0) for r in results) / total, 1)


def _levels(rubric: Rubric, checks: list[Check], by_id: Mapping[str, Result]) -> dict[str, bool]:
    """A maturity level is held when every check of it and of the levels below it earns credit."""
    held: dict[str, bool] = {}
    below = True
    for level in rubric.levels:
        mine = [by_id[c.id] for c in checks if c.level == level.id]
        expected = [r for r in mine if r.status != NOT_APPLICABLE]
        below = below and bool(mine) and all((r.points or 0.0) > 0 for r in expected)
        held[level.id] = below
    return held


def _weighted(weights: Mapping[str, float], categories: Mapping[str, float | None]) -> float | None:
    known = {k: (score, w) for k, w in weights.items() if (score := categories.get(k)) is not None}
    total_weight = sum(w for _, w in known.values())
    if not known or not total_weight:
        return None
    return round(sum(score * w for score, w in known.values()) / total_weight, 1)


def _question(question: Any, by_id: Mapping[str, Result], facts: Mapping[str, Any]) -> dict[str, Any]:
    proxies = [by_id[p] for p in question.proxies if p in by_id]
    return {
        "score": percent([r for r in proxies if r.points is not None and r.status != "waived"]),
        "attested": attested(question.attestation, facts),
        "proxies": {r.check_id: r.status for r in proxies},
    }
