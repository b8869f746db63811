"""CircleCI (``.circleci/config.yml``) as a ``Pipeline``.

Jobs hold steps: ``run`` commands, built-ins (``checkout``,
``store_test_results``), commands declared under ``commands:`` (expanded
here) and orb commands (``docker/build``), read as actions. A workflow's
``triggers: - schedule`` makes its jobs scheduled; everything else runs on push.
``run`` steps use ``/bin/bash -eo pipefail`` unless a ``shell`` says otherwise.
"""

from __future__ import annotations

from typing import Any

from mldebt.collectors.ci.actions import kinds_of_action
from mldebt.collectors.ci.model import Job, Pipeline, PipelineError, Step, folder_of, script_line, text_of
from mldebt.collectors.ci.shell import STRICT, Shell, shell_of
from mldebt.collectors.repo.configfiles import line_of, load_yaml, mapping, scalar

MAX_DEPTH = 6


def parse(text: str, path: str) -> Pipeline:
    data = load_yaml(text)
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        raise PipelineError("not a CircleCI config: no 'jobs' mapping", line_of(data, default=1))
    pipeline = Pipeline("circleci", path, triggers={"push": None})
    commands = mapping(data.get("commands"))
    scheduled: set[str] = set()
    workflows = mapping(data.get("workflows"))
    for name, workflow in workflows.items():
        if not isinstance(workflow, dict):
            continue
        schedules = [
            t["schedule"]
            for t in workflow.get("triggers") or []
            if isinstance(t, dict) and isinstance(t.get("schedule"), dict)
        ]
        if schedules or "scheduled_pipeline" in (scalar(workflow.get("when")) or ""):
            pipeline.triggers.setdefault("schedule", line_of(workflows, name))
            pipeline.schedules += [s["cron"] for s in schedules if isinstance(s.get("cron"), str)]
            scheduled |= set(_workflow_jobs(workflow))
    for name, job in data["jobs"].items():
        if not isinstance(job, dict):
            continue
        result = Job(name=str(name), line=line_of(data["jobs"], name))
        shell = shell_of(scalar(job.get("shell")), STRICT)
        _steps(job.get("steps"), commands, result, 0, shell, folder_of(scalar(job.get("working_directory"))))
        if name in scheduled:
            result.triggers = {"schedule"}
        pipeline.jobs.append(result)
    return pipeline


def _workflow_jobs(workflow: dict[Any, Any]) -> list[str]:
    names: list[str] = []
    for entry in workflow.get("jobs") or []:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, dict):
            names += [str(k) for k in entry]
    return names


def _steps(steps: Any, commands: dict[Any, Any], job: Job, depth: int, shell: Shell, cwd: str) -> None:
    if not isinstance(steps, list) or depth > MAX_DEPTH:
        return
    for step in steps:
        key, value = (
            (step, None)
            if isinstance(step, str)
            else next(iter(step.items()), (None, None))
            if isinstance(step, dict)
            else (None, None)
        )
        if not isinstance(key, str):
            continue
        line = line_of(step, default=line_of(steps))
        if key == "run":
            script = (
                value if isinstance(value, str) else text_of(value.get("command")) if isinstance(value, dict) else ""
            )
            options = value if isinstance(value, dict) else {}
            job.steps.append(
                Step(
                    line=line,
                    script=script,
                    name=scalar(options.get("name")),
                    shell=shell_of(scalar(options.get("shell")), shell),
                    script_line=script_line(options, "command", script) if options else line,
                    cwd=folder_of(scalar(options.get("working_directory"))) or cwd,
                )
            )
        elif key == "store_test_results":
            job.publishes_results = True
        elif key in ("when", "unless") and isinstance(value, dict):
            _steps(value.get("steps"), commands, job, depth + 1, shell, cwd)
        elif key in commands and isinstance(commands[key], dict):
            _steps(commands[key].get("steps"), commands, job, depth + 1, shell, cwd)
        elif "/" in key:
            job.steps.append(Step(line=line, action=key, action_kinds=frozenset(kinds_of_action(key))))
