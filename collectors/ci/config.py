"""CI configuration collector: what the project's pipelines run, and when.

Finds the pipeline files of GitHub Actions, GitLab CI, CircleCI, Azure
Pipelines and Jenkins, parses each with its provider module into one shape
(``ci_model.Pipeline``) and reports triggers, the kinds of work jobs do (tests,
lint, type checks, data validation, training, evaluation, container builds,
deployment, canary, rollback) and steps whose failure can never fail the
build. A yes/no summary is only answered "no" when every pipeline file was
read: one unreadable file makes a "no" unknown rather than false.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mldebt.collectors.ci import azure as ci_azure
from mldebt.collectors.ci import circleci as ci_circleci
from mldebt.collectors.ci import github as ci_github
from mldebt.collectors.ci import gitlab as ci_gitlab
from mldebt.collectors.ci import jenkins as ci_jenkins
from mldebt.collectors.ci.model import Parser, Pipeline, PipelineError
from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.repo.configfiles import ConfigError, read_text, walk

PARSERS: dict[str, Parser] = {
    "github": ci_github.parse,
    "gitlab": ci_gitlab.parse,
    "circleci": ci_circleci.parse,
    "azure": ci_azure.parse,
    "jenkins": ci_jenkins.parse,
}
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
TRIGGER_KEYS = {"push": "ci.on_push", "pull_request": "ci.on_pull_request", "schedule": "ci.on_schedule"}


def provider_of(rel: str) -> str | None:
    """Which provider's pipeline file ``rel`` is, by its conventional place and name."""
    name = rel.rsplit("/", 1)[-1]
    if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", rel):
        return "github"
    if rel in (".gitlab-ci.yml", ".gitlab-ci.yaml"):
        return "gitlab"
    if rel in (".circleci/config.yml", ".circleci/config.yaml"):
        return "circleci"
    if rel in ("azure-pipelines.yml", "azure-pipelines.yaml") or re.fullmatch(r"\.azure-pipelines/[^/]+\.ya?ml", rel):
        return "azure"
    if name == "Jenkinsfile" or name.startswith("Jenkinsfile.") or name.endswith((".jenkinsfile", ".Jenkinsfile")):
        return "jenkins"
    return None


def read_pipeline(text: str, rel: str, provider: str) -> Pipeline:
    """Parse one pipeline file; raises ConfigError or PipelineError (both carry a line)."""
    return PARSERS[provider](text, rel)


class CIConfigCollector(Collector):
    name = "ci_config"
    keys = {
        "ci.pipelines": "one per pipeline file: provider, triggers, schedules and number of jobs",
        "ci.providers": "CI providers with a pipeline file in the project",
        "ci.triggers": "every trigger of any pipeline (push, pull_request, schedule, manual, tag, ...)",
        "ci.on_push": "some pipeline runs on push",
        "ci.on_pull_request": "some pipeline runs on pull or merge requests",
        "ci.on_schedule": "some pipeline runs on a schedule",
        "ci.schedules": "cron expressions of scheduled pipelines",
        "ci.runs_tests": "some job runs tests (pytest, tox, make test, ...)",
        "ci.runs_lint": "some job runs a linter or formatter check",
        "ci.runs_type_checks": "some job runs a type checker (mypy, pyright, ...)",
        "ci.validates_data": "some job validates data (Great Expectations, a schema check, dbt test, ...)",
        "ci.trains_model": "some job trains a model (dvc repro, mlflow run, a train script, ...)",
        "ci.evaluates_model": "some job evaluates a model or reports its metrics",
        "ci.retrains_on_schedule": "a scheduled job trains a model",
        "ci.builds_container": "some job builds or pushes a container image",
        "ci.deploys": "some job deploys (kubectl, helm, cloud deploy commands or actions)",
        "ci.canary": "some job does a canary release or shifts traffic gradually",
        "ci.rollback": "some job rolls a deployment back",
        "ci.deploys_without_tests": "pipeline files that deploy with no test or evaluation job in them",
        "ci.tests_gate_build": "some test step can fail the build (its failure is not ignored)",
        "ci.ignored_failures": "one per step whose failure cannot fail the build (continue-on-error, || true, ...)",
        "ci.ignored_failures.count": "steps whose failure cannot fail the build",
        "ci.publishes_test_results": "some job writes or publishes JUnit test results",
        "ci.coverage_gate": "the lowest minimum coverage a job enforces (--cov-fail-under), in percent",
        "ci.jobs": "one per job doing recognised work: its kinds, triggers and how each was recognised",
        "ci.config.unparsed": "(error facts) pipeline files that could not be read",
        "ci.config.unfollowed": "(error facts) includes, templates or syntax the parser could not follow",
    }

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        pipelines: list[Pipeline] = []
        failed = 0
        for rel, _ in walk(snapshot.root):
            provider = provider_of(rel)
            if provider is None:
                continue
            try:
                pipeline = read_pipeline(read_text(snapshot.root, rel), rel, provider)
            except (ConfigError, PipelineError) as exc:
                failed += 1
                yield Fact.failure("ci.config.unparsed", f"{provider}: {exc}", path=rel, line=exc.line)
                continue
            pipelines.append(pipeline)
            for message, line in pipeline.notes:
                yield Fact.failure("ci.config.unfollowed", message, path=rel, line=line)
        yield from summarize(pipelines, complete=failed == 0)


def summarize(pipelines: list[Pipeline], complete: bool = True) -> Iterator[Fact]:
    """Facts for parsed pipelines; a "no" answer is given only when ``complete``."""
    kinds_found: set[str] = set()
    triggers: set[str] = set()
    schedules: list[str] = []
    ignored: list[Fact] = []
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
            matches = job.matches()
            job_triggers = p.job_triggers(job)
            kinds = sorted({m.kind for m in matches})
            pipeline_kinds |= set(kinds)
            publishes = publishes or job.writes_junit()
            threshold = job.coverage_gate()
            gate = threshold if gate is None or (threshold is not None and threshold < gate) else gate
            if "training" in kinds and "schedule" in job_triggers:
                retrains = True
            if any(m.kind == "tests" and not m.ignored for m in matches) and not job.manual:
                gated_tests = True
            if kinds:
                yield Fact(
                    "ci.jobs",
                    {
                        "job": job.name,
                        "kinds": kinds,
                        "triggers": sorted(job_triggers),
                        "manual": job.manual,
                        "via": {k: sorted({m.via for m in matches if m.kind == k}) for k in kinds},
                    },
                    path=p.path,
                    line=job.line,
                )
            seen: set[tuple[str, str]] = set()
            for m in matches:
                if m.ignored and (m.kind, m.text) not in seen:
                    seen.add((m.kind, m.text))
                    ignored.append(
                        Fact(
                            "ci.ignored_failures",
                            {"job": job.name, "kind": m.kind, "step": m.text, "reason": m.ignored},
                            path=p.path,
                            line=job.line,
                        )
                    )
            for step in job.silent_steps():
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
    yield from ignored
    yield Fact("ci.ignored_failures.count", len(ignored))
    yield Fact("ci.providers", sorted({p.provider for p in pipelines}))
    yield Fact("ci.triggers", sorted(triggers))
    yield Fact("ci.schedules", sorted(set(schedules)))
    answers = {
        **{key: kind in kinds_found for kind, key in KIND_KEYS.items()},
        **{key: trigger in triggers for trigger, key in TRIGGER_KEYS.items()},
        "ci.retrains_on_schedule": retrains,
        "ci.tests_gate_build": gated_tests,
        "ci.publishes_test_results": publishes,
    }
    for key, value in answers.items():
        if value or complete:
            yield Fact(key, value)
    yield Fact("ci.deploys_without_tests", sorted(ungated))
    if gate is not None:
        yield Fact("ci.coverage_gate", gate)
