"""Bitbucket Pipelines (``bitbucket-pipelines.yml``) as a ``Pipeline``.

``pipelines:`` holds ``default`` (every push), ``branches`` (pushes to matching
branches), ``pull-requests``, ``tags`` and ``custom`` (run by hand or on a
schedule set in Bitbucket, not in the file) lists of ``step``, ``parallel``
and ``stage`` entries. Each step is a job. ``script`` commands run until one
fails (read as ``bash -e``); ``after-script`` runs whatever happened and its
result never changes the build's; a step with ``trigger: manual`` waits for a
person. YAML anchors in ``definitions`` are resolved by the YAML loader.
"""

from __future__ import annotations

from typing import Any

from mldebt.collectors.ci.model import AFTER_SCRIPT_BITBUCKET, Job, Pipeline, PipelineError, Step, script_line, text_of
from mldebt.collectors.ci.shell import Shell
from mldebt.collectors.repo.configfiles import line_of, load_yaml, mapping, scalar

SECTIONS = {"default": "push", "branches": "push", "pull-requests": "pull_request", "tags": "tag", "custom": "manual"}
SHELL = Shell(True, False, "Bitbucket's script runner")
MAX_DEPTH = 6


def parse(text: str, path: str) -> Pipeline:
    data = load_yaml(text)
    if not isinstance(data, dict) or not isinstance(data.get("pipelines"), dict):
        raise PipelineError("not a Bitbucket pipeline: no 'pipelines' mapping", line_of(data, default=1))
    pipeline = Pipeline("bitbucket", path)
    for section, body in data["pipelines"].items():
        trigger = SECTIONS.get(str(section))
        if trigger is None:
            continue
        pipeline.triggers.setdefault(trigger, line_of(data["pipelines"], section))
        if section == "default":
            _entries(body, trigger, str(section), pipeline, 0)
        else:
            for pattern, entries in mapping(body).items():
                _entries(entries, trigger, f"{section} {pattern}", pipeline, 0)
    return pipeline


def _entries(entries: Any, trigger: str, where: str, pipeline: Pipeline, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(entries, dict):  # parallel: {steps: [...]} and stage: {steps: [...]}
        entries = entries.get("steps")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("step"), dict):
            pipeline.jobs.append(_job(entry["step"], trigger, where, len(pipeline.jobs) + 1))
        for key in ("parallel", "stage"):
            if key in entry:
                _entries(entry[key], trigger, where, pipeline, depth + 1)


def _job(step: dict[Any, Any], trigger: str, where: str, index: int) -> Job:
    manual = scalar(step.get("trigger")) == "manual"
    job = Job(
        name=scalar(step.get("name")) or f"{where} step {index}",
        line=line_of(step),
        triggers={"manual"} if manual else {trigger},
        manual=manual,
    )
    for key in ("script", "after-script"):
        script = text_of(step.get(key))
        if script:
            job.steps.append(
                Step(
                    line=line_of(step, key),
                    script=script,
                    name=f"{job.name} {key}" if key != "script" else None,
                    shell=SHELL,
                    script_line=script_line(step, key, script),
                    ignores_failure=AFTER_SCRIPT_BITBUCKET if key != "script" else None,
                )
            )
    return job
