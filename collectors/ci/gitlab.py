"""GitLab CI (``.gitlab-ci.yml``) as a ``Pipeline``.

GitLab runs a pipeline on every push unless told otherwise, so ``push`` is an
implicit trigger. Merge-request and schedule pipelines show up in ``rules:
if:`` conditions on ``$CI_PIPELINE_SOURCE`` and in ``only:`` lists. Hidden
jobs (``.name``) are templates; ``extends`` is followed inside the file,
``include`` is not (it is recorded as a note).

Scripts run with ``set -eo pipefail``. A job cannot fail the pipeline with
``allow_failure: true``, or with ``when: manual`` and no ``allow_failure`` (its
default there is true); ``after_script`` failures never fail the job.
``allow_failure: {exit_codes: [...]}`` is partial: the job still fails on other
statuses, so a test step counts as unable to fail only when the status its
failure returns (1 for pytest, tox, nox, npm; 2 for make) is in the list.
"""

from __future__ import annotations

import re
from typing import Any

from mldebt.collectors.ci.model import (
    AFTER_SCRIPT,
    MANUAL_DEFAULT,
    Job,
    Pipeline,
    PipelineError,
    Step,
    is_true,
    script_line,
    text_of,
)
from mldebt.collectors.ci.shell import STRICT
from mldebt.collectors.repo.configfiles import line_of, load_yaml, mapping, scalar

RESERVED = {
    "image",
    "services",
    "stages",
    "types",
    "before_script",
    "after_script",
    "variables",
    "cache",
    "include",
    "workflow",
    "default",
    "spec",
}
SOURCES = {
    "schedule": "schedule",
    "merge_request_event": "pull_request",
    "external_pull_request_event": "pull_request",
    "web": "manual",
    "api": "manual",
    "trigger": "manual",
    "push": "push",
}
ONLY = {
    "schedules": "schedule",
    "merge_requests": "pull_request",
    "merge_request": "pull_request",
    "external_pull_requests": "pull_request",
    "tags": "tag",
    "web": "manual",
    "api": "manual",
    "triggers": "manual",
    "pushes": "push",
    "branches": "push",
}
SOURCE_TEST = re.compile(r"\$CI_PIPELINE_SOURCE\s*==\s*[\"']?(\w+)")


def parse(text: str, path: str) -> Pipeline:
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise PipelineError("not a GitLab CI file: the top level is not a mapping", line_of(data, default=1))
    pipeline = Pipeline("gitlab", path, triggers={"push": None})
    if "include" in data:
        pipeline.notes.append(("'include' not followed: included jobs are not read", line_of(data, "include")))
    workflow = data.get("workflow")
    if isinstance(workflow, dict) and isinstance(workflow.get("rules"), list):
        for trigger, line in _rule_triggers(workflow["rules"]):
            pipeline.triggers.setdefault(trigger, line)
    default = mapping(data.get("default"))
    shared = {key: default.get(key, data.get(key)) for key in ("before_script", "after_script")}
    for name, job in data.items():
        if not isinstance(name, str) or name in RESERVED or name.startswith(".") or not isinstance(job, dict):
            continue
        merged = _extend(data, job, depth=0)
        pipeline.jobs.append(_job(name, job, merged, shared, line_of(data, name)))
    for job in pipeline.jobs:
        for trigger in job.triggers or ():
            pipeline.triggers.setdefault(trigger, job.line)
    return pipeline


def _extend(data: dict[Any, Any], job: dict[Any, Any], depth: int) -> dict[Any, Any]:
    """``job`` with the keys of the templates it extends (the job's own keys win)."""
    parents = job.get("extends")
    parents = [parents] if isinstance(parents, str) else parents if isinstance(parents, list) else []
    merged: dict[Any, Any] = {}
    for parent in parents:
        template = data.get(parent) if isinstance(parent, str) else None
        if isinstance(template, dict) and depth < 10:
            merged.update(_extend(data, template, depth + 1))
    merged.update(job)
    return merged


def _job(name: str, own: dict[Any, Any], job: dict[Any, Any], shared: dict[str, Any], line: int | None) -> Job:
    result = Job(
        name=name,
        line=line,
        manual=job.get("when") == "manual",
        needs=[
            n if isinstance(n, str) else scalar(n.get("job")) or ""
            for n in job.get("needs") or []
            if isinstance(n, (str, dict))
        ]
        if isinstance(job.get("needs"), list)
        else [],
    )
    allow = job.get("allow_failure")
    if is_true(allow):
        result.ignores_failure = "allow_failure: true"
    elif isinstance(allow, dict):
        codes = allow.get("exit_codes")
        codes = [codes] if isinstance(codes, int) else codes if isinstance(codes, list) else []
        result.allowed_exit_codes = frozenset(c for c in codes if isinstance(c, int) and not isinstance(c, bool))
        result.allowed_by = "allow_failure: exit_codes"
    elif allow is None and result.manual:
        result.ignores_failure = MANUAL_DEFAULT
    for key in ("before_script", "script", "after_script"):
        value = job.get(key, shared.get(key))
        script = text_of(value)
        if script:
            result.steps.append(
                Step(
                    line=line_of(own, key, line),
                    script=script,
                    name=f"{name} {key}" if key != "script" else None,
                    shell=STRICT,
                    script_line=script_line(job if key in job else shared, key, script),
                    ignores_failure=AFTER_SCRIPT if key == "after_script" else None,
                )
            )
    reports = (job.get("artifacts") or {}).get("reports") if isinstance(job.get("artifacts"), dict) else None
    result.publishes_results = isinstance(reports, dict) and "junit" in reports
    triggers = set()
    if isinstance(job.get("rules"), list):
        triggers |= {t for t, _ in _rule_triggers(job["rules"])}
    only = job.get("only")
    refs = only.get("refs") if isinstance(only, dict) else only
    if isinstance(refs, str):
        refs = [refs]
    if isinstance(refs, list):
        triggers |= {ONLY.get(r, "push") for r in refs if isinstance(r, str)}
    if result.manual:
        triggers.add("manual")
    result.triggers = triggers or None
    return result


def _rule_triggers(rules: list[Any]) -> list[tuple[str, int | None]]:
    found: list[tuple[str, int | None]] = []
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("when") == "never":
            continue
        condition = scalar(rule.get("if")) or ""
        sources = SOURCE_TEST.findall(condition)
        if sources:
            found += [(SOURCES.get(s, s), line_of(rule)) for s in sources]
        elif "$CI_COMMIT_TAG" in condition:
            found.append(("tag", line_of(rule)))
        else:
            found.append(("push", line_of(rule)))
        if rule.get("when") == "manual":
            found.append(("manual", line_of(rule)))
    return found
