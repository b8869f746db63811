"""CI evidence you can trust (issue 21): tests that cannot fail the build earn nothing (class a), tests a few
hops away count (class b), and Cloud Build, Bitbucket and Buildkite pipelines are read, without mistaking
ordinary YAML for one. Every repository here is a minimal tree written by the test; nothing in it is run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mldebt.collectors.ci.config import CIConfigCollector, ci_config_paths, provider_of
from mldebt.collectors.ci.shell import BASH_E, NO_ERREXIT, STRICT, commands
from mldebt.collectors.interface import Fact, Snapshot
from mldebt.collectors.registry import declared_keys
from mldebt.rubric.engine import score
from mldebt.rubric.schema import load_rubric

from .conftest import write_files

MANY = {"ci.jobs", "ci.ignored_failures", "ci.pipelines", "ci.tests.via", "ci.tests_cannot_fail"}


def collect(root: Path, files: dict[str, str]) -> list[Fact]:
    write_files(root, files)
    return list(CIConfigCollector().collect(Snapshot(project="p", root=root)))


def found(root: Path, files: dict[str, str]) -> dict:
    out: dict = {}
    for f in collect(root, files):
        assert not f.is_error, f
        if f.key in MANY:
            out.setdefault(f.key, []).append(f.value)
        else:
            out[f.key] = f.value
    return out


def where(root: Path, files: dict[str, str], key: str) -> list[tuple[str | None, int | None]]:
    return [(f.path, f.line) for f in collect(root, files) if f.key == key]


def workflow(run: str, step: str = "", job: str = "") -> dict[str, str]:
    body = "".join(f"          {line}\n" for line in run.splitlines())
    return {
        ".github/workflows/ci.yml": "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        f"{job}    steps:\n      - uses: actions/checkout@v4\n      - name: Tests\n{step}        run: |\n{body}"
    }


def can_fail(tmp_path: Path, files: dict[str, str]) -> bool:
    facts = found(tmp_path, files)
    assert facts["ci.runs_tests"] == facts["ci.tests_gate_build"]  # coherent: no manual jobs here
    assert facts["ci.runs_tests"] == (facts["ci.tests_cannot_fail.count"] == 0 or "ci.tests.via" in facts)
    return bool(facts["ci.runs_tests"])


# --- class a: a test step that cannot fail the build earns nothing ---------------------------------------------


def test_continue_on_error_step_is_its_own_state_with_file_and_line(tmp_path):
    facts = found(tmp_path, workflow("pytest -q", step="        continue-on-error: true\n"))
    assert facts["ci.runs_tests"] is False and facts["ci.tests_gate_build"] is False
    assert facts["ci.tests_cannot_fail"] == [
        {
            "job": "test",
            "step": "pytest -q",
            "chain": "pytest -q",
            "reason": "continue-on-error: true",
            "sentence": "tests run but cannot fail the build: .github/workflows/ci.yml:10 `pytest -q` "
            "(continue-on-error: true)",
        }
    ]
    assert facts["ci.tests_cannot_fail.count"] == 1 and "ci.tests.via" not in facts
    assert where(tmp_path, {}, "ci.tests_cannot_fail") == [(".github/workflows/ci.yml", 10)]


@pytest.mark.parametrize(
    ("setting", "fails"),
    [
        ("    continue-on-error: true\n", False),
        ("    continue-on-error: ${{ true }}\n", False),
        ("    continue-on-error: \"${{ 'true' }}\"\n", False),
        ("    if: false\n", False),
        ("    continue-on-error: ${{ matrix.experimental }}\n", True),  # only some matrix entries may fail
        ("    continue-on-error: false\n", True),
    ],
)
def test_job_level_settings_that_are_literally_true(tmp_path, setting, fails):
    assert can_fail(tmp_path, workflow("pytest", job=setting)) is fails


@pytest.mark.parametrize(
    ("script", "fails", "reason"),
    [
        ("pytest || true", False, "'|| true'"),
        ("pytest || :", False, "'|| :'"),
        ("pytest || exit 0", False, "'|| exit 0'"),
        ('pytest tests || echo "tests failed"', False, "'|| echo \"tests failed\"'"),
        ("pytest && coverage report || true", False, "'|| true'"),
        ("pytest | tee pytest.log", False, "piped into 'tee' without pipefail"),
        ("set +e\npytest\necho done", False, "'set +e' (script line 1) before it"),
        ("pytest --suppress-tests-failed-exit-code", False, "'--suppress-tests-failed-exit-code'"),
        ("pytest &", False, "run in the background"),
        # and what still fails the build
        ("pytest || (echo failed; exit 1)", True, None),
        ("pytest || { echo failed; exit 1; }", True, None),
        ("pytest || echo failed && exit 1", True, None),
        ("set +e\npytest\nstatus=$?\necho done\nexit $status", True, None),
        ("set -o pipefail\npytest | tee pytest.log", True, None),
        ("pytest | tee log; exit ${PIPESTATUS[0]}", True, None),
        ("pytest; exit 0", True, None),  # GitHub runs bash -e: pytest's failure ends the script first
        ("if ! pytest; then exit 1; fi", True, None),
        ("cd tests && pytest", True, None),
    ],
)
def test_shell_text_that_loses_or_keeps_the_failure(tmp_path, script, fails, reason):
    facts = found(tmp_path, workflow(script))
    assert facts["ci.runs_tests"] is fails
    if reason:
        assert facts["ci.tests_cannot_fail"][0]["reason"].startswith(reason)


def test_shell_options_decide_what_a_failure_does():
    def lost(script, shell):
        return [c.text for c in commands(script, shell) if c.ignored]

    assert lost("pytest; exit 0", NO_ERREXIT) == ["pytest"]  # no set -e: the last status wins
    assert lost("pytest; exit 0", BASH_E) == []
    assert lost("pytest | tee log", BASH_E) == ["pytest"] and lost("pytest | tee log", STRICT) == []
    assert lost("pip install .\npytest", NO_ERREXIT) == ["pip install ."]  # the last command decides
    assert lost("python - <<EOF\nimport pytest\npytest.main()\nEOF\necho ok", BASH_E) == []  # a heredoc is data
    assert [c.line for c in commands("pytest a \\\n  -q\nflake8", STRICT)] == [0, 2]


@pytest.mark.parametrize(
    ("shell", "script", "fails"),
    [
        ("bash", "pytest\necho done", True),
        ("bash -l {0}", "pytest\necho done", False),  # a custom shell has only the options it names: no -e
        ("bash -el {0}", "pytest\necho done", True),
        ("bash", "pytest | tee log.txt", True),  # `shell: bash` adds pipefail
        ("sh", "pytest | tee log.txt", False),
    ],
)
def test_github_shell_setting(tmp_path, shell, script, fails):
    assert can_fail(tmp_path, workflow(script, step=f"        shell: {shell}\n")) is fails


def test_a_python_shell_step_is_not_read_as_shell(tmp_path):
    facts = found(tmp_path, workflow("import pytest", step="        shell: python\n"))
    assert facts["ci.runs_tests"] is False and facts["ci.tests_cannot_fail.count"] == 0


def test_gitlab_allow_failure_manual_and_after_script(tmp_path):
    facts = found(
        tmp_path,
        {
            ".gitlab-ci.yml": "unit:\n  script: [pytest]\n  allow_failure: true\n"
            "later:\n  script: [echo build]\n  after_script: [pytest tests/smoke]\n"
            "by-hand:\n  when: manual\n  script: [pytest tests/slow]\n"
            "deploy:\n  when: manual\n  script: [kubectl apply -f k8s/]\n"
        },
    )
    assert facts["ci.runs_tests"] is False and facts["ci.deploys"] is True
    assert sorted(f["reason"] for f in facts["ci.tests_cannot_fail"]) == [
        "after_script (its failure does not fail the job)",
        "allow_failure: true",
        "when: manual (allow_failure defaults to true)",
    ]
    # a manual deployment that cannot fail is by design, not a silenced check
    assert all(f["kind"] == "tests" for f in facts["ci.ignored_failures"])


@pytest.mark.parametrize(
    ("script", "codes", "fails"),
    [
        ("pytest", "[1]", False),  # failing tests exit 1: allowed
        ("pytest", "[137]", True),  # only an out-of-memory kill is allowed; failing tests still fail the job
        ("make test", "[2]", False),  # make exits 2 when a recipe fails
        ("make test", "[1]", True),
    ],
)
def test_gitlab_allow_failure_exit_codes_is_partial(tmp_path, script, codes, fails):
    files = {
        ".gitlab-ci.yml": f"unit:\n  script: [{script}]\n  allow_failure:\n    exit_codes: {codes}\n",
        "Makefile": "test:\n\tpytest\n",
    }
    assert can_fail(tmp_path, files) is fails


def test_makefile_ignore_prefix_and_make_i(tmp_path):
    makefile = "test:\n\t-pytest tests\nlint:\n\tflake8 .\nsafe:\n\tpytest tests; echo done\n"
    assert can_fail(tmp_path / "a", {**workflow("make test"), "Makefile": makefile}) is False
    facts = found(tmp_path / "a", {})
    assert (
        facts["ci.tests_cannot_fail"][0]["reason"] == "'-' before the recipe line (Makefile:2): make ignores its errors"
    )
    assert can_fail(tmp_path / "b", {**workflow("make -i check"), "Makefile": "check:\n\tpytest\n"}) is False
    # each recipe line runs in its own sh -c, without -e: pytest's status is replaced by echo's
    assert can_fail(tmp_path / "c", {**workflow("make safe"), "Makefile": makefile}) is False
    assert can_fail(tmp_path / "d", {**workflow("make lint test"), "Makefile": makefile.replace("-pytest", "pytest")})


def test_tox_ignore_outcome_and_dash_prefix(tmp_path):
    ini = "[tox]\nenvlist = py311\n[testenv]\ncommands =\n    - pytest {posargs}\n"
    assert can_fail(tmp_path / "a", {**workflow("tox"), "tox.ini": ini}) is False
    ini = "[tox]\nenvlist = py311\n[testenv]\nignore_outcome = true\ncommands = pytest\n"
    assert can_fail(tmp_path / "b", {**workflow("tox"), "tox.ini": ini}) is False


def test_python_runner_that_drops_pytest_status(tmp_path):
    dropped = "import pytest\n\nif __name__ == '__main__':\n    pytest.main(['tests'])\n"
    wired = "import sys\nimport pytest\n\nsys.exit(pytest.main(['tests']))\n"
    assert can_fail(tmp_path / "a", {**workflow("python run_tests.py"), "run_tests.py": dropped}) is False
    assert can_fail(tmp_path / "b", {**workflow("python run_tests.py"), "run_tests.py": wired}) is True
    unittest_main = "import unittest\n\nunittest.main(module=None, exit=False)\n"
    assert can_fail(tmp_path / "c", {**workflow("python tests/run.py"), "tests/run.py": unittest_main}) is False


def test_other_providers_ways_of_not_failing(tmp_path):
    assert (
        can_fail(
            tmp_path / "bb",
            {
                "bitbucket-pipelines.yml": "pipelines:\n  default:\n    - step:\n        script: [echo]\n"
                "        after-script: [pytest]\n"
            },
        )
        is False
    )
    assert (
        can_fail(tmp_path / "bk", {".buildkite/pipeline.yml": "steps:\n  - command: pytest\n    soft_fail: true\n"})
        is False
    )
    assert (
        can_fail(
            tmp_path / "cb",
            {"cloudbuild.yaml": "steps:\n  - name: python:3.11\n    entrypoint: pytest\n    allowFailure: true\n"},
        )
        is False
    )
    assert (
        can_fail(
            tmp_path / "az",
            {"azure-pipelines.yml": "steps:\n  - script: |\n      pytest\n      echo finished\n"},
        )
        is False
    )  # Azure runs bash without -e: the echo's status is the step's
    assert (
        can_fail(tmp_path / "az2", {"azure-pipelines.yml": "steps:\n  - script: pytest\n    enabled: false\n"}) is False
    )
    jenkins = (
        "pipeline {\n  agent any\n  stages {\n    stage('a') { steps { catchError { sh 'pytest a' } } }\n"
        "    stage('b') { steps { warnError('flaky') { sh 'pytest b' } } }\n"
        "    stage('c') { steps { catchError(buildResult: 'UNSTABLE', stageResult: 'FAILURE') { sh 'pytest c' } } }\n"
        "  }\n}\n"
    )
    facts = found(tmp_path / "jk", {"Jenkinsfile": jenkins})
    assert facts["ci.runs_tests"] is True  # catchError's default build result is FAILURE: stage a still fails it
    assert sorted(f["reason"] for f in facts["ci.tests_cannot_fail"]) == [
        "catchError(buildResult: 'UNSTABLE') { }",
        "warnError { }",
    ]


def test_no_check_earns_automated_credit_from_a_test_step_that_cannot_fail(tmp_path):
    ci = {f.key: f.value for f in collect(tmp_path, workflow("pytest || true")) if f.key not in MANY}
    facts = {
        **ci,
        "repo.tests.functions": 12,
        "repo.tests.data": 3,
        "repo.tests.model_kinds": ["baseline", "overfit", "prediction"],
        "repo.python.files": 5,
    }
    rubric = load_rubric(None, declared_keys())  # the shipped rubric
    card = score(rubric, facts)
    credited = {r.check_id for r in card.results if r.status == "automated"}
    reading_ci_tests = {
        r.check_id for r in card.results if {"ci.runs_tests", "ci.tests_gate_build"} & set(r.evidence_keys)
    }
    assert reading_ci_tests and not credited & reading_ci_tests
    passing = score(rubric, {**facts, **{f.key: f.value for f in collect(tmp_path / "ok", workflow("pytest"))}})
    assert {r.check_id for r in passing.results if r.status == "automated"} & reading_ci_tests


# --- class b: tests one or more hops away count -----------------------------------------------------------------


TESTING_ML_MAKEFILE = (
    "setup:\n\tpip install poetry\n\tpoetry install\n\nclean:\n\trm -f .coverage\n\n"
    "test: clean\n\tpoetry run py.test tests --cov=src --cov-report xml\n\n"
    "mypy:\n\tpoetry run mypy src\n\nlint:\n\tpoetry run pylint src -j 4\n\ncheck: test lint mypy\n"
)


def test_make_check_reaches_the_tests_through_its_prerequisites(tmp_path):
    files = {**workflow("make setup\nmake check"), "Makefile": TESTING_ML_MAKEFILE}
    facts = found(tmp_path, files)
    assert facts["ci.runs_tests"] and facts["ci.runs_lint"] and facts["ci.runs_type_checks"]
    assert facts["ci.tests.via"] == [
        {
            "job": "test",
            "step": "make check",
            "chain": "make check -> test -> poetry run py.test tests --cov=src --cov-report xml",
            "hops": [
                "Makefile:17 check",
                "Makefile:8 test",
                "Makefile:9 poetry run py.test tests --cov=src --cov-report xml",
            ],
        }
    ]
    assert where(tmp_path, {}, "ci.tests.via") == [(".github/workflows/ci.yml", 10)]


def test_make_variables_recursion_folders_and_default_goal(tmp_path):
    makefile = (
        "PYTHON ?= python3\nTEST_ARGS := -q\n\nall: unit\n\nunit:\n\t@$(PYTHON) -m pytest $(TEST_ARGS)\n"
        "ci:\n\t$(MAKE) unit\n\ncheck:\n\t$(PY) -m pytest tests\n"
    )
    for run in ("make", "make ci", "make check", "make -C ml test-all", "cd ml && make test-all"):
        files = {**workflow(run), "Makefile": makefile, "ml/Makefile": "test-all:\n\tpython -m pytest\n"}
        assert can_fail(tmp_path / run.replace(" ", "_"), files), run
    files = {
        **workflow("make test-all", step="        working-directory: ./ml\n"),
        "ml/Makefile": "test-all:\n\tpytest\n",
    }
    assert found(tmp_path / "wd", files)["ci.tests.via"][0]["hops"] == [
        "ml/Makefile:1 test-all",
        "ml/Makefile:2 pytest",
    ]
    facts = found(tmp_path / "make_ci", {})
    assert facts["ci.tests.via"][0]["chain"] == "make ci -> make unit -> python3 -m pytest -q"


def test_a_target_that_runs_no_tests_is_not_tests_whatever_its_name(tmp_path):
    files = {**workflow("make test"), "Makefile": "test:\n\t@echo 'no tests yet'\n"}
    assert found(tmp_path / "a", files)["ci.runs_tests"] is False
    # a target whose command cannot be read keeps the name's meaning
    files = {**workflow("make test"), "Makefile": "test:\n\tbin/custom-runner --all\n"}
    assert found(tmp_path / "b", files)["ci.runs_tests"] is True


def test_make_cycles_self_calls_and_growing_variables_end(tmp_path):
    makefile = (
        "include Makefile\n" * 50 + "B = $(B)$(B)$(B)\nC := x\n" + "C := $(C)$(C)\n" * 40 + "a: b\n\t$(MAKE) a\n"
        "b: a\n\t$(B) $(C)\n\tpytest\n"
    )
    started = time.monotonic()
    facts = found(tmp_path, {**workflow("make a"), "Makefile": makefile})
    assert facts["ci.runs_tests"] is True and time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("run", "files", "tests", "lint"),
    [
        (
            "tox",
            {
                "tox.ini": "[tox]\nenvlist = py311, lint\n[testenv]\ncommands = pytest {posargs:tests}\n"
                "[testenv:lint]\ncommands = flake8 src\n"
            },
            True,
            True,
        ),
        (
            "tox -e lint",
            {
                "tox.ini": "[tox]\nenvlist = py311, lint\n[testenv]\ncommands = pytest\n"
                "[testenv:lint]\ncommands = flake8 src\n"
            },
            False,
            True,
        ),
        (
            "tox -e py311",
            {
                "setup.cfg": "[metadata]\nname = x\n[tox:tox]\nenvlist = py311\n"
                "[testenv]\ncommands =\n    python -m pytest\n"
            },
            True,
            False,
        ),
        (
            "tox",
            {
                "pyproject.toml": '[tool.tox]\nlegacy_tox_ini = """\n[tox]\nenvlist = py\n[testenv]\n'
                'commands = pytest\n"""\n'
            },
            True,
            False,
        ),
        (
            "tox run -e type",
            {"tox.toml": 'env_list = ["type"]\n[env.type]\ncommands = [["mypy", "src"]]\n'},
            False,
            False,
        ),
        (
            "nox",
            {
                "noxfile.py": "import nox\n\n@nox.session(python=['3.11'])\ndef tests(session):\n"
                "    session.install('.')\n    session.run('pytest', *session.posargs)\n\n"
                "@nox.session\ndef lint(session):\n    session.run('ruff', 'check', '.')\n"
            },
            True,
            True,
        ),
        (
            "nox -s lint",
            {
                "noxfile.py": "import nox\n\n@nox.session\ndef tests(session):\n    session.run('pytest')\n\n"
                "@nox.session\ndef lint(session):\n    session.run('ruff', 'check', '.')\n"
            },
            False,
            True,
        ),
        ("npm test", {"package.json": '{"scripts": {"pretest": "eslint .", "test": "jest --ci"}}'}, True, True),
        ("yarn lint", {"package.json": '{"scripts": {"lint": "eslint src", "test": "jest"}}'}, False, True),
        (
            "npm run check",
            {
                "package.json": '{"scripts": {"check": "npm run unit && npm run lint", '
                '"unit": "vitest run", "lint": "eslint ."}}'
            },
            True,
            True,
        ),
        ("bash scripts/test.sh", {"scripts/test.sh": "#!/bin/bash\nset -e\npytest tests\nflake8\n"}, True, True),
        ("./run_tests.sh", {"run_tests.sh": "#!/bin/sh\npython -m pytest -x\n"}, True, False),
        (
            "python run_tests.py",
            {"run_tests.py": "import subprocess, sys\nsubprocess.run(['pytest', 'tests'], check=True)\n"},
            True,
            False,
        ),
        (
            "hatch run test",
            {"pyproject.toml": '[tool.hatch.envs.default.scripts]\ntest = "pytest {args}"\n'},
            True,
            False,
        ),
        ("pdm run lint", {"pyproject.toml": '[tool.pdm.scripts]\nlint = "ruff check ."\n'}, False, True),
        ("poetry run poe test", {"pyproject.toml": '[tool.poe.tasks]\ntest = "pytest"\n'}, True, False),
    ],
)
def test_runners_are_followed_into_their_files(tmp_path, run, files, tests, lint):
    facts = found(tmp_path, {**workflow(run), **files})
    assert (facts["ci.runs_tests"], facts["ci.runs_lint"]) == (tests, lint)


@pytest.mark.parametrize(
    "run",
    [
        "coverage run --source project -m py.test project tests -v --junitxml=junit/results.xml",
        "coverage run -m pytest",
        "python -m pytest",
        "python3 -W error -m pytest tests",
        "py.test",
        "poetry run py.test tests",
        "uv run --with pytest-cov pytest",
        "pipenv run python -m unittest discover",
        "$PYTHON -m pytest",
    ],
)
def test_wrappers_around_the_test_runner(tmp_path, run):
    assert can_fail(tmp_path, workflow(run))


def test_a_python_script_keeps_what_its_name_says(tmp_path):
    files = {**workflow("python train.py --config c.yaml"), "train.py": "import torch\n\ndef main():\n    pass\n"}
    facts = found(tmp_path, files)
    assert facts["ci.trains_model"] is True and facts["ci.runs_tests"] is False


def test_hops_read_files_and_never_run_them(tmp_path):
    sentinel = tmp_path / "ran"
    files = {
        **workflow("make test\nbash scripts/t.sh\nnpm test"),
        "Makefile": f"test:\n\ttouch {sentinel}\n\tpytest\n",
        "scripts/t.sh": f"touch {sentinel}\n",
        "package.json": f'{{"scripts": {{"test": "touch {sentinel}"}}}}',
    }
    assert found(tmp_path / "repo", files)["ci.runs_tests"] is True
    assert not sentinel.exists()


def test_a_script_outside_the_tree_is_not_read(tmp_path):
    (tmp_path / "outside.sh").write_text("pytest\n")
    files = {**workflow("bash ../outside.sh\nbash /etc/profile")}
    assert found(tmp_path / "repo", files)["ci.runs_tests"] is False


# --- more CI systems, and YAML that is not CI -------------------------------------------------------------------


VERTEX_STEPS = (
    "steps:\n\n# Clone the repository.\n- name: 'gcr.io/cloud-builders/git'\n  args: ['clone', '$_REPO_URL']\n"
    "  id: 'Clone Repository'\n\n- name: '$_CICD_IMAGE_URI'\n  entrypoint: 'pytest'\n"
    "  args: ['src/tests/model_tests.py', '-s']\n  dir: 'repo'\n  id: 'Unit Test Model'\n"
    "  waitFor: ['Clone Repository']\n\n- name: 'gcr.io/cloud-builders/docker'\n"
    "  args: ['build', '-t', '$_IMAGE', '.']\n  id: 'Build Image'\n"
)


def test_cloud_build_config_in_any_folder_by_its_shape(tmp_path):
    facts = found(tmp_path, {"build/pipeline-deployment.yaml": VERTEX_STEPS})
    assert facts["ci.providers"] == ["cloudbuild"]
    assert facts["ci.runs_tests"] is True and facts["ci.builds_container"] is True
    assert facts["ci.tests.via"][0]["step"] == "pytest src/tests/model_tests.py -s"
    assert where(tmp_path, {}, "ci.tests.via") == [("build/pipeline-deployment.yaml", 10)]
    # Cloud Build triggers live outside the repository: unknown, not "no"
    assert "ci.on_push" not in facts and "ci.on_pull_request" not in facts


def test_cloud_build_by_name_and_bash_scripts(tmp_path):
    config = (
        "steps:\n  - name: python:3.11\n    entrypoint: bash\n    args:\n      - -c\n      - |\n"
        "        pip install -r requirements.txt\n        python -m pytest tests\n"
        "  - name: gcr.io/google.com/cloudsdktool/cloud-sdk\n    args: [gcloud, run, deploy, api]\n"
        "timeout: 1200s\n"
    )
    facts = found(tmp_path, {"cloudbuild.yaml": config})
    assert (facts["ci.providers"], facts["ci.runs_tests"], facts["ci.deploys"]) == (["cloudbuild"], True, True)


def test_bitbucket_and_buildkite(tmp_path):
    bitbucket = (
        "image: python:3.11\npipelines:\n  default:\n    - parallel:\n        - step:\n            name: Test\n"
        "            script:\n              - pip install -r requirements.txt\n              - pytest -q\n"
        "        - step:\n            name: Lint\n            script: [flake8]\n"
        "  pull-requests:\n    '**':\n      - step:\n          script: [make check]\n"
        "  custom:\n    retrain:\n      - step:\n          script: [python train.py]\n"
    )
    facts = found(tmp_path / "bb", {"bitbucket-pipelines.yml": bitbucket})
    assert facts["ci.providers"] == ["bitbucket"]
    assert (facts["ci.runs_tests"], facts["ci.runs_lint"], facts["ci.trains_model"]) == (True, True, True)
    assert facts["ci.triggers"] == ["manual", "pull_request", "push"]
    buildkite = (
        "steps:\n  - label: ':pytest: tests'\n    command:\n      - pip install .\n      - pytest\n"
        "  - wait\n  - group: checks\n    steps:\n      - label: types\n        command: mypy src\n"
        "  - label: docker\n    plugins:\n      - docker#v5.0.0: {image: python}\n    commands: [docker build .]\n"
    )
    facts = found(tmp_path / "bk", {".buildkite/pipeline.yml": buildkite, ".buildkite/docker-compose.yml": COMPOSE})
    assert facts["ci.providers"] == ["buildkite"] and len(facts["ci.pipelines"]) == 1
    assert (facts["ci.runs_tests"], facts["ci.runs_type_checks"], facts["ci.builds_container"]) == (True, True, True)


K8S = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n"
    "      containers:\n        - name: api\n          image: gcr.io/x/api:1\n          args: [serve]\n"
)
COMPOSE = "version: '3'\nservices:\n  app:\n    image: python:3.11\n    command: pytest\n"
HYDRA = (
    "defaults:\n  - model: resnet\nsteps:\n  - name: preprocess\n    args: [--size, '224']\n"
    "  - name: train\n    args: [--epochs, '10']\n"
)
PIPELINE_STEPS = "steps:\n  - name: preprocess\n    args: [--size, '224']\n  - name: train\n    args: [--epochs, '3']\n"
FOLDER_STEPS = "steps:\n  - name: data/raw\n    args: [--clean]\n  - name: hashicorp/terraform\n    args: [plan]\n"
SKLEARN = "steps:\n  - name: scaler\n    args: {with_mean: true}\n  - name: svc\n    args: {C: 1.0}\n"
ARGO = (
    "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n    - name: main\n"
    "      steps:\n        - - name: test\n            template: pytest\n"
)
TEKTON = (
    "apiVersion: tekton.dev/v1\nkind: Task\nspec:\n  steps:\n    - name: test\n      image: python:3.11\n"
    "      script: pytest\n"
)


@pytest.mark.parametrize(
    "text",
    [K8S, COMPOSE, HYDRA, PIPELINE_STEPS, FOLDER_STEPS, SKLEARN, ARGO, TEKTON, "steps: 3\n", "steps: []\n", "- a\n"],
)
def test_ordinary_yaml_is_not_a_pipeline(tmp_path, text):
    files = {"deploy/k8s.yaml": text, "conf/experiment.yaml": text, "docker-compose.yml": text, "x/y.yml": text}
    facts = found(tmp_path, files)
    assert facts["ci.providers"] == [] and "ci.config.unparsed" not in facts
    assert ci_config_paths(sorted(files), lambda rel: (tmp_path / rel).read_text()) == []


def test_ci_config_paths_for_other_collectors(tmp_path):
    files = {
        ".github/workflows/ci.yml": "on: push\njobs: {}\n",
        "build/model-deployment.yaml": VERTEX_STEPS,
        "bitbucket-pipelines.yml": "pipelines: {}\n",
        ".buildkite/pipeline.yml": "steps: [{command: pytest}]\n",
        ".buildkite/release.yml": "steps:\n  - command: make release\n",
        "ops/cloudbuild-release.yaml": VERTEX_STEPS,
        "ops/cloudbuild-trigger.yaml": "name: release\ngithub: {owner: x, name: y}\nfilename: ops/cloudbuild.yaml\n",
        "Jenkinsfile": "pipeline {}\n",
        "k8s/deploy.yaml": K8S,
        "conf/train.yaml": HYDRA,
        "node_modules/x/cloudbuild.yaml": VERTEX_STEPS,
    }
    write_files(tmp_path, files)
    paths = sorted(files)
    read = lambda rel: (tmp_path / rel).read_text()  # noqa: E731
    assert ci_config_paths(paths, read) == [
        ".buildkite/pipeline.yml",
        ".buildkite/release.yml",
        ".github/workflows/ci.yml",
        "Jenkinsfile",
        "bitbucket-pipelines.yml",
        "build/model-deployment.yaml",
        "ops/cloudbuild-release.yaml",
    ]
    assert [provider_of(p) for p in ("cloudbuild.yaml", "ci/cloudbuild.json", ".buildkite/pipeline.gpu.yml")] == [
        "cloudbuild",
        "cloudbuild",
        "buildkite",
    ]


def test_a_named_pipeline_file_that_is_not_one_is_an_error_fact(tmp_path):
    facts = collect(tmp_path, {"cloudbuild.yaml": K8S, "bitbucket-pipelines.yml": "image: x\n"})
    errors = sorted((f.path, f.error) for f in facts if f.is_error)
    assert errors == [
        ("bitbucket-pipelines.yml", "bitbucket: not a Bitbucket pipeline: no 'pipelines' mapping"),
        ("cloudbuild.yaml", "cloudbuild: not a Cloud Build config: no 'steps' of builder images"),
    ]
