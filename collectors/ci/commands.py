"""What a CI step does, read from the command it runs, the action it uses or its name.

Recognition is data: the tables below map programs, sub-commands, target names
(``make lint``, ``npm run test``, ``tox -e type``), actions and task names to
the kinds of work the ML Test Score cares about. Scripts are split into
simple commands by ``ci_shell`` (which also says whose failure the shell
loses: ``|| true``, a pipe without pipefail, ``set +e`` ...), and each command
is stripped of wrappers (``poetry run``, ``python -m``, ``coverage run``,
``sudo``, env assignments, ``$(PYTHON)``) before the program is looked up. A
runner (make, tox, nox, npm, a repository script) is followed into the file
that defines its target when a ``Follow`` is given (``ci_hops``); what it
reaches is kept as the match's chain of hops.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mldebt.collectors.ci.shell import BASH_E, Shell, commands, words_of

KINDS = (
    "tests",
    "lint",
    "type_checks",
    "data_validation",
    "training",
    "evaluation",
    "container_build",
    "deployment",
    "canary",
    "rollback",
)
# Kinds a step or job *name* may reveal on its own; tests, lint and builds need a command or action.
NAME_KINDS = {"data_validation", "training", "evaluation", "canary", "rollback"}

# program -> kind, or {sub-command: kind} (the first word after the program that is not an option)
PROGRAMS: dict[str, str | dict[str, str]] = {
    **dict.fromkeys(["pytest", "py.test", "nosetests", "nose2", "unittest", "ward", "behave"], "tests"),
    **dict.fromkeys(["jest", "mocha", "vitest", "ava", "karma", "jasmine", "testthat"], "tests"),
    **{name: {"test": "tests"} for name in ("go", "cargo", "dotnet", "playwright", "deno")},
    "cypress": {"run": "tests"},
    **dict.fromkeys(
        [
            "flake8",
            "pylint",
            "pycodestyle",
            "pydocstyle",
            "pyflakes",
            "bandit",
            "yamllint",
            "shellcheck",
            "hadolint",
            "eslint",
            "codespell",
            "interrogate",
            "vulture",
            "pylama",
            "prospector",
            "flakeheaven",
            "nbqa",
            "cpplint",
            "markdownlint",
            "ruff",
        ],
        "lint",
    ),
    **dict.fromkeys(["mypy", "dmypy", "pyright", "basedpyright", "pytype", "pyre"], "type_checks"),
    "great_expectations": "data_validation",
    "great-expectations": "data_validation",
    "soda": {"scan": "data_validation"},
    "dbt": {"test": "data_validation"},
    "dvc": {"repro": "training", "exp run": "training", "metrics": "evaluation", "plots": "evaluation"},
    "mlflow": {
        "run": "training",
        "models build-docker": "container_build",
        "deployments create": "deployment",
        "deployments update": "deployment",
    },
    "kedro": {"run": "training"},
    "zenml": {"pipeline": "training"},
    "tfx": {"run": "training"},
    "ludwig": {"train": "training", "experiment": "training", "evaluate": "evaluation"},
    "allennlp": {"train": "training", "evaluate": "evaluation"},
    "spacy": {"train": "training", "evaluate": "evaluation", "benchmark": "evaluation"},
    "yolo": {"train": "training", "val": "evaluation"},
    **dict.fromkeys(["torchrun", "deepspeed", "fairseq-train"], "training"),
    "accelerate": {"launch": "training"},
    **dict.fromkeys(["lm_eval", "lm-eval", "fairseq-validate"], "evaluation"),
    "docker": {
        "build": "container_build",
        "buildx": "container_build",
        "push": "container_build",
        "compose build": "container_build",
        "compose push": "container_build",
        "image build": "container_build",
        "image push": "container_build",
    },
    "docker-compose": {"build": "container_build", "push": "container_build"},
    "podman": {"build": "container_build", "push": "container_build"},
    "buildah": {"bud": "container_build", "build": "container_build", "push": "container_build"},
    **dict.fromkeys(["kaniko", "img", "earthly"], "container_build"),
    "bentoml": {"containerize": "container_build", "deploy": "deployment"},
    "kubectl": {
        "apply": "deployment",
        "create": "deployment",
        "replace": "deployment",
        "set": "deployment",
        "patch": "deployment",
        "rollout": "deployment",
        "argo": "canary",
    },
    "kubectl-argo-rollouts": "canary",
    "flagger": "canary",
    "helm": {"install": "deployment", "upgrade": "deployment", "rollback": "rollback"},
    "helmfile": {"apply": "deployment", "sync": "deployment"},
    "argocd": {"app": "deployment"},
    "skaffold": {"run": "deployment", "deploy": "deployment", "build": "container_build"},
    "kn": {"service": "deployment"},
    "serverless": {"deploy": "deployment"},
    "sls": {"deploy": "deployment"},
    "sam": {"deploy": "deployment"},
    "cdk": {"deploy": "deployment"},
    "terraform": {"apply": "deployment"},
    "pulumi": {"up": "deployment"},
    "eb": {"deploy": "deployment"},
    "fly": {"deploy": "deployment"},
    "flyctl": {"deploy": "deployment"},
    "cf": {"push": "deployment"},
    "modal": {"deploy": "deployment"},
    "anyscale": {"service": "deployment"},
    "heroku": {"container:release": "deployment", "releases:rollback": "rollback"},
    "gcloud": {
        "run deploy": "deployment",
        "run services": "deployment",
        "app deploy": "deployment",
        "functions deploy": "deployment",
        "builds submit": "container_build",
        "ai endpoints": "deployment",
        "ai custom-jobs": "training",
    },
    "az": {
        "acr build": "container_build",
        "webapp deploy": "deployment",
        "webapp up": "deployment",
        "containerapp update": "deployment",
        "containerapp up": "deployment",
        "functionapp deploy": "deployment",
        "ml online-deployment": "deployment",
        "ml job": "training",
    },
    "aws": {
        "ecs update-service": "deployment",
        "lambda update-function-code": "deployment",
        "deploy create-deployment": "deployment",
        "sagemaker create-endpoint": "deployment",
        "sagemaker update-endpoint": "deployment",
        "sagemaker create-training-job": "training",
    },
}
# programs that take a target, environment or script name to classify by its words
RUNNERS = {
    "make": 0,
    "just": 0,
    "task": 0,
    "invoke": 0,
    "inv": 0,
    "npm": 0,
    "pnpm": 0,
    "yarn": 0,
    "tox": "-e",
    "nox": "-s",
    "hatch": 0,
    "poe": 0,
    "setup.py": 0,
    "rake": 0,
    "gradle": 0,
    "mvn": 0,
}
WRAPPERS = {
    "sudo",
    "time",
    "env",
    "nohup",
    "exec",
    "xvfb-run",
    "command",
    "stdbuf",
    "nice",
    "ionice",
    "timeout",
    "srun",
    "mpirun",
    "catchsegv",
}
RUN_WRAPPERS = {"poetry", "pipenv", "uv", "pdm", "hatch", "conda", "mamba", "micromamba", "pixi", "rye"}
SHELLS = {"bash", "sh", "zsh", "pwsh", "powershell", "Rscript", "node"}
PYTHONS = re.compile(r"^(python|python3(\.\d+)?|py|pypy3?|coverage)$")

# words of a target, script or step name -> kind (any word of the first set, and of the second when given)
WORDS: list[tuple[str, set[str], set[str] | None]] = [
    ("tests", {"test", "tests", "pytest", "unittest", "unittests", "unit", "integration", "e2e", "testing"}, None),
    (
        "lint",
        {
            "lint",
            "linter",
            "linting",
            "flake8",
            "pylint",
            "ruff",
            "codestyle",
            "style",
            "precommit",
            "quality",
            "isort",
            "black",
        },
        None,
    ),
    ("lint", {"format", "fmt", "code"}, {"check", "checks", "lint"}),
    ("type_checks", {"type", "types", "typecheck", "typing", "mypy", "pyright", "pytype"}, None),
    ("data_validation", {"schema", "expectations", "contract", "contracts", "gx", "pandera"}, None),
    (
        "data_validation",
        {"data", "dataset", "datasets", "inputs"},
        {"validate", "validation", "check", "checks", "verify", "quality"},
    ),
    (
        "training",
        {"train", "training", "retrain", "retraining", "finetune", "finetuning", "pretrain", "pretraining", "trainer"},
        None,
    ),
    ("training", {"fine"}, {"tune", "tuning"}),
    ("evaluation", {"eval", "evaluate", "evaluation", "evaluations", "benchmark", "benchmarks", "metrics"}, None),
    (
        "evaluation",
        {"trained", "model", "models", "agent", "agents", "checkpoint", "checkpoints"},
        {"check", "validate", "verify", "evaluate"},
    ),
    (
        "container_build",
        {"docker", "container", "containers", "image", "images"},
        {"build", "push", "publish", "buildx"},
    ),
    ("container_build", {"dockerize", "containerize"}, None),
    ("deployment", {"deploy", "deployment", "rollout"}, None),
    ("canary", {"canary"}, None),
    ("rollback", {"rollback"}, None),
]
NOT_DEPLOY = {"docs", "doc", "documentation", "pages", "site", "mkdocs", "gh"}

CANARY_TEXT = re.compile(
    r"--canary|canary[-_ ]?(deploy|release|traffic|rollout|analysis|weight|percent|stage)"
    r"|(deploy|release|rollout)[-_ ]?canary|update-traffic|traffic[-_ ]?(split|percent|weight)"
    r"|argo rollouts|canaryTrafficPercent",
    re.I,
)
ROLLBACK_TEXT = re.compile(r"rollback|rollout undo|roll back", re.I)
TRAINING_ARGS = re.compile(r"^\+*trainer\.\w+=|^--(max[_-])?epochs\b|^--num[_-]epochs\b")
EXIT_ZERO = {"--exit-zero", "--exit_zero", "--suppress-tests-failed-exit-code"}  # options that make failures pass
# options with which a program runs nothing (lists, dry runs, collection only)
NO_RUN: dict[str, frozenset[str]] = {
    **dict.fromkeys(["pytest", "py.test"], frozenset({"--collect-only", "--co", "--fixtures", "--markers", "-h"})),
    "tox": frozenset({"-l", "--listenvs", "-a", "--listenvs-all", "--notest", "--showconfig", "list", "l", "config"}),
    "nox": frozenset({"-l", "--list", "--list-sessions"}),
    **dict.fromkeys(
        ["make", "gmake"], frozenset({"-n", "--dry-run", "--just-print", "--recon", "-q", "--question", "-p"})
    ),
}
# programs of set-up and housekeeping: a target that runs only these does no kind of work
ROUTINE = {
    *("echo", "printf", "true", ":", "rm", "mkdir", "cp", "mv", "cd", "find", "touch", "cat", "ls", "ln", "chmod"),
    *("pip", "pip3", "pipx", "conda", "mamba", "micromamba", "apt-get", "apt", "brew", "yum", "dnf", "apk"),
    *("git", "export", "set", "source", ".", "sleep", "wget", "curl", "tar", "unzip", "which", "test", "["),
    *("exit", "xargs", "grep", "sed", "awk", "tee", "head", "tail", "sort", "wc", "date", "env", "cut", "unset"),
    *("npm", "pnpm", "yarn", "install", "virtualenv", "activate", "deactivate", "docker-compose"),
}
VARIABLE = re.compile(r"^\$[{(]?([A-Za-z_][A-Za-z0-9_]*)[})]?$")
# $(PYTHON), ${PYTEST} ...: a variable that holds a program is read as that program
PROGRAM_VARIABLES = {
    **dict.fromkeys(["python", "python3", "py", "python_bin", "pybin", "python_exe", "venv_python"], "python"),
    **{name: name for name in ("pytest", "poetry", "pipenv", "uv", "tox", "nox", "coverage", "mypy", "flake8")},
    **{name: name for name in ("ruff", "pylint", "black", "isort", "npm", "yarn", "pnpm", "docker", "pdm")},
    "make": "make",
}
RUN_OPTIONS_WITH_VALUE = {"-n", "--name", "-p", "--prefix", "-e", "--env", "--with", "--python", "--group"}
COVERAGE_OPTIONS_WITH_VALUE = {
    *("--source", "--rcfile", "--include", "--omit", "--data-file", "--context", "--concurrency"),
}
COVERAGE_GATE = re.compile(r"(?:--cov-fail-under|--fail-under)[= ](\d+(?:\.\d+)?)")
JUNIT_WRITE = re.compile(r"--junit-?xml\b")


Hop = tuple[str, str, int | None]  # (what was reached: a target, env, script or command; file; line)


@dataclass(frozen=True)
class Match:
    kind: str
    via: str  # "command", "action" or "name"
    text: str  # the command, action or name that matched
    ignored: str | None = None  # why a failure here cannot fail the build
    line: int | None = None  # 0-based line in the step's script, then (in Step.matches) the file's line
    chain: tuple[Hop, ...] = ()  # Makefile targets, tox envs, scripts ... between the CI command and the work
    exit_code: int = 1  # the status the CI command exits with when this work fails (make: 2)


@dataclass(frozen=True)
class Followed:
    """What a runner's target (make target, tox env, script ...) was read to do."""

    matches: list[Match]  # text: the command reached; chain: the hops from the runner to it
    opaque: bool = False  # some command there was neither recognised nor routine (kinds by name still count)
    by_name_too: bool = False  # what the target's name says counts beside what was read (a Python script)


Follow = Callable[[list[str], str, int], "Followed | None"]  # (the command's words, cwd, depth)


def strip_wrappers(words: list[str]) -> list[str]:
    for _ in range(8):
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]
        if not words:
            return words
        variable = VARIABLE.match(words[0])
        if variable and variable.group(1).lower() in PROGRAM_VARIABLES:
            words = [PROGRAM_VARIABLES[variable.group(1).lower()], *words[1:]]
        head = words[0].rsplit("/", 1)[-1]
        if head in WRAPPERS:
            words = [w for w in words[1:]]
            while words and (words[0].startswith("-") or re.match(r"^\d+[smh]?$", words[0])):
                words = words[1:]
        elif head in RUN_WRAPPERS and len(words) > 1 and words[1] == "run":
            words = words[2:]
            while words and words[0].startswith("-"):
                words = words[2:] if words[0] in RUN_OPTIONS_WITH_VALUE else words[1:]
        elif PYTHONS.match(head) and len(words) > 1:
            rest = words[1:]
            if head == "coverage":
                if rest[:1] != ["run"]:
                    return words
                rest = rest[1:]
                if "-m" in rest:
                    rest = rest[rest.index("-m") :]
                else:
                    while rest and rest[0].startswith("-"):
                        takes = rest[0] in COVERAGE_OPTIONS_WITH_VALUE and "=" not in rest[0]
                        rest = rest[2:] if takes else rest[1:]
            while rest and rest[0].startswith("-") and rest[0] != "-m":
                rest = rest[2:] if rest[0] in ("-W", "-X") else rest[1:]
            if rest[:1] == ["-m"] and len(rest) > 1:
                words = rest[1:]
            elif rest and rest[0].endswith(".py"):
                return rest
            else:
                return words
        else:
            return words
    return words


def program_words(command: str) -> list[str]:
    """The words of ``command`` from the program it runs on (env assignments and wrappers taken off)."""
    return strip_wrappers(words_of(command))


def _name_words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", name.lower()) if w}


def kinds_of_name(name: str) -> set[str]:
    """Kinds suggested by the words of a target, script or step name."""
    words = _name_words(name)
    found = {kind for kind, first, second in WORDS if words & first and (second is None or words & second)}
    if "deployment" in found and words & NOT_DEPLOY:
        found.discard("deployment")
    return found


def kinds_of_command(command: str) -> set[str]:
    """Kinds of work one simple command does, by the program, its sub-command or a target's name."""
    words = program_words(command)
    if not words or not runs_anything(words):
        return set()
    head = words[0].rsplit("/", 1)[-1]
    args = [w for w in words[1:] if not w.startswith("-")]
    found: set[str] = set()
    if head in SHELLS and args and not words[1].startswith("-"):
        head, args = args[0].rsplit("/", 1)[-1], args[1:]
    if head.endswith((".py", ".sh", ".bash", ".R", ".js")) and head != "setup.py":
        found |= kinds_of_name(head.rsplit(".", 1)[0])
    elif head in RUNNERS or (head == "setup.py"):
        flag = RUNNERS.get(head, 0)
        if isinstance(flag, str):
            targets = [words[i + 1] for i, w in enumerate(words[:-1]) if w == flag]
            targets = [t for target in targets for t in target.split(",")]
            found |= set().union(set(), *(kinds_of_name(t) for t in targets)) or {"tests"}
        else:
            targets = [a for a in args if a not in ("run", "run-script", "exec") and "=" not in a]
            found |= set().union(set(), *(kinds_of_name(t) for t in targets[:3]))
            if head in ("npm", "pnpm", "yarn") and args[:1] in (["test"], ["t"]):
                found.add("tests")
    elif head == "executor" and any(w.startswith("--dockerfile") or w.startswith("--context") for w in words):
        found.add("container_build")
    else:
        rule = PROGRAMS.get(head) or PROGRAMS.get(head.split(".")[0])
        if isinstance(rule, str):
            found.add(rule)
        elif isinstance(rule, dict) and args:
            sub = rule.get(" ".join(args[:2])) or rule.get(args[0])
            if sub:
                found.add(sub)
        elif rule is None and "." in head and not head.endswith((".yml", ".yaml", ".json", ".txt")):
            found |= kinds_of_name(head.rsplit(".", 1)[-1])  # python -m package.module
    if head in ("black", "isort", "prettier") and any(w in ("--check", "--check-only", "-c", "--diff") for w in words):
        found.add("lint")
    if head == "ruff" and args[:1] == ["format"] and "--check" not in words:
        found.discard("lint")
    if head in ("pre-commit", "prek") and (not args or args[0] == "run"):
        found.add("lint")
    if head == "kubectl" and args[:2] == ["rollout", "undo"]:
        found = (found - {"deployment"}) | {"rollback"}
    if any(TRAINING_ARGS.match(w) for w in words[1:]):
        found.add("training")
    if CANARY_TEXT.search(command):
        found.add("canary")
    if ROLLBACK_TEXT.search(command):
        found.add("rollback")
    return found


def runs_anything(words: list[str]) -> bool:
    """False for ``--help``, ``--version``, ``pytest --collect-only``, ``make -n``, ``tox -l`` and the like."""
    head = words[0].rsplit("/", 1)[-1]
    options = set(words[1:])
    return not (options & NO_RUN.get(head, frozenset()) or options & {"--help", "--version"})


def is_routine(command: str) -> bool:
    """Set-up and housekeeping (echo, rm, pip install, poetry install ...): no kind of work, nothing missed."""
    words = program_words(command)
    if not words:
        return True
    head = words[0].rsplit("/", 1)[-1]
    return head in ROUTINE or (head in RUN_WRAPPERS and words[1:2] != ["run"])


def classify_script(
    script: str,
    shell: Shell = BASH_E,
    via: str = "command",
    follow: Follow | None = None,
    cwd: str = "",
    depth: int = 0,
) -> list[Match]:
    """Every kind matched in a shell script, one Match per matching command (and per work reached through it)."""
    matches: list[Match] = []
    for command in commands(script, shell, cwd):
        matches += classify_command(command.text, command.ignored, command.line, command.cwd, via, follow, depth)
    return matches


def classify_command(
    text: str,
    ignored: str | None = None,
    line: int | None = None,
    cwd: str = "",
    via: str = "command",
    follow: Follow | None = None,
    depth: int = 0,
) -> list[Match]:
    """The kinds one simple command does; a runner (make, tox, a script ...) is followed when ``follow`` can."""
    words = program_words(text)
    if not words or not runs_anything(words):
        return []
    zero = sorted(set(words_of(text)) & EXIT_ZERO)
    why = ignored or (f"'{zero[0]}'" if zero else None)
    exit_code = 2 if words[0].rsplit("/", 1)[-1] in ("make", "gmake") else 1
    kinds = kinds_of_command(text)
    found: list[Match] = []
    followed = follow(words_of(text), cwd, depth) if follow is not None else None
    if followed is not None:
        found = [Match(m.kind, via, text[:300], why or m.ignored, line, m.chain, exit_code) for m in followed.matches]
        if not followed.by_name_too and (found or not followed.opaque):
            kinds = set()  # the target was read: what it runs counts, not what it is called
        kinds -= {m.kind for m in found}  # a kind the file was read for is decided by what it does
    return found + [Match(kind, via, text[:300], why, line, (), exit_code) for kind in sorted(kinds)]


def coverage_gate(commands_run: list[str]) -> float | None:
    """The lowest minimum coverage the commands enforce (``--cov-fail-under=80``), if any."""
    found = [float(m) for text in commands_run for m in COVERAGE_GATE.findall(text)]
    return min(found) if found else None


def writes_junit(script: str) -> bool:
    return bool(JUNIT_WRITE.search(script))
