"""Azure Pipelines (``azure-pipelines.yml``) as a ``Pipeline``.

Without a ``trigger`` key Azure builds every push, and without ``pr`` every
pull request, so both are implicit unless set to ``none``. A pipeline is
``stages`` of ``jobs`` of ``steps``, or just ``jobs``, or just ``steps``;
deployment jobs keep their steps under a strategy (``runOnce``, ``rolling``,
``canary``), whose ``on: failure`` hook is where rollbacks live. Script steps
run bash without ``set -e``: only the last command's status fails the step.
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
from mldebt.collectors.ci.shell import Shell
from mldebt.collectors.repo.configfiles import line_of, load_yaml, mapping, scalar

SCRIPT_KEYS = ("script", "bash", "pwsh", "powershell")
TASK_SCRIPT_INPUTS = ("script", "inlineScript", "arguments")
TASK_FILE_INPUTS = ("scriptPath", "filePath")
DOCKER_BUILDS = {"build", "buildandpush", "push"}
HOOKS = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")
AZURE_SHELL = Shell(False, False, "Azure Pipelines' bash (no 'set -e')")


def parse(text: str, path: str) -> Pipeline:
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise PipelineError("not an Azure pipeline: the top level is not a mapping", line_of(data, default=1))
    pipeline = Pipeline("azure", path)
    for key, trigger in (("trigger", "push"), ("pr", "pull_request")):
        if key not in data:
            pipeline.triggers[trigger] = None
        elif data[key] != "none":
            pipeline.triggers[trigger] = line_of(data, key)
    if isinstance(data.get("schedules"), list) and data["schedules"]:
        pipeline.triggers["schedule"] = line_of(data, "schedules")
        pipeline.schedules = [
            s["cron"] for s in data["schedules"] if isinstance(s, dict) and isinstance(s.get("cron"), str)
        ]
    if isinstance(data.get("stages"), list):
        for stage in data["stages"]:
            if isinstance(stage, dict) and "template" in stage:
                pipeline.notes.append((f"stage template not followed: {scalar(stage['template'])}", line_of(stage)))
            elif isinstance(stage, dict):
                _jobs(stage.get("jobs"), pipeline)
    elif isinstance(data.get("jobs"), list):
        _jobs(data["jobs"], pipeline)
    elif isinstance(data.get("steps"), list):
        job = Job(name="job", line=line_of(data, "steps"))
        _steps(data["steps"], job, pipeline)
        pipeline.jobs.append(job)
    else:
        raise PipelineError("not an Azure pipeline: no 'stages', 'jobs' or 'steps'", line_of(data, default=1))
    return pipeline


def _jobs(jobs: Any, pipeline: Pipeline) -> None:
    for entry in jobs if isinstance(jobs, list) else []:
        if not isinstance(entry, dict):
            continue
        if "template" in entry:
            pipeline.notes.append((f"job template not followed: {scalar(entry['template'])}", line_of(entry)))
            continue
        name = next(
            (
                v
                for v in (entry.get("displayName"), entry.get("job"), entry.get("deployment"))
                if isinstance(v, str) and v
            ),
            "job",
        )
        depends = entry.get("dependsOn")
        job = Job(
            name=str(name),
            line=line_of(entry),
            needs=[depends]
            if isinstance(depends, str)
            else [d for d in depends if isinstance(d, str)]
            if isinstance(depends, list)
            else [],
            ignores_failure="continueOnError: true" if is_true(entry.get("continueOnError")) else None,
        )
        _steps(entry.get("steps"), job, pipeline)
        strategy = entry.get("strategy") if "deployment" in entry else None
        for kind, body in strategy.items() if isinstance(strategy, dict) else []:
            job.canary = job.canary or kind == "canary"
            for hook in HOOKS:
                if isinstance(body, dict) and isinstance(body.get(hook), dict):
                    _steps(body[hook].get("steps"), job, pipeline)
            hooks = body.get("on", body.get(True)) if isinstance(body, dict) else None  # YAML 1.1 reads 'on' as True
            failure = hooks.get("failure") if isinstance(hooks, dict) else None
            if isinstance(failure, dict) and failure.get("steps"):
                job.steps.append(
                    Step(line=line_of(failure), action="on: failure", action_kinds=frozenset({"rollback"}))
                )
                _steps(failure.get("steps"), job, pipeline)
        pipeline.jobs.append(job)


def _steps(steps: Any, job: Job, pipeline: Pipeline) -> None:
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        ignored = (
            "continueOnError: true"
            if is_true(step.get("continueOnError"))
            else "enabled: false (it never runs)"
            if is_false(step.get("enabled"))
            else None
        )
        name = step["displayName"] if isinstance(step.get("displayName"), str) else None
        if "template" in step:
            pipeline.notes.append((f"step template not followed: {scalar(step['template'])}", line_of(step)))
        for key in SCRIPT_KEYS:
            if isinstance(step.get(key), str):
                job.steps.append(
                    Step(
                        line=line_of(step),
                        script=step[key],
                        name=name,
                        ignores_failure=ignored,
                        shell=AZURE_SHELL,
                        script_line=script_line(step, key, step[key]),
                        cwd=folder_of(scalar(step.get("workingDirectory"))),
                    )
                )
        if isinstance(step.get("task"), str):
            job.steps.append(_task(step, name, ignored))
            job.publishes_results = job.publishes_results or publishes_results(step["task"])


def _task(step: dict[str, Any], name: str | None, ignored: str | None) -> Step:
    task = step["task"]
    inputs = mapping(step.get("inputs"))
    script = "\n".join(
        text_of(inputs.get(k)) for k in TASK_SCRIPT_INPUTS if isinstance(inputs.get(k), str) and k != "arguments"
    )
    for key in TASK_FILE_INPUTS:
        if isinstance(inputs.get(key), str):
            runner = "python" if task.lower().startswith("pythonscript") else "bash"
            arguments = inputs.get("arguments") if isinstance(inputs.get("arguments"), str) else ""
            script += f"\n{runner} {inputs[key]} {arguments}"
    kinds = set(kinds_of_action(task))
    base = task.split("@")[0].lower()
    if base == "docker" and (scalar(inputs.get("command")) or "buildAndPush").lower() in DOCKER_BUILDS:
        kinds.add("container_build")
    if base == "kubernetesmanifest":
        action = (scalar(inputs.get("action")) or "deploy").lower()
        kinds.add("rollback" if action == "reject" else "deployment")
        if action in ("promote", "reject") or (scalar(inputs.get("strategy")) or "").lower() == "canary":
            kinds.add("canary")
    return Step(
        line=line_of(step),
        script=script.strip(),
        action=task,
        action_kinds=frozenset(kinds),
        name=name,
        ignores_failure=ignored,
        shell=AZURE_SHELL,
        cwd=folder_of(scalar(inputs.get("workingDirectory"))),
    )
