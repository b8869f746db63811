"""Names of code spelled outside Python code: entry points, configuration values, launch commands.

Frameworks reach code by the names files give them: ``[project.scripts]``
(``tool = "pkg.cli:main"``), Hydra's ``_target_: pkg.models.Net``, a JSON
config's ``"type": "MnistModel"``, ``uvicorn app.main:app`` in a Dockerfile,
``--entry-point=trigger`` in a deploy command. The dead-code check counts
these names as used. Files are read as text with regular expressions, never
run; a name only needs to be spelled, not resolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_ENTRY_SPEC = re.compile(r"(?:^|[\s=\"'])[A-Za-z_][\w.]*:([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?=$|[\s\"'\[,])", re.M)
_ENTRY_OPTION = re.compile(r"--(?:entry-point|target)[= ]+[\"']?([A-Za-z_]\w*)")
_NAME = r"[A-Za-z_][\w.]*(?::[A-Za-z_][\w.]*)?"  # a name, a dotted path or module:object
_PATH_SEPARATOR = re.compile(r"[.:]")
_CONFIG_VALUES = {  # a value that is a name alone: `key: value`, `- value`, `[-1, 1, Conv, [64]]`, `"value",`, `k = v`
    "yaml": (
        re.compile(
            r"^[ \t]*(?:-[ \t]+)?(?:[\w.\-\"']+[ \t]*:[ \t]+)?[\"']?(" + _NAME + r")[\"']?[ \t]*(?:#.*)?$", re.M
        ),
        re.compile(r"[\[,][ \t]*[\"']?(" + _NAME + r")[\"']?[ \t]*(?=[,\]])"),
    ),
    "json": (re.compile(r"\"(" + _NAME + r")\"[ \t]*(?=[,\]\}\r\n])"),),
    "ini": (re.compile(r"^[^=#;\n]*=[ \t]*[\"']?(" + _NAME + r")[\"']?[ \t]*$", re.M),),
}
_CONFIG_WORDS = ("config", "conf", "cfg", "setting", "param", "hparam", "hyper", "experiment")


def entry_names(text: str) -> set[str]:
    """The objects entry points and launch options name in a text: ``pkg.mod:func`` -> func, ``--target=f`` -> f."""
    found = {m.group(1).rsplit(".", 1)[-1] for m in _ENTRY_SPEC.finditer(text)}
    found.update(m.group(1) for m in _ENTRY_OPTION.finditer(text))
    return found


def named_in_files(paths: Iterable[str], text: Callable[[str], str | None]) -> list[str]:
    """Names of code that configuration and launch files spell: such code is reached without a Python name.

    pyproject.toml and setup.cfg entry points (``tool = "pkg.cli:main"``),
    values of YAML, TOML, INI and configuration JSON files that name code
    (Hydra's ``_target_: pkg.models.Net``, ``"type": "MnistModel"``, a list of
    metric functions), and ``module:object`` or ``--target=f`` in Dockerfiles,
    Procfiles, Makefiles and shell scripts (``uvicorn app.main:app``).
    """
    names: set[str] = set()
    for rel in paths:
        kind = _config_kind(rel)
        if kind is None:
            continue
        content = text(rel)
        if not content:
            continue
        names.update(entry_names(content))
        if kind != "launch":
            for pattern in _CONFIG_VALUES[kind]:
                names.update(_PATH_SEPARATOR.split(m.group(1))[-1] for m in pattern.finditer(content))
    return sorted(names)


def _config_kind(rel: str) -> str | None:
    """How a file names code: "yaml", "json", "ini" (also TOML) or "launch"; None when it does not."""
    name = rel.rsplit("/", 1)[-1].lower()
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("yaml", "yml"):
        return "yaml"
    if suffix in ("toml", "cfg", "ini"):
        return "ini"
    if suffix == "json":
        return "json" if any(word in rel.lower() for word in _CONFIG_WORDS) else None
    if name.startswith(("dockerfile", "procfile", "makefile")) or suffix in ("sh", "dockerfile", "mk"):
        return "launch"
    return None
