"""Dependency manifests: the real files of the shared corpus, every manifest kind, includes and lock files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.repo.deps import DepsCollector
from mldebt.collectors.repo.manifests import kind_of, locked_versions, parse

from .conftest import corpus_files, write_files


def parsed(corpus: Path, name: str):
    path = corpus / "deps" / name
    return parse(kind_of(name.rsplit("__", 1)[-1]), path.read_text())


def counts(manifest, group: str | None = None) -> tuple[int, int]:
    reqs = [r for r in manifest.requirements if group is None or r.group == group]
    return len(reqs), sum(r.pinned for r in reqs)


def test_every_corpus_manifest_parses_without_problems(corpus):
    for path in corpus_files(corpus, "deps"):
        original = path.name.rsplit("__", 1)[-1]
        if original == "poetry.lock":
            assert len(locked_versions("poetry", path.read_text())) == 18  # "small poetry.lock ... 18 packages"
            continue
        manifest = parse(kind_of(original), path.read_text())
        assert manifest.requirements and not manifest.problems, path.name


def test_facts_stated_in_the_corpus_sources(corpus):
    made_with_ml = parsed(corpus, "GokuMohandas__Made-With-ML__requirements.txt")
    assert counts(made_with_ml) == (35, 33)  # 35 requirements, two >= bounds
    assert {r.name for r in made_with_ml.requirements if not r.pinned} == {"ipywidgets", "mkdocstrings"}
    assert "great-expectations" in {r.name for r in made_with_ml.requirements}
    assert counts(parsed(corpus, "ashleve__lightning-hydra-template__requirements.txt")) == (11, 3)  # hydra pins only
    backend = parsed(corpus, "kubeflow__pipelines__backend__requirements.txt")
    assert counts(backend) == (33, 33) and backend.generated  # pip-compile output
    dev = parsed(corpus, "kubeflow__pipelines__sdk__python__requirements-dev.txt")
    assert [r.spec for r in dev.requirements if r.name == "pytest"] == ["==8.4.2", "==9.0.3"]
    feast = parsed(corpus, "feast-dev__feast__sdk__python__requirements__py3.10-minimal-requirements.txt")
    assert counts(feast) == (159, 159) and feast.generated  # uv pip compile --generate-hashes
    bento_e2e = parsed(corpus, "bentoml__BentoML__tests__e2e__bento_server_http__requirements.txt")
    assert bento_e2e.includes == [("nested/requirements.txt", 1, "requirement")] and counts(bento_e2e) == (2, 0)
    mlrun = parsed(corpus, "mlrun__mlrun__requirements.txt")
    assert counts(mlrun)[1] == 0  # ~= and ranges only
    assert next(r.spec for r in mlrun.requirements if r.name == "gitpython") == ">=3.1.41,~=3.1"
    nannyml = parsed(corpus, "NannyML__nannyml__pyproject.toml")
    assert nannyml.flavour == "poetry" and counts(nannyml, "main")[1] == 0 and counts(nannyml, "group:dev")[0] > 0
    cookiecutter = parsed(corpus, "drivendata__cookiecutter-data-science__pyproject.toml")
    assert (cookiecutter.flavour, [r.name for r in cookiecutter.requirements]) == ("flit", ["click", "cookiecutter"])
    bento = parsed(corpus, "bentoml__BentoML__pyproject.toml")
    assert bento.flavour == "hatch" and counts(bento, "main") == (42, 0)
    assert len({r.group for r in bento.requirements if r.group.startswith("extra:")}) > 10
    conda = parsed(corpus, "ashleve__lightning-hydra-template__environment.yaml")
    assert [(r.name, r.pinned) for r in conda.requirements if r.name in ("python", "pytorch")] == [
        ("pytorch", False),
    ]  # pytorch=2.* is a wildcard, not a pin; python=3.10 is the interpreter, not a requirement
    assert counts(conda, "pip")[1] == 0
    edesz = parsed(corpus, "edesz__nlp-space-news-topic-modeling__environment.yml")
    assert counts(edesz, "pip")[0] >= 30 and "python" not in {r.name for r in edesz.requirements}
    assert "dask" in {r.name for r in edesz.requirements}
    thinc = parsed(corpus, "explosion__thinc__setup.cfg")
    assert counts(thinc, "main") == (12, 0) and counts(thinc, "setup")[0] == 6
    assert next(r.spec for r in thinc.requirements if r.name == "pydantic") == "!=1.8,!=1.8.1,<3.0.0,>=1.7.4"
    kuberay = parsed(corpus, "ray-project__kuberay__clients__python-client__pyproject.toml")
    assert [(r.name, r.spec) for r in kuberay.requirements] == [("kubernetes", ">=25.0.0")]


def test_a_poetry_lock_in_step_with_its_pyproject(corpus, tmp_path):
    project = tmp_path / "client"
    project.mkdir()
    prefix = corpus / "deps" / "ray-project__kuberay__clients__python-client__"
    shutil.copyfile(f"{prefix}pyproject.toml", project / "pyproject.toml")
    shutil.copyfile(f"{prefix}poetry.lock", project / "poetry.lock")
    found = values(project)
    assert found["deps.lockfiles"] == [
        {
            "path": "poetry.lock",
            "kind": "poetry",
            "manifest": "pyproject.toml",
            "in_step": True,
            "missing": [],
            "mismatched": [],
        }
    ]
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text().replace('kubernetes = ">=25.0.0"', 'kubernetes = ">=99"\nrich = "^13"')
    )
    lock = values(project)["deps.lockfiles"][0]
    assert (lock["in_step"], lock["missing"], lock["mismatched"]) == (False, ["rich"], [lock["mismatched"][0]])
    assert lock["mismatched"][0].startswith("kubernetes ") and lock["mismatched"][0].endswith(" vs >=99")


def values(root: Path) -> dict:
    return {f.key: f.value for f in DepsCollector().collect(Snapshot(project="p", root=root)) if not f.is_error}


def test_every_manifest_kind_in_one_project(tmp_path):
    write_files(
        tmp_path / "p",
        {
            "requirements.txt": "-r base/requirements.txt\n-c constraints.txt\nflask==3.0.0 --hash=sha256:abc\n",
            "base/requirements.txt": "numpy==1.26.4\npandas>=2\n-r ../../outside.txt\n",
            "constraints.txt": "click<9\n",
            "setup.py": (
                "from setuptools import setup\nREQS = ['requests==2.31.0', 'pyyaml']\n"
                "setup(name='x', install_requires=REQS, extras_require={'ml': ['torch==2.2.0']})\n"
            ),
            "Pipfile": '[packages]\nrequests = "==2.31.0"\nrich = "*"\n[dev-packages]\npytest = {version = "==8.0"}\n',
            "Pipfile.lock": '{"default": {"requests": {"version": "==2.31.0"}, "rich": {"version": "==13.7.0"}},'
            ' "develop": {"pytest": {"version": "==8.0.0"}}}',
            "pdm/pyproject.toml": (
                '[project]\nname = "a"\ndependencies = ["attrs==23.2.0"]\n'
                '[tool.pdm.dev-dependencies]\ntest = ["pytest>=8"]\n'
            ),
            "hatch/pyproject.toml": (
                '[build-system]\nbuild-backend = "hatchling.build"\n[project]\nname = "b"\n'
                'dependencies = []\n[tool.hatch.envs.default]\ndependencies = ["coverage==7.4.0"]\n'
            ),
            "environment.yml": "dependencies:\n  - python=3.11\n  - numpy\n  - pip:\n    - mlflow==2.10.0\n",
        },
    )
    facts = list(DepsCollector().collect(Snapshot(project="p", root=tmp_path / "p")))
    assert [(f.key, f.path, f.line, f.error) for f in facts if f.is_error] == [
        (
            "deps.includes.unresolved",
            "base/requirements.txt",
            3,
            "included file not found in the project: ../../outside.txt",
        )
    ]
    found = {f.key: f.value for f in facts if not f.is_error}
    rows = {
        m["path"]: (m["kind"], m["flavour"], m["requirements"], m["pinned"], m["includes"])
        for m in found["deps.manifests"]
    }
    assert rows == {
        "Pipfile": ("pipfile", None, 3, 2, []),
        "base/requirements.txt": ("requirements", None, 2, 1, []),
        "constraints.txt": ("requirements", None, 1, 0, []),
        "environment.yml": ("conda", None, 2, 1, []),  # python=3.11 is the interpreter
        "hatch/pyproject.toml": ("pyproject", "hatch", 1, 1, []),
        "pdm/pyproject.toml": ("pyproject", "pdm", 2, 1, []),
        "requirements.txt": ("requirements", None, 3, 2, ["base/requirements.txt", "constraints.txt"]),
        "setup.py": ("setup.py", None, 3, 2, []),
    }
    assert found["deps.pinned_ratio"] == round(8 / 14, 2)  # every declared requirement; the hashed file is a lock
    assert found["deps.lockfiles"] == [
        {
            "path": "Pipfile.lock",
            "kind": "pipenv",
            "manifest": "Pipfile",
            "in_step": True,
            "missing": [],
            "mismatched": [],
        },
        {
            "path": "requirements.txt",
            "kind": "requirements",
            "manifest": None,
            "in_step": None,
            "missing": [],
            "mismatched": [],
        },
    ]
    assert found["deps.lockfiles.in_step"] is True


def test_setup_py_is_read_without_running_it(tmp_path):
    manifest = parse(
        "setup.py",
        "import os\nos.system('touch pwned')\nfrom setuptools import setup\n"
        "setup(install_requires=open('requirements.txt').read().splitlines())\n",
    )
    assert manifest.requirements == []
    assert manifest.problems == [("install_requires is computed when setup.py runs; not read", 4)]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "kind,text,message",
    [
        (
            "pyproject",
            "[project\n",
            "not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 9)",
        ),
        ("requirements", "pandas==\n", "not a valid requirement: pandas=="),
        ("conda", "dependencies: [\n", "not valid YAML: expected the node content, but found '<stream end>'"),
    ],
)
def test_unreadable_manifests_are_problems_not_crashes(kind, text, message):
    assert parse(kind, text).problems[0][0] == message
