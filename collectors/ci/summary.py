"""The CI collector's facts, from parsed pipelines: what runs, on what trigger, and whether it can fail the build.

A check-like kind of work (tests, lint, type checks, data validation,
evaluation) counts only where some step doing it can fail the build: a test
step under ``continue-on-error: true``, ``allow_failure: true``, ``|| true``,
``set +e``, a make ``-`` prefix and the like runs, but gates nothing, so it is
reported as ``ci.tests_cannot_fail`` ("tests run but cannot fail the build",
with the file and line) and ``ci.ignored_failures`` instead of answering
``ci.runs_tests``. Actions (training, builds, deployment, canary, rollback)
count whether or not their failure is ignored: they still happen.

Every test step that can fail the build gets a ``ci.tests.via`` fact: the CI
command, where it is, and the hops (make targets, tox envs, nox sessions,
package.json scripts, repository scripts) from it to the tests, each with its
file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mldebt.collectors.interface import Fact

if TYPE_CHECKING:  # KEYS is read where every collector's keys are, before any scan: the parsers load when one runs
    from mldebt.collectors.ci.commands import Follow, Match
    from mldebt.collectors.ci.model import Pipeline

KIND_KEYS = {
    "tests": "ci.runs_tests",
    "lint": "ci.runs_lint",
    "type_checks": "ci.runs_type_checks",
    "data_validation": "ci.validates_data",
    "training": "ci.trains_model",
    "evaluation": "ci.evaluates_model",
    "container_build": "ci.builds_container",
    "deployment": "ci.deploys",
    "canary": "ci.canary",
    "rollback": "ci.rollback",
}
CHECK_KINDS = {"tests", "lint", "type_checks", "data_validation", "evaluation"}  # count only when they can fail
TRIGGER_KEYS = {"push": "ci.on_push", "pull_request": "ci.on_pull_request", "schedule": "ci.on_schedule"}
MAX_CHAINS = 5  # ci.tests.via facts per CI command

KEYS = {
    "ci.pipelines": "one per pipeline file: provider, triggers, schedules and number of jobs",
    "ci.providers": "CI providers with a pipeline file in the project",
    "ci.triggers": "every trigger of any pipeline (push, pull_request, schedule, manual, tag, ...)",
    "ci.on_push": "some pipeline runs on push",
    "ci.on_pull_request": "some pipeline runs on pull or merge requests",
    "ci.on_schedule": "some pipeline runs on a schedule",
    "ci.schedules": "cron expressions of scheduled pipelines",
    "ci.runs_tests": "some job runs tests whose failure can fail the build (pytest, tox, make test, ..., directly or "
    "through make targets, tox envs, nox sessions, package.json scripts or repository scripts)",
    "ci.runs_lint": "some job runs a linter or formatter check whose failure can fail the build",
    "ci.runs_type_checks": "some job runs a type checker (mypy, pyright, ...) whose failure can fail the build",
    "ci.validates_data": "some job validates data (Great Expectations, a schema check, dbt test, ...) and can fail",
    "ci.trains_model": "some job trains a model (dvc repro, mlflow run, a train script, ...)",
    "ci.evaluates_model": "some job evaluates a model or reports its metrics, and can fail the build",
    "ci.retrains_on_schedule": "a scheduled job trains a model",
    "ci.builds_container": "some job builds or pushes a container image",
    "ci.deploys": "some job deploys (kubectl, helm, cloud deploy commands or actions)",
    "ci.canary": "some job does a canary release or shifts traffic gradually",
    "ci.rollback": "some job rolls a deployment back",
    "ci.deploys_without_tests": "pipeline files that deploy with no test or evaluation job in them that can fail",
    "ci.tests_gate_build": "some test step of a job that runs by itself (not manual) can fail the build",
    "ci.tests.via": "one per test step that can fail the build, at its CI file and line: the command and the hops "
    "from it to the tests (make targets, tox envs, scripts ...) with their files and lines",
    "ci.tests_cannot_fail": "one per test step that runs but cannot fail the build, at its CI file and line: "
    "why (continue-on-error, allow_failure, || true, set +e, a make '-' prefix ...) and a sentence saying so",
    "ci.tests_cannot_fail.count": "test steps that run but cannot fail the build",
    "ci.ignored_failures": "one per step whose failure cannot fail the build (continue-on-error, || true, ...)",
    "ci.ignored_failures.count": "steps whose failure cannot fail the build",
    "ci.publishes_test_results": "some job writes or publishes JUnit test results",
    "ci.coverage_gate": "the lowest minimum coverage a job enforces (--cov-fail-under), in percent",
    "ci.jobs": "one per job doing recognised work: its kinds, those it does only where they cannot fail, triggers "
    "and how each was recognised",
    "ci.config.unparsed": "(error facts) pipeline files that could not be read",
    "ci.config.unfollowed": "(error facts) includes, templates or syntax the parser could not follow",
}


def counts(match: Match) -> bool:
    """Whether a match earns its kind: actions always, checks only when their failure can fail the build."""
    return match.kind not in CHECK_KINDS or not match.ignored


def chain_text(match: Match) -> str:
    """``make check -> test -> poetry run py.test tests``: the command and each hop's name."""
    parts = [match.text]
    for label, _, _ in match.chain:
        if parts[-1].split()[-1:] != [label] and parts[-1] != label:
            parts.append(label)
    return " -> ".join(parts)


def hops_of(match: Match) -> list[str]:
    return [
        f"{path}:{line} {label}" if path and line else f"{path} {label}" if path else label
        for label, path, line in match.chain
    ]


def summarize(pipelines: list[Pipeline], complete: bool = True, follow: Follow | None = None) -> Iterator[Fact]:
    """Facts for parsed pipelines; a "no" answer is given only when ``complete``; ``follow`` reads runners' targets."""
    from mldebt.collectors.ci.model import BY_DESIGN

    kinds_found: set[str] = set()
    triggers: set[str] = set()
    schedules: list[str] = []
    ignored: list[Fact] = []
    tests: list[Fact] = []
    cannot_fail: list[Fact] = []
    gate, publishes, retrains, gated_tests = None, False, False, False
    ungated: list[str] = []
    for p in pipelines:
        triggers |= set(p.triggers)
        schedules += p.schedules
        yield Fact(
            "ci.pipelines",
            {"provider": p.provider, "triggers": sorted(p.triggers), "schedules": p.schedules, "jobs": len(p.jobs)},
            path=p.path,
            line=1,
        )
        pipeline_kinds: set[str] = set()
        for job in p.jobs:
            matches = job.matches(follow)
            job_triggers = p.job_triggers(job)
            recognised = sorted({m.kind for m in matches})
            kinds = {m.kind for m in matches if counts(m)}
            pipeline_kinds |= kinds
            publishes = publishes or job.writes_junit()
            threshold = job.coverage_gate(follow)
            gate = threshold if gate is None or (threshold is not None and threshold < gate) else gate
            if "training" in kinds and "schedule" in job_triggers:
                retrains = True
            if any(m.kind == "tests" and not m.ignored for m in matches) and not job.manual:
                gated_tests = True
            if recognised:
                yield Fact(
                    "ci.jobs",
                    {
                        "job": job.name,
                        "kinds": recognised,
                        "cannot_fail": sorted(set(recognised) - kinds),
                        "triggers": sorted(job_triggers),
                        "manual": job.manual,
                        "via": {k: sorted({m.via for m in matches if m.kind == k}) for k in recognised},
                    },
                    path=p.path,
                    line=job.line,
                )
            tests += _test_facts(p, job.name, job.line, matches)
            cannot_fail += _cannot_fail_facts(p, job.name, job.line, matches)
            seen: set[tuple[str, str]] = set()
            for m in matches:
                if m.ignored and (m.kind in CHECK_KINDS or m.ignored not in BY_DESIGN) and (m.kind, m.text) not in seen:
                    seen.add((m.kind, m.text))
                    ignored.append(
                        Fact(
                            "ci.ignored_failures",
                            {"job": job.name, "kind": m.kind, "step": m.text, "reason": m.ignored},
                            path=p.path,
                            line=m.line or job.line,
                        )
                    )
            for step in job.silent_steps(follow):
                what = step.name or step.action or step.script.strip()[:300]
                ignored.append(
                    Fact(
                        "ci.ignored_failures",
                        {
                            "job": job.name,
                            "kind": None,
                            "step": what,
                            "reason": step.ignores_failure or job.ignores_failure,
                        },
                        path=p.path,
                        line=step.line,
                    )
                )
        kinds_found |= pipeline_kinds
        if "deployment" in pipeline_kinds and not pipeline_kinds & {"tests", "evaluation"}:
            ungated.append(p.path)
    yield from tests
    yield from cannot_fail
    yield Fact("ci.tests_cannot_fail.count", len(cannot_fail))
    yield from ignored
    yield Fact("ci.ignored_failures.count", len(ignored))
    yield Fact("ci.providers", sorted({p.provider for p in pipelines}))
    yield Fact("ci.triggers", sorted(triggers))
    yield Fact("ci.schedules", sorted(set(schedules)))
    triggers_known = all(p.triggers_known for p in pipelines)
    answers = {
        **{key: kind in kinds_found for kind, key in KIND_KEYS.items()},
        **{key: trigger in triggers for trigger, key in TRIGGER_KEYS.items()},
        "ci.retrains_on_schedule": retrains,
        "ci.tests_gate_build": gated_tests,
        "ci.publishes_test_results": publishes,
    }
    by_trigger = {*TRIGGER_KEYS.values(), "ci.retrains_on_schedule"}
    for key, value in answers.items():
        if value or (complete and (triggers_known or key not in by_trigger)):
            yield Fact(key, value)
    yield Fact("ci.deploys_without_tests", sorted(ungated))
    if gate is not None:
        yield Fact("ci.coverage_gate", gate)


def _test_facts(p: Pipeline, job: str, job_line: int | None, matches: list[Match]) -> list[Fact]:
    facts: list[Fact] = []
    per_command: dict[tuple[str, int | None], int] = {}
    seen: set[tuple[str, int | None, str]] = set()
    for m in matches:
        if m.kind != "tests" or m.ignored:
            continue
        chain = chain_text(m)
        where = (m.text, m.line)
        if (m.text, m.line, chain) in seen or per_command.get(where, 0) >= MAX_CHAINS:
            continue
        seen.add((m.text, m.line, chain))
        per_command[where] = per_command.get(where, 0) + 1
        facts.append(
            Fact(
                "ci.tests.via",
                {"job": job, "step": m.text, "chain": chain, "hops": hops_of(m)},
                path=p.path,
                line=m.line or job_line,
            )
        )
    return facts


def _cannot_fail_facts(p: Pipeline, job: str, job_line: int | None, matches: list[Match]) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[tuple[str, int | None]] = set()
    for m in matches:
        if m.kind != "tests" or not m.ignored or (m.text, m.line) in seen:
            continue
        seen.add((m.text, m.line))
        line = m.line or job_line
        where = f"{p.path}:{line}" if line else p.path
        facts.append(
            Fact(
                "ci.tests_cannot_fail",
                {
                    "job": job,
                    "step": m.text,
                    "chain": chain_text(m),
                    "reason": m.ignored,
                    "sentence": f"tests run but cannot fail the build: {where} `{m.text[:120]}` ({m.ignored})",
                },
                path=p.path,
                line=line,
            )
        )
    return facts
