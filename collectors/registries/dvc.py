"""DVC collector: pipelines, their data lineage, the lock file, tracked data, remotes, and what DVC tracks.

Sculley et al. ask for the transitive closure of a model's data dependencies;
a DVC pipeline declares it stage by stage. For every output of every stage we
follow its dependencies back through the stages that produce them, and report
the raw inputs nobody versions. ``dvc.lock`` must list the same stages, with
the same commands, dependencies and outputs, as ``dvc.yaml``, or the recorded
run is not the declared pipeline. Metrics and plots files the pipelines
declare, and ``dvc exp`` commands in the project's scripts and documents, are
DVC's experiment tracking; artifacts declared in ``dvc.yaml`` or GTO's
``artifacts.yaml``, versioned and staged by git tags, are its model registry
(``gto``). Files are only parsed (YAML safe loader, configparser), never run.
"""

from __future__ import annotations

import configparser
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import yaml

from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.registries import gto
from mldebt.collectors.repo.configfiles import sequence
from mldebt.errors import InputError, MldebtError
from mldebt.yamlfile import Document, parse

MAX_BYTES = 2 * 1024 * 1024
MAX_FILES = 50_000
REMOTE = re.compile(r"""^'?remote\s+"([^"]+)"'?$""")
EXPERIMENT = re.compile(r"\bdvc\s+(?:exp|experiments)\s+(?:run|show|diff|apply|push|pull|save|branch|remove)\b")
SCRIPT_SUFFIXES = (".sh", ".bash", ".md", ".rst", ".txt", ".py", ".ipynb", ".yml", ".yaml", ".toml", ".cfg", ".mk")
SCRIPT_NAMES = ("Makefile", "makefile", "GNUmakefile", "Justfile", "justfile", "Taskfile", "Dockerfile")
MAX_SCRIPT_BYTES = 512 * 1024
MAX_PLACES = 20


@dataclass
class Stage:
    name: str  # as in dvc.yaml; prefixed with the pipeline's folder when that is not the root
    path: str  # the dvc.yaml it comes from
    line: int
    cmd: Any
    deps: list[str]  # as written (relative to the stage's working folder)
    outs: list[str]  # outs, metrics and plots, as written
    base: str  # the working folder, relative to the project root
    templated: bool = False  # foreach/matrix stages expand into several runs

    def paths(self, entries: list[str]) -> list[str]:
        return [posixpath.normpath(posixpath.join(self.base, p)) for p in entries]


@dataclass
class _Found:
    pipelines: dict[str, Path] = field(default_factory=dict)
    locks: dict[str, Path] = field(default_factory=dict)
    dvc_files: dict[str, Path] = field(default_factory=dict)
    params: dict[str, Path] = field(default_factory=dict)
    config: tuple[str, Path] | None = None
    gto_index: tuple[str, Path] | None = None  # artifacts.yaml at the project root
    scripts: dict[str, Path] = field(default_factory=dict)  # where `dvc exp` may be written


@dataclass(frozen=True)
class Declared:
    """A metrics or plots file a pipeline declares (in a stage, or at dvc.yaml's top level)."""

    kind: str  # "metrics" or "plots"
    path: str  # relative to the project root
    stage: str | None
    file: str  # the dvc.yaml
    line: int

    def fact(self) -> Fact:
        value = {"path": self.path, "kind": self.kind, "stage": self.stage}
        return Fact("dvc.metrics", value, path=self.file, line=self.line)


@dataclass
class Declarations:
    """What dvc.yaml files declare besides stages: tracked metrics and plots, registry artifacts."""

    tracked: list[Declared] = field(default_factory=list)
    artifacts: list[gto.Artifact] = field(default_factory=list)


class DvcCollector(Collector):
    name = "dvc"
    keys = {
        "dvc.pipelines": "dvc.yaml files (pipelines) in the project",
        "dvc.files": ".dvc files: data versioned outside git",
        "dvc.stages.count": "stages declared in the pipelines",
        "dvc.stages.names": "the stages' names",
        "dvc.outs.count": "outputs (outs, metrics, plots) the stages declare",
        "dvc.data_closure": "each output's transitive closure of dependencies (every upstream path)",
        "dvc.pipeline_depth": "the longest chain of stages, each feeding the next",
        "dvc.inputs": "dependencies no stage produces: the pipeline's raw inputs and code",
        "dvc.unversioned_inputs": "raw inputs neither in git, nor tracked by a .dvc file, nor produced by a stage",
        "dvc.lock.present": "every pipeline with stages has a dvc.lock beside it",
        "dvc.lock.in_sync": "dvc.lock lists the stages, commands, dependencies and outputs of dvc.yaml",
        "dvc.lock.mismatches": "how dvc.lock and dvc.yaml differ",
        "dvc.remotes": "remotes configured in .dvc/config (name -> storage scheme)",
        "dvc.remote_default": "the default remote (core.remote)",
        "dvc.imports": ".dvc files importing data from another repository (path -> source)",
        "dvc.params.files": "params.yaml files",
        "dvc.params.count": "parameters (leaf values) in those files",
        "dvc.params.seeded": "a parameter names a seed or random state",
        "dvc.metrics": "one per metrics or plots file a pipeline declares (DVC's experiment tracking), "
        "at its dvc.yaml line: path, kind (metrics or plots), stage",
        "dvc.metrics.count": "metrics and plots files the pipelines declare",
        "dvc.experiments": "one per place a `dvc exp` command (run, show, diff, ...) is written in the project's "
        "scripts, Makefiles, CI files, notebooks or documents (at most 20): the command, from `dvc exp` on",
        "dvc.experiments.count": "places a `dvc exp` command is written (DVC experiments in use)",
        "registry.gto.artifacts": "one per artifact of the git-tag model registry (GTO, DVC's model registry): "
        "declared in artifacts.yaml or under dvc.yaml artifacts:, or named only by tags; its type and path, "
        "versions registered by tags (name@v1.2.0), current stage assignments (name#prod#3) and deprecation",
        "registry.gto.tags.count": "git tags in GTO's format made by the scan's moment",
    }

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        found = _find(snapshot.root)
        stages: list[Stage] = []
        extra = Declarations()
        for rel, full in found.pipelines.items():
            yield from read_pipeline(full, rel, stages, extra)
        tracked: list[str] = []
        imports: dict[str, str] = {}
        for rel, full in found.dvc_files.items():
            yield from read_dvc_file(full, rel, tracked, imports)
        yield Fact("dvc.pipelines", sorted(found.pipelines))
        yield Fact("dvc.files", sorted(found.dvc_files))
        if found.dvc_files:
            yield Fact("dvc.imports", imports)
        if found.pipelines:
            yield from _lineage(stages, tracked, snapshot.root)
        if stages or found.locks:
            yield from _locks(stages, found)
        if found.config:
            yield from read_config(found.config[1], found.config[0])
        if found.params:
            yield from _params(found.params)
        if found.pipelines:
            yield from (d.fact() for d in extra.tracked)
            yield Fact("dvc.metrics.count", len(extra.tracked))
            yield from _experiments(found.scripts)
        yield from _registry(snapshot, found, extra.artifacts)


def _find(root: Path) -> _Found:
    found = _Found()
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", "node_modules"))
        base = Path(dirpath)
        for filename in sorted(filenames):
            seen += 1
            if seen > MAX_FILES:
                return found
            full = base / filename
            if full.is_symlink():
                continue
            rel = full.relative_to(root).as_posix()
            if filename == "dvc.yaml":
                found.pipelines[rel] = full
            elif filename == "dvc.lock":
                found.locks[rel] = full
            elif filename.endswith(".dvc") and filename != ".dvc":
                found.dvc_files[rel] = full
            elif filename == "params.yaml":
                found.params[rel] = full
            elif rel == ".dvc/config":
                found.config = (rel, full)
            elif rel == "artifacts.yaml":
                found.gto_index = (rel, full)
            if filename.endswith(SCRIPT_SUFFIXES) or filename in SCRIPT_NAMES:
                found.scripts[rel] = full
    return found


def _text(full: Path, rel: str) -> str:
    """The file's text; InputError (safe to store) when it is too large or not UTF-8."""
    try:
        with full.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{rel}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{rel}: larger than {MAX_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{rel}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def load_yaml(full: Path, rel: str) -> Document:
    """Parse a YAML file with positions; every failure is an InputError naming file and line."""
    text = _text(full, rel)
    try:
        return parse(text, rel)
    except ValueError as exc:  # a value the loader cannot build, e.g. the date 2026-13-01
        raise InputError(f"{rel}: bad value: {exc}") from None
    except yaml.YAMLError as exc:  # e.g. control characters, refused before parsing starts
        raise InputError(f"{rel}: not YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise InputError(f"{rel}: nested too deeply, or an alias that contains itself") from None


def _failure(key: str, exc: InputError, rel: str) -> Fact:
    found = re.match(r"(\d+):\d+: ", str(exc)[len(rel) + 1 :]) if str(exc).startswith(rel + ":") else None
    return Fact.failure(key, str(exc), path=rel, line=int(found.group(1)) if found else None)


def _entries(value: Any) -> list[str]:
    """Paths of a deps/outs/metrics/plots list: plain strings or one-key mappings {path: options}."""
    if isinstance(value, str):
        return [value]
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.extend(str(k) for k in item)
    return out


def read_pipeline(full: Path, rel: str, stages: list[Stage], extra: Declarations | None = None) -> Iterator[Fact]:
    """Append the stages of the dvc.yaml at ``full`` to ``stages``; yield error facts for what is unreadable.

    ``extra`` receives the metrics and plots files and the registry artifacts the file declares.
    """
    try:
        doc = load_yaml(full, rel)
    except InputError as exc:
        yield _failure("dvc.pipelines", exc, rel)
        return
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        yield Fact.failure("dvc.pipelines", f"{rel}: expected a mapping at the top level", path=rel, line=1)
        return
    folder = posixpath.dirname(rel)
    if extra is not None:
        extra.artifacts += gto.declared(doc, rel, data.get("artifacts"))
        for kind in ("metrics", "plots"):
            extra.tracked += _tracked(doc, rel, kind, (kind,), data.get(kind), folder, None)
    declared = data.get("stages", {})
    if not isinstance(declared, dict):
        yield Fact.failure(
            "dvc.pipelines",
            f"{rel}: 'stages' must be a mapping of stage names",
            path=rel,
            line=doc.where(("stages",))[0],
        )
        return
    for name, body in declared.items():
        line = doc.where(("stages", name), key=True)[0]
        templated = isinstance(body, dict) and ("foreach" in body or "matrix" in body)
        if templated and "foreach" in body:
            body = body.get("do")
        if not isinstance(body, dict):
            yield Fact.failure("dvc.pipelines", f"{rel}: stage {name!r} must be a mapping", path=rel, line=line)
            continue
        wdir = body.get("wdir")
        if not isinstance(wdir, str):
            wdir = "."
        outs = _entries(body.get("outs")) + _entries(body.get("metrics")) + _entries(body.get("plots"))
        if extra is not None:
            base = posixpath.normpath(posixpath.join(folder, wdir))
            for kind in ("metrics", "plots"):
                where = (
                    ("stages", name, "do", kind)
                    if templated and "foreach" in declared[name]
                    else ("stages", name, kind)
                )
                extra.tracked += _tracked(doc, rel, kind, where, body.get(kind), base, str(name))
        stages.append(
            Stage(
                name=f"{folder}:{name}" if folder else str(name),
                path=rel,
                line=line,
                cmd=body.get("cmd"),
                deps=_entries(body.get("deps")),
                outs=outs,
                base=posixpath.normpath(posixpath.join(folder, wdir)),
                templated=templated,
            )
        )


def _tracked(
    doc: Document, rel: str, kind: str, where: tuple[str, ...], value: Any, base: str, stage: str | None
) -> list[Declared]:
    """The files a ``metrics:`` or ``plots:`` list (or a top-level plots mapping) declares, each at its line."""
    if isinstance(value, dict):  # top-level plots may be a mapping {path or id: options}
        value = [{k: v} for k, v in value.items()]
    out = []
    for index, entry in enumerate(value if isinstance(value, list) else [value] if isinstance(value, str) else []):
        for path in _entries([entry]):
            out.append(
                Declared(
                    kind=kind,
                    path=posixpath.normpath(posixpath.join(base, path)) if "${" not in path else path,
                    stage=stage,
                    file=rel,
                    line=doc.where((*where, index))[0],
                )
            )
    return out


def _experiments(scripts: dict[str, Path]) -> Iterator[Fact]:
    """Where the project writes a ``dvc exp`` command: scripts, Makefiles, CI files, notebooks, documents."""
    places = 0
    for rel, full in sorted(scripts.items()):
        try:
            if full.stat().st_size > MAX_SCRIPT_BYTES:
                continue
            raw = full.read_bytes()
        except OSError:
            continue
        if b"dvc" not in raw:
            continue
        for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
            found = EXPERIMENT.search(line)
            if found:
                places += 1
                if places <= MAX_PLACES:
                    command = line[found.start() :].strip().rstrip('",`\\').strip()  # from `dvc exp` on, nothing before
                    yield Fact("dvc.experiments", command[:120], path=rel, line=number)
    yield Fact("dvc.experiments.count", places)


def _registry(snapshot: Snapshot, found: _Found, artifacts: list[gto.Artifact]) -> Iterator[Fact]:
    """GTO's registry: artifacts declared in artifacts.yaml and dvc.yaml, with the versions and stages of the tags."""
    if found.gto_index is not None:
        rel, full = found.gto_index
        try:
            doc = load_yaml(full, rel)
        except InputError as exc:
            yield _failure("registry.gto.artifacts", exc, rel)
        else:
            artifacts = gto.declared(doc, rel, doc.data) + artifacts
    tags: list[gto.Tag] = []
    if snapshot.git_dir is not None:
        try:
            as_of = snapshot.as_of
            tags = gto.read_tags(
                snapshot.git_dir, as_of if as_of is None or as_of.tzinfo else as_of.replace(tzinfo=UTC)
            )
        except (MldebtError, OSError) as exc:
            yield Fact.failure("registry.gto.tags.count", f"cannot list git tags: {exc}")
        else:
            yield Fact("registry.gto.tags.count", len(tags))
    elif artifacts:
        yield Fact.failure(
            "registry.gto.tags.count", "not a git repository: the versions and stages GTO keeps in git tags are unknown"
        )
    for artifact in gto.registry(artifacts, tags):
        yield artifact.fact()


def read_dvc_file(full: Path, rel: str, tracked: list[str], imports: dict[str, str]) -> Iterator[Fact]:
    """Record the data a .dvc file versions (and, for an import, where it comes from)."""
    try:
        doc = load_yaml(full, rel)
    except InputError as exc:
        yield _failure("dvc.files", exc, rel)
        return
    data = doc.data if isinstance(doc.data, dict) else {}
    outs = [o["path"] for o in sequence(data.get("outs")) if isinstance(o, dict) and isinstance(o.get("path"), str)]
    if not outs:
        yield Fact.failure("dvc.files", f"{rel}: no outs with a path", path=rel, line=1)
        return
    folder = posixpath.dirname(rel)
    tracked.extend(posixpath.normpath(posixpath.join(folder, o)) for o in outs)
    for dep in sequence(data.get("deps")):
        repo = dep.get("repo") if isinstance(dep, dict) else None
        if isinstance(repo, dict) and isinstance(repo.get("url"), str):
            imports[rel] = _without_credentials(repo["url"])


def _without_credentials(url: str) -> str:
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^@/]*@", r"\1", url)


def read_config(full: Path, rel: str) -> Iterator[Fact]:
    """Remotes from .dvc/config (ini); only each URL's scheme is kept, never credentials."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(_text(full, rel), source=rel)
    except InputError as exc:
        yield _failure("dvc.remotes", exc, rel)
        return
    except configparser.Error as exc:
        errors = getattr(exc, "errors", None)  # a ParsingError's (line, text) pairs
        line = getattr(exc, "lineno", None) or (errors[0][0] if errors else None)
        yield Fact.failure(
            "dvc.remotes", f"{rel}: not a valid config file: {exc.message.splitlines()[0]}", path=rel, line=line
        )
        return
    remotes = {}
    for section in parser.sections():
        found = REMOTE.match(section.strip())
        if found:
            url = parser[section].get("url", "")
            remotes[found.group(1)] = url.split("://", 1)[0] if "://" in url else ("local" if url else "unknown")
    yield Fact("dvc.remotes", remotes, path=rel)
    default = parser.get("core", "remote", fallback=None) if parser.has_section("core") else None
    yield Fact("dvc.remote_default", default, path=rel)


def _producers(stages: list[Stage]) -> dict[str, Stage]:
    return {out: stage for stage in stages for out in stage.paths(stage.outs)}


def _upstream_stages(path: str, producers: dict[str, Stage]) -> list[Stage]:
    """Stages producing ``path``, a folder holding it, or something inside it."""
    return [
        s for out, s in producers.items() if out == path or path.startswith(out + "/") or out.startswith(path + "/")
    ]


def closure(stage: Stage, producers: dict[str, Stage]) -> set[str]:
    """Every path ``stage`` depends on, directly or through the stages upstream of it."""
    seen: set[str] = set()
    visited = {id(stage)}
    queue = [stage]
    while queue:
        current = queue.pop()
        for dep in current.paths(current.deps):
            seen.add(dep)
            for upstream in _upstream_stages(dep, producers):
                if id(upstream) not in visited:
                    visited.add(id(upstream))
                    queue.append(upstream)
    return seen


def depth(stages: list[Stage], producers: dict[str, Stage]) -> int:
    """Stages on the longest chain; a cycle counts each stage once."""
    memo: dict[int, int] = {}

    def longest(stage: Stage, path: frozenset[int]) -> int:
        if id(stage) in memo:
            return memo[id(stage)]
        ups = {
            id(u): u
            for dep in stage.paths(stage.deps)
            for u in _upstream_stages(dep, producers)
            if id(u) not in path and u is not stage
        }
        memo[id(stage)] = 1 + max((longest(u, path | {id(stage)}) for u in ups.values()), default=0)
        return memo[id(stage)]

    return max((longest(s, frozenset()) for s in stages), default=0)


def _lineage(stages: list[Stage], tracked: list[str], root: Path) -> Iterator[Fact]:
    producers = _producers(stages)
    yield Fact("dvc.stages.count", len(stages))
    yield Fact("dvc.stages.names", [s.name for s in stages])
    yield Fact("dvc.outs.count", len(producers))
    yield Fact("dvc.data_closure", {out: sorted(closure(stage, producers)) for out, stage in sorted(producers.items())})
    yield Fact("dvc.pipeline_depth", depth(stages, producers))
    inputs = sorted({d for s in stages for d in s.paths(s.deps) if not _upstream_stages(d, producers)})
    yield Fact("dvc.inputs", inputs)
    versioned = set(tracked)
    yield Fact(
        "dvc.unversioned_inputs",
        [
            d
            for d in inputs
            if not any(d == t or d.startswith(t + "/") or t.startswith(d + "/") for t in versioned)
            and not _in_tree(root, d)
        ],
    )


def _in_tree(root: Path, rel: str) -> bool:
    """Present in the tree; a path outside the project or still templated (${...}) is not ours to judge."""
    if rel == ".." or rel.startswith("../") or "${" in rel:
        return True
    target = root / rel
    return target.exists() and not target.is_symlink()


def _locks(stages: list[Stage], found: _Found) -> Iterator[Fact]:
    mismatches: list[str] = []
    present = True
    for rel in sorted(found.pipelines):
        own = [s for s in stages if s.path == rel]
        lock_rel = posixpath.join(posixpath.dirname(rel), "dvc.lock")
        if lock_rel not in found.locks:
            present = present and not own
            if own:
                mismatches.append(f"{lock_rel}: missing (dvc.yaml has {len(own)} stages)")
            continue
        try:
            doc = load_yaml(found.locks[lock_rel], lock_rel)
        except InputError as exc:
            yield _failure("dvc.lock.in_sync", exc, lock_rel)
            continue
        mismatches += compare_lock(own, doc.data, lock_rel)
    for lock_rel in sorted(found.locks):
        if posixpath.join(posixpath.dirname(lock_rel), "dvc.yaml") not in found.pipelines:
            mismatches.append(f"{lock_rel}: no dvc.yaml beside it")
    yield Fact("dvc.lock.present", present)
    yield Fact("dvc.lock.in_sync", present and not mismatches)
    yield Fact("dvc.lock.mismatches", mismatches)


def compare_lock(stages: list[Stage], data: Any, lock_rel: str) -> list[str]:
    """How a dvc.lock (schema 2, or the older flat form) differs from its pipeline's stages."""
    if not isinstance(data, dict):
        return [f"{lock_rel}: not a mapping of stages"]
    locked = data.get("stages") if "schema" in data else data
    locked = locked if isinstance(locked, dict) else {}
    out = []
    names = {s.name.rsplit(":", 1)[-1]: s for s in stages}
    for name, stage in names.items():
        entries = {k: v for k, v in locked.items() if k == name or (stage.templated and str(k).startswith(name + "@"))}
        if not entries:
            out.append(f"{lock_rel}: stage {name!r} of dvc.yaml is not locked")
        elif not stage.templated:
            out += _compare_stage(stage, entries[name], lock_rel)
    for name in locked:
        if str(name).split("@", 1)[0] not in names:
            out.append(f"{lock_rel}: stage {name!r} is not in dvc.yaml")
    return out


def _compare_stage(stage: Stage, locked: Any, lock_rel: str) -> list[str]:
    if not isinstance(locked, dict):
        return [f"{lock_rel}: stage {stage.name!r} is not a mapping"]
    out = []
    name = stage.name.rsplit(":", 1)[-1]
    if _cmds(locked.get("cmd")) != _cmds(stage.cmd):
        out.append(f"{lock_rel}: stage {name!r} ran another command than dvc.yaml declares")
    for what, declared in (("deps", stage.deps), ("outs", stage.outs)):
        have = {
            posixpath.normpath(str(e["path"]))
            for e in sequence(locked.get(what))
            if isinstance(e, dict) and "path" in e
        }
        want = {posixpath.normpath(p) for p in declared}
        if have != want:
            detail = "; ".join(
                part
                for part in (
                    f"not locked: {', '.join(sorted(want - have))}" if want - have else "",
                    f"not declared: {', '.join(sorted(have - want))}" if have - want else "",
                )
                if part
            )
            out.append(f"{lock_rel}: stage {name!r} {what} differ ({detail})")
    return out


def _cmds(value: Any) -> list[str]:
    return [str(c).strip() for c in value] if isinstance(value, list) else [str(value or "").strip()]


def _leaves(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix


def _params(files: dict[str, Path]) -> Iterator[Fact]:
    names: list[str] = []
    for rel, full in files.items():
        try:
            doc = load_yaml(full, rel)
        except InputError as exc:
            yield _failure("dvc.params.files", exc, rel)
            continue
        names += [n for n in _leaves(doc.data) if n] if isinstance(doc.data, dict) else []
    yield Fact("dvc.params.files", sorted(files))
    yield Fact("dvc.params.count", len(names))
    yield Fact("dvc.params.seeded", any(re.search(r"seed|random_state", n, re.I) for n in names))
