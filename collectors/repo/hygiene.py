"""Engineering hygiene: CI, Docker, pre-commit, linters, formatters, type checkers,
README steps, CODEOWNERS and license, read from file names and small config files.

Tool settings are read wherever the project keeps them: a sub-package's own
``pyproject.toml``, ``setup.cfg``, ``tox.ini`` or ``.flake8`` configures its
linters as the top-level ones do (a monorepo), but copies under output, tool,
environment and vendored folders (``foreign``) are not the project's.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Iterator
from typing import Any

import yaml

from mldebt import yamlfile
from mldebt.collectors.ci.config import ci_config_paths
from mldebt.collectors.interface import Fact
from mldebt.collectors.repo import readme as repo_readme
from mldebt.collectors.repo.foreign import Foreign
from mldebt.nested import toml_loads
from mldebt.yamlfile import UNBUILDABLE

KEYS = {
    "repo.ci.configs": "CI configuration files",
    "repo.readme.present": "a top-level README",
    **repo_readme.KEYS,
    "repo.hygiene.dockerfiles": "Dockerfiles and Containerfiles, variants included (Dockerfile.gpu, Dockerfile-cpu, "
    "app.Dockerfile, docker/**/Dockerfile); a symbolic link named so counts by its name, never followed",
    "repo.hygiene.precommit": "a pre-commit configuration",
    "repo.hygiene.linters": "linters configured (ruff, flake8, pylint, ...), in any folder of the project",
    "repo.hygiene.formatters": "formatters configured (black, ruff format, isort, ...), in any folder of the project",
    "repo.hygiene.type_checkers": "type checkers configured (mypy, pyright, pytype), in any folder of the project",
    "repo.hygiene.codeowners": "a CODEOWNERS file",
    "repo.hygiene.license": "the license file's kind (Apache-2.0, MIT, ...), or null",
}
README = re.compile(r"^readme(\.(md|rst|txt|markdown))?$", re.I)
CODEOWNERS = {"CODEOWNERS", ".github/CODEOWNERS", ".gitlab/CODEOWNERS", "docs/CODEOWNERS"}
LICENSE = re.compile(r"^(licen[cs]e|copying)(\.(md|txt|rst))?$", re.I)
TOOL_FILES = {
    ".flake8": ("linters", "flake8"),
    ".pylintrc": ("linters", "pylint"),
    "pylintrc": ("linters", "pylint"),
    "ruff.toml": ("linters", "ruff"),
    ".ruff.toml": ("linters", "ruff"),
    "mypy.ini": ("type_checkers", "mypy"),
    ".mypy.ini": ("type_checkers", "mypy"),
    "pyrightconfig.json": ("type_checkers", "pyright"),
    ".isort.cfg": ("formatters", "isort"),
    ".style.yapf": ("formatters", "yapf"),
}
TOOL_TABLES = {
    "ruff": ("linters", "ruff"),
    "flake8": ("linters", "flake8"),
    "pylint": ("linters", "pylint"),
    "black": ("formatters", "black"),
    "isort": ("formatters", "isort"),
    "yapf": ("formatters", "yapf"),
    "autopep8": ("formatters", "autopep8"),
    "pycodestyle": ("linters", "pycodestyle"),
    "pydocstyle": ("linters", "pydocstyle"),
    "mypy": ("type_checkers", "mypy"),
    "pyright": ("type_checkers", "pyright"),
    "basedpyright": ("type_checkers", "pyright"),
    "pytype": ("type_checkers", "pytype"),
}
SETTINGS_FILES = {"pyproject.toml", "setup.cfg", "tox.ini"}
HOOKS = {
    **{name: tool for name, tool in TOOL_TABLES.items()},
    "ruff-format": ("formatters", "ruff"),
    "ruff-check": ("linters", "ruff"),
    "mirrors-mypy": ("type_checkers", "mypy"),
}
LICENSE_KINDS = [
    ("Apache License", "Apache-2.0"),
    ("MIT License", "MIT"),
    ("Permission is hereby granted, free of charge", "MIT"),
    ("GNU AFFERO GENERAL PUBLIC LICENSE", "AGPL-3.0"),
    ("GNU LESSER GENERAL PUBLIC LICENSE", "LGPL"),
    ("GNU GENERAL PUBLIC LICENSE", "GPL"),
    ("Mozilla Public License", "MPL-2.0"),
    ("Neither the name", "BSD-3-Clause"),
    ("Redistribution and use", "BSD"),
    ("This is free and unencumbered software", "Unlicense"),
]


def facts(paths: list[str], text: Callable[[str], str | None], links: Collection[str] = ()) -> Iterator[Fact]:
    """Hygiene facts from the project's file paths; ``text(path)`` reads a small file (None if unreadable).

    ``links`` are the paths of symbolic links in the tree (left out of ``paths``, never read or followed):
    a link named ``Dockerfile`` still says the project has one.
    """
    tools: dict[str, set[str]] = {"linters": set(), "formatters": set(), "type_checkers": set()}
    foreign = Foreign(paths)
    own = foreign.own(paths)
    readme = next((p for p in paths if "/" not in p and README.match(p)), None)
    license_path = next((p for p in paths if "/" not in p and LICENSE.match(p)), None)
    precommit = ".pre-commit-config.yaml" in paths or ".pre-commit-config.yml" in paths
    for path in own:
        name = path.rsplit("/", 1)[-1]
        if name in TOOL_FILES:
            group, tool = TOOL_FILES[name]
            tools[group].add(tool)
        elif name in SETTINGS_FILES:
            _tool_sections(name, text(path) or "", tools)
        elif path in {".pre-commit-config.yaml", ".pre-commit-config.yml"}:
            _hooks(text(path) or "", tools)
    yield Fact("repo.ci.configs", ci_config_paths(paths, text))
    yield Fact("repo.readme.present", readme is not None)
    yield from repo_readme.facts(readme, text(readme) if readme else None, paths)
    dockerfiles = [p for p in [*own, *foreign.own(links)] if _is_dockerfile(p.rsplit("/", 1)[-1])]
    yield Fact("repo.hygiene.dockerfiles", sorted(set(dockerfiles)))
    yield Fact("repo.hygiene.precommit", precommit)
    for group, found in tools.items():
        yield Fact(f"repo.hygiene.{group}", sorted(found))
    yield Fact("repo.hygiene.codeowners", any(p in CODEOWNERS for p in paths))
    kind = _license_kind(text(license_path) or "") if license_path else None
    yield Fact("repo.hygiene.license", kind, path=license_path)


def _is_dockerfile(name: str) -> bool:
    """Dockerfile, Containerfile and their variants: Dockerfile.gpu, Dockerfile-cpu, Dockerfile_app, app.Dockerfile."""
    lower = name.lower()
    for base in ("dockerfile", "containerfile"):
        if lower == base or lower.startswith((f"{base}.", f"{base}-", f"{base}_")) or lower.endswith(f".{base}"):
            return not lower.endswith((".md", ".txt", ".rst", ".dockerignore", ".orig", ".bak"))
    return False


def _tool_sections(name: str, content: str, tools: dict[str, set[str]]) -> None:
    if name == "pyproject.toml":
        try:
            table: Any = toml_loads(content).get("tool", {})
        except tomllib.TOMLDecodeError:
            return
        names = set(table) if isinstance(table, dict) else set()
        if isinstance(table.get("ruff"), dict) and "format" in table["ruff"]:
            tools["formatters"].add("ruff")
    else:
        names = {m.group(1).lower() for m in re.finditer(r"^\[(?:tool:)?([\w-]+)", content, re.M)}
    for name in names:
        if name in TOOL_TABLES:
            group, tool = TOOL_TABLES[name]
            tools[group].add(tool)


def _hooks(content: str, tools: dict[str, set[str]]) -> None:
    try:
        config = yamlfile.safe_load(content)
    except (yaml.YAMLError, *UNBUILDABLE):  # also a value it cannot build: !!int x
        return
    repos = config.get("repos", []) if isinstance(config, dict) else []
    for repo in repos if isinstance(repos, list) else []:
        for hook in (repo.get("hooks") or []) if isinstance(repo, dict) else []:
            ident = str(hook.get("id", "")) if isinstance(hook, dict) else ""
            if ident in HOOKS:
                group, tool = HOOKS[ident]
                tools[group].add(tool)


def _license_kind(content: str) -> str:
    head = content[:4000]
    for marker, kind in LICENSE_KINDS:
        if marker.lower() in head.lower():
            return kind
    return "other"
