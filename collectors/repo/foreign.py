"""Folders whose files are not the project's own, and why.

Run outputs (``mlruns/``, ``outputs/``, ``wandb/`` ...), installed environments
and tool caches (``site-packages``, ``node_modules``, ``.tox``, a virtual
environment), vendored copies of other projects (``vendor/``, ``third_party/``,
``_vendor/``) and build outputs (``dist/``, ``*.egg-info``, setuptools'
``build/lib``) hold files that look like the project's own (requirements
files, ``pyproject.toml``, YAML settings, linter configs) but were written by a
tool or copied from elsewhere: they say nothing about what the project itself
declares. Decided from paths alone; a folder of any name that holds a
``pyvenv.cfg`` or a ``conda-meta/`` folder is an environment.
"""

from __future__ import annotations

from collections.abc import Iterable

RUN_OUTPUTS = {"mlruns", "mlartifacts", "outputs", "multirun", "wandb", "lightning_logs", "tb_logs", "logs"}
TOOL_FOLDERS = {
    "node_modules",
    "bower_components",
    "site-packages",
    "dist-packages",
    "__pycache__",
    ".tox",
    ".nox",
    ".eggs",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".dvc",
    ".git",
    ".cache",
}
ENVIRONMENTS = {"venv", ".venv", "virtualenv", ".virtualenv", ".conda"}
VENDORED = {"vendor", "vendored", "_vendor", "third_party", "third-party", "thirdparty", "3rdparty"}
BUILD_OUTPUTS = {"dist"}
_SETUPTOOLS_BUILD = ("lib", "bdist.", "temp.", "scripts-")  # build/<these>: setuptools' output, not build/Dockerfile


class Foreign:
    """``why(rel)``: the reason a path is not the project's own file, or None when it is."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.environments: set[str] = set()
        self._folders: dict[str, str | None] = {}  # a folder's answer holds for every file in it
        for rel in paths:
            folder, _, name = rel.rpartition("/")
            if name == "pyvenv.cfg":
                self.environments.add(folder)
            elif name and "/conda-meta/" in f"/{rel}":
                self.environments.add(f"/{rel}".split("/conda-meta/")[0].lstrip("/"))

    def why(self, rel: str) -> str | None:
        folder = rel.rpartition("/")[0]
        if folder not in self._folders:
            self._folders[folder] = self._why(folder.split("/") if folder else [])
        return self._folders[folder]

    def _why(self, parts: list[str]) -> str | None:
        folder = ""
        for depth, part in enumerate(parts):
            folder = f"{folder}/{part}" if folder else part
            if part in RUN_OUTPUTS:
                return f"under {folder}/, an output folder of runs and experiment tools"
            if part in TOOL_FOLDERS:
                return f"under {folder}/, a tool's folder (installed packages or caches)"
            if part in ENVIRONMENTS or folder in self.environments:
                return f"under {folder}/, an installed environment"
            if part in VENDORED:
                return f"under {folder}/, a vendored copy of other projects"
            if part in BUILD_OUTPUTS or part.endswith(".egg-info"):
                return f"under {folder}/, a build output"
            if part == "build" and depth + 1 < len(parts) and parts[depth + 1].startswith(_SETUPTOOLS_BUILD):
                return f"under {folder}/{parts[depth + 1]}/, a build output"
        return None

    def own(self, paths: Iterable[str]) -> list[str]:
        """The paths that are the project's own, in their order."""
        return [rel for rel in paths if self.why(rel) is None]
