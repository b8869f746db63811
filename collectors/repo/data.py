"""Data versioning (DVC files, stages, lock; git-lfs patterns) and configuration files
(config folders, Hydra trees, MLproject files), read with YAML's safe loader.

Only presence and counts live here; the DVC stage graph is the DVC registry
collector's business.

What counts as configuration (``code.config.files``): files whose name says so
(``config.json``, ``params.yaml``, ``settings.ini``, ``hparams.yaml``,
``hyp.scratch.yaml``), files with a settings suffix (.yaml, .yml, .json, .toml,
.ini, .cfg) in a settings folder (``config/``, ``configs/``, ``conf/``,
``cfg/``, ``hyps/``, ``params/``, ``settings/``), YAML under ``data/`` (data
set definitions, as YOLO-style ``data/coco.yaml``), any ``*.cfg`` file (model
definitions in the Darknet style), and every YAML file of a Hydra tree (a
folder whose YAML holds a ``defaults`` list) wherever it lives. Tool settings
are not ML configuration even there: pre-commit, CI, Docker Compose, MkDocs,
Read the Docs, Codecov, Dependabot and Renovate files, package manifests and
environments, DVC's own files. Hidden folders and folders that are not the
project's own (run outputs such as ``outputs/.hydra`` or ``wandb/``, vendored
copies, environments: see ``foreign``) are left out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import yaml

from mldebt import yamlfile
from mldebt.collectors.interface import Fact
from mldebt.collectors.repo.foreign import Foreign
from mldebt.yamlfile import UNBUILDABLE

KEYS = {
    "repo.data.dvc_files": ".dvc files (data tracked by DVC)",
    "repo.data.dvc_stages": "stages declared in dvc.yaml files",
    "repo.data.dvc_lock": "a dvc.lock records the pipeline's data versions",
    "repo.data.lfs_patterns": "patterns stored with git-lfs (.gitattributes filter=lfs)",
    "code.config.files": "configuration files: named so (config.json, params.yaml), in settings folders (configs/, "
    "conf/, cfg/, hyps/), YAML under data/, *.cfg, and Hydra trees; not tool settings (CI, pre-commit, compose)",
    "code.config.hydra": "Hydra config trees: folder, config groups, files",
    "code.config.mlproject": "MLproject files: entry points, parameters, environment",
}
MAX_CONFIG_FILES = 400  # YAML files opened to look for Hydra defaults
CONFIG_WORDS = {
    "config",
    "configs",
    "conf",
    "cfg",
    "cfgs",
    "configuration",
    "configurations",
    "params",
    "parameters",
    "settings",
    "hparams",
    "hyperparameters",
    "hyp",
    "hyps",
    "sweep",
}
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg")
YAML_FOLDERS = {"data"}  # YAML there defines data sets and their settings
NOT_CONFIG = {
    "setup.cfg",
    "tox.ini",
    "mypy.ini",
    "pytest.ini",
    "pip.cfg",
    "buildout.cfg",
    "dvc.yaml",
    "dvc.lock",
    "environment.yml",
    "environment.yaml",
    "conda.yaml",
    "conda.yml",
    "meta.yaml",
    "mkdocs.yml",
    "mkdocs.yaml",
    "readthedocs.yml",
    "readthedocs.yaml",
    "codecov.yml",
    "codecov.yaml",
    "dependabot.yml",
    "renovate.json",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "cloudbuild.yaml",
    "cloudbuild.yml",
    "appveyor.yml",
    "compose.yml",
    "compose.yaml",
    "pyproject.toml",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "pyrightconfig.json",
    "artifacts.yaml",
    "MLproject",
    "_config.yml",  # Jekyll and Jupyter Book sites
    "_config.yaml",
}
_TOOL_NAME = re.compile(r"^(docker-compose|compose)[\w.-]*\.ya?ml$|^\.")
_WORD = re.compile(r"[^a-z0-9]+")


def load_yaml(text: str) -> Any:
    """YAML through the safe loader; raises yaml.YAMLError (also for a tagged value it cannot build: !!int x)."""
    try:
        return yamlfile.safe_load(text)
    except UNBUILDABLE as exc:
        raise yaml.YAMLError(f"a value YAML cannot build: {type(exc).__name__}: {str(exc)[:200]}") from None


def facts(paths: list[str], text: Callable[[str], str | None]) -> Iterator[Fact]:
    dvc_files = [p for p in paths if p.endswith(".dvc") and not p.startswith(".dvc/")]
    stages = 0
    for path in (p for p in paths if p.rsplit("/", 1)[-1] == "dvc.yaml"):
        try:
            doc = load_yaml(text(path) or "")
        except yaml.YAMLError as exc:
            yield Fact.failure("repo.data.dvc_stages", f"not valid YAML: {_problem(exc)}", path=path, line=_line(exc))
            continue
        found = doc.get("stages") if isinstance(doc, dict) else None
        stages += len(found) if isinstance(found, dict) else 0
    yield Fact("repo.data.dvc_files", len(dvc_files))
    yield Fact("repo.data.dvc_stages", stages)
    yield Fact("repo.data.dvc_lock", any(p.rsplit("/", 1)[-1] == "dvc.lock" for p in paths))
    yield Fact(
        "repo.data.lfs_patterns", lfs_patterns(text(".gitattributes") or "") if ".gitattributes" in paths else []
    )
    yield from config_facts(paths, text)


def lfs_patterns(content: str) -> list[str]:
    found = []
    for line in content.splitlines():
        parts = line.split()
        if parts and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            found.append(parts[0])
    return found


def is_config_file(path: str, foreign: Foreign | None = None) -> bool:
    """A configuration file by its name and folder (see the module's docstring); tool settings are not."""
    parts = path.split("/")
    lower = parts[-1].lower()
    if not lower.endswith(CONFIG_SUFFIXES) or not _settings_file(parts):
        return False
    if foreign is not None and foreign.why(path):
        return False
    words = set(_WORD.split(lower.rsplit(".", 1)[0]))
    folders = {p.lower() for p in parts[:-1]}
    return (
        bool(words & CONFIG_WORDS)
        or bool(folders & CONFIG_WORDS)
        or lower.endswith(".cfg")
        or (lower.endswith((".yaml", ".yml")) and bool(folders & YAML_FOLDERS))
    )


def _settings_file(parts: list[str]) -> bool:
    """Not a tool's own settings, not in a hidden folder."""
    return parts[-1] not in NOT_CONFIG and not _TOOL_NAME.match(parts[-1]) and not any(p.startswith(".") for p in parts)


def config_facts(paths: list[str], text: Callable[[str], str | None]) -> Iterator[Fact]:
    foreign = Foreign(paths)
    configs = [p for p in paths if is_config_file(p, foreign)]
    named = set(configs)
    others = [
        p
        for p in paths
        if p.endswith((".yaml", ".yml")) and p not in named and _settings_file(p.split("/")) and foreign.why(p) is None
    ]
    candidates = (configs + others)[:MAX_CONFIG_FILES]
    trees = []
    for folder, files in hydra_trees(candidates, text).items():
        groups = {f[len(folder) :].lstrip("/").split("/")[0] for f in files if "/" in f[len(folder) :].lstrip("/")}
        trees.append({"path": folder or ".", "groups": len(groups), "files": len(files)})
        named.update(f for f in files if folder or "/" not in f)  # a tree at the top claims its own folder only
    yield Fact("code.config.files", sorted(named)[:200])
    yield Fact("code.config.hydra", trees)
    projects = []
    for path in (p for p in paths if p.rsplit("/", 1)[-1] == "MLproject"):
        try:
            projects.append({"path": path, **mlproject(text(path) or "")})
        except (yaml.YAMLError, ValueError) as exc:
            yield Fact.failure(
                "code.config.mlproject", f"not a valid MLproject: {_problem(exc)}", path=path, line=_line(exc)
            )
    yield Fact("code.config.mlproject", projects)


@lru_cache(maxsize=512)
def _has_defaults_list(content: str) -> bool:
    """A Hydra primary config: a YAML mapping with a ``defaults`` list (parsed once per content in a process)."""
    try:
        doc = load_yaml(content)
    except yaml.YAMLError:
        return False
    return isinstance(doc, dict) and isinstance(doc.get("defaults"), list)


def hydra_trees(configs: list[str], text: Callable[[str], str | None]) -> dict[str, list[str]]:
    """Hydra roots (folders of a YAML with a ``defaults`` list) and the YAML files below each."""
    roots = set()
    yaml_files = [p for p in configs if p.endswith((".yaml", ".yml"))]
    for path in yaml_files:
        content = text(path) or ""
        if "defaults" in content and _has_defaults_list(content):
            roots.add(path.rsplit("/", 1)[0] if "/" in path else "")
    top = sorted(r for r in roots if not any(r != o and r.startswith(o + "/") for o in roots if o))
    if "" in roots:
        top = [""]
    trees: dict[str, list[str]] = defaultdict(list)
    for path in yaml_files:
        for root in top:
            if not root or path.startswith(root + "/"):
                trees[root].append(path)
                break
    return dict(trees)


def mlproject(content: str) -> dict[str, Any]:
    """Entry points, parameters and environment kind of an MLproject file."""
    doc = load_yaml(content)
    if not isinstance(doc, dict):
        raise ValueError("the top level is not a mapping")
    entry_points = doc.get("entry_points") or {}
    if not isinstance(entry_points, dict):
        raise ValueError("entry_points is not a mapping")
    params = {name: len(ep.get("parameters") or {}) if isinstance(ep, dict) else 0 for name, ep in entry_points.items()}
    environment = next((k for k in ("conda_env", "python_env", "docker_env") if k in doc), None)
    return {"entry_points": sorted(entry_points), "parameters": params, "environment": environment}


def _problem(exc: Exception) -> str:
    return str(getattr(exc, "problem", None) or exc).strip().splitlines()[0]


def _line(exc: Exception) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None
