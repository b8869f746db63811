"""Dependency collector: every manifest, how much of it is pinned, and whether its lock is in step.

``summary_facts`` gives the original ``repo.deps.*`` facts (the rubric's
``deps-pinned`` and update-bot checks read them), which the repo collector
reports as it always has; their meaning is unchanged: the pinned share is
over ``requirements*.txt`` lines.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.repo import files as repo_files
from mldebt.collectors.repo.manifests import LOCK_NAMES, Manifest, kind_of, locked_versions, parse

LEGACY_REQUIREMENTS = re.compile(r"^requirements.*\.txt$")
UPDATE_BOTS = {
    ".github/dependabot.yml",
    ".github/dependabot.yaml",
    "renovate.json",
    "renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".github/renovate.json",
    ".github/renovate.json5",
}
SUMMARY_KEYS = {  # produced by the repo collector, which has always reported them
    "repo.deps.manifests": "dependency manifests (requirements*.txt, pyproject.toml, setup.cfg, setup.py, Pipfile, "
    "environment.yml)",
    "repo.deps.pinned_ratio": "share of requirements*.txt requirements pinned to one version",
    "repo.deps.lockfiles": "lock files (poetry.lock, uv.lock, pip-compile output, ...)",
    "repo.deps.update_bot": "Dependabot or Renovate is configured",
}
LOCK_PARTNERS = {
    "poetry": ("pyproject.toml",),
    "pdm": ("pyproject.toml",),
    "uv": ("pyproject.toml",),
    "pipenv": ("Pipfile",),
    "conda-lock": ("environment.yml", "environment.yaml"),
}


class DepsCollector(Collector):
    name = "deps"
    keys = {
        "deps.manifests": "each manifest: kind, flavour, requirements, pinned, pinned share, includes",
        "deps.pinned_ratio": "share of all declared requirements (every manifest but generated locks) pinned",
        "deps.lockfiles": "each lock file: its manifest and whether it is in step with it",
        "deps.lockfiles.in_step": "every lock file that has a manifest agrees with it (null: no such pair)",
        "deps.includes.unresolved": "(error facts) -r/-c includes that name no file inside the project",
    }

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        root = snapshot.root
        paths = {e.rel: e for e in repo_files.walk(root) if isinstance(e, repo_files.Entry)}
        texts: dict[str, str | None] = {}

        def text(rel: str) -> str | None:
            if rel not in texts:
                data = repo_files.read(paths[rel]) if rel in paths else None
                texts[rel] = repo_files.decode(data, rel)[0] if isinstance(data, bytes) else None
            return texts[rel]

        manifests: dict[str, Manifest] = {}
        for rel in sorted(paths):
            kind = kind_of(rel.rsplit("/", 1)[-1])
            content = text(rel) if kind else None
            if kind and content is not None:
                manifests[rel] = parse(kind, content)
                for message, line in manifests[rel].problems:
                    yield Fact.failure("deps.manifests", message, path=rel, line=line)
        pending = list(manifests)
        while pending:  # files named by -r/-c are requirements files, whatever their names
            current = pending.pop()
            for target, _, _ in manifests[current].includes:
                joined = posixpath.normpath(posixpath.join(posixpath.dirname(current), target))
                if joined in paths and joined not in manifests and (content := text(joined)) is not None:
                    manifests[joined] = parse("requirements", content)
                    pending.append(joined)
        rows = []
        for rel, manifest in sorted(manifests.items()):
            requirements, includes = list(manifest.requirements), []
            for source, target, line, how, resolved in _includes(rel, manifests):
                if resolved is None:
                    if source == rel:  # an included file reports its own includes
                        yield Fact.failure(
                            "deps.includes.unresolved",
                            f"included file not found in the project: {target}",
                            path=rel,
                            line=line,
                        )
                elif resolved not in includes:
                    includes.append(resolved)
                    if how == "requirement":
                        requirements += manifests[resolved].requirements
            pinned = sum(r.pinned for r in requirements)
            rows.append(
                {
                    "path": rel,
                    "kind": manifest.kind,
                    "flavour": manifest.flavour,
                    "requirements": len(requirements),
                    "pinned": pinned,
                    "pinned_ratio": round(pinned / len(requirements), 2) if requirements else None,
                    "includes": includes,
                    "generated": manifest.generated,
                }
            )
        yield Fact("deps.manifests", rows)
        declared = [r for m in manifests.values() if not m.generated for r in m.requirements]
        if declared:
            yield Fact("deps.pinned_ratio", round(sum(r.pinned for r in declared) / len(declared), 2))
        locks = list(self._locks(paths, manifests, text))
        for lock in locks:
            if lock.get("error"):
                yield Fact.failure("deps.lockfiles", lock.pop("error"), path=lock["path"])
        yield Fact("deps.lockfiles", locks)
        paired = [lock["in_step"] for lock in locks if lock["in_step"] is not None]
        yield Fact("deps.lockfiles.in_step", all(paired) if paired else None)

    def _locks(
        self, paths: dict[str, Any], manifests: dict[str, Manifest], text: Callable[[str], str | None]
    ) -> Iterator[dict[str, Any]]:
        for rel in sorted(paths):
            folder, name = posixpath.split(rel)
            kind = LOCK_NAMES.get(name)
            partner = None
            if kind:
                partner = next(
                    (posixpath.join(folder, p) for p in LOCK_PARTNERS[kind] if posixpath.join(folder, p) in manifests),
                    None,
                )
            elif rel in manifests and manifests[rel].generated:
                kind = "requirements"
                source = rel[:-4] + ".in" if rel.endswith(".txt") else None
                partner = source if source in manifests else None
            else:
                continue
            row: dict[str, Any] = {
                "path": rel,
                "kind": kind,
                "manifest": partner,
                "in_step": None,
                "missing": [],
                "mismatched": [],
            }
            try:
                locked = locked_versions(kind, text(rel) or "")
            except ValueError as exc:
                row["error"] = str(exc)
                yield row
                continue
            if partner:
                for req in manifests[partner].requirements:
                    if req.group not in ("main", "conda", "pip") and not req.group.startswith("group:"):
                        continue
                    if req.name not in locked:
                        row["missing"].append(req.name)
                    elif not _satisfies(locked[req.name], req.spec):
                        row["mismatched"].append(f"{req.name} {locked[req.name]} vs {req.spec}")
                row["in_step"] = not row["missing"] and not row["mismatched"]
            yield row


def summary_facts(paths: list[str], text: Callable[[str], str | None]) -> Iterator[Fact]:
    """The ``repo.deps.*`` summary: manifests, pinned share of requirements*.txt, lock files, update bot."""
    names = {rel: rel.rsplit("/", 1)[-1] for rel in paths}
    legacy = [
        rel
        for rel, name in names.items()
        if LEGACY_REQUIREMENTS.match(name) or kind_of(name) not in (None, "requirements")
    ]
    manifests = {rel: parse(kind_of(names[rel]) or "", content) for rel in legacy if (content := text(rel)) is not None}
    yield Fact("repo.deps.manifests", sorted(legacy))
    lines = [r for rel, m in manifests.items() if LEGACY_REQUIREMENTS.match(names[rel]) for r in m.requirements]
    if lines:
        yield Fact("repo.deps.pinned_ratio", round(sum(r.pinned for r in lines) / len(lines), 2))
    lockfiles = [
        rel for rel, name in names.items() if name in LOCK_NAMES or (name.endswith(".lock") and name != "dvc.lock")
    ]
    lockfiles += [rel for rel, m in manifests.items() if m.generated]
    yield Fact("repo.deps.lockfiles", sorted(set(lockfiles)))
    yield Fact("repo.deps.update_bot", any(rel in UPDATE_BOTS for rel in paths))


def _includes(rel: str, manifests: dict[str, Manifest]) -> Iterator[tuple[str, str, int, str, str | None]]:
    """(including file, target, line, how, resolved path or None) for each include reachable from ``rel``."""
    seen, pending = {rel}, [rel]
    while pending:
        current = pending.pop()
        for target, line, how in manifests[current].includes:
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(current), target))
            inside = not target.startswith("/") and not joined.startswith("../") and joined != ".."
            resolved = joined if inside and joined in manifests else None
            yield current, target, line, how, resolved
            if resolved and resolved not in seen:
                seen.add(resolved)
                pending.append(resolved)


def _satisfies(version: str, spec: str) -> bool:
    """The locked version meets the manifest's specifier (poetry's ^ and ~ read as ranges); unknown forms pass."""
    spec = spec.strip()
    if not spec or spec == "*" or "://" in spec:
        return True
    try:
        return Version(version) in SpecifierSet(_pep440(spec))
    except (InvalidSpecifier, InvalidVersion):
        return True


def _pep440(spec: str) -> str:
    out = []
    for part in spec.split(","):
        part = part.strip()
        caret = re.fullmatch(r"\^(\d+)(?:\.(\d+))?(?:\.(\d+))?", part)
        tilde = re.fullmatch(r"~(\d+)(?:\.(\d+))?(?:\.\d+)?", part)
        if caret:
            major, minor = int(caret.group(1)), int(caret.group(2) or 0)
            upper = f"{major + 1}" if major else f"0.{minor + 1}"
            out += [f">={part[1:]}", f"<{upper}"]
        elif tilde:
            major, tilde_minor = int(tilde.group(1)), tilde.group(2)
            out += [f">={part[1:]}", f"<{major}.{int(tilde_minor) + 1}" if tilde_minor else f"<{major + 1}"]
        elif re.fullmatch(r"\d[\w.+!-]*", part):
            out.append(f"=={part}")
        elif re.fullmatch(r"=\d[\w.*+!-]*", part):
            out.append(f"={part}")
        else:
            out.append(part)
    return ",".join(out)
