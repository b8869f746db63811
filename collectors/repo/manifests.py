"""Dependency manifests and lock files, read statically: what each declares and pins.

Requirement strings go through ``packaging`` (PEP 508), loaded when a
manifest is first read (a scan of a repository without one, or whose facts are
kept, never needs it); TOML through ``tomllib``; YAML through the safe loader;
``setup.py`` through ``ast`` (never run: only literal lists, or names bound to
literal lists, are read).
"""

from __future__ import annotations

import ast
import configparser
import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from mldebt import yamlfile
from mldebt.collectors.repo.configfiles import mapping
from mldebt.nested import json_loads, toml_loads

if TYPE_CHECKING:
    from packaging.requirements import Requirement
from mldebt.yamlfile import UNBUILDABLE

REQUIREMENTS = re.compile(r"^requirements.*\.(txt|in)$|.*requirements\.(txt|in)$")
MANIFEST_NAMES = {
    "pyproject.toml": "pyproject",
    "setup.cfg": "setup.cfg",
    "setup.py": "setup.py",
    "Pipfile": "pipfile",
    "environment.yml": "conda",
    "environment.yaml": "conda",
    "conda.yml": "conda",  # MLflow projects' conda_env
    "conda.yaml": "conda",
}
CONDA_ENV = re.compile(r"^(environment|conda)[-_.][\w.-]*\.ya?ml$")  # environment-dev.yml, conda_gpu.yaml
LOCK_NAMES = {
    "poetry.lock": "poetry",
    "Pipfile.lock": "pipenv",
    "pdm.lock": "pdm",
    "uv.lock": "uv",
    "pylock.toml": "pylock",
    "conda-lock.yml": "conda-lock",
    "conda-lock.yaml": "conda-lock",
}
_LOCK_PATTERNS = [
    (re.compile(r"^requirements[\w.-]*\.lock$"), "rye"),  # requirements.lock, requirements-dev.lock
    (re.compile(r"^pylock\.[\w.-]+\.toml$"), "pylock"),  # PEP 751
    (re.compile(r"^[\w.-]+\.conda-lock\.ya?ml$"), "conda-lock"),
    (re.compile(r"^conda-[\w-]+\.lock$"), "conda-explicit"),  # conda-lock --kind explicit: conda-linux-64.lock
]
LOOKED_FOR = (
    "requirements*.txt, *requirements.in, pyproject.toml, setup.py, setup.cfg, Pipfile, environment.yml, conda.yaml"
)
_COMMENT = re.compile(r"(^|\s)#.*$")
_COMMIT = re.compile(r"@[0-9a-f]{40}\b")
_CONDA = re.compile(r"^(?:[\w.-]+::)?([A-Za-z0-9_.\-]+)\s*(.*)$")


@dataclass
class Declared:
    name: str
    spec: str
    pinned: bool
    line: int | None = None
    group: str = "main"


@dataclass
class Manifest:
    kind: str
    flavour: str | None = None
    requirements: list[Declared] = field(default_factory=list)
    includes: list[tuple[str, int, str]] = field(default_factory=list)  # (target, line, "requirement"|"constraint")
    problems: list[tuple[str, int | None]] = field(default_factory=list)
    generated: bool = False  # pip-compile/uv output: a lock as much as a manifest


def kind_of(name: str) -> str | None:
    """The manifest kind a file name stands for, or None."""
    if REQUIREMENTS.match(name):
        return "requirements"
    return MANIFEST_NAMES.get(name) or ("conda" if CONDA_ENV.match(name) and "lock" not in name else None)


def lock_kind(name: str) -> str | None:
    """The lock-file kind a file name stands for (poetry, uv, pipenv, pdm, pylock, rye, conda-lock ...), or None.

    Only locks of Python environments: ``dvc.lock`` pins data, and other
    ecosystems' locks (yarn.lock, Cargo.lock) lock no Python requirement.
    """
    return LOCK_NAMES.get(name) or next((kind for pattern, kind in _LOCK_PATTERNS if pattern.match(name)), None)


def parse(kind: str, text: str) -> Manifest:
    reader = {
        "requirements": requirements_txt,
        "pyproject": pyproject,
        "setup.cfg": setup_cfg,
        "setup.py": setup_py,
        "pipfile": pipfile,
        "conda": conda_env,
    }[kind]
    return reader(text)


def pinned(req: Requirement) -> bool:
    """Pinned to one version: a single ``==``/``===`` without a wildcard, or a URL at a commit."""
    if req.url:
        return bool(_COMMIT.search(req.url))
    specs = list(req.specifier)
    return len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version


class NotARequirement(ValueError):
    """A string that is no PEP 508 requirement (``packaging``'s InvalidRequirement)."""


def declared(text: str, line: int | None = None, group: str = "main") -> Declared:
    """One PEP 508 requirement string; raises NotARequirement."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise NotARequirement(str(exc)) from None
    return Declared(canonicalize_name(req.name), str(req.specifier) or (req.url or ""), pinned(req), line, group)


def canonicalize_name(name: str) -> str:
    """A distribution's name as PEP 503 compares it (``packaging.utils.canonicalize_name``)."""
    from packaging.utils import canonicalize_name as canonical

    return canonical(name)


def requirements_txt(text: str) -> Manifest:
    found = Manifest("requirements")
    head = text[:2000].lower()
    found.generated = "autogenerated by pip-compile" in head or "autogenerated by uv" in head or "--hash=" in text
    for number, line in _logical_lines(text):
        line = _COMMENT.sub("", line).strip()
        if not line:
            continue
        option = re.match(r"^(-r|--requirement|-c|--constraint)\s*=?\s*(\S+)", line)
        if option:
            found.includes.append(
                (option.group(2), number, "constraint" if option.group(1) in ("-c", "--constraint") else "requirement")
            )
            continue
        if line.startswith("-"):
            continue  # -e, --index-url and other options
        line = re.split(r"\s+--?[a-z]", line)[0].strip()
        try:
            found.requirements.append(declared(line, number))
        except NotARequirement:
            egg = re.search(r"#egg=([\w.-]+)", line)
            if "://" in line or line.startswith((".", "/")):
                name = canonicalize_name(egg.group(1)) if egg else line
                found.requirements.append(Declared(name, line, bool(_COMMIT.search(line)), number))
            else:
                found.problems.append((f"not a valid requirement: {line[:80]}", number))
    return found


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first line."""
    start, parts = None, []
    for number, raw in enumerate(text.splitlines(), start=1):
        if start is None:
            start = number
        if raw.rstrip().endswith("\\"):
            parts.append(raw.rstrip()[:-1])
            continue
        parts.append(raw)
        yield start, " ".join(parts)
        start, parts = None, []
    if parts:
        yield start or 1, " ".join(parts)


def _strings(found: Manifest, text: str, items: Any, group: str) -> None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            _add(found, text, item, group)


def _add(found: Manifest, text: str, item: str, group: str) -> None:
    line = _line_of(text, item)
    try:
        found.requirements.append(declared(item, line, group))
    except NotARequirement:
        found.problems.append((f"not a valid requirement: {item[:80]}", line))


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def pyproject(text: str) -> Manifest:
    found = Manifest("pyproject")
    try:
        doc = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        found.problems.append((f"not valid TOML: {exc}", getattr(exc, "lineno", None)))
        return found
    tool = doc.get("tool", {}) if isinstance(doc.get("tool"), dict) else {}
    backend = str(doc.get("build-system", {}).get("build-backend", ""))
    found.flavour = _flavour(tool, backend, "project" in doc)
    project = doc.get("project", {}) if isinstance(doc.get("project"), dict) else {}
    _strings(found, text, project.get("dependencies"), "main")
    if "dependencies" in (project.get("dynamic") or []):
        _dynamic(found, text, tool)
    for extra, items in (project.get("optional-dependencies") or {}).items():
        _strings(found, text, items, f"extra:{extra}")
    for group, items in (doc.get("dependency-groups") or {}).items():
        _strings(found, text, items, f"group:{group}")
    poetry = tool.get("poetry", {}) if isinstance(tool.get("poetry"), dict) else {}
    _poetry(found, text, poetry.get("dependencies"), "main")
    _poetry(found, text, poetry.get("dev-dependencies"), "group:dev")
    for group, table in (poetry.get("group") or {}).items():
        _poetry(found, text, table.get("dependencies") if isinstance(table, dict) else None, f"group:{group}")
    for group, items in ((tool.get("pdm") or {}).get("dev-dependencies") or {}).items():
        _strings(found, text, items, f"group:{group}")
    for env, table in ((tool.get("hatch") or {}).get("envs") or {}).items():
        if isinstance(table, dict):
            _strings(found, text, [*table.get("dependencies", []), *table.get("extra-dependencies", [])], f"env:{env}")
    return found


def _dynamic(found: Manifest, text: str, tool: dict[str, Any]) -> None:
    """``dynamic = ["dependencies"]``: setuptools reads them from files, which count as included requirements."""
    files = mapping(mapping(mapping(tool.get("setuptools")).get("dynamic")).get("dependencies")).get("file")
    names = [files] if isinstance(files, str) else [f for f in files or [] if isinstance(f, str)]
    for name in names:
        found.includes.append((name, _line_of(text, name) or 1, "requirement"))
    if not names:
        line = _line_of(text, "dynamic")
        found.problems.append(("dependencies are dynamic (computed when the package builds); not read", line))


def _flavour(tool: dict[str, Any], backend: str, pep621: bool) -> str:
    """Which tool manages the project: poetry's own table, then the build backend, then tool tables."""
    if "poetry" in tool:
        return "poetry"
    for marker, flavour in (
        ("hatchling", "hatch"),
        ("pdm", "pdm"),
        ("flit", "flit"),
        ("poetry", "poetry"),
        ("setuptools", "setuptools"),
        ("maturin", "maturin"),
    ):
        if marker in backend:
            return flavour
    for name in ("pdm", "hatch", "setuptools"):
        if name in tool:
            return name
    return "pep621" if pep621 else "build-only"


def _poetry(found: Manifest, text: str, table: Any, group: str) -> None:
    for name, spec in (table or {}).items() if isinstance(table, dict) else ():
        if name.lower() == "python":
            continue
        for one in spec if isinstance(spec, list) else [spec]:
            if isinstance(one, dict):
                if "path" in one:
                    continue  # a folder of the project itself
                version = str(one.get("version", "*" if not any(k in one for k in ("rev", "tag")) else ""))
                exact = bool(one.get("rev") or one.get("tag")) if "git" in one else _poetry_exact(version)
            else:
                version = str(one)
                exact = _poetry_exact(version)
            found.requirements.append(
                Declared(canonicalize_name(name), version, exact, _line_of(text, f"{name} ="), group)
            )


def _poetry_exact(version: str) -> bool:
    version = version.strip()
    return bool(re.fullmatch(r"(==)?\s*\d[\w.+!-]*", version)) and "*" not in version


def setup_cfg(text: str) -> Manifest:
    found = Manifest("setup.cfg")
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        found.problems.append((f"not a valid setup.cfg: {str(exc).splitlines()[0]}", getattr(exc, "lineno", None)))
        return found
    groups = [("options", "install_requires", "main"), ("options", "setup_requires", "setup")]
    groups += [
        ("options.extras_require", key, f"extra:{key}")
        for key in (parser["options.extras_require"] if parser.has_section("options.extras_require") else {})
    ]
    for section, key, group in groups:
        value = parser.get(section, key, fallback="")
        for item in value.splitlines():
            item = _COMMENT.sub("", item).strip()
            if item:
                _add(found, text, item, group)
    return found


def setup_py(text: str) -> Manifest:
    found = Manifest("setup.py")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError) as exc:
        found.problems.append((f"Python syntax error: {getattr(exc, 'msg', exc)}", getattr(exc, "lineno", None)))
        return found
    names = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup"):
            continue
        for kw in node.keywords:
            value = names.get(kw.value.id, kw.value) if isinstance(kw.value, ast.Name) else kw.value
            if kw.arg in ("install_requires", "setup_requires", "tests_require"):
                _literal_list(found, value, "main" if kw.arg == "install_requires" else kw.arg.split("_")[0], kw.arg)
            elif kw.arg == "extras_require":
                if isinstance(value, ast.Dict):
                    for key, items in zip(value.keys, value.values):
                        extra = str(key.value) if isinstance(key, ast.Constant) else "?"
                        _literal_list(
                            found,
                            names.get(items.id, items) if isinstance(items, ast.Name) else items,
                            f"extra:{extra}",
                            "extras_require",
                        )
                else:
                    found.problems.append(("extras_require is computed when setup.py runs; not read", kw.value.lineno))
    return found


def _literal_list(found: Manifest, node: ast.AST, group: str, what: str) -> None:
    if not isinstance(node, (ast.List, ast.Tuple)):
        found.problems.append((f"{what} is computed when setup.py runs; not read", getattr(node, "lineno", None)))
        return
    for item in node.elts:
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            try:
                found.requirements.append(declared(item.value, item.lineno, group))
            except NotARequirement:
                found.problems.append((f"not a valid requirement: {item.value[:80]}", item.lineno))


def pipfile(text: str) -> Manifest:
    found = Manifest("pipfile")
    try:
        doc = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        found.problems.append((f"not valid TOML: {exc}", getattr(exc, "lineno", None)))
        return found
    for section, group in (("packages", "main"), ("dev-packages", "group:dev")):
        for name, spec in (doc.get(section) or {}).items():
            version = str(spec.get("version", spec.get("ref", "*")) if isinstance(spec, dict) else spec)
            exact = (version.startswith("==") and "*" not in version) or (
                isinstance(spec, dict) and bool(spec.get("ref"))
            )
            found.requirements.append(Declared(canonicalize_name(name), version, exact, _line_of(text, name), group))
    return found


def conda_env(text: str) -> Manifest:
    found = Manifest("conda")
    try:
        doc = yamlfile.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        found.problems.append((f"not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None))
        return found
    except UNBUILDABLE as exc:  # a tagged value it cannot build: !!int x
        found.problems.append((f"not valid YAML: a value YAML cannot build ({type(exc).__name__})", None))
        return found
    dependencies = doc.get("dependencies") if isinstance(doc, dict) else None
    if dependencies is not None and not isinstance(dependencies, list):
        found.problems.append(("'dependencies' is not a list", _line_of(text, "dependencies")))
    for item in dependencies if isinstance(dependencies, list) else []:
        if isinstance(item, dict):
            _strings(found, text, item.get("pip"), "pip")
        elif isinstance(item, str):
            match = _CONDA.match(item.strip())
            if match and match.group(1).lower() != "python":  # the interpreter, as poetry's python key
                name, spec = match.group(1), match.group(2).replace(" ", "")
                exact = bool(re.fullmatch(r"==?([^=<>!~,|*\s]+)(=\S*)?", spec))  # name=1.2[=build]; 2.* is a range
                found.requirements.append(Declared(canonicalize_name(name), spec, exact, _line_of(text, item), "conda"))
    return found


def locked_versions(kind: str, text: str) -> dict[str, str]:
    """Package name -> locked version, for each lock-file kind; raises ValueError when unreadable."""
    try:
        if kind in ("poetry", "pdm", "uv"):
            return {
                canonicalize_name(p["name"]): str(p.get("version", "")) for p in toml_loads(text).get("package", [])
            }
        if kind == "pipenv":
            doc = json_loads(text)
            return {
                canonicalize_name(n): str(v.get("version", "")).lstrip("=")
                for section in ("default", "develop")
                for n, v in (doc.get(section) or {}).items()
                if isinstance(v, dict)
            }
        if kind == "conda-lock":
            doc = yamlfile.safe_load(text)
            return {canonicalize_name(p["name"]): str(p.get("version", "")) for p in doc.get("package", [])}
        if kind in ("requirements", "rye"):
            return {r.name: r.spec.lstrip("=") for r in requirements_txt(text).requirements if r.pinned}
        if kind == "pylock":
            packages = toml_loads(text).get("packages", [])
            return {canonicalize_name(p["name"]): str(p.get("version", "")) for p in packages if isinstance(p, dict)}
        if kind == "conda-explicit":
            return {}  # package URLs only; no manifest to compare with
    except (
        tomllib.TOMLDecodeError,
        json.JSONDecodeError,
        yaml.YAMLError,
        KeyError,
        TypeError,
        AttributeError,
        *UNBUILDABLE,
    ) as exc:
        raise ValueError(f"cannot read the {kind} lock file: {type(exc).__name__}") from None
    raise ValueError(f"unknown lock kind {kind}")
