"""How well the README gets a newcomer from a fresh clone to a running project.

The README is read as text (Markdown or reStructuredText; HTML comments and
URLs left out) for six signals, each a plain pattern:

- install: a command that installs the project's own dependencies: from its
  files (``pip install -r requirements.txt``, ``pip install -e .``,
  ``poetry install``, ``uv sync``, ``conda env create``, ``make install``),
  an image build (``docker build``, ``docker compose build|up``), or a list of
  at least two packages; a lone ``pip install tensorboard`` is an optional
  extra, not the set-up;
- run: a command that runs the project (``python train.py``,
  ``python -m pkg``, ``dvc repro``, ``make train``, ``docker run``,
  ``uvicorn``, ``jupyter notebook`` ...), or a link to one of its notebooks;
- prerequisites: the Python version (``Python 3.9+``, ``python=3.10``), an
  environment to create (conda, virtualenv, venv) or a section named
  prerequisites, requirements or dependencies;
- environment: environment variables or a ``.env`` file to set;
- tests: a test command (``pytest``, ``python -m unittest``, ``make test``,
  ``tox``, ``nox``);
- steps: how many distinct run commands (and linked notebooks) it gives.

A command that names a script the tree lacks (``python lit_main.py`` with no
such file, unless the README downloads it) is a missing file.

Setup quality: 1 (poor) unless the README says how to set up (install or
prerequisites) and how to run something (a run or test command); 3
(complete) when it has install, run, prerequisites, at least three step
commands and environment or test instructions, and names no missing file;
2 (usable) otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mldebt.collectors.interface import Fact

KEYS = {
    "repo.readme.install_steps": "the README gives a command that installs the project's dependencies (at its line)",
    "repo.readme.run_steps": "the README gives a command that runs the project or its tests (at its line)",
    "repo.readme.setup_quality": "README set-up quality: 1 poor, 2 usable (how to set up and how to run), 3 complete "
    "(install, run, prerequisites, three or more step commands, environment or test instructions, no missing file)",
    "repo.readme.setup_quality.signals": "what the set-up quality was judged from: install, run, prerequisites, "
    "environment, tests, steps (distinct run commands) and missing_files",
}
STEPS_FOR_COMPLETE = 3

_URL = (r"\b[a-z][a-z0-9+.-]{0,15}://[^\s)\]>\"'`]+", re.I)  # bounded: linear on any text
_PKG = r"[A-Za-z0-9][\w.\[\],-]*(?:[<>=!~]=?[\w.*,<>=!~-]+)?"
INSTALL = (
    r"\b(?:pip3?|python3?\s+-m\s+pip|uv\s+pip)\s+install\s+(?:--?[\w-]+(?:=\S+)?\s+){0,8}?"
    r"(?:-r\s*\S+|--requirement\S*|-e\s+\S+|--editable\S*|\.(?:\[[\w,-]+\])?(?=\s|$|`)|"
    rf"{_PKG}\s+{_PKG})|"
    r"\b(?:poetry|pdm|pipenv|pixi|hatch\s+env)\s+(?:install|sync|create)\b|\buv\s+sync\b|"
    r"\b(?:conda|mamba|micromamba)\s+env\s+(?:create|update)\b|\b(?:conda|mamba)\s+(?:create|install)\b[^\n`]*--file\b|"
    r"\bpython3?\s+setup\.py\s+(?:install|develop)\b|"
    r"\bmake\s+(?:install|setup|env|environment|venv|deps|dependencies|requirements|init|build)\b|"
    r"\bdocker\s+build\b|\bdocker(?:-|\s+)compose\s+(?:[\w.-]+\s+){0,4}?(?:build|up)\b",
    re.M,
)
RUN = (
    r"\bpython[\d.]*\s+(?:-[uOBW]\s+)*(?:-m\s+(?!pip\b|venv\b|virtualenv\b|pytest\b|unittest\b)[\w.]+|[\w./-]+\.py)\b|"
    r"\b(?:make|just)\s+(?:train|run|predict|serve|all|pipeline|evaluate|eval|data|features|inference|infer|deploy|"
    r"start|demo|reproduce)\b|"
    r"\bdvc\s+(?:repro|exp\s+run)\b|\bdocker\s+run\b|\bdocker(?:-|\s+)compose\s+(?:[\w.-]+\s+){0,4}?up\b|"
    r"\b(?:mlflow|kedro|nextflow)\s+run\b|\bstreamlit\s+run\b|\b(?:uvicorn|gunicorn|torchrun|snakemake|papermill)\s+\S|"
    r"\bflask\s+run\b|\baccelerate\s+launch\b|\bjupyter\s+(?:notebook|lab|nbconvert|execute)\b|"
    r"\b(?:poetry|uv|pdm|hatch)\s+run\s+(?!pytest\b|py\.test\b)[\w.-]+|(?<![^\s`$])(?:bash|sh|\.)\s+[\w./-]+\.sh\b|"
    r"(?<![^\s`$])\./[\w./-]+\.sh\b",
    re.M,  # commands are typed in lower case: "a Jupyter Notebook" in prose is not one
)
TESTS = (
    r"\b(?:pytest|py\.test)\b|\bpython[\d.]*\s+-m\s+(?:pytest|unittest)\b|\bmake\s+(?:test|tests|check)\b|"
    r"(?<![^\s`$])(?:tox|nox)(?:\s|$|`)|\bhatch\s+test\b",
    re.M,
)
PREREQUISITES = (
    r"\bpython[\s_-]*(?:version\s*)?(?:[><=~^!]=?\s*|:\s*)?v?3\.\d+|"
    r"\b(?:conda|mamba|micromamba)\s+create\b|\bvirtualenv\b|\bpython[\d.]*\s+-m\s+venv\b|\buv\s+venv\b|\bpyenv\b|"
    r"^(?:#+|\*\*)[^\w\n]*(?:pre-?(?:re)?quisites?|requirements|dependencies|system requirements|"
    r"before you (?:begin|start)|what you need)\b",
    re.I | re.M,
)
ENVIRONMENT = (
    r"(?<![\w.])\.env\b|(?i:\benvironment variables?\b)|\bexport\s+[A-Z_][A-Z0-9_]*=|"
    r"(?:^|[\s`$'\"])[A-Z][A-Z0-9_]{2,}=\S+\s+[a-z]",
    re.M,
)
_NOTEBOOK_LINK = (r"\]\(\s*(?:\./)?([^)\s:]+\.ipynb)\s*\)", 0)
_FENCE = (r"^\s*(```|~~~)", 0)
_SCRIPT = (r"[\w][\w./-]*\.(?:py|sh|ipynb|R)", 0)
_RUNNERS = (
    r"python[\d.]*|py|ipython|bash|sh|zsh|source|jupyter|papermill|Rscript|locust|streamlit|torchrun|accelerate|"
    r"deepspeed|nohup|mpirun",
    0,
)
_RUN_IN_PROSE = (r"\brun\s+`([\w][\w./-]*\.(?:py|sh|ipynb|R))`", re.I)
MAX_COMMANDS = 1000  # run commands looked at for the step count (a README is at most SMALL_FILE bytes)


@cache
def _re(pattern: tuple[str, int]) -> re.Pattern[str]:
    """One of the patterns above (source and flags), compiled on first use: a tree without a README needs none."""
    return re.compile(*pattern)


@dataclass
class Setup:
    """The signals read from one README, and the line of the first install and run command."""

    install: int | None = None  # line
    run: int | None = None  # line
    prerequisites: bool = False
    environment: bool = False
    tests: bool = False
    steps: int = 0
    missing_files: list[str] = field(default_factory=list)

    @property
    def quality(self) -> int:
        usable = (self.install is not None or self.prerequisites) and (self.run is not None or self.tests)
        complete = (
            self.install is not None
            and self.run is not None
            and self.prerequisites
            and self.steps >= STEPS_FOR_COMPLETE
            and (self.environment or self.tests)
            and not self.missing_files
        )
        return 3 if complete else 2 if usable else 1

    def signals(self) -> dict[str, Any]:
        return {
            "install": self.install is not None,
            "run": self.run is not None,
            "prerequisites": self.prerequisites,
            "environment": self.environment,
            "tests": self.tests,
            "steps": self.steps,
            "missing_files": self.missing_files,
        }


def read(text: str, paths: Collection[str]) -> Setup:
    """The set-up signals of a README's ``text``; ``paths`` are the project's files (to tell a missing script)."""
    text = _without_comments(text)
    urls = " ".join(_re(_URL).findall(text))
    plain = _re(_URL).sub(" ", text)
    names = {p.rsplit("/", 1)[-1] for p in paths}
    found = Setup()
    install = _re(INSTALL).search(plain)
    found.install = _line(plain, install.start()) if install else None
    runs = list(_re(RUN).finditer(plain))
    notebooks = {m.group(1) for m in _re(_NOTEBOOK_LINK).finditer(text) if m.group(1).rsplit("/", 1)[-1] in names}
    if runs:
        found.run = _line(plain, runs[0].start())
    elif notebooks:
        found.run = _line(text, text.find(sorted(notebooks)[0]))
    test = _re(TESTS).search(plain)
    found.tests = test is not None
    if found.run is None and test is not None:
        found.run = _line(plain, test.start())
    found.prerequisites = _re(PREREQUISITES).search(plain) is not None
    found.environment = _re(ENVIRONMENT).search(plain) is not None
    commands = {" ".join(_command(plain, m.start()).split()) for m in runs[:MAX_COMMANDS]}
    found.steps = len(commands) + len(notebooks)
    missing = {
        script
        for script in _scripts(text)
        if script.rsplit("/", 1)[-1] not in names and script.rsplit("/", 1)[-1] not in urls
    }
    found.missing_files = sorted(missing)
    return found


def facts(readme: str | None, text: str | None, paths: Collection[str]) -> Iterator[Fact]:
    """The README facts: install and run steps (at their lines) and the set-up quality with its signals."""
    setup = read(text, paths) if text else Setup()
    yield Fact("repo.readme.install_steps", setup.install is not None, path=readme, line=setup.install)
    yield Fact("repo.readme.run_steps", setup.run is not None, path=readme, line=setup.run)
    yield Fact("repo.readme.setup_quality", setup.quality, path=readme)
    yield Fact("repo.readme.setup_quality.signals", setup.signals(), path=readme)


def _without_comments(text: str) -> str:
    """``text`` with its HTML comments blanked, their line breaks kept (an unclosed one runs to the end)."""
    parts, at = [], 0
    while (start := text.find("<!--", at)) != -1:
        end = text.find("-->", start + 4)
        end = len(text) if end == -1 else end + 3
        parts += [text[at:start], "\n" * text.count("\n", start, end)]
        at = end
    return "".join([*parts, text[at:]])


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _command(text: str, start: int, reach: int = 400) -> str:
    """The command around ``start``: from its code span or line (environment settings included) to its end."""
    begin = max(text.rfind("\n", max(0, start - reach), start), text.rfind("`", max(0, start - reach), start)) + 1
    end = min(start + reach, len(text))
    for stop in ("\n", "`", " #"):
        at = text.find(stop, start, end)
        if at != -1:
            end = at
    return text[max(begin, start - reach) : end]


def _scripts(text: str) -> set[str]:
    """Scripts the README's commands run: in code blocks, code spans and quoted commands, or "run `x.py`"."""
    found: set[str] = set()
    fenced = False
    for line in text.splitlines():
        if _re(_FENCE).match(line):
            fenced = not fenced
            continue
        if fenced or line.startswith(("    ", "\t")) or line.lstrip().startswith("$ "):
            pieces = [line]
        else:
            pieces = re.findall(r"`([^`]+)`", line) + re.findall(r"'([^']*\b(?:python|bash|sh)\b[^']*)'", line)
            found.update(m.group(1) for m in _re(_RUN_IN_PROSE).finditer(line))
        for piece in pieces:
            found.update(_run_by(_re(_URL).sub(" ", piece)))
    return found


def _run_by(command: str) -> Iterator[str]:
    """The script each runner in ``command`` runs: the first script-like word after it (``./x.sh`` runs itself)."""
    for segment in re.split(r"[|;&#]", command):
        runner = False
        for word in segment.split():
            word = word.strip("'\",:()[]").rstrip(".")
            if word.startswith("./") and _re(_SCRIPT).fullmatch(word[2:]):
                yield word[2:]
            elif runner and _re(_SCRIPT).fullmatch(word):
                yield word
                runner = False
            elif _re(_RUNNERS).fullmatch(word):
                runner = True
