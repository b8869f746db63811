"""Fuzzing CI pipeline files of every provider and JUnit/Cobertura/coverage.py reports.

Each goes through its collector (ci_config, ci_results): facts or error facts, never an exception.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from .fuzz_strategies import FUZZ, json_documents, lines, run_collector, seeds, xml_documents, yaml_documents

CI_KEYS = [
    "on",
    "push",
    "pull_request",
    "schedule",
    "cron",
    "jobs",
    "steps",
    "run",
    "uses",
    "with",
    "runs-on",
    "name",
    "needs",
    "if",
    "env",
    "strategy",
    "matrix",
    "include",
    "exclude",
    "services",
    "container",
    "stages",
    "stage",
    "script",
    "before_script",
    "after_script",
    "image",
    "rules",
    "only",
    "except",
    "include",
    "extends",
    "artifacts",
    "reports",
    "junit",
    "coverage_report",
    "variables",
    "workflow",
    "default",
    "trigger",
    "parallel",
    "when",
    "allow_failure",
    "version",
    "workflows",
    "orbs",
    "executors",
    "docker",
    "checkout",
    "persist_to_workspace",
    "store_test_results",
    "path",
    "pool",
    "vmImage",
    "task",
    "inputs",
    "displayName",
    "template",
    "parameters",
    "pr",
    "condition",
    "dependsOn",
    "continue-on-error",
    "working-directory",
    "shell",
    "defaults",
    "permissions",
    "concurrency",
    "timeout-minutes",
    "<<",
    "&a",
    "pipelines",
    "step",
    "after-script",
    "pull-requests",
    "branches",
    "custom",
    "command",
    "commands",
    "label",
    "soft_fail",
    "exit_status",
    "group",
    "depends_on",
    "entrypoint",
    "args",
    "dir",
    "id",
    "waitFor",
    "allowFailure",
    "allowExitCodes",
    "exit_codes",
]
CI_WORDS = [
    "pytest",
    "pytest --cov=src --cov-fail-under=80",
    "python -m pytest -q --junitxml=r.xml",
    "flake8 .",
    "ruff check .",
    "mypy src",
    "black --check .",
    "pip install -r requirements.txt",
    "dvc repro",
    "great_expectations checkpoint run x",
    "python train.py",
    "actions/checkout@v4",
    "actions/setup-python@v5",
    "codecov/codecov-action@v4",
    "ubuntu-latest",
    "${{ matrix.python }}",
    "$CI_COMMIT_SHA",
    "main",
    "test",
    "deploy",
    "always()",
    "docker build .",
    "make test",
    "tox -e py311",
    "nox -s tests",
    "pre-commit run",
    "PublishTestResults@2",
    "UsePythonVersion@0",
    "bash",
    "echo ${{ secrets.TOKEN }}",
    "cd x && pytest",
    "python -c 'import x'",
    "|",
    ";",
    "&&",
    "||",
    "0 3 * * *",
    "coverage report --fail-under=90",
    "pytest tests/ -n auto --maxfail=1",
    "sh 'pytest'",
    "!reference [.x, script]",
    "gcr.io/cloud-builders/docker",
    "$_IMAGE",
    "python:3.11",
    "set +e",
    "pytest | tee log",
    "bash -c 'pytest || true'",
    "make check",
    "bash scripts/test.sh",
    "python run_tests.py",
    "npm test",
    "-c",
]
JENKINS = [
    "pipeline {",
    "}",
    "agent any",
    "agent { docker { image 'python:3.11' } }",
    "stages {",
    "stage('Test') {",
    "steps {",
    "sh 'pytest --junitxml=r.xml'",
    'sh "flake8 ."',
    "sh '''",
    "'''",
    "junit 'r.xml'",
    "post {",
    "always {",
    "environment {",
    "TOKEN = credentials('x')",
    "when { branch 'main' }",
    "parallel {",
    "node {",
    "checkout scm",
    "script {",
    "def x = 1",
    'for (i in 1..3) { sh "make ${i}" }',
    "triggers { cron('H 3 * * *') }",
    "// comment",
    "/* comment",
    "*/",
    "options { timeout(time: 1) }",
    "sh(script: 'pytest', returnStatus: true)",
    "bat 'pytest'",
    "@Library('x') _",
    '"""',
    "{",
    "(",
    ")",
]
CI_FILES = {
    ".github/workflows/ci.yml": seeds("corpus:ci/github-actions/*", "sample_projects/*/layers/*/.github/workflows/*"),
    ".gitlab-ci.yml": seeds("corpus:ci/gitlab/*"),
    ".circleci/config.yml": seeds("corpus:ci/circleci/*"),
    "azure-pipelines.yml": seeds("corpus:ci/azure/*"),
    "bitbucket-pipelines.yml": seeds("corpus:ci/bitbucket/*"),
    ".buildkite/pipeline.yml": seeds("corpus:ci/buildkite/*"),
    "cloudbuild.yaml": seeds("corpus:ci/cloudbuild/*"),
    "build/deploy.yaml": seeds("corpus:ci/cloudbuild/*"),
}
# what CI commands lead to: Makefiles, tox, package.json and scripts (read, never run)
HOP_LINES = [
    "test:",
    "check: test lint",
    "lint:",
    "\tpytest -q",
    "\t-pytest",
    "\t@$(PYTHON) -m pytest $(ARGS)",
    "\t$(MAKE) test",
    "\t$(MAKE) check",
    "\tcd sub && $(MAKE) -C .. test",
    "PYTHON ?= python3",
    "ARGS := $(shell echo x) $(ARGS)",
    "include other.mk",
    "ifeq ($(X),1)",
    "else",
    "endif",
    "define F",
    "endef",
    ".ONESHELL:",
    ".IGNORE:",
    ".SHELLFLAGS = -ec",
    "%.o: %.c",
    "[tox]",
    "envlist = py{38,39}-lint, py",
    "[testenv]",
    "[testenv:lint]",
    "commands =",
    "    - pytest {posargs:tests}",
    "    {[testenv]commands}",
    "ignore_outcome = true",
    "set +e",
    "pytest || true",
    "bash scripts/test.sh",
    "npm test",
    "tox -e lint",
    "$(",
    "\\",
    '"',
    "'",
]
REPORT_TAGS = [
    "testsuites",
    "testsuite",
    "testcase",
    "failure",
    "error",
    "skipped",
    "system-out",
    "properties",
    "property",
    "coverage",
    "sources",
    "source",
    "packages",
    "package",
    "classes",
    "class",
    "methods",
    "method",
    "lines",
    "line",
    "condition",
    "conditions",
    "report",
    "x",
]
REPORT_ATTRS = [
    "name",
    "tests",
    "failures",
    "errors",
    "skipped",
    "time",
    "timestamp",
    "classname",
    "message",
    "type",
    "line-rate",
    "branch-rate",
    "lines-covered",
    "lines-valid",
    "branches-covered",
    "branches-valid",
    "complexity",
    "version",
    "filename",
    "number",
    "hits",
    "branch",
    "condition-coverage",
    "file",
    "disabled",
    "assertions",
]
COVERAGE_JSON_KEYS = [
    "meta",
    "files",
    "totals",
    "version",
    "timestamp",
    "covered_lines",
    "num_statements",
    "percent_covered",
    "percent_covered_display",
    "missing_lines",
    "excluded_lines",
    "num_branches",
    "num_partial_branches",
    "covered_branches",
    "missing_branches",
    "summary",
    "branch_coverage",
    "show_contexts",
    "executed_lines",
]


@pytest.mark.parametrize("rel", sorted(CI_FILES))
def test_ci_configs_give_facts_or_error_facts(rel):
    @FUZZ
    @given(yaml_documents(CI_KEYS, CI_WORDS, CI_FILES[rel]))
    def check(data):
        facts = run_collector("ci_config", {rel: data})
        assert any(f.key.startswith("ci.") for f in facts)

    check()


@FUZZ
@given(lines(HOP_LINES))
def test_files_ci_commands_lead_to_give_facts(data):
    run = "make\nmake check\nmake -C sub test\ntox\ntox -e lint\nnpm test\nbash scripts/test.sh\npython run.py"
    workflow = "on: push\njobs:\n  t:\n    steps:\n      - run: |\n" + "".join(
        f"          {c}\n" for c in run.split("\n")
    )
    files = {".github/workflows/ci.yml": workflow.encode()}
    files |= dict.fromkeys(["Makefile", "other.mk", "sub/Makefile", "tox.ini", "scripts/test.sh", "run.py"], data)
    files["package.json"] = b'{"scripts": {"test": "make check"}}'
    facts = run_collector("ci_config", files)
    assert any(f.key == "ci.runs_tests" for f in facts)


@FUZZ
@given(lines(JENKINS, seeds("corpus:ci/jenkins/*")))
def test_jenkinsfiles_give_facts_or_error_facts(data):
    facts = run_collector("ci_config", {"Jenkinsfile": data})
    assert any(f.key.startswith("ci.") for f in facts)


@FUZZ
@given(xml_documents(REPORT_TAGS, REPORT_ATTRS, seeds("corpus:results/*.xml")))
def test_junit_and_cobertura_reports_give_facts_or_error_facts(data):
    facts = run_collector(
        "ci_results", {"reports/junit.xml": data, "coverage.xml": data}, {"ci": {"results": ["reports/*.xml"]}}
    )
    assert any(f.key == "ci.results.files" for f in facts)


@FUZZ
@given(json_documents(COVERAGE_JSON_KEYS, ["4.5", "7.4.0", "src/x.py", "100.0", "nan"]))
def test_coverage_json_reports_give_facts_or_error_facts(data):
    facts = run_collector("ci_results", {"coverage.json": data})
    assert any(f.key == "ci.results.files" for f in facts)
