"""Engineering hygiene: CI, Docker, pre-commit, linters, formatters, type checkers,
README steps, CODEOWNERS and license, read from file names and small config files."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from mldebt import yamlfile
from mldebt.collectors.interface import Fact
from mldebt.nested import toml_loads
from mldebt.yamlfile import UNBUILDABLE

KEYS = {
    "repo.ci.configs": "CI configuration files",
    "repo.readme.present": "a top-level README",
    "repo.readme.install_steps": "the README says how to install",
    "repo.readme.run_steps": "the README says how to run (train, serve, reproduce)",
    "repo.hygiene.dockerfiles": "Dockerfiles",
    "repo.hygiene.precommit": "a pre-commit configuration",
    "repo.hygiene.linters": "linters configured (ruff, flake8, pylint, ...)",
    "repo.hygiene.formatters": "formatters configured (black, ruff format, isort, ...)",
    "repo.hygiene.type_checkers": "type checkers configured (mypy, pyright, pytype)",
    "repo.hygiene.codeowners": "a CODEOWNERS file",
    "repo.hygiene.license": "the license file's kind (Apache-2.0, MIT, ...), or null",
}
CI_FILES = {".gitlab-ci.yml", ".circleci/config.yml", "azure-pipelines.yml", "Jenkinsfile"}
README = re.compile(r"^readme(\.(md|rst|txt|markdown))?$", re.I)
CODEOWNERS = {"CODEOWNERS", ".github/CODEOWNERS", ".gitlab/CODEOWNERS", "docs/CODEOWNERS"}
LICENSE = re.compile(r"^(licen[cs]e|copying)(\.(md|txt|rst))?$", re.I)
INSTALL = re.compile(
    r"^#+\s*(install|installation|setup|set-up|getting started|requirements)\b|"
    r"\b(pip3? install|uv (pip install|sync)|poetry install|conda env create|mamba env create|"
    r"pipenv install|pdm install|make (install|setup|env)|docker (build|compose))",
    re.I | re.M,
)
RUN = re.compile(
    r"^#+\s*(usage|run|running|quick ?start|how to run|training|reproduc\w*)\b|"
    r"\b(python3? (-m (?!pip\b)[\w.]+|[\w./-]+\.py)|make (train|run|predict|serve|all)|dvc repro|"
    r"docker run|mlflow run|streamlit run|uvicorn |jupyter (notebook|lab|nbconvert))",
    re.I | re.M,
)
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
    "mypy": ("type_checkers", "mypy"),
    "pyright": ("type_checkers", "pyright"),
    "pytype": ("type_checkers", "pytype"),
}
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


def facts(paths: list[str], text: Callable[[str], str | None]) -> Iterator[Fact]:
    """Hygiene facts from the project's file paths; ``text(path)`` reads a small file (None if unreadable)."""
    tools: dict[str, set[str]] = {"linters": set(), "formatters": set(), "type_checkers": set()}
    ci = [
        p
        for p in paths
        if p in CI_FILES or (p.startswith(".github/workflows/") and p.count("/") == 2 and p.endswith((".yml", ".yaml")))
    ]
    readme = next((p for p in paths if "/" not in p and README.match(p)), None)
    license_path = next((p for p in paths if "/" not in p and LICENSE.match(p)), None)
    precommit = ".pre-commit-config.yaml" in paths or ".pre-commit-config.yml" in paths
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        if "/" not in path and name in TOOL_FILES:
            group, tool = TOOL_FILES[name]
            tools[group].add(tool)
        elif path in {"pyproject.toml", "setup.cfg", "tox.ini"}:
            _tool_sections(path, text(path) or "", tools)
        elif path in {".pre-commit-config.yaml", ".pre-commit-config.yml"}:
            _hooks(text(path) or "", tools)
    readme_text = text(readme) if readme else None
    yield Fact("repo.ci.configs", sorted(ci))
    yield Fact("repo.readme.present", readme is not None)
    yield Fact("repo.readme.install_steps", bool(readme_text and INSTALL.search(readme_text)), path=readme)
    yield Fact("repo.readme.run_steps", bool(readme_text and RUN.search(readme_text)), path=readme)
    yield Fact("repo.hygiene.dockerfiles", sorted(p for p in paths if _is_dockerfile(p.rsplit("/", 1)[-1])))
    yield Fact("repo.hygiene.precommit", precommit)
    for group, found in tools.items():
        yield Fact(f"repo.hygiene.{group}", sorted(found))
    yield Fact("repo.hygiene.codeowners", any(p in CODEOWNERS for p in paths))
    kind = _license_kind(text(license_path) or "") if license_path else None
    yield Fact("repo.hygiene.license", kind, path=license_path)


def _is_dockerfile(name: str) -> bool:
    lower = name.lower()
    return lower in {"dockerfile", "containerfile"} or lower.startswith("dockerfile.") or lower.endswith(".dockerfile")


def _tool_sections(path: str, content: str, tools: dict[str, set[str]]) -> None:
    if path == "pyproject.toml":
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
