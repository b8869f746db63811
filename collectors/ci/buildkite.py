"""Buildkite pipelines (``.buildkite/pipeline.yml`` and the like) as a ``Pipeline``.

A pipeline is a list of steps (at the top level or under ``steps:``); command
steps (``command``/``commands``, a string or a list) become jobs, ``group``
steps are followed, ``wait``/``block``/``input``/``trigger`` steps run nothing.
Buildkite builds on push unless its settings say otherwise; a step whose ``if``
reads ``build.pull_request`` runs on pull requests, ``build.source ==
"schedule"`` on a schedule. Commands run with ``bash -e -c``. ``soft_fail:
true`` lets a step fail without failing the build; ``soft_fail`` with
``exit_status`` entries lets those statuses pass (``"*"``: all of them).
"""

from __future__ import annotations

from typing import Any

from mldebt.collectors.ci.model import Job, Pipeline, PipelineError, Step, is_true, script_line, text_of
from mldebt.collectors.ci.shell import Shell
from mldebt.collectors.repo.configfiles import line_of, load_yaml, scalar

SHELL = Shell(True, False, "Buildkite's bash -e -c")
STEP_KEYS = {"command", "commands", "label", "plugins", "agents", "key", "depends_on", "group", "wait", "block"}
MAX_DEPTH = 4


def steps_of(data: Any) -> list[Any] | None:
    """The step list of a Buildkite pipeline document, or None when it is not shaped like one."""
    steps = data.get("steps") if isinstance(data, dict) else data
    if not isinstance(steps, list) or not steps:
        return None
    shaped = [s for s in steps if s in ("wait", "block") or (isinstance(s, dict) and set(map(str, s)) & STEP_KEYS)]
    return steps if shaped else None


def parse(text: str, path: str) -> Pipeline:
    data = load_yaml(text)
    steps = steps_of(data)
    if steps is None:
        raise PipelineError("not a Buildkite pipeline: no 'steps' list of command steps", line_of(data, default=1))
    pipeline = Pipeline("buildkite", path, triggers={"push": None})
    _steps(steps, pipeline, 0)
    return pipeline


def _steps(steps: list[Any], pipeline: Pipeline, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    for step in steps:
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("steps"), list):  # a group
            _steps(step["steps"], pipeline, depth + 1)
            continue
        key = "command" if "command" in step else "commands" if "commands" in step else None
        if key is None:
            continue
        name = (
            scalar(step.get("label"))
            or scalar(step.get("key"))
            or scalar(step.get("name"))
            or f"step {len(pipeline.jobs) + 1}"
        )
        condition = scalar(step.get("if")) or ""
        triggers = set()
        if "pull_request" in condition:
            triggers.add("pull_request")
        if "schedule" in condition:
            triggers.add("schedule")
        depends = step.get("depends_on")
        job = Job(
            name=name,
            line=line_of(step),
            triggers=triggers or None,
            needs=[depends]
            if isinstance(depends, str)
            else [d for d in depends if isinstance(d, str)]
            if isinstance(depends, list)
            else [],
        )
        soft = step.get("soft_fail")
        if is_true(soft):
            job.ignores_failure = "soft_fail: true"
        elif isinstance(soft, list):
            statuses = [scalar(s.get("exit_status")) for s in soft if isinstance(s, dict)]
            if "*" in statuses:
                job.ignores_failure = "soft_fail: exit_status '*'"
            job.allowed_exit_codes = frozenset(int(s) for s in statuses if s and s.lstrip("-").isdigit())
            job.allowed_by = "soft_fail: exit_status"
        script = text_of(step[key])
        job.steps.append(
            Step(line=line_of(step), script=script, shell=SHELL, script_line=script_line(step, key, script))
        )
        for trigger in job.triggers or ():
            pipeline.triggers.setdefault(trigger, job.line)
        pipeline.jobs.append(job)
