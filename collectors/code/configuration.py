"""Where settings live: a centralized configuration, and experiment trackers chosen in config files.

These facts need the repository's file list and the text of its configuration
files (YAML read with the safe loader, never executed) besides the per-file
code summaries, so the repository collector calls ``facts`` with both.

A configuration is *centralized* when the code reads its settings from one
place, in one of these ways (each found is a located fact saying which):

- Hydra: the code calls ``hydra.main``/``compose``/``initialize`` and the
  repository has a Hydra config tree (a folder whose YAML has a ``defaults``
  list);
- DVC parameters: a ``dvc.yaml`` stage declares ``params`` (DVC hands the
  stages their ``params.yaml`` values) and the code parses YAML;
- MLproject parameters: an MLproject entry point declares parameters;
- a configuration file the code reads: a config file (``config.json``,
  ``settings.ini``, ``conf/*.yaml``) whose name the code writes as a literal,
  in a format the code parses (``json.load``, ``yaml.safe_load``, ``ConfigParser``);
- a Python settings module: a module named for configuration (``config.py``,
  ``settings.py``, ``defaults.py``, ``parse_config.py``, ``conf/*.py``) that
  defines settings (at least three upper-case module constants, or a
  pydantic ``BaseSettings`` class) and that at least two other modules import.
  A ``config.py`` of helper functions and lower-case lists is not one.

Trackers are *configured* where a YAML config names a tracker's logger class
as an object to build (``_target_: lightning.pytorch.loggers.WandbLogger``,
LightningCLI's ``class_path``) or Hugging Face's ``report_to``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code.facts import is_test_support, located
from mldebt.collectors.interface import Fact
from mldebt.collectors.repo import configfiles
from mldebt.collectors.repo import data as repo_data

KEYS = {
    "code.config.centralized": "settings are read from one place: a Hydra tree, DVC or MLproject parameters, a "
    "config file the code reads, or a Python settings module other modules import",
    "code.config.centralized.at": "where: each source of central settings found, and how it is read",
    "code.tracking.configured": "experiment trackers named in YAML configs (_target_/class_path of a logger, "
    "report_to), whether or not the default config selects them",
    "code.tracking.configured.at": "where: one fact per tracker config (at most 20)",
}
MAX_YAML = 400  # config files opened
MIN_SETTINGS = 3
MIN_IMPORTERS = 2
_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml", ".ini": "ini", ".cfg": "ini"}
_BUILD_KEYS = ("_target_", "class_path")
_HYDRA_ENTRY = {"hydra.main", "hydra.compose", "hydra.initialize", "hydra.initialize_config_dir"}

Text = Callable[[str], str | None]
Place = tuple[str, int | None, str]


def facts(summaries: dict[str, dict[str, Any]], tests: set[str], paths: list[str], text: Text) -> Iterator[Fact]:
    code = {
        rel: s for rel, s in summaries.items() if rel not in tests and not is_test_support(rel) and "error" not in s
    }
    configs = [p for p in paths if repo_data.is_config_file(p)]
    trackers = list(configured_trackers(configs[:MAX_YAML], text))
    yield Fact("code.tracking.configured", sorted({tracker for tracker, _ in trackers}))
    yield from located("code.tracking.configured", (place for _, place in trackers))
    sources = [
        *_hydra(code, configs, text),
        *_dvc_params(code, paths, text),
        *_mlproject(paths, text),
        *_read_config_files(code, configs),
        *_settings_modules(code),
    ]
    yield Fact("code.config.centralized", bool(sources))
    yield from located("code.config.centralized", sources)


def configured_trackers(configs: list[str], text: Text) -> Iterator[tuple[str, Place]]:
    """(tracker, place) for each logger a YAML config builds or names."""
    for path in configs:
        if not path.endswith((".yaml", ".yml")):
            continue
        content = text(path) or ""
        if not any(word in content for word in (*_BUILD_KEYS, "report_to")):
            continue
        try:
            doc = configfiles.load_yaml(content)
        except configfiles.ConfigError:
            continue  # the data collector reports YAML it cannot read
        for tracker, line, what in _trackers_in(doc):
            yield tracker, (path, line, f"{tracker}: {what}")


def _trackers_in(doc: Any, depth: int = 0) -> Iterator[tuple[str, int | None, str]]:
    if depth > 20:
        return
    if isinstance(doc, dict):
        for key in _BUILD_KEYS:
            target = doc.get(key)
            if isinstance(target, str):
                tracker = P.LOGGER_CLASSES.get(target.rsplit(".", 1)[-1]) or _tracker_module(target)
                if tracker:
                    yield tracker, configfiles.line_of(doc, key), target
        report_to = doc.get("report_to")
        for item in report_to if isinstance(report_to, list) else [report_to]:
            if isinstance(item, str) and item in P.REPORT_TO:
                yield P.REPORT_TO[item], configfiles.line_of(doc, "report_to"), f"report_to: {item}"
        for value in doc.values():
            yield from _trackers_in(value, depth + 1)
    elif isinstance(doc, list):
        for value in doc:
            yield from _trackers_in(value, depth + 1)


def _tracker_module(target: str) -> str | None:
    for prefix, tracker in P.TRACKING_LIBRARIES.items():
        if target.startswith(prefix + ".") and (prefix in P.ANY_CALL_TRACKERS or prefix not in P.TRACKING_ONLY):
            return tracker
    return None


def _rows(code: dict[str, dict[str, Any]], kind: str) -> Iterator[tuple[str, list[Any]]]:
    for rel, summary in sorted(code.items()):
        for row in summary.get("found", {}).get(kind, ()):
            yield rel, row


def _line(rel: str, line: int | None) -> int | None:
    return None if rel.endswith(".ipynb") else line


def _hydra(code: dict[str, dict[str, Any]], configs: list[str], text: Text) -> Iterator[Place]:
    entries = [(rel, row[0]) for rel, row in _rows(code, "config") if row[1] == "hydra"]
    if not entries:
        return
    trees = repo_data.hydra_trees(configs[:MAX_YAML], text)
    if trees:
        rel, line = entries[0]
        roots = ", ".join(sorted(root or "." for root in trees))
        yield rel, _line(rel, line), f"Hydra config tree {roots}, read through hydra in {rel}"


def _dvc_params(code: dict[str, dict[str, Any]], paths: list[str], text: Text) -> Iterator[Place]:
    parses_yaml = any(row[1] == "yaml" for _, row in _rows(code, "parsers"))
    if not parses_yaml:
        return
    present = set(paths)
    for path in (p for p in paths if p.rsplit("/", 1)[-1] == "dvc.yaml"):
        try:
            doc = configfiles.load_yaml(text(path) or "")
        except configfiles.ConfigError:
            continue
        stages = configfiles.mapping(configfiles.mapping(doc).get("stages"))
        for name, stage in stages.items():
            params = configfiles.sequence(configfiles.mapping(stage).get("params"))
            files = {key for item in params if isinstance(item, dict) for key in item if isinstance(key, str)} or {
                "params.yaml"
            }
            folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
            if params and any(folder + f in present or f in present for f in files):
                line = configfiles.line_of(stage, "params")
                yield path, line, f"DVC stage {name} takes parameters from {', '.join(sorted(files))}"
                break


def _mlproject(paths: list[str], text: Text) -> Iterator[Place]:
    for path in (p for p in paths if p.rsplit("/", 1)[-1] == "MLproject"):
        try:
            project = repo_data.mlproject(text(path) or "")
        except (ValueError, yaml.YAMLError):
            continue
        count = sum(project["parameters"].values())
        if count:
            yield path, None, f"MLproject entry points take {count} parameters"


def _read_config_files(code: dict[str, dict[str, Any]], configs: list[str]) -> Iterator[Place]:
    parsed = {row[1] for _, row in _rows(code, "parsers")}
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in configs:
        suffix = "." + path.rsplit(".", 1)[-1].lower()
        if _FORMATS.get(suffix) in parsed:
            by_name[path.rsplit("/", 1)[-1]].append(path)
    seen: set[str] = set()
    for rel, (line, literal) in _rows(code, "config_refs"):
        name = literal.replace("\\", "/").rsplit("/", 1)[-1]
        for path in by_name.get(name, ()):
            if path not in seen:
                seen.add(path)
                yield (
                    rel,
                    _line(rel, line),
                    f"{path} is named here and parsed as {_FORMATS['.' + name.rsplit('.', 1)[-1].lower()]}",
                )


def _settings_modules(code: dict[str, dict[str, Any]]) -> Iterator[Place]:
    for rel, summary in sorted(code.items()):
        if not rel.endswith(".py") or not _config_named(rel):
            continue
        settings = summary.get("counts", {}).get("settings", 0)
        classes = any(row[1] == "pydantic-settings" for row in summary.get("found", {}).get("config", ()))
        if settings < MIN_SETTINGS and not classes:
            continue
        module = rel[:-3].replace("/", ".")
        module = module[: -len(".__init__")] if module.endswith(".__init__") else module
        importers = sorted(other for other, s in code.items() if other != rel and _imports(s, module))
        if len(importers) >= MIN_IMPORTERS:
            what = f"{settings} settings" if settings >= MIN_SETTINGS else "a BaseSettings class"
            shown = ", ".join(importers[:3]) + (f" and {len(importers) - 3} more" if len(importers) > 3 else "")
            yield rel, None, f"Python settings module ({what}) imported by {shown}"


def _config_named(rel: str) -> bool:
    parts = rel[:-3].split("/")
    return bool(set(P.tokens(parts[-1])) & P.CONFIG_MODULE_WORDS) or any(
        p.lower() in P.CONFIG_MODULE_WORDS for p in parts[:-1]
    )


def _imports(summary: dict[str, Any], module: str) -> bool:
    """Whether a file imports ``module`` (``a.b.config``) by its full name or by a tail of it (``config``)."""
    return any(imp == module or module.endswith("." + imp) for imp in summary.get("imports", ()))
