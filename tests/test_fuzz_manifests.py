"""Fuzzing the dependency manifests through the deps collector: facts or error facts, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .fuzz_strategies import FUZZ, lines, mappings, run_collector, seeds, yaml_documents

REQUIREMENT_LINES = [
    "numpy",
    "numpy==1.26.4",
    "pandas>=2,<3",
    "torch===2.1.0",
    "scikit-learn~=1.4",
    "-r base.txt",
    "-r ../other.txt",
    "-c constraints.txt",
    "--requirement=x.txt",
    "-e .",
    "-e git+https://g/x.git@" + "a" * 40 + "#egg=x",
    "x @ https://example.com/x.whl",
    "foo[bar,baz]>=1; python_version<'3.12'",
    "# comment",
    "--index-url https://pypi.org/simple",
    "--hash=sha256:" + "0" * 64,
    "\\",
    "name ==",
    "==1.0",
    "a=1",
    "pkg>=1.*",
    "x; os_name ==",
    "ünïcode==1",
    "-r",
    "-r /etc/passwd",
    "-r requirements.txt",
    "foo==1.0.0 \\",
    "    --hash=sha256:abc",
    "uv==0.1  # via -r r.in",
]
PYPROJECT = [
    "[project]",
    "[project.optional-dependencies]",
    "[tool.poetry.dependencies]",
    "[tool.poetry.group.dev.dependencies]",
    "[build-system]",
    "[tool.uv]",
    "[tool.pdm.dev-dependencies]",
    "dependencies = [",
    "]",
    'dependencies = ["numpy==1.0", "pandas"]',
    'requires = ["setuptools"]',
    'python = "^3.11"',
    'numpy = "^1.26"',
    'torch = {version = "2.1", optional = true}',
    'x = {git = "https://g/x"}',
    'dev = ["pytest"]',
    'name = "x"',
    '"numpy>=1",',
    "dependencies = 3",
    "[[tool.poetry.source]]",
    'dynamic = ["dependencies"]',
    "[project",
    "key = ",
    'a.b.c = "d"',
    "dependencies = {}",
]
SETUP_CFG = [
    "[metadata]",
    "[options]",
    "[options.extras_require]",
    "install_requires =",
    "    numpy==1.0",
    "    pandas>=2",
    "dev = pytest",
    "tests =",
    "    hypothesis",
    "python_requires = >=3.8",
    "name = x",
    "%(here)s",
    "install_requires = file: requirements.txt",
    "[options",
    "=",
    "    ; comment",
]
SETUP_PY = [
    "from setuptools import setup",
    "import setuptools",
    "setup(",
    ")",
    "    install_requires=[",
    "    ],",
    "        'numpy==1.0',",
    '        "pandas",',
    "    extras_require={'dev': ['pytest']},",
    "REQS = ['a']",
    "    install_requires=REQS,",
    "    install_requires=open('r.txt').read().split(),",
    "setuptools.setup(",
    "    name='x',",
    "def f(:",
    "    tests_require=['x'],",
    "exec(open('x').read())",
    "**kwargs)",
]
PIPFILE = [
    "[packages]",
    "[dev-packages]",
    "[requires]",
    "[[source]]",
    'numpy = "==1.26.4"',
    'pandas = "*"',
    'requests = {version = ">=2", extras = ["socks"]}',
    'x = {git = "https://g/x.git", ref = "main"}',
    'python_version = "3.11"',
    'url = "https://pypi.org/simple"',
    "numpy = 3",
    "[packages",
]
CONDA_KEYS = ["name", "channels", "dependencies", "pip", "prefix", "variables"]
CONDA_WORDS = [
    "python=3.11",
    "numpy=1.26.4=py311h",
    "conda-forge::pandas>=2",
    "pip",
    "pip:",
    "-r requirements.txt",
    "defaults",
    "nodefaults",
    "cudatoolkit 11.8.*",
    "scikit-learn ==1.4",
    "=",
    "::",
]


def _conda(value):
    return mappings(CONDA_KEYS, CONDA_WORDS)


MANIFESTS = {
    "requirements.txt": lines(
        REQUIREMENT_LINES,
        seeds(
            "corpus:deps/*requirements*.txt",
            "sample_projects/*/layers/*/requirements*.txt",
            "sample_projects/*/layers/*/requirements.in",
        ),
    ),
    "pyproject.toml": lines(PYPROJECT, seeds("corpus:deps/*pyproject.toml")),
    "setup.cfg": lines(SETUP_CFG, seeds("corpus:deps/*setup.cfg")),
    "setup.py": lines(SETUP_PY),
    "Pipfile": lines(PIPFILE),
    "environment.yml": yaml_documents(CONDA_KEYS, CONDA_WORDS, seeds("corpus:deps/*environment.y*ml")),
}


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_manifests_give_facts_or_error_facts(name):
    @FUZZ
    @given(MANIFESTS[name], st.sampled_from([b"", b"numpy==1.0\n-r requirements.txt\n"]))
    def check(data, other):
        facts = run_collector("deps", {name: data, "base.txt": other, "sub/requirements-dev.txt": other})
        assert any(f.key == "deps.manifests" and not f.is_error for f in facts)

    check()
