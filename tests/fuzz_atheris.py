"""Coverage-guided fuzzing with atheris (libFuzzer) of the targets the Hypothesis tests fuzz.

Not part of the test suite, and atheris is not a dependency: it is for long
local runs that follow the parsers' branches. It installs from PyPI as a
manylinux wheel for CPython 3.11 (``pip install atheris``, no compiler needed).

    python -m tests.fuzz_atheris TARGET [libFuzzer options]
    python -m tests.fuzz_atheris requirements.txt -runs=20000 -max_len=20000

TARGET is one of the names in ``TARGETS`` (``python -m tests.fuzz_atheris list``).
The real files the Hypothesis tests mutate are the starting corpus. An input
that raises anything but our own error types stops the run, and libFuzzer
writes it to ``crash-<sha1>`` in the current folder: add it as a regression test.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["mldebt"]):
    from mldebt.collectors.registry import declared_keys
    from mldebt.errors import InputError
    from mldebt.rubric.schema import load_rubric
    from mldebt.sources.portfolio import load_portfolio
    from tests.fuzz_strategies import run_collector, seeds

COLLECTED: dict[str, tuple[str, str, dict, tuple[str, ...]]] = {
    # target: (collector, where the input goes, portfolio sources, seed files)
    "attestations": (
        "attest",
        ".mldebt/attestations.yaml",
        {},
        ("sample_projects/*/layers/*/.mldebt/attestations.yaml",),
    ),
    "requirements.txt": ("deps", "requirements.txt", {}, ("corpus:deps/*requirements*.txt",)),
    "pyproject.toml": ("deps", "pyproject.toml", {}, ("corpus:deps/*pyproject.toml",)),
    "setup.cfg": ("deps", "setup.cfg", {}, ("corpus:deps/*setup.cfg",)),
    "setup.py": ("deps", "setup.py", {}, ()),
    "Pipfile": ("deps", "Pipfile", {}, ()),
    "environment.yml": ("deps", "environment.yml", {}, ("corpus:deps/*environment.y*ml",)),
    "github": ("ci_config", ".github/workflows/ci.yml", {}, ("corpus:ci/github-actions/*",)),
    "gitlab": ("ci_config", ".gitlab-ci.yml", {}, ("corpus:ci/gitlab/*",)),
    "circleci": ("ci_config", ".circleci/config.yml", {}, ("corpus:ci/circleci/*",)),
    "azure": ("ci_config", "azure-pipelines.yml", {}, ("corpus:ci/azure/*",)),
    "jenkins": ("ci_config", "Jenkinsfile", {}, ("corpus:ci/jenkins/*",)),
    "junit": ("ci_results", "junit.xml", {}, ("corpus:results/*.xml",)),
    "coverage.json": ("ci_results", "coverage.json", {}, ()),
    "prometheus-rules": (
        "monitoring",
        "rules.yml",
        {"monitoring": {"rules": ["rules.yml"]}},
        ("corpus:monitoring/prometheus-rules/*",),
    ),
    "alertmanager": ("monitoring", "alertmanager.yml", {}, ("corpus:monitoring/alertmanager/*",)),
    "grafana": (
        "monitoring",
        "board.json",
        {"monitoring": {"dashboards": ["board.json"]}},
        ("corpus:monitoring/grafana/*",),
    ),
    "dvc.yaml": ("dvc", "dvc.yaml", {}, ("corpus:data/*dvc.yaml",)),
    "dvc.lock": ("dvc", "dvc.lock", {}, ("corpus:data/*dvc.lock",)),
    ".dvc": ("dvc", "data/x.dvc", {}, ("corpus:data/*.dvc",)),
    "feast": ("feast", "feature_store.yaml", {}, ("corpus:features/*",)),
    "python": ("repo", "src/model.py", {}, ("sample_projects/*/layers/*/src/*/*.py",)),
    "notebook": ("repo", "notebooks/n.ipynb", {}, ("sample_projects/*/layers/*/notebooks/*.ipynb",)),
}
LOADED: dict[str, tuple[Callable[[Path], object], str, tuple[str, ...]]] = {
    "rubric": (lambda path: load_rubric(path, KEYS), "rubric.yaml", ("rubric/default.yaml",)),
    "portfolio": (load_portfolio, "portfolio.yaml", ("sample_projects/portfolio.yaml",)),
}
TARGETS = sorted([*COLLECTED, *LOADED])
KEYS = declared_keys()


def one_input(target: str) -> Callable[[bytes], None]:
    if target in LOADED:
        load, name, _ = LOADED[target]

        def run(data: bytes) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / name
                path.write_bytes(data)
                with contextlib.suppress(InputError):
                    load(path)

        return run
    collector, rel, sources, _ = COLLECTED[target]
    return lambda data: run_collector(collector, {rel: data}, sources) and None


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        print(f"usage: python -m tests.fuzz_atheris TARGET [libFuzzer options]; targets: {', '.join(TARGETS)}")
        sys.exit(0 if len(argv) > 1 and argv[1] == "list" else 2)
    target = argv[1]
    patterns = LOADED[target][2] if target in LOADED else COLLECTED[target][3]
    corpus = Path(tempfile.mkdtemp(prefix=f"atheris-{target}-"))
    for index, data in enumerate(seeds(*patterns)):
        (corpus / f"seed{index}").write_bytes(data)
    atheris.Setup([argv[0], *argv[2:], str(corpus)], one_input(target))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
