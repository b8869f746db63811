"""Dependency collector: every manifest, how much of it is pinned, and whether its lock is in step.

One definition of the pinned share, for both keys that carry it
(``repo.deps.pinned_ratio``, the repo collector's summary the rubric reads,
and ``deps.pinned_ratio``, this collector's): the share of the active
requirement lines of the project's declared dependency files that are pinned
to one version. Declared dependency files are requirements files
(``requirements*.txt``, ``*requirements.in`` and any file a ``-r``/``-c`` line
names), ``pyproject.toml`` (PEP 621, Poetry, PDM, Hatch tables; dynamic
dependencies read from the files setuptools names), ``setup.py``,
``setup.cfg``, ``Pipfile`` and conda environment files (``environment*.yml``,
``conda.yaml``); each line counts once, comments and options do not, nor does
the Python interpreter itself. Lock files are counted apart (``repo.deps.lockfiles``):
``poetry.lock``, ``uv.lock``, ``Pipfile.lock``, ``pdm.lock``, ``pylock.toml``,
rye's ``requirements*.lock``, conda-lock files, and requirements files written
by pip-compile or uv (their header or ``--hash`` options); only when a project
has no hand-written dependency file are its generated ones measured instead.
``environment.yml`` is a specification and ``dvc.lock`` a data lock: neither is
a lock file. Files under output, tool, environment, vendored and build folders
(see ``foreign``) are not the project's declarations and are left out.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.repo import files as repo_files
from mldebt.collectors.repo.foreign import Foreign
from mldebt.collectors.repo.manifests import LOOKED_FOR, Manifest, kind_of, lock_kind, locked_versions, parse

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
    "repo.deps.manifests": "the project's declared dependency files (requirements*.txt, pyproject.toml, setup.py, "
    "setup.cfg, Pipfile, environment.yml, conda.yaml; not under output, tool, environment or vendored folders)",
    "repo.deps.requirements": "active requirement lines in the declared dependency files (0: none declared; "
    "absent when the files exist but none could be read)",
    "repo.deps.requirements.reason": "one sentence: how many requirements in which files, or what was looked for",
    "repo.deps.pinned_ratio": "share of the declared requirement lines pinned to one version (== or a commit); "
    "lock files apart; absent when no requirement is declared",
    "repo.deps.lockfiles": "lock files (poetry.lock, uv.lock, Pipfile.lock, pdm.lock, conda-lock, pip-compile output)",
    "repo.deps.update_bot": "Dependabot or Renovate is configured",
}
LOCK_PARTNERS = {
    "poetry": ("pyproject.toml",),
    "pdm": ("pyproject.toml",),
    "uv": ("pyproject.toml",),
    "rye": ("pyproject.toml",),
    "pylock": ("pyproject.toml",),
    "pipenv": ("Pipfile",),
    "conda-lock": ("environment.yml", "environment.yaml"),
}


@dataclass
class Declarations:
    """The project's dependency files: declared manifests, lock files, and what was left out and why."""

    manifests: dict[str, Manifest] = field(default_factory=dict)
    locks: dict[str, str] = field(default_factory=dict)  # path -> lock kind
    ignored: dict[str, str] = field(default_factory=dict)  # path -> why it is not the project's own

    def pinning(self) -> tuple[int | None, int, str]:
        """(requirement lines, or None when files exist but none could be read; how many pinned; one sentence)."""
        written = {p: m for p, m in self.manifests.items() if not m.generated and m.requirements}
        measured = written or {p: m for p, m in self.manifests.items() if m.generated and m.requirements}
        total = sum(len(m.requirements) for m in measured.values())
        pinned = sum(r.pinned for m in measured.values() for r in m.requirements)
        if measured:
            lead = "generated lock files" if not written else "declared dependency files"
            files = _listed(sorted(measured))
            return total, pinned, f"{pinned} of {total} requirements pinned to one version, in {lead}: {files}"
        problems = [(p, m.problems[0][0]) for p, m in sorted(self.manifests.items()) if m.problems]
        if problems:
            path, problem = problems[0]
            return None, 0, f"no requirement could be read from {_listed(sorted(self.manifests))} ({path}: {problem})"
        left_out = ""
        if self.ignored:
            path, why = sorted(self.ignored.items())[0]
            left_out = f"; {len(self.ignored)} left out as not the project's own, such as {path} ({why})"
        if self.manifests:
            files = _listed(sorted(self.manifests))
            return 0, 0, f"no requirement declared in {files} (looked for {LOOKED_FOR}){left_out}"
        return 0, 0, f"no dependency file (looked for {LOOKED_FOR}){left_out}"


def declarations(paths: list[str], text: Callable[[str], str | None]) -> Declarations:
    """Read the project's dependency files among ``paths``; ``text(path)`` gives a file's text or None."""
    found = Declarations()
    foreign = Foreign(paths)
    for rel in paths:
        name = rel.rsplit("/", 1)[-1]
        kind, locked = kind_of(name), lock_kind(name)
        if not kind and not locked:
            continue
        why = foreign.why(rel)
        if why:
            found.ignored[rel] = why
        elif locked:
            found.locks[rel] = locked
        elif kind and (content := text(rel)) is not None:
            found.manifests[rel] = parse(kind, content)
    pending = list(found.manifests)
    known = set(paths)
    while pending:  # files named by -r/-c are requirements files, whatever their names
        current = pending.pop()
        for target, _, _ in found.manifests[current].includes:
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(current), target))
            if joined in known and joined not in found.manifests and (content := text(joined)) is not None:
                found.manifests[joined] = parse("requirements", content)
                pending.append(joined)
    for rel, manifest in found.manifests.items():
        if manifest.generated:
            found.locks[rel] = "requirements"
    return found


class DepsCollector(Collector):
    name = "deps"
    keys = {
        "deps.manifests": "each manifest: kind, flavour, requirements, pinned, pinned share, includes",
        "deps.requirements": "active requirement lines in the declared dependency files (as repo.deps.requirements)",
        "deps.pinned_ratio": "share of the declared requirement lines pinned to one version (as "
        "repo.deps.pinned_ratio: one definition, see the module's docstring)",
        "deps.ignored": "dependency files left out as not the project's own: each path and why (an output, tool, "
        "environment, vendored or build folder)",
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

        found = declarations(sorted(paths), text)
        manifests = found.manifests
        for rel, manifest in sorted(manifests.items()):
            for message, line in manifest.problems:
                yield Fact.failure("deps.manifests", message, path=rel, line=line)
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
        yield Fact("deps.ignored", [{"path": p, "reason": why} for p, why in sorted(found.ignored.items())])
        yield from _pinning_facts("deps", found)
        locks = list(self._locks(found, text))
        for lock in locks:
            if lock.get("error"):
                yield Fact.failure("deps.lockfiles", lock.pop("error"), path=lock["path"])
        yield Fact("deps.lockfiles", locks)
        paired = [lock["in_step"] for lock in locks if lock["in_step"] is not None]
        yield Fact("deps.lockfiles.in_step", all(paired) if paired else None)

    def _locks(self, found: Declarations, text: Callable[[str], str | None]) -> Iterator[dict[str, Any]]:
        manifests = found.manifests
        for rel, kind in sorted(found.locks.items()):
            folder = posixpath.dirname(rel)
            if kind == "requirements":
                source = rel[:-4] + ".in" if rel.endswith(".txt") else None
                partner = source if source in manifests else None
            else:
                partner = next(
                    (
                        posixpath.join(folder, p)
                        for p in LOCK_PARTNERS.get(kind, ())
                        if posixpath.join(folder, p) in manifests
                    ),
                    None,
                )
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
    """The ``repo.deps.*`` summary: declared files, requirements and their pinned share, lock files, update bot."""
    found = declarations(paths, text)
    yield Fact("repo.deps.manifests", sorted(found.manifests))
    yield from _pinning_facts("repo.deps", found)
    yield Fact("repo.deps.lockfiles", sorted(found.locks))
    yield Fact("repo.deps.update_bot", any(rel in UPDATE_BOTS for rel in paths))


def _pinning_facts(prefix: str, found: Declarations) -> Iterator[Fact]:
    total, pinned, reason = found.pinning()
    if total is not None:
        yield Fact(f"{prefix}.requirements", total)
    if prefix == "repo.deps":
        yield Fact(f"{prefix}.requirements.reason", reason)
    if total:
        yield Fact(f"{prefix}.pinned_ratio", round(pinned / total, 2))


def _listed(paths: list[str], most: int = 4) -> str:
    shown = ", ".join(paths[:most])
    return shown + (f" and {len(paths) - most} more" if len(paths) > most else "")


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
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # loaded when a lock file is compared
    from packaging.version import InvalidVersion, Version

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
