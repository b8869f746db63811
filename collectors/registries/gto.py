"""A model registry kept in git: GTO's artifacts and the tags that version and stage them.

GTO (and DVC's model registry built on it) declares artifacts in
``artifacts.yaml`` or under ``artifacts:`` in a ``dvc.yaml``, and records every
registration and stage assignment as a git tag: ``churn@v1.2.0`` registers a
version at the tagged commit, ``churn@v1.2.0!`` withdraws it, ``churn#prod#3``
assigns the stage ``prod`` to the version at its commit (the number orders the
events), ``churn#prod!#4`` takes the stage back, ``churn@deprecated#5``
deprecates the artifact. An artifact declared in ``models/dvc.yaml`` is
``models:churn``, written ``models=churn`` in its tags. Tags are listed through
the hardened git runner (``git for-each-ref``) on the scanned repository, and
only tags made by the scan's moment count. Nothing of GTO or DVC is run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mldebt.collectors.interface import Fact
from mldebt.sources.gitrun import GitError, last_line, run
from mldebt.yamlfile import Document

MAX_TAGS = 20_000
_NAME = r"[a-z0-9](?:[a-z0-9/-]*[a-z0-9])?"
_SEMVER = r"v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
TAG = re.compile(
    rf"^(?P<artifact>(?:[a-z0-9_./-]+=)?{_NAME})"
    rf"(?:(?:#(?P<stage>{_NAME})|@(?P<version>{_SEMVER}))(?P<cancel>!?)|@(?P<deprecated>deprecated|created))"
    r"(?:#(?P<counter>\d+))?$"
)


@dataclass
class Artifact:
    name: str  # "churn", or "models:churn" for one declared in models/dvc.yaml
    kind: str | None = None  # GTO's "type": model, dataset, ...
    path: str | None = None
    declared_in: str | None = None  # artifacts.yaml or a dvc.yaml; None when only tags name it
    line: int | None = None
    versions: list[str] = field(default_factory=list)
    stages: dict[str, str] = field(default_factory=dict)
    deprecated: bool = False

    def fact(self) -> Fact:
        value = {
            "name": self.name,
            "type": self.kind,
            "path": self.path,
            "declared_in": self.declared_in,
            "versions": self.versions,
            "latest": self.versions[-1] if self.versions else None,
            "stages": self.stages,
            "deprecated": self.deprecated,
        }
        return Fact("registry.gto.artifacts", value, path=self.declared_in, line=self.line)


@dataclass(frozen=True)
class Tag:
    name: str
    commit: str
    created: datetime | None


def declared(doc: Document, rel: str, mapping: Any) -> list[Artifact]:
    """The artifacts of ``mapping`` (artifacts.yaml's top level, or a dvc.yaml's ``artifacts:``)."""
    if not isinstance(mapping, dict):
        return []
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    under = ("artifacts",) if rel.rsplit("/", 1)[-1] == "dvc.yaml" else ()
    found = []
    for name, body in mapping.items():
        body = body if isinstance(body, dict) else {}
        text = {k: body.get(k) if isinstance(body.get(k), str) else None for k in ("type", "path")}
        found.append(
            Artifact(
                name=f"{folder}:{name}" if folder and under else str(name),
                kind=text["type"],
                path=text["path"],
                declared_in=rel,
                line=doc.where((*under, name), key=True)[0],
            )
        )
    return found


def read_tags(git_dir: Path, as_of: datetime | None) -> list[Tag]:
    """The repository's tags in GTO's format, made by ``as_of`` (aware); GitError when git fails."""
    proc = run(
        [
            "for-each-ref",
            f"--count={MAX_TAGS}",
            "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:unix)",
            "refs/tags",
        ],
        git_dir,
    )
    if proc.returncode != 0:
        raise GitError(f"git tags: {last_line(proc.stderr, proc.returncode)}")
    tags = []
    for line in proc.stdout.decode("utf-8", errors="replace").splitlines():
        parts = line.split("\0")
        if len(parts) != 4 or not TAG.match(parts[0]):
            continue
        name, target, peeled, stamp = parts
        created = datetime.fromtimestamp(int(stamp), tz=UTC) if stamp.isdigit() else None
        if as_of is not None and created is not None and created > as_of:
            continue
        tags.append(Tag(name, peeled or target, created))
    return tags


def registry(artifacts: list[Artifact], tags: list[Tag]) -> list[Artifact]:
    """The declared artifacts with the versions and stages their tags give, plus artifacts only tags name."""
    by_name = {a.name: a for a in artifacts}
    events: dict[str, list[tuple[Tag, re.Match[str]]]] = {}
    for tag in tags:
        found = TAG.match(tag.name)
        if found:
            events.setdefault(found["artifact"].replace("=", ":"), []).append((tag, found))
    for name in sorted(events):
        artifact = by_name.get(name)
        if artifact is None:
            artifact = by_name[name] = Artifact(name=name)
        _apply(artifact, events[name])
    return list(by_name.values())


def _order(event: tuple[Tag, re.Match[str]]) -> tuple[float, int]:
    tag, found = event
    return (tag.created.timestamp() if tag.created else 0.0, int(found["counter"] or 0))


def _semver_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version.split("-", 1)[0].split("+", 1)[0])[:3])


def _apply(artifact: Artifact, events: list[tuple[Tag, re.Match[str]]]) -> None:
    """Versions and stages as GTO derives them.

    A stage is held by the version it was last assigned to and not taken back
    from; assigning it to a newer version does not take it from the older one.
    """
    at_commit: dict[str, str] = {}  # commit -> the version registered there
    assigned: dict[str, list[str]] = {}  # stage -> commits it was assigned to, oldest first
    for tag, found in sorted(events, key=_order):
        if found["version"]:
            if found["cancel"]:
                at_commit = {c: v for c, v in at_commit.items() if v != found["version"]}
            else:
                at_commit[tag.commit] = found["version"]
        elif found["stage"]:
            held = [c for c in assigned.get(found["stage"], []) if c != tag.commit]
            assigned[found["stage"]] = held if found["cancel"] else [*held, tag.commit]
        elif found["deprecated"] == "deprecated":
            artifact.deprecated = True
    artifact.versions = sorted(set(at_commit.values()), key=_semver_key)
    artifact.stages = {
        stage: at_commit.get(commits[-1], commits[-1][:7]) for stage, commits in sorted(assigned.items()) if commits
    }
