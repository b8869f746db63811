"""Google Cloud Build configs as a ``Pipeline``: ``cloudbuild.yaml`` and YAML files shaped like one.

A Cloud Build config is a mapping whose ``steps`` are containers: ``name`` is
a builder image, ``entrypoint`` and ``args`` the command it runs (or
``script`` a shell script). Each step becomes a job of one step, so the build's
steps keep their own names (``id``), lines and ``waitFor``. The command is the
entrypoint and args, the builder's own program for the ``gcr.io/cloud-builders``
images (``docker``, ``gcloud``, ``kubectl`` ...), or the args alone for other
images. ``bash -c '...'`` and ``script`` run without ``set -e``.
``allowFailure: true`` lets a step fail without failing the build, and
``allowExitCodes`` lets the statuses it lists pass.

What starts a build (a push, a pull request, a schedule, ``gcloud builds
submit`` by hand) is set in Cloud Build triggers outside the repository, so the
pipeline's triggers are unknown rather than none.

``looks_like`` decides whether any YAML mapping is a Cloud Build config: every
top-level key is one Cloud Build knows, every step has an image ``name`` and
only Cloud Build step keys, and some step runs something (``args``,
``entrypoint`` or ``script``) with a name that reads as an image. Kubernetes
manifests, Compose files, Hydra configs and other pipelines' files fail it.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from mldebt.collectors.ci.model import Job, Pipeline, PipelineError, Step, folder_of, is_true
from mldebt.collectors.ci.shell import Shell, shell_of
from mldebt.collectors.repo.configfiles import line_of, load_yaml, scalar

TOP_KEYS = {
    *("steps", "timeout", "queueTtl", "logsBucket", "options", "substitutions", "tags", "serviceAccount"),
    *("secrets", "availableSecrets", "artifacts", "images", "logging", "dynamicSubstitutions", "serviceAccountName"),
}
STEP_KEYS = {
    *("name", "args", "env", "dir", "id", "waitFor", "entrypoint", "secretEnv", "volumes", "timeout", "script"),
    *("allowFailure", "allowExitCodes", "automapSubstitutions"),
}
BUILDERS = re.compile(r"^(?:[\w.-]+/)?gcr\.io/cloud-builders/([\w-]+)")
# an image name beyond doubt: a substitution ($_IMAGE), a registry host (gcr.io/..., *.pkg.dev/...), or a tag
IMAGE = re.compile(r"^(\$\{?_|[\w-]+(\.[\w-]+)+(:\d+)?/[\w./-]+|[\w.-]+(/[\w.-]+)*:[\w.${}-]+$)")
KNOWN_IMAGES = {"python", "ubuntu", "debian", "alpine", "busybox", "bash", "node", "golang", "docker", "maven"}
SCRIPT_SHELL = Shell(False, False, "Cloud Build's script (no 'set -e')")


def looks_like(data: Any) -> bool:
    """Whether a parsed YAML document has the shape of a Cloud Build config."""
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data["steps"]:
        return False
    if not all(isinstance(k, str) and k in TOP_KEYS for k in data):
        return False
    runs = False
    for step in data["steps"]:
        if not isinstance(step, dict) or not isinstance(step.get("name"), str):
            return False
        if not all(isinstance(k, str) and k in STEP_KEYS for k in step):
            return False
        args = step.get("args")
        if args is not None and not (isinstance(args, list) and all(scalar(a) is not None for a in args)):
            return False
        if args or isinstance(step.get("entrypoint"), str) or isinstance(step.get("script"), str):
            runs = runs or _is_image(step["name"])
    return runs


def _is_image(name: str) -> bool:
    name = name.strip()
    return bool(IMAGE.match(name)) or name.split(":")[0] in KNOWN_IMAGES


def parse(text: str, path: str) -> Pipeline:
    data = load_yaml(text)
    if not looks_like(data):
        raise PipelineError("not a Cloud Build config: no 'steps' of builder images", line_of(data, default=1))
    pipeline = Pipeline("cloudbuild", path, triggers_known=False)
    for index, step in enumerate(data["steps"], 1):
        name = scalar(step.get("id")) or f"step {index} ({step['name']})"
        wait = step.get("waitFor")
        job = Job(
            name=name,
            line=line_of(step),
            needs=[str(w) for w in wait if isinstance(w, str) and w != "-"] if isinstance(wait, list) else [],
        )
        if is_true(step.get("allowFailure")):
            job.ignores_failure = "allowFailure: true"
        codes = step.get("allowExitCodes")
        if isinstance(codes, list):
            job.allowed_exit_codes = frozenset(c for c in codes if isinstance(c, int) and not isinstance(c, bool))
            job.allowed_by = "allowExitCodes"
        script, shell, script_line = _command(step)
        job.steps.append(
            Step(
                line=line_of(step),
                script=script,
                name=scalar(step.get("id")),
                shell=shell,
                script_line=script_line,
                cwd=folder_of(scalar(step.get("dir"))),
            )
        )
        pipeline.jobs.append(job)
    return pipeline


def _command(step: dict[Any, Any]) -> tuple[str, Shell, int | None]:
    """The shell text a step runs, the shell's options and the line of its first line."""
    args = [scalar(a) or "" for a in step.get("args") or []] if isinstance(step.get("args"), list) else []
    entrypoint = scalar(step.get("entrypoint"))
    line = line_of(step, "args") or line_of(step, "entrypoint") or line_of(step)
    if isinstance(step.get("script"), str):
        script = step["script"]
        return script, SCRIPT_SHELL, (line_of(step, "script") or 0) + (1 if "\n" in script.strip() else 0) or None
    if entrypoint and entrypoint.rsplit("/", 1)[-1] in ("bash", "sh") and args and args[0].startswith("-"):
        flags = args[0]
        if "c" in flags and len(args) > 1:
            return args[1], shell_of(f"{entrypoint} {flags}", SCRIPT_SHELL), line
    builder = BUILDERS.match(step["name"].strip())
    program = [entrypoint] if entrypoint else [builder.group(1)] if builder else []
    return shlex.join(program + args), Shell(True, False, "the step's command"), line
