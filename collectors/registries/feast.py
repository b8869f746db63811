"""Feast collector: feature store configuration, declared features, and the ones code uses.

A feature repository is a folder holding ``feature_store.yaml`` and the Python
files that declare entities, feature views and feature services. Those files
are parsed with ``ast``, never imported. Features are then looked up in the
rest of the project's code (training and serving): a reference is a string
``"<view>:<feature>"`` or the name of a feature service that bundles them.
Declared features nobody references are the underutilized data dependencies
Sculley et al. warn about.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.errors import InputError
from mldebt.nested import json_loads
from mldebt.yamlfile import parse

MAX_BYTES = 2 * 1024 * 1024
MAX_FILES = 50_000
VIEW_CALLS = {"FeatureView", "BatchFeatureView", "StreamFeatureView", "OnDemandFeatureView"}
VIEW_DECORATORS = {"on_demand_feature_view", "stream_feature_view", "batch_feature_view"}
PLACEHOLDER = re.compile(r"^%[A-Z0-9_]+%$|/path/to/|<[^>]+>")
REFERENCE = re.compile(r"""["']([A-Za-z_][\w-]*):([A-Za-z_][\w-]*)["']""")


@dataclass
class Declared:
    views: dict[str, list[str]] = field(default_factory=dict)  # view -> feature names
    entities: list[str] = field(default_factory=list)
    services: dict[str, list[str]] = field(default_factory=dict)  # service -> ["view:feature", ...]
    files: set[str] = field(default_factory=set)  # files that declare views (not searched for uses)


class FeastCollector(Collector):
    name = "feast"
    keys = {
        "feast.repos": "feature_store.yaml files that were read",
        "feast.projects": "each feature store's project name",
        "feast.providers": "each feature store's provider (local, gcp, aws, ...)",
        "feast.online_stores": "each feature store's online store type",
        "feast.offline_stores": "each feature store's offline store type",
        "feast.placeholders": "settings still holding template placeholders (%VALUE%, /path/to/...)",
        "feast.feature_views": "feature views declared in the feature repositories",
        "feast.entities": "entities declared",
        "feast.feature_services": "feature services declared",
        "feast.features.declared": "features declared in the feature views",
        "feast.features.referenced": "declared features that training or serving code references",
        "feast.features.unused": "declared features no code references (underutilized)",
        "feast.features.unknown": "references to view:feature pairs that no view declares",
    }

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        files = list(_walk(snapshot.root))
        configs = [(rel, full) for rel, full in files if full.name == "feature_store.yaml"]
        repos: dict[str, dict[str, Any]] = {}
        for rel, full in configs:
            yield from read_config(full, rel, repos)
        named = (snapshot.sources.get("registries") or {}).get("feature_store")
        if named and f"{named.strip('/')}/feature_store.yaml" not in {rel for rel, _ in configs}:
            yield Fact.failure(
                "feast.repos",
                f"{named}: the portfolio names this feature repository, but it holds no feature_store.yaml",
                path=named,
            )
        yield Fact("feast.repos", sorted(repos))
        if repos:
            for key, part in (
                ("feast.projects", "project"),
                ("feast.providers", "provider"),
                ("feast.online_stores", "online_store"),
                ("feast.offline_stores", "offline_store"),
                ("feast.placeholders", "placeholders"),
            ):
                yield Fact(key, {rel: settings[part] for rel, settings in sorted(repos.items())})
        folders = [rel.rpartition("/")[0] for rel, _ in configs]
        sources = [(rel, full) for rel, full in files if full.suffix == ".py"]
        declared = Declared()
        for rel, full in sources:
            if any(rel.startswith(f + "/") or not f for f in folders):
                yield from read_definitions(full, rel, declared)
        if declared.views:
            users = [
                (rel, full) for rel, full in files if full.suffix in (".py", ".ipynb") and rel not in declared.files
            ]
            yield from _usage(declared, users)


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", "node_modules", ".venv", "venv"))
        for filename in sorted(filenames):
            count += 1
            if count > MAX_FILES:
                return
            full = Path(dirpath) / filename
            if not full.is_symlink():
                yield full.relative_to(root).as_posix(), full


def _text(full: Path, rel: str) -> str:
    try:
        with full.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{rel}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{rel}: larger than {MAX_BYTES} bytes")
    return raw.decode("utf-8", errors="replace")


def _line(message: str, rel: str) -> int | None:
    found = re.match(r"(\d+):\d+: ", message[len(rel) + 1 :]) if message.startswith(rel + ":") else None
    return int(found.group(1)) if found else None


def read_config(full: Path, rel: str, repos: dict[str, dict[str, Any]]) -> Iterator[Fact]:
    """Read one feature_store.yaml into ``repos[rel]``; an unloadable file is an error fact."""
    try:
        doc = parse(_text(full, rel), rel)
    except InputError as exc:
        yield Fact.failure("feast.repos", str(exc), path=rel, line=_line(str(exc), rel))
        return
    except ValueError as exc:
        yield Fact.failure("feast.repos", f"{rel}: bad value: {exc}", path=rel)
        return
    except yaml.YAMLError as exc:  # e.g. control characters, refused before parsing starts
        yield Fact.failure("feast.repos", f"{rel}: not YAML: {str(exc).splitlines()[0]}", path=rel)
        return
    except RecursionError:
        yield Fact.failure("feast.repos", f"{rel}: nested too deeply, or an alias that contains itself", path=rel)
        return
    data = doc.data
    if not isinstance(data, dict) or "project" not in data:
        yield Fact.failure("feast.repos", f"{rel}: not a Feast configuration (no 'project' key)", path=rel, line=1)
        return
    if not isinstance(data.get("project"), str) or not isinstance(data.get("provider", "local"), str):
        yield Fact.failure("feast.repos", f"{rel}: 'project' and 'provider' must be names", path=rel, line=1)
        return
    repos[rel] = {
        "project": data.get("project"),
        "provider": data.get("provider", "local"),
        "online_store": _store_type(data.get("online_store"), default="sqlite"),
        "offline_store": _store_type(data.get("offline_store"), default="file"),
        "placeholders": sorted(_placeholders(data)),
    }


def _store_type(value: Any, default: str) -> str | None:
    """Feast accepts a bare type name or a mapping with ``type``; without one the provider's default applies."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("type") or default)
    return default if value is None else None


def _placeholders(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _placeholders(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, str) and PLACEHOLDER.search(value):
        yield prefix


def _call_name(node: ast.AST) -> str | None:
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _fields(node: ast.AST | None) -> list[str]:
    """Names of the Field(...)/Feature(...) entries of a schema or features list."""
    names = []
    for item in node.elts if isinstance(node, (ast.List, ast.Tuple)) else []:
        if isinstance(item, ast.Call) and _call_name(item) in ("Field", "Feature"):
            value = _keyword(item, "name") or (item.args[0] if item.args else None)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                names.append(value.value)
    return names


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def read_definitions(full: Path, rel: str, declared: Declared) -> Iterator[Fact]:
    """Add the entities, feature views and services a Python file declares (parsed, never run)."""
    try:
        tree = ast.parse(_text(full, rel), filename=rel)
    except InputError as exc:
        yield Fact.failure("feast.feature_views", str(exc), path=rel)
        return
    except (SyntaxError, ValueError) as exc:
        yield Fact.failure(
            "feast.feature_views",
            f"{rel}: Python syntax error: {getattr(exc, 'msg', exc)}",
            path=rel,
            line=getattr(exc, "lineno", None),
        )
        return
    variables: dict[str, str] = {}  # python variable -> view name
    services: list[tuple[str, ast.AST | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and _call_name(deco) in VIEW_DECORATORS:
                    view = _string(_keyword(deco, "name")) or node.name
                    declared.views[view] = _fields(_keyword(deco, "schema"))
                    variables[node.name] = view
                    declared.files.add(rel)
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        call, kind = node.value, _call_name(node.value)
        target = node.targets[0].id if isinstance(node.targets[0], ast.Name) else None
        name = _string(_keyword(call, "name")) or (_string(call.args[0]) if call.args else None) or target
        if kind in VIEW_CALLS and name:
            declared.views[name] = _fields(_keyword(call, "schema")) + _fields(_keyword(call, "features"))
            declared.files.add(rel)
            if target:
                variables[target] = name
        elif kind == "Entity" and name:
            declared.entities.append(name)
        elif kind == "FeatureService" and name:
            services.append((name, _keyword(call, "features")))
    for name, features in services:
        declared.services[name] = _service_features(features, variables, declared)


def _service_features(node: ast.AST | None, variables: dict[str, str], declared: Declared) -> list[str]:
    """``[view_var, view_var[["a", "b"]]]`` as "view:feature" names."""
    out = []
    for item in node.elts if isinstance(node, (ast.List, ast.Tuple)) else []:
        picked = None
        if isinstance(item, ast.Subscript):
            picked = [_string(e) for e in getattr(item.slice, "elts", [])]
            item = item.value
        view = variables.get(item.id) if isinstance(item, ast.Name) else None
        if view:
            out += [f"{view}:{f}" for f in (picked if picked is not None else declared.views.get(view, [])) if f]
    return out


def _strings(full: Path, rel: str) -> set[str]:
    """String literals of a Python file, or of a notebook's cells; text matches when it does not parse."""
    text = _text(full, rel)
    if full.suffix == ".ipynb":
        try:
            cells = json_loads(text).get("cells", [])
            text = "\n".join(
                "".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", ""))
                for c in cells
                if isinstance(c, dict)
            )
        except (ValueError, AttributeError):
            pass
    try:
        return {n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    except (SyntaxError, ValueError):
        return {f"{a}:{b}" for a, b in REFERENCE.findall(text)} | set(re.findall(r"""["']([\w-]+)["']""", text))


def _usage(declared: Declared, users: list[tuple[str, Path]]) -> Iterator[Fact]:
    all_features = {f"{view}:{f}" for view, names in declared.views.items() for f in names}
    used: set[str] = set()
    unknown: set[str] = set()
    for rel, full in users:
        try:
            strings = _strings(full, rel)
        except InputError as exc:
            yield Fact.failure("feast.features.referenced", str(exc), path=rel)
            continue
        for text in strings:
            view, _, feature = text.partition(":")
            if feature and view in declared.views:
                (used if text in all_features else unknown).add(text)
            elif text in declared.services:
                used.update(declared.services[text])
    yield Fact("feast.feature_views", sorted(declared.views))
    yield Fact("feast.entities", sorted(set(declared.entities)))
    yield Fact("feast.feature_services", sorted(declared.services))
    yield Fact("feast.features.declared", len(all_features))
    yield Fact("feast.features.referenced", len(used & all_features))
    yield Fact("feast.features.unused", sorted(all_features - used))
    yield Fact("feast.features.unknown", sorted(unknown))
