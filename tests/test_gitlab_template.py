"""The GitLab CI template (ci/mldebt.gitlab-ci.yml): its jobs' shape, and its script run here with bash.

The script lines run as one shell script (as GitLab's runner joins them,
under ``set -eo pipefail``) with GitLab's predefined variables, the job's
variables expanded as GitLab expands them, and the CI/CD variables a project
sets (MLDEBT_SERVER, MLDEBT_TOKEN), against a real `mldebt serve` on
loopback. The Code Quality report is checked against a schema written from
GitLab's documented format ("Code Quality report format": an array of issues
with description, check_name, fingerprint, severity and location.path /
location.lines.begin).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from .ci_local import BIN, Site, commit, ml_repo, scan_of_server, site  # noqa: F401 (site is a fixture)
from .conftest import ROOT
from .test_sarif import validator as sarif_validator

TEMPLATE = yaml.safe_load((ROOT / "ci" / "mldebt.gitlab-ci.yml").read_text())

CODE_QUALITY_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "not": {"pattern": "^(/|\\./)"}},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def test_the_template_has_a_hidden_job_a_job_extending_it_and_the_reports():
    hidden, job = TEMPLATE[".mldebt"], TEMPLATE["mldebt"]
    assert job["extends"] == ".mldebt"
    assert job["rules"] == [{"if": "$MLDEBT_SERVER && $MLDEBT_TOKEN"}]
    assert "MLDEBT_SERVER" not in hidden["variables"] and "MLDEBT_TOKEN" not in hidden["variables"]  # CI/CD vars
    assert hidden["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json"}
    assert hidden["artifacts"]["when"] == "always"
    assert set(hidden["artifacts"]["paths"]) == {"mldebt-summary.md", "mldebt.sarif", "gl-code-quality-report.json"}
    assert all(isinstance(line, str) for line in hidden["script"])
    assert 'export MLDEBT_PUSH_TOKEN="$MLDEBT_TOKEN"' in hidden["script"]  # to mldebt by the environment only


def test_the_code_quality_schema_check_can_fail():
    good = [
        {
            "description": "d",
            "check_name": "c",
            "fingerprint": "f",
            "severity": "minor",
            "location": {"path": "a.py", "lines": {"begin": 3}},
        }
    ]
    jsonschema.validate(good, CODE_QUALITY_SCHEMA)
    for change in (
        lambda i: i.update(severity="warning"),
        lambda i: i["location"]["lines"].update(begin=0),
        lambda i: i.pop("fingerprint"),
        lambda i: i["location"].update(path="/abs/a.py"),
    ):
        broken = json.loads(json.dumps(good))
        change(broken[0])
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, CODE_QUALITY_SCHEMA)


VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")


def gitlab_env(repo: Path, server: Site, **variables: str) -> dict[str, str]:
    """GitLab's predefined variables for a pipeline of acme/ranker, the project's CI/CD variables, and the job's
    variables expanded against them (as GitLab does), ``variables`` overriding the template's."""
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MLDEBT_", "CI_", "GITLAB_"))},
        "PATH": os.pathsep.join([str(BIN), os.environ["PATH"]]),  # the image's mldebt (MLDEBT_INSTALL: false)
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PROJECT_DIR": str(repo),
        "CI_PROJECT_NAME": "ranker",
        "CI_PROJECT_PATH": "acme/ranker",
        "CI_SERVER_URL": "https://gitlab.example.com",
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_REF_NAME": "main",
        "CI_PIPELINE_URL": "https://gitlab.example.com/acme/ranker/-/pipelines/77",
        "MLDEBT_SERVER": server.url,  # CI/CD variables of the project
        "MLDEBT_TOKEN": server.token,
    }
    for name, value in {**TEMPLATE[".mldebt"]["variables"], "MLDEBT_INSTALL": "false", **variables}.items():
        env[name] = VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), ""), str(value))
    return env


def run_job(env: dict[str, str], work: Path) -> subprocess.CompletedProcess:
    """The job's script lines, joined into one script as the runner does, run by bash in the project folder."""
    work.mkdir(parents=True, exist_ok=True)
    script = work / "job.sh"
    script.write_text("set -eo pipefail\n" + "\n".join(TEMPLATE[".mldebt"]["script"]) + "\n")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", str(script)],
        env=env,
        cwd=env["CI_PROJECT_DIR"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_templates_script_pushes_the_scan_and_writes_code_quality_sarif_and_summary(site: Site, tmp_path):  # noqa: F811 (the fixture)
    repo = ml_repo(tmp_path)
    first = run_job(gitlab_env(repo, site), tmp_path / "job1")
    assert first.returncode == 0, first.stdout + first.stderr
    ((scan_id, commit_sha),) = site.scans()
    stored = scan_of_server(site, scan_id)
    assert commit_sha == gitlab_env(repo, site)["CI_COMMIT_SHA"] and stored["grade"] in "ABCDF"
    assert f"ranker: grade {stored['grade']} " in first.stdout and ": passed" in first.stdout

    report = json.loads((repo / "gl-code-quality-report.json").read_text())
    jsonschema.validate(report, CODE_QUALITY_SCHEMA)
    assert report, "the TODO in src/ranker/train.py is behind a check that is not fully met"
    assert {i["location"]["path"] for i in report} <= {"src/ranker/train.py", "tests/test_train.py", "requirements.txt"}
    assert len({i["fingerprint"] for i in report}) == len(report)  # GitLab shows one issue per fingerprint
    sarif_validator().validate(json.loads((repo / "mldebt.sarif").read_text()))
    summary = (repo / "mldebt-summary.md").read_text()
    assert summary.startswith("## mldebt check: ranker passed\n")
    assert summary.endswith(
        f"Scanned {commit_sha} on main of [acme/ranker](https://gitlab.example.com/acme/ranker) in "
        "[pipeline](https://gitlab.example.com/acme/ranker/-/pipelines/77).\n"
    )

    # the same tree scanned again: a second scan on the server, the same fingerprints
    again = run_job(gitlab_env(repo, site), tmp_path / "job2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(site.scans()) == 2
    second = json.loads((repo / "gl-code-quality-report.json").read_text())
    assert [i["fingerprint"] for i in second] == [i["fingerprint"] for i in report]
    assert second == report

    # a gate the project is below: exit 1, the report and summary still written
    commit(repo, {"gl-code-quality-report.json": None, "mldebt.sarif": None, "mldebt-summary.md": None}, "clean")
    failed = run_job(gitlab_env(repo, site, MLDEBT_FAIL_UNDER_LEVEL="gold"), tmp_path / "job3")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert " held is below Gold" in failed.stdout
    assert (repo / "mldebt-summary.md").read_text().startswith("## mldebt check: ranker failed\n")
    jsonschema.validate(json.loads((repo / "gl-code-quality-report.json").read_text()), CODE_QUALITY_SCHEMA)
    for job in (first, again, failed):
        assert site.token not in job.stdout + job.stderr


def test_without_a_server_the_job_fails_saying_so(site: Site, tmp_path):  # noqa: F811 (the fixture)
    repo = ml_repo(tmp_path)
    site.process.terminate()
    site.process.wait(timeout=30)
    env = gitlab_env(repo, site, MLDEBT_PUSH_RETRIES="1", MLDEBT_PUSH_BACKOFF="0.05")
    done = run_job(env, tmp_path / "job")
    assert done.returncode == 2
    assert f"mldebt: error: cannot push ranker to {site.url}/api/v1/scans: connection refused" in done.stderr
    assert f"mldebt: the scan of ranker was not stored on {site.url}" in done.stdout
    assert not (repo / "gl-code-quality-report.json").exists()
    assert site.token not in done.stdout + done.stderr
