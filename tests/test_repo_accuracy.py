"""Repository file facts on minimal trees (issue 21): declared dependencies (class d), configuration
files and Dockerfile variants (class h), and the README's set-up quality."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mldebt.collectors.interface import Fact, Snapshot
from mldebt.collectors.repo import data as repo_data
from mldebt.collectors.repo import hygiene, readme
from mldebt.collectors.repo.collector import RepoCollector
from mldebt.collectors.repo.deps import DepsCollector, summary_facts
from mldebt.collectors.repo.foreign import Foreign
from mldebt.rubric import conditions

from .conftest import write_files

# The deps-pinned conditions this change asks the default rubric for (see the report of issue 21, class d).
PINNED_AUTOMATED = (
    "repo.deps.requirements > 0 and count(repo.deps.lockfiles) > 0 "
    "and (repo.deps.pinned_ratio == 1 or deps.lockfiles.in_step == True)"
)
PINNED_MANUAL = "repo.deps.requirements > 0 and (repo.deps.pinned_ratio >= 0.8 or count(repo.deps.lockfiles) > 0)"


def tree(root: Path, files: dict[str, str]) -> tuple[list[str], Callable[[str], str | None]]:
    """Write ``files`` under ``root``; return their sorted paths and a reader of their text."""
    write_files(root, files)

    def text(rel: str) -> str | None:
        path = root / rel
        return path.read_text() if path.is_file() else None

    return sorted(files), text


def summary(root: Path, files: dict[str, str]) -> dict:
    paths, text = tree(root, files)
    return {f.key: f.value for f in summary_facts(paths, text)}


def deps_of(root: Path) -> dict:
    return {f.key: f.value for f in DepsCollector().collect(Snapshot(project="p", root=root)) if not f.is_error}


def hygiene_of(root: Path, files: dict[str, str], links: tuple[str, ...] = ()) -> dict:
    paths, text = tree(root, files)
    return {f.key: f.value for f in hygiene.facts(paths, text, links)}


def configs_of(root: Path, files: dict[str, str]) -> list[str]:
    paths, text = tree(root, files)
    return next(f.value for f in repo_data.config_facts(paths, text) if f.key == "code.config.files")


# --- class d: declared dependencies --------------------------------------------------------------------


FOREIGN = {
    "mlruns/0/abc/artifacts/model/requirements.txt": "scikit-learn\n",
    "outputs/2024-01-01/requirements.txt": "torch\n",
    "wandb/run-1/files/requirements.txt": "wandb\n",
    "lightning_logs/version_0/requirements.txt": "lightning\n",
    ".dvc/cache/requirements.txt": "dvc\n",
    "env/lib/python3.11/site-packages/numpy-1.26.4.dist-info/requirements.txt": "numpy\n",
    "env/pyvenv.cfg": "home = /usr/bin\n",
    "env/pyproject.toml": '[project]\nname = "x"\ndependencies = ["rich"]\n',
    "web/node_modules/pkg/requirements.txt": "six\n",
    ".venv/pyproject.toml": '[project]\nname = "y"\ndependencies = ["rich"]\n',
    "vendor/lib/setup.py": "from setuptools import setup\nsetup(install_requires=['requests'])\n",
    "third_party/tool/requirements.txt": "click\n",
    "src/pkg/_vendor/thing/pyproject.toml": '[project]\nname = "z"\ndependencies = ["attrs"]\n',
    ".tox/py311/requirements.txt": "pytest\n",
    "build/lib/pkg/requirements.txt": "pandas\n",
    "dist/pkg-1.0/setup.py": "from setuptools import setup\nsetup(install_requires=['pandas'])\n",
    "pkg.egg-info/requirements.txt": "pandas\n",
}


def test_dependency_files_under_output_tool_environment_and_vendored_folders_are_not_declared(tmp_path):
    files = {**FOREIGN, "requirements.txt": "numpy==1.26.4\npandas==2.2.2\n", "build/Dockerfile": "FROM python\n"}
    found = summary(tmp_path, files)
    assert found["repo.deps.manifests"] == ["requirements.txt"]
    assert (found["repo.deps.requirements"], found["repo.deps.pinned_ratio"]) == (2, 1.0)
    ignored = {row["path"]: row["reason"] for row in deps_of(tmp_path)["deps.ignored"]}
    assert set(ignored) == set(FOREIGN) - {"env/pyvenv.cfg"}
    assert ignored["mlruns/0/abc/artifacts/model/requirements.txt"] == (
        "under mlruns/, an output folder of runs and experiment tools"
    )
    assert ignored["env/pyproject.toml"] == "under env/, an installed environment"  # it holds a pyvenv.cfg
    assert ignored["third_party/tool/requirements.txt"] == "under third_party/, a vendored copy of other projects"
    assert ignored["build/lib/pkg/requirements.txt"] == "under build/lib/, a build output"
    assert hygiene_of(tmp_path, files)["repo.hygiene.dockerfiles"] == ["build/Dockerfile"]  # build/ itself is fine


def test_a_folder_named_env_without_an_environment_in_it_is_the_projects_own():
    foreign = Foreign(["env/environment.yml", "env/requirements.txt"])
    assert foreign.why("env/environment.yml") is None


def test_no_dependency_file_fails_the_pinning_check_with_what_was_looked_for(tmp_path):
    found = summary(tmp_path, {"train.py": "print(1)\n", "mlruns/0/requirements.txt": "mlflow\n"})
    assert found["repo.deps.manifests"] == [] and found["repo.deps.requirements"] == 0
    assert "repo.deps.pinned_ratio" not in found  # a share of nothing is not a number
    assert found["repo.deps.requirements.reason"] == (
        "no dependency file (looked for requirements*.txt, *requirements.in, pyproject.toml, setup.py, setup.cfg, "
        "Pipfile, environment.yml, conda.yaml); 1 left out as not the project's own, such as "
        "mlruns/0/requirements.txt (under mlruns/, an output folder of runs and experiment tools)"
    )
    names = conditions.namespace({**found, "deps.lockfiles.in_step": None})
    assert conditions.evaluate(PINNED_AUTOMATED, names) is False
    assert conditions.evaluate(PINNED_MANUAL, names) is False  # fails: not unknown


def test_files_that_declare_nothing_and_files_that_cannot_be_read(tmp_path):
    found = summary(tmp_path / "a", {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"})
    assert found["repo.deps.requirements"] == 0
    assert found["repo.deps.requirements.reason"].startswith("no requirement declared in pyproject.toml (looked for")
    computed = "from setuptools import setup\nsetup(install_requires=open('reqs').read().split())\n"
    found = summary(tmp_path / "b", {"setup.py": computed})
    assert "repo.deps.requirements" not in found  # unknown: the files exist but nothing could be read
    assert found["repo.deps.requirements.reason"] == (
        "no requirement could be read from setup.py (setup.py: install_requires is computed when setup.py runs; "
        "not read)"
    )


def test_one_pinned_share_for_both_keys_over_every_declared_file(tmp_path):
    files = {
        "requirements.txt": "torch>=2\nhydra-core==1.3.2\n# wandb\n-r requirements/extra.in\n",
        "requirements/extra.in": "rich\n",
        "requirements-lock.txt": "# This file is autogenerated by pip-compile with Python 3.11\nrich==13.7.1\n",
        "environment.yaml": "dependencies:\n  - python=3.10\n  - numpy=1.26.4\n  - pip:\n    - mlflow\n",
        "setup.py": "from setuptools import setup\nsetup(install_requires=['lightning==2.2.0'])\n",
    }
    found = summary(tmp_path, files)
    assert found["repo.deps.requirements"] == 6  # torch, hydra-core, rich, numpy, mlflow, lightning (not python)
    assert found["repo.deps.pinned_ratio"] == deps_of(tmp_path)["deps.pinned_ratio"] == round(3 / 6, 2)
    assert found["repo.deps.lockfiles"] == ["requirements-lock.txt"]
    assert found["repo.deps.requirements.reason"] == (
        "3 of 6 requirements pinned to one version, in declared dependency files: environment.yaml, "
        "requirements.txt, requirements/extra.in, setup.py"
    )


def test_a_pip_compile_workflow_is_locked_though_its_declarations_are_ranges(tmp_path):
    files = {
        "requirements.in": "pandas~=2.2\nscikit-learn>=1.5\n",
        "requirements.txt": (
            "#\n# This file is autogenerated by pip-compile with Python 3.11\n#\n"
            "pandas==2.2.2 \\\n    --hash=sha256:abc\nscikit-learn==1.5.0\n"
        ),
    }
    found = {**summary(tmp_path, files), **deps_of(tmp_path)}
    assert (found["repo.deps.pinned_ratio"], found["repo.deps.lockfiles"]) == (0.0, ["requirements.txt"])
    assert found["deps.lockfiles.in_step"] is True
    names = conditions.namespace(found)
    assert conditions.evaluate(PINNED_AUTOMATED, names) is True


def test_which_files_are_locks(tmp_path):
    files = {
        "poetry.lock": "",
        "svc/uv.lock": "",
        "Pipfile.lock": "{}",
        "pdm.lock": "",
        "conda-lock.yml": "package: []\n",
        "env/gpu.conda-lock.yml": "package: []\n",
        "conda-linux-64.lock": "@EXPLICIT\n",
        "requirements.lock": "numpy==1.26.4\n",
        "pylock.toml": "",
        "environment.yaml": "dependencies:\n  - numpy\n",
        "dvc.lock": "schema: '2.0'\n",
        "web/yarn.lock": "",
        "requirements.txt": "numpy\n",
    }
    assert summary(tmp_path, files)["repo.deps.lockfiles"] == sorted(
        set(files) - {"environment.yaml", "dvc.lock", "web/yarn.lock", "requirements.txt"}
    )


def test_conda_yaml_and_dynamic_pyproject_dependencies_are_declarations(tmp_path):
    found = summary(
        tmp_path / "mlflow",
        {"conda.yaml": "dependencies:\n  - python=3.8\n  - numpy>=1.14\n  - pip:\n    - mlflow\n", "MLproject": "x"},
    )
    assert found["repo.deps.manifests"] == ["conda.yaml"] and found["repo.deps.requirements"] == 2
    pyproject = (
        '[project]\nname = "x"\ndynamic = ["dependencies"]\n'
        '[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.txt"]}\n'
    )
    write_files(tmp_path / "dyn", {"pyproject.toml": pyproject, "requirements.txt": "a==1\nb==2\n"})
    rows = {row["path"]: row["requirements"] for row in deps_of(tmp_path / "dyn")["deps.manifests"]}
    assert rows == {"pyproject.toml": 2, "requirements.txt": 2}


def test_nested_pyproject_and_settings_files_configure_linters(tmp_path):
    files = {
        "README.md": "# mono\n",
        "services/api/pyproject.toml": (
            '[project]\nname = "api"\ndependencies = ["fastapi==0.110.0"]\n'
            "[tool.ruff]\nline-length = 100\n[tool.mypy]\nstrict = true\n[tool.black]\n"
        ),
        "libs/core/setup.cfg": "[flake8]\nmax-line-length = 100\n[isort]\nprofile = black\n",
        "libs/core/tox.ini": "[pytest]\n[pylint]\n",
        "tools/.flake8": "[flake8]\n",
        "vendor/other/pyproject.toml": "[tool.pyright]\n",
        ".venv/lib/python3.11/site-packages/x/pyproject.toml": "[tool.pytype]\n",
    }
    found = hygiene_of(tmp_path, files)
    assert found["repo.hygiene.linters"] == ["flake8", "pylint", "ruff"]
    assert found["repo.hygiene.formatters"] == ["black", "isort"]
    assert found["repo.hygiene.type_checkers"] == ["mypy"]  # not the vendored pyright nor the installed pytype
    assert summary(tmp_path, files)["repo.deps.manifests"] == ["libs/core/setup.cfg", "services/api/pyproject.toml"]


def test_the_repo_collector_reports_the_summary(tmp_path):
    write_files(tmp_path / "p", {"requirements.txt": "numpy==1.26.4\n", "outputs/requirements.txt": "torch\n"})
    found = {f.key: f.value for f in RepoCollector().collect(Snapshot(project="p", root=tmp_path / "p"))}
    assert (found["repo.deps.manifests"], found["repo.deps.requirements"]) == (["requirements.txt"], 1)
    assert found["repo.deps.pinned_ratio"] == 1.0


# --- class h: configuration files and Dockerfiles --------------------------------------------------------


def test_configuration_in_settings_folders_data_yaml_and_named_files(tmp_path):
    files = {
        "data/coco128.yaml": "path: ../datasets\n",
        "data/hyps/hyp.scratch-low.yaml": "lr0: 0.01\n",
        "data/images/labels.json": "{}",  # data, not settings: only YAML under data/
        "hyps/finetune.yaml": "lr0: 0.001\n",
        "configs/model/resnet.yaml": "depth: 50\n",
        "conf/train.toml": "epochs = 3\n",
        "config/base.ini": "[x]\n",
        "cfg/yolov3.cfg": "[net]\n",
        "models/yolov4-tiny.cfg": "[net]\n",
        "params_train.yaml": "seed: 1\n",
        "config.json": "{}",
        "src/settings.yaml": "a: 1\n",
        "train.yaml": "a: 1\n",  # not named, not in a settings folder, not in a Hydra tree
    }
    found = configs_of(tmp_path, files)
    assert found == sorted(set(files) - {"data/images/labels.json", "train.yaml"})


def test_tool_settings_and_run_outputs_are_not_ml_configuration(tmp_path):
    files = {
        ".pre-commit-config.yaml": "repos: []\n",
        ".github/workflows/ci.yml": "on: push\n",
        ".github/dependabot.yml": "version: 2\n",
        ".readthedocs.yaml": "version: 2\n",
        ".gitlab-ci.yml": "test: {}\n",
        "azure-pipelines.yml": "steps: []\n",
        "cloudbuild.yaml": "steps: []\n",
        "bitbucket-pipelines.yml": "pipelines: {}\n",
        "docker-compose.yml": "services: {}\n",
        "configs/docker-compose.gpu.yml": "services: {}\n",
        "compose.yaml": "services: {}\n",
        "mkdocs.yml": "site_name: x\n",
        "codecov.yml": "coverage: {}\n",
        "renovate.json": "{}",
        "docs/_config.yml": "title: x\n",
        "setup.cfg": "[flake8]\n",
        "environment.yml": "dependencies: []\n",
        "conf/conda.yaml": "dependencies: []\n",
        "outputs/2024-01-01/12-00-00/.hydra/config.yaml": "a: 1\n",
        "wandb/run-1/files/config.yaml": "a: 1\n",
        "lightning_logs/version_0/hparams.yaml": "lr: 0.1\n",
        "vendor/lib/config.json": "{}",
        "configs/train.yaml": "lr: 0.1\n",
    }
    assert configs_of(tmp_path, files) == ["configs/train.yaml"]


def test_a_hydra_tree_is_configuration_wherever_it_lives(tmp_path):
    files = {
        "experiments/hydra_root/train.yaml": "defaults:\n  - model: small\n  - _self_\nlr: 0.1\n",
        "experiments/hydra_root/model/small.yaml": "width: 64\n",
        "experiments/notes.yaml": "a: 1\n",
        "k8s/deploy.yaml": "kind: Deployment\n",
    }
    assert configs_of(tmp_path, files) == [
        "experiments/hydra_root/model/small.yaml",
        "experiments/hydra_root/train.yaml",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile",
        "Dockerfile-cpu",
        "Dockerfile.gpu",
        "Dockerfile_app",
        "serve.Dockerfile",
        "docker/serve/Dockerfile",
        "docker/train/Dockerfile.cuda12",
        "Containerfile",
        ".devcontainer/Dockerfile",
    ],
)
def test_dockerfile_variants_count(tmp_path, name):
    assert hygiene_of(tmp_path, {name: "FROM python:3.11\n"})["repo.hygiene.dockerfiles"] == [name]


def test_files_about_dockerfiles_and_vendored_ones_do_not(tmp_path):
    files = {"Dockerfile.md": "# notes\n", "node_modules/x/Dockerfile": "FROM node\n", "docs/dockerfile.txt": "x\n"}
    assert hygiene_of(tmp_path, files)["repo.hygiene.dockerfiles"] == []


def test_a_dockerfile_that_is_a_link_counts_by_its_name_and_is_never_read(tmp_path):
    files = {"Dockerfile.cpu": "FROM python:3.11\n", "Dockerfile.gpu": "FROM nvidia/cuda\n"}
    read: list[str] = []
    paths, text = tree(tmp_path, files)

    def spy(rel: str) -> str | None:
        read.append(rel)
        return text(rel)

    found = {f.key: f.value for f in hygiene.facts(paths, spy, links=["Dockerfile", "scripts/run.sh"])}
    assert found["repo.hygiene.dockerfiles"] == ["Dockerfile", "Dockerfile.cpu", "Dockerfile.gpu"]
    assert "Dockerfile" not in read


def test_repo_ci_configs_and_the_ci_collector_agree_on_what_a_pipeline_file_is():
    cloudbuild = "steps:\n- name: gcr.io/cloud-builders/docker\n  args: [build, .]\n"
    texts = {"build/deploy.yaml": cloudbuild, "configs/train.yaml": "lr: 0.1\n"}
    paths = [".github/workflows/t.yml", ".github/workflows/sub/x.yml", "Jenkinsfile", "a.yml", *texts]
    found = {f.key: f.value for f in hygiene.facts(paths, texts.get)}
    assert found["repo.ci.configs"] == [".github/workflows/t.yml", "Jenkinsfile", "build/deploy.yaml"]


# --- README set-up quality ---------------------------------------------------------------------------------

POOR_LINK_ONLY = """# WorldModels
For full installation and run instructions see this blog post:
https://example.org/blog/world-models

# Building with Docker
See `Dockerfile.cpu` and `launch-docker-cpu.sh` for instructions.
"""
USABLE = """# Churn
Python 3.8+ is required.

```bash
pip install -r requirements.txt
dvc repro
```
"""
USABLE_DOCKER = """# Service
## Prerequisites
- Docker Desktop 4.15

Build with `docker compose build`, then start it with `MODE=api docker compose up`.
Start the API by hand with `uvicorn main:app --reload`, or the notebook server with `MODE=lab docker compose up`.
Run tests with 'docker exec api python -m unittest test_metrics.py'.
"""
COMPLETE = """# Recommender
## Prerequisites
Copy `.env.example` to `.env` and fill in the ClearML keys.

```bash
conda create -n reco python=3.11
conda activate reco
pip install -e .
```

## Run the pipeline
```bash
python steps/process_data.py
python steps/train.py trainer.max_epochs=20
python steps/serve.py
```
"""


def quality(text: str, paths: tuple[str, ...] = ()) -> readme.Setup:
    return readme.read(text, paths)


def test_a_readme_that_points_elsewhere_is_poor():
    setup = quality(POOR_LINK_ONLY, ("Dockerfile.cpu", "launch-docker-cpu.sh"))
    assert setup.quality == 1 and setup.install is None and setup.run is None
    assert quality("# Example MLflow project\n").quality == 1


def test_set_up_and_run_commands_make_a_usable_readme():
    setup = quality(USABLE)
    assert (setup.quality, setup.install, setup.run, setup.prerequisites, setup.steps) == (2, 5, 6, True, 1)


def test_docker_based_set_up_is_installation():
    setup = quality(USABLE_DOCKER, ("main.py", "api/test_prometheus_metrics.py"))
    assert setup.install == 5 and setup.run == 5 and setup.prerequisites and setup.environment and setup.tests
    assert setup.steps == 3
    assert setup.missing_files == ["test_metrics.py"]  # the command names a file the tree lacks
    assert setup.quality == 2


def test_a_complete_readme():
    paths = ("steps/process_data.py", "steps/train.py", "steps/serve.py", ".env.example")
    setup = quality(COMPLETE, paths)
    assert setup.signals() == {
        "install": True,
        "run": True,
        "prerequisites": True,
        "environment": True,
        "tests": False,
        "steps": 3,
        "missing_files": [],
    }
    assert setup.quality == 3
    assert quality(COMPLETE, paths[1:]).quality == 2  # steps/process_data.py is not in the tree


def test_a_test_command_is_a_way_to_run_and_an_optional_extra_is_not_an_install():
    assert quality("## Quick Start\n```\ngit clone x\ncd x\nmake setup\nmake check\n```\n").quality == 2
    optional = "## Requirements\n* Python >= 3.5\n\nTry `python train.py -c config.json`.\n"
    optional += "To use TensorBoard, install it by 'pip install tensorboard>=1.14.0'.\n"
    setup = quality(optional, ("train.py", "config.json"))
    assert setup.install is None and setup.quality == 2
    assert quality("Install with `pip install torch torchvision`.").install == 1  # a list of packages is a set-up


def test_prose_and_downloads_are_not_commands_or_missing_files():
    text = (
        "Start a Jupyter Notebook server.\n"
        "```\nwget https://repo.example.org/Miniconda3-latest-Linux-x86_64.sh\n"
        "bash Miniconda3-latest-Linux-x86_64.sh\n```\n"
    )
    setup = quality(text)
    assert setup.missing_files == [] and setup.steps == 1  # the installer script only; prose is no command


def test_linked_notebooks_are_the_steps_of_a_notebook_project():
    text = (
        "## Getting started\n```\npip install -r requirements.txt\n```\n"
        "The [01-data](01-data.ipynb) notebook prepares the data; [02-train](02-train.ipynb) trains;"
        " [03-deploy](03-deploy.ipynb) deploys.\n"
    )
    setup = quality(text, ("01-data.ipynb", "02-train.ipynb", "03-deploy.ipynb"))
    assert (setup.run, setup.steps, setup.quality) == (5, 3, 2)


def test_readme_facts_carry_their_lines(tmp_path):
    found = {f.key: f for f in hygiene.facts(*tree(tmp_path, {"README.md": USABLE, "requirements.txt": "x\n"}))}
    install: Fact = found["repo.readme.install_steps"]
    assert (install.value, install.path, install.line) == (True, "README.md", 5)
    assert found["repo.readme.setup_quality"].value == 2
    assert found["repo.readme.setup_quality.signals"].value["steps"] == 1
    none = {f.key: f.value for f in hygiene.facts(*tree(tmp_path / "empty", {"a.py": ""}))}
    assert (none["repo.readme.present"], none["repo.readme.setup_quality"]) == (False, 1)


def test_hostile_readmes_are_read_in_linear_time():
    """Shapes that make backtracking patterns quadratic or worse; a README is at most 256 KB."""
    hostile = [
        "<!--" * 60000,
        "`" + "python " * 35000 + "`",
        "pip install " + "-a " * 60000,
        "docker compose " + "a " * 80000,
        "#" + " \u2728" * 80000,
        "x" * 250000,
    ]
    started = time.perf_counter()
    for text in hostile:
        readme.read(text, ())
    assert time.perf_counter() - started < 10
