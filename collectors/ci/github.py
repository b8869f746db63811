"""GitHub Actions workflows (``.github/workflows/*.yml``) as a ``Pipeline``.

PyYAML follows YAML 1.1, where the key ``on`` loads as the boolean True; both
spellings are read. Events map to the common trigger names (``pull_request_target``
is a pull request, ``workflow_dispatch`` is manual); other events keep their name.
Scripts run as GitHub runs them: ``bash -e`` by default (no pipefail), ``shell:
bash`` adds pipefail, a custom shell (``bash -l {0}``) has only the options it
names, and Windows runners default to PowerShell. ``continue-on-error`` that is
literally true (``true``, ``${{ true }}``) and ``if`` that is literally false
make a step or job unable to fail the workflow; an expression such as
``${{ matrix.experimental }}`` is not decided here (some matrix entries fail).
"""

from __future__ import annotations

from typing import Any

from mldebt.collectors.ci.actions import kinds_of_action, publishes_results
from mldebt.collectors.ci.model import (
    Job,
    Pipeline,
    PipelineError,
    Step,
    folder_of,
    is_false,
    is_true,
    script_line,
    text_of,
)
from mldebt.collectors.ci.shell import BASH_E, STRICT, shell_of
from mldebt.collectors.repo.configfiles import line_of, load_yaml, mapping, scalar

EVENTS = {
    "push": "push",
    "pull_request": "pull_request",
    "pull_request_target": "pull_request",
    "merge_group": "pull_request",
    "schedule": "schedule",
    "workflow_dispatch": "manual",
    "repository_dispatch": "manual",
    "release": "tag",
    "create": "tag",
}


def parse(text: str, path: str) -> Pipeline:
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise PipelineError("not a GitHub Actions workflow: the top level is not a mapping", line_of(data, default=1))
    pipeline = Pipeline("github", path)
    on_key = "on" if "on" in data else (True if True in data else None)
    if on_key is None:
        raise PipelineError("not a GitHub Actions workflow: no 'on' key", 1)
    _triggers(pipeline, data[on_key], line_of(data, on_key))
    jobs = data.get("jobs")
    if not isinstance(jobs, dict):
        raise PipelineError("not a GitHub Actions workflow: no 'jobs' mapping", line_of(data, "jobs", 1))
    defaults = mapping(mapping(data.get("defaults")).get("run"))
    for name, job in jobs.items():
        if isinstance(job, dict):
            pipeline.jobs.append(_job(str(name), job, line_of(jobs, name), defaults))
    return pipeline


def _triggers(pipeline: Pipeline, on: Any, line: int | None) -> None:
    events = [on] if isinstance(on, str) else list(on) if isinstance(on, (list, dict)) else []
    for event in events:
        if not isinstance(event, str):
            continue
        trigger = EVENTS.get(event, event)
        pipeline.triggers.setdefault(trigger, line_of(on, event, line) if isinstance(on, dict) else line)
        if event == "schedule" and isinstance(on, dict) and isinstance(on[event], list):
            pipeline.schedules += [
                s["cron"] for s in on[event] if isinstance(s, dict) and isinstance(s.get("cron"), str)
            ]
        if event == "push" and isinstance(on, dict) and isinstance(on[event], dict) and "tags" in on[event]:
            pipeline.triggers.setdefault("tag", line_of(on[event], "tags"))


def _job(name: str, job: dict[Any, Any], line: int | None, defaults: dict[Any, Any]) -> Job:
    needs = job.get("needs")
    result = Job(
        name=scalar(job.get("name")) or name,
        line=line,
        needs=[needs] if isinstance(needs, str) else [str(n) for n in needs or [] if isinstance(n, str)],
        ignores_failure=_ignored(job),
    )
    run = {**defaults, **mapping(mapping(job.get("defaults")).get("run"))}
    runs_on = scalar(job.get("runs-on")) or ""
    default_shell = shell_of("pwsh") if runs_on.lower().startswith("windows") else BASH_E
    if isinstance(job.get("uses"), str):  # a reusable workflow called as the whole job
        result.steps.append(Step(line=line_of(job, "uses"), action=job["uses"]))
    for step in job.get("steps") or []:
        if not isinstance(step, dict):
            continue
        action = step.get("uses") if isinstance(step.get("uses"), str) else None
        kinds = kinds_of_action(action) if action else set()
        if action and publishes_results(action):
            result.publishes_results = True
        script = text_of(step.get("run"))
        shell_spec = scalar(step.get("shell")) or scalar(run.get("shell"))
        shell = shell_of(shell_spec, default_shell)
        if shell_spec and shell_spec.strip() == "bash":
            shell = STRICT  # `shell: bash` runs bash --noprofile --norc -eo pipefail {0}
        folder = scalar(step.get("working-directory")) or scalar(run.get("working-directory")) or ""
        result.steps.append(
            Step(
                line=line_of(step),
                script=script,
                action=action,
                action_kinds=frozenset(kinds),
                name=scalar(step.get("name")),
                ignores_failure=_ignored(step),
                shell=shell,
                script_line=script_line(step, "run", script),
                cwd=folder_of(folder),
            )
        )
    return result


def _ignored(entry: dict[Any, Any]) -> str | None:
    """Why a job or step cannot fail the workflow: ``continue-on-error`` literally true, or ``if`` literally false."""
    if is_true(entry.get("continue-on-error")):
        return "continue-on-error: true"
    if is_false(entry.get("if")):
        return "if: false (it never runs)"
    return None
