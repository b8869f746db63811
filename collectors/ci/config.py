"""CI configuration collector: what the project's pipelines run, and when.

Finds the pipeline files of GitHub Actions, GitLab CI, CircleCI, Azure
Pipelines, Jenkins, Bitbucket Pipelines, Buildkite and Google Cloud Build (by
name, and for Cloud Build and Buildkite also by content: ``sniff``), parses
each with its provider module into one shape (``ci_model.Pipeline``) and
hands them to ``ci_summary``, which follows commands into Makefiles, tox, nox,
package.json and scripts (``ci_hops``) and reports triggers, the kinds of work
jobs do and the steps whose failure can never fail the build. A yes/no summary
is only answered "no" when every pipeline file was read: one unreadable file
makes a "no" unknown rather than false. ``ci_config_paths`` lists a tree's
pipeline files for other collectors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING

from mldebt.collectors.ci.summary import KEYS, summarize
from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.repo.configfiles import SKIP_DIRS, ConfigError, load_yaml, read_text, walk

if TYPE_CHECKING:
    from mldebt.collectors.ci.model import Parser, Pipeline

CLOUDBUILD_NAME = re.compile(r"(^|/)cloudbuild\.(ya?ml|json)$")  # other names are read by their shape (sniff)
BUILDKITE_NAME = re.compile(r"^(\.buildkite/pipeline(\.[^/]+)?\.(ya?ml|json)|\.?buildkite\.(ya?ml|json))$")
TOP_STEPS = re.compile(r"^steps\s*:", re.M)
SNIFF_BYTES = 512 * 1024  # YAML files larger than this are not opened to see whether they are pipelines


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
    if rel in ("bitbucket-pipelines.yml", "bitbucket-pipelines.yaml"):
        return "bitbucket"
    if BUILDKITE_NAME.match(rel):
        return "buildkite"
    if CLOUDBUILD_NAME.search(rel) and "/node_modules/" not in f"/{rel}":
        return "cloudbuild"
    return None


@cache
def _parsers() -> dict[str, Parser]:
    """Each provider's parser, loaded when the first pipeline file is read.

    Not at import: a scan imports this module before it starts (the registry,
    and the repository collector, which lists the pipeline files), on the way
    to its file pool; the parsers are needed only where there is a pipeline,
    in the process that runs this collector.
    """
    from mldebt.collectors.ci import azure, bitbucket, buildkite, circleci, cloudbuild, github, gitlab, jenkins

    return {
        "github": github.parse,
        "gitlab": gitlab.parse,
        "circleci": circleci.parse,
        "azure": azure.parse,
        "jenkins": jenkins.parse,
        "bitbucket": bitbucket.parse,
        "buildkite": buildkite.parse,
        "cloudbuild": cloudbuild.parse,
    }


def sniff(rel: str, text: str) -> str | None:
    """The provider of a YAML file with no pipeline name whose content has a pipeline's shape (else None).

    Only files with a top-level ``steps:`` key are parsed: a Cloud Build config
    anywhere (``build/pipeline-deployment.yaml``), a Buildkite pipeline under
    ``.buildkite/``. Anything else (Kubernetes manifests, Compose files, Hydra
    configs, other pipelines' templates) is left alone.
    """
    if not rel.endswith((".yml", ".yaml")) or not TOP_STEPS.search(text):
        return None
    try:
        data = load_yaml(text)
    except ConfigError:
        return None
    from mldebt.collectors.ci import buildkite, cloudbuild

    if rel.startswith(".buildkite/") and buildkite.steps_of(data) is not None:
        return "buildkite"
    return "cloudbuild" if cloudbuild.looks_like(data) else None


def ci_config_paths(paths: Iterable[str], text: Callable[[str], str | None]) -> list[str]:
    """The CI configuration files among ``paths`` (repository-relative), sorted.

    By name for every provider, and by content for YAML files shaped like a
    Cloud Build config or (under ``.buildkite/``) a Buildkite pipeline;
    ``text(path)`` reads a file (None when it cannot be read) and is only asked
    for YAML files that are not named as pipelines.
    """
    found: list[str] = []
    for rel in paths:
        if provider_of(rel) is not None:
            found.append(rel)
        elif rel.endswith((".yml", ".yaml")) and not _skipped(rel):
            content = text(rel)
            if content is not None and sniff(rel, content) is not None:
                found.append(rel)
    return sorted(found)


def _skipped(rel: str) -> bool:
    parts = rel.split("/")
    return any(part in SKIP_DIRS for part in parts[:-1])


def read_pipeline(text: str, rel: str, provider: str) -> Pipeline:
    """Parse one pipeline file; raises ConfigError or PipelineError (both carry a line)."""
    return _parsers()[provider](text, rel)


class CIConfigCollector(Collector):
    name = "ci_config"
    keys = KEYS

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        from mldebt.collectors.ci.model import PipelineError  # with the parsers: loaded where this collector runs

        pipelines: list[Pipeline] = []
        failed = 0
        for rel, path in walk(snapshot.root):
            provider = provider_of(rel)
            try:
                if provider is None:
                    if not rel.endswith((".yml", ".yaml")) or path.stat().st_size > SNIFF_BYTES:
                        continue
                    text = read_text(snapshot.root, rel)
                    provider = sniff(rel, text)
                    if provider is None:
                        continue
                else:
                    text = read_text(snapshot.root, rel)
                pipeline = read_pipeline(text, rel, provider)
            except (ConfigError, PipelineError, OSError) as exc:
                if provider is None:
                    continue  # an unreadable YAML file that is not named as a pipeline: not ours to report
                failed += 1
                yield Fact.failure(
                    "ci.config.unparsed", f"{provider}: {exc}", path=rel, line=getattr(exc, "line", None)
                )
                continue
            pipelines.append(pipeline)
            for message, line in pipeline.notes:
                yield Fact.failure("ci.config.unfollowed", message, path=rel, line=line)
        follow = None
        if pipelines:  # runners' targets (make, tox, nox, scripts) are read only where a pipeline runs them
            from mldebt.collectors.ci.hops import Hops

            follow = Hops(snapshot.root)
        yield from summarize(pipelines, complete=failed == 0, follow=follow)
