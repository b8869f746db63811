"""CI pipeline configuration: every corpus pipeline parses, SOURCES.md's facts hold,
and bad files become error facts with their line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mldebt.collectors.ci.config import CIConfigCollector, provider_of, read_pipeline, summarize
from mldebt.collectors.interface import Fact, Snapshot
from mldebt.collectors.repo.configfiles import decode

from .conftest import corpus_files, write_files

FOLDERS = {
    "github-actions": "github",
    "gitlab": "gitlab",
    "jenkins": "jenkins",
    "circleci": "circleci",
    "azure": "azure",
}


def corpus_summary(corpus: Path, name: str) -> dict:
    folder = next(f for f in FOLDERS if (corpus / "ci" / f / name).exists())
    path = corpus / "ci" / folder / name
    pipeline = read_pipeline(decode(path.read_bytes()), name, FOLDERS[folder])
    facts = list(summarize([pipeline]))
    found: dict = {"pipeline": pipeline}
    for fact in facts:
        if fact.key in ("ci.jobs", "ci.ignored_failures", "ci.tests.via", "ci.tests_cannot_fail"):
            found.setdefault(fact.key, []).append(fact.value)
        else:
            found[fact.key] = fact.value
    return found


def collect(root: Path) -> list[Fact]:
    return list(CIConfigCollector().collect(Snapshot(project="p", root=root)))


def values(facts: list[Fact]) -> dict:
    out: dict = {}
    for f in facts:
        if not f.is_error:
            out.setdefault(f.key, []).append(f.value) if f.key in (
                "ci.jobs",
                "ci.ignored_failures",
                "ci.pipelines",
                "ci.tests.via",
                "ci.tests_cannot_fail",
            ) else out.__setitem__(f.key, f.value)
    return out


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_every_corpus_pipeline_parses(corpus, folder):
    files = corpus_files(corpus, f"ci/{folder}")
    assert files
    for path in files:
        pipeline = read_pipeline(decode(path.read_bytes()), path.name, FOLDERS[folder])
        assert pipeline.jobs, path.name
        assert pipeline.notes == [], path.name
        list(summarize([pipeline]))


def test_pytest_with_continue_on_error_and_lint_or_true_can_never_fail(corpus):
    s = corpus_summary(corpus, "Kaustbh__Mlops-ZoomCamp-Project1__.github__workflows__ci.yaml")
    # the tests and the linter run, but neither can fail the build: no credit for either (issue 21 class a)
    assert s["ci.runs_tests"] is False and s["ci.runs_lint"] is False
    assert s["ci.tests_gate_build"] is False and s["ci.tests_cannot_fail.count"] == 1
    assert [f["sentence"] for f in s["ci.tests_cannot_fail"]] == [
        "tests run but cannot fail the build: Kaustbh__Mlops-ZoomCamp-Project1__.github__workflows__ci.yaml:39 "
        "`pipenv run pytest test/` (continue-on-error: true)"
    ]
    assert s["ci.ignored_failures"] == [
        {"job": "test", "kind": "tests", "step": "pipenv run pytest test/", "reason": "continue-on-error: true"},
        {"job": "test", "kind": "lint", "step": "pipenv run pylint --recursive=y .", "reason": "'|| true'"},
    ]
    assert s["ci.triggers"] == ["pull_request", "push"]


def test_list_form_trigger_and_make_targets(corpus):
    s = corpus_summary(corpus, "edesz__nlp-space-news-topic-modeling__.github__workflows__integrate.yml")
    assert s["ci.triggers"] == ["pull_request", "push"]
    assert (s["ci.runs_lint"], s["ci.runs_tests"], s["ci.builds_container"]) == (True, True, True)


def test_made_with_ml_workflows(corpus):
    workloads = corpus_summary(corpus, "GokuMohandas__Made-With-ML__.github__workflows__workloads.yaml")
    assert workloads["ci.triggers"] == ["manual", "pull_request"]
    assert workloads["ci.trains_model"] and workloads["ci.evaluates_model"]
    assert workloads["ci.runs_tests"] is False and workloads["ci.on_schedule"] is False
    serve = corpus_summary(corpus, "GokuMohandas__Made-With-ML__.github__workflows__serve.yaml")
    assert serve["ci.triggers"] == ["manual", "push"]
    assert serve["ci.deploys"] is True and serve["ci.runs_tests"] is False
    assert serve["ci.deploys_without_tests"] == ["GokuMohandas__Made-With-ML__.github__workflows__serve.yaml"]
    docs = corpus_summary(corpus, "GokuMohandas__Made-With-ML__.github__workflows__documentation.yaml")
    assert docs["ci.deploys"] is False and docs["ci.runs_tests"] is False  # mkdocs gh-deploy is not a model deploy


def test_trivial_release_drafter_does_nothing_recognised(corpus):
    s = corpus_summary(corpus, "ashleve__lightning-hydra-template__.github__workflows__release-drafter.yml")
    assert [k for k, v in s.items() if v is True] == ["ci.on_push"]


def test_matrix_pytest_and_lint_type_checks(corpus):
    mbrl = corpus_summary(corpus, "facebookresearch__mbrl-lib__.github__workflows__ci.yml")
    assert (mbrl["ci.runs_lint"], mbrl["ci.runs_type_checks"], mbrl["ci.runs_tests"]) == (True, True, True)
    hydra = corpus_summary(corpus, "ashleve__lightning-hydra-template__.github__workflows__test.yml")
    assert len(hydra["pipeline"].jobs) == 4 and hydra["ci.tests_gate_build"] is True


def test_weekly_cron_and_quality_gate(corpus):
    s = corpus_summary(corpus, "drivendata__cookiecutter-data-science__.github__workflows__tests.yml")
    assert s["ci.schedules"] == ["0 0 * * 0"]
    assert s["ci.triggers"] == ["manual", "pull_request", "push", "schedule"]
    tests_job = next(j for j in s["pipeline"].jobs if j.needs == ["code-quality"])
    assert {m.kind for m in tests_job.matches()} == {"tests"}


def test_docker_publisher_builds_images_but_runs_no_tests(corpus):
    s = corpus_summary(corpus, "kserve__kserve__.github__workflows__sklearnserver-docker-publish.yml")
    assert s["ci.builds_container"] is True and s["ci.runs_tests"] is False
    assert s["ci.triggers"] == ["pull_request", "push", "tag"]


def test_schedule_only_nightly(corpus):
    s = corpus_summary(corpus, "feast-dev__feast__.github__workflows__nightly-ci.yml")
    assert s["ci.triggers"] == ["schedule"] and s["ci.schedules"] == ["00 08 * * *"]
    assert s["ci.runs_tests"] is True and s["ci.retrains_on_schedule"] is False


def test_junit_summary_step_with_continue_on_error(corpus):
    s = corpus_summary(corpus, "kubeflow__pipelines__.github__workflows__kfp-sdk-unit-tests.yml")
    assert s["ci.runs_tests"] and s["ci.publishes_test_results"]
    assert s["ci.ignored_failures"] == [
        {"job": "sdk-unit-tests", "kind": None, "step": "Publish Junit Summary", "reason": "continue-on-error: true"}
    ]


def test_whisperx_coverage_gate_and_container_build(corpus):
    s = corpus_summary(corpus, "pavelzbornik__whisperX-FastAPI__.github__workflows__CI.yaml")
    assert s["ci.coverage_gate"] == 80.0
    assert (s["ci.runs_lint"], s["ci.runs_tests"], s["ci.builds_container"], s["ci.publishes_test_results"]) == (
        True,
        True,
        True,
        True,
    )
    assert {"job": "Test", "kind": None, "step": "SonarQube Cloud Scan", "reason": "continue-on-error: true"} in s[
        "ci.ignored_failures"
    ]


def test_evidently_large_workflow(corpus):
    s = corpus_summary(corpus, "evidentlyai__evidently__.github__workflows__main.yml")
    assert len(s["pipeline"].jobs) == 11
    assert (s["ci.runs_lint"], s["ci.runs_tests"], s["ci.runs_type_checks"]) == (True, True, True)


def test_gitlab_files(corpus):
    edsnlp = corpus_summary(corpus, "aphp__edsnlp__.gitlab-ci.yml")
    assert edsnlp["ci.publishes_test_results"] and edsnlp["ci.runs_tests"] and edsnlp["ci.builds_container"]
    kaniko = next(j for j in edsnlp["pipeline"].jobs if j.name == "Build Docker image")
    assert kaniko.manual is True
    pseudo = corpus_summary(corpus, "aphp__eds-pseudo__.gitlab-ci.yml")
    assert pseudo["ci.runs_tests"] is False and pseudo["ci.runs_lint"] is True
    sb3 = corpus_summary(corpus, "DLR-RM__stable-baselines3__.gitlab-ci.yml")
    assert [j.name for j in sb3["pipeline"].jobs] == ["type-check", "pytest", "doc-build", "lint-check"]
    assert (sb3["ci.runs_type_checks"], sb3["ci.runs_tests"], sb3["ci.runs_lint"]) == (True, True, True)
    zoo = corpus_summary(corpus, "DLR-RM__rl-baselines3-zoo__.gitlab-ci.yml")
    agents = next(j for j in zoo["ci.jobs"] if j["job"] == "check-trained-agents")
    assert agents["kinds"] == ["evaluation"]


def test_jenkinsfiles(corpus):
    nemo = corpus_summary(corpus, "NVIDIA__NeMo__Jenkinsfile")
    assert nemo["ci.trains_model"] and nemo["ci.runs_tests"] and nemo["ci.evaluates_model"]
    assert nemo["ci.publishes_test_results"] is False
    assert nemo["ci.triggers"] == ["pull_request", "push"]
    assert len(nemo["pipeline"].jobs) > 100
    text = corpus_summary(corpus, "NVIDIA__NeMo-text-processing__Jenkinsfile")
    assert text["ci.runs_tests"] is True and text["ci.publishes_test_results"] is False
    assert text["ci.trains_model"] is False


def test_circleci_and_azure(corpus):
    d2 = corpus_summary(corpus, "facebookresearch__detectron2__.circleci__config.yml")
    assert [j.name for j in d2["pipeline"].jobs] == ["linux_cpu_tests", "linux_gpu_tests", "windows_cpu_build"]
    assert d2["ci.runs_tests"] is True
    fairseq = corpus_summary(corpus, "facebookresearch__fairseq__.circleci__config.yml")
    assert len(fairseq["pipeline"].jobs) == 2 and fairseq["ci.runs_tests"] is True
    thinc = corpus_summary(corpus, "explosion__thinc__azure-pipelines.yml")
    assert thinc["ci.triggers"] == ["pull_request", "push"] and thinc["ci.publishes_test_results"] is False
    interpret = corpus_summary(corpus, "interpretml__interpret__azure-pipelines.yml")
    assert interpret["pipeline"].triggers == {"push": None, "pull_request": None, "schedule": 580}
    assert interpret["ci.schedules"] == ["0 12 * * *"]
    assert len(interpret["pipeline"].jobs) == 12 and interpret["ci.publishes_test_results"] is True


# --- the collector on small trees -------------------------------------------------------------


def test_on_key_loaded_as_true_and_scheduled_retraining(tmp_path):
    write_files(
        tmp_path,
        {
            ".github/workflows/retrain.yml": (
                "on:\n  schedule:\n    - cron: '0 3 * * 1'\n  workflow_dispatch:\n"
                "jobs:\n  retrain:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: dvc repro\n      - run: python -m great_expectations checkpoint run raw\n"
                "      - uses: docker/build-push-action@v6\n      - run: kubectl argo rollouts promote model\n"
                "      - name: Roll back on failure\n        run: helm rollback model 1\n"
            )
        },
    )
    found = values(collect(tmp_path))
    assert found["ci.triggers"] == ["manual", "schedule"] and found["ci.schedules"] == ["0 3 * * 1"]
    assert found["ci.retrains_on_schedule"] is True
    assert [j["kinds"] for j in found["ci.jobs"]] == [
        ["canary", "container_build", "data_validation", "rollback", "training"]
    ]
    assert found["ci.deploys_without_tests"] == []


def test_gitlab_rules_extends_and_allow_failure(tmp_path):
    write_files(
        tmp_path,
        {
            ".gitlab-ci.yml": (
                "include: ci/other.yml\n.base:\n  script: [pytest]\n"
                "unit:\n  extends: .base\n  allow_failure: true\n"
                "train:\n  script: [mlflow run .]\n  rules:\n    - if: '$CI_PIPELINE_SOURCE == \"schedule\"'\n"
                'mr:\n  script: [mypy src]\n  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n'
            )
        },
    )
    facts = collect(tmp_path)
    found = values(facts)
    assert found["ci.triggers"] == ["pull_request", "push", "schedule"]
    assert found["ci.retrains_on_schedule"] is True and found["ci.tests_gate_build"] is False
    assert found["ci.ignored_failures"] == [
        {"job": "unit", "kind": "tests", "step": "pytest", "reason": "allow_failure: true"}
    ]
    assert [(f.key, f.path, f.line, f.error) for f in facts if f.is_error] == [
        ("ci.config.unfollowed", ".gitlab-ci.yml", 1, "'include' not followed: included jobs are not read")
    ]


def test_azure_canary_deployment_with_rollback_hook(tmp_path):
    write_files(
        tmp_path,
        {
            "azure-pipelines.yml": (
                "trigger: none\npr: none\nschedules:\n  - cron: '0 0 * * *'\n    branches: {include: [main]}\n"
                "jobs:\n  - deployment: ship\n    environment: prod\n    strategy:\n      canary:\n        increments: [10]\n"
                "        deploy:\n          steps:\n            - task: KubernetesManifest@1\n              inputs: {action: deploy}\n"
                "        on:\n          failure:\n            steps:\n              - script: echo rolling back\n"
            )
        },
    )
    found = values(collect(tmp_path))
    assert found["ci.triggers"] == ["schedule"]
    assert (found["ci.deploys"], found["ci.canary"], found["ci.rollback"]) == (True, True, True)
    assert found["ci.deploys_without_tests"] == ["azure-pipelines.yml"]


def test_circleci_scheduled_workflow_and_commands(tmp_path):
    write_files(
        tmp_path,
        {
            ".circleci/config.yml": (
                "version: 2.1\ncommands:\n  fit:\n    steps:\n      - run: python train.py\n"
                "jobs:\n  nightly:\n    docker: [{image: python}]\n    steps: [checkout, fit, {store_test_results: {path: r}}]\n"
                "workflows:\n  nightly:\n    triggers:\n      - schedule: {cron: '0 1 * * *', filters: {branches: {only: main}}}\n"
                "    jobs: [nightly]\n"
            )
        },
    )
    found = values(collect(tmp_path))
    assert found["ci.retrains_on_schedule"] is True and found["ci.publishes_test_results"] is True
    assert found["ci.schedules"] == ["0 1 * * *"]


def test_jenkinsfile_catch_error_and_cron(tmp_path):
    write_files(
        tmp_path,
        {
            "Jenkinsfile": (
                "pipeline {\n  agent any\n  triggers { cron('H 4 * * *') }\n  stages {\n"
                "    stage('Train') { steps { sh 'python train.py --epochs 3' } }\n"
                "    stage('Test') {\n      when { changeRequest() }\n"
                "      steps { catchError(buildResult: 'SUCCESS') { sh \"pytest -q\" } }\n    }\n  }\n"
                "  post { always { junit 'reports/*.xml' } }\n}\n"
            )
        },
    )
    found = values(collect(tmp_path))
    assert found["ci.providers"] == ["jenkins"]
    assert found["ci.triggers"] == ["pull_request", "push", "schedule"]
    assert found["ci.retrains_on_schedule"] is True and found["ci.publishes_test_results"] is True
    assert found["ci.ignored_failures"] == [
        {"job": "Test", "kind": "tests", "step": "pytest -q", "reason": "catchError(buildResult: 'SUCCESS') { }"}
    ]
    assert found["ci.tests_gate_build"] is False


def test_bad_files_become_error_facts_and_make_no_answers_unknown(tmp_path):
    write_files(
        tmp_path,
        {
            ".github/workflows/broken.yml": "on: push\njobs:\n  a: [unclosed\n",
            ".github/workflows/no-on.yml": "jobs: {}\n",
            ".github/workflows/ok.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: pytest\n",
            "Jenkinsfile": "just some text\n",
            ".gitlab-ci.yml": b"\x00\x01binary",
        },
    )
    facts = collect(tmp_path)
    errors = sorted((f.path, f.line, f.error) for f in facts if f.is_error)
    assert errors == [
        (
            ".github/workflows/broken.yml",
            4,
            "github: YAML syntax error: while parsing a flow sequence did not find expected ',' or ']'",
        ),
        (".github/workflows/no-on.yml", 1, "github: not a GitHub Actions workflow: no 'on' key"),
        (".gitlab-ci.yml", None, "gitlab: binary content"),
        ("Jenkinsfile", 1, "jenkins: not a Jenkins pipeline: no 'pipeline { }' block and no stages"),
    ]
    found = values(facts)
    assert found["ci.runs_tests"] is True
    assert "ci.runs_lint" not in found  # a "no" is unknown while some pipeline file could not be read


def test_no_ci_at_all_is_an_answered_no(tmp_path):
    write_files(tmp_path, {"README.md": "x\n"})
    found = values(collect(tmp_path))
    assert found["ci.providers"] == [] and found["ci.runs_tests"] is False and found["ci.on_schedule"] is False


def test_symlinked_workflow_is_not_followed(tmp_path):
    outside = tmp_path / "outside.yml"
    outside.write_text("on: push\njobs:\n  t:\n    steps:\n      - run: pytest\n")
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").symlink_to(outside)
    assert values(collect(root))["ci.providers"] == []


def test_provider_of_paths():
    assert [
        provider_of(p)
        for p in (
            ".github/workflows/a.yaml",
            ".github/workflows/sub/a.yml",
            ".gitlab-ci.yml",
            ".circleci/config.yml",
            "azure-pipelines.yml",
            "ci/Jenkinsfile",
            "x.yml",
        )
    ] == ["github", None, "gitlab", "circleci", "azure", "jenkins", None]


def test_the_collector_produces_only_declared_keys(corpus, tmp_path):
    write_files(
        tmp_path,
        {
            ".github/workflows/a.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: pytest "
            "--cov-fail-under=90 || true\n",
            "Jenkinsfile": "x",
        },
    )
    produced = {f.key for f in collect(tmp_path)}
    for folder, provider in FOLDERS.items():
        for path in corpus_files(corpus, f"ci/{folder}"):
            produced |= {f.key for f in summarize([read_pipeline(decode(path.read_bytes()), path.name, provider)])}
    assert produced <= set(CIConfigCollector.keys)


def test_a_yaml_alias_bomb_does_not_explode(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    write_files(
        tmp_path,
        {
            ".github/workflows/bomb.yml": bomb + "on: push\njobs:\n  t:\n    name: *i\n    steps:\n      - run: *i\n",
            ".gitlab-ci.yml": bomb + "t:\n  script: *i\n  needs: *i\n  only: *i\n",
            "azure-pipelines.yml": bomb
            + "steps:\n  - task: Docker@2\n    displayName: *i\n    inputs: {command: *i}\n",
        },
    )
    started = time.monotonic()
    facts = collect(tmp_path)
    assert time.monotonic() - started < 5
    refused = {(f.key, f.path) for f in facts if f.is_error and "alias bomb" in f.error}  # issue 15 item 6
    assert refused == {
        ("ci.config.unparsed", p) for p in (".github/workflows/bomb.yml", ".gitlab-ci.yml", "azure-pipelines.yml")
    }


def test_timm_marker_matrix_runs_forked_pytest(corpus):
    s = corpus_summary(corpus, "huggingface__pytorch-image-models__.github__workflows__tests.yml")
    assert s["ci.runs_tests"] is True and s["ci.triggers"] == ["pull_request", "push"]
    assert any("pytest" in m.text and "--forked" in m.text for j in s["pipeline"].jobs for m in j.matches())
