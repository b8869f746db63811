"""The GitHub Action (action.yml): its metadata against GitHub's documented syntax, and its steps run here.

The steps run as the runner runs a composite action: each step's
``${{ inputs.x }}``, ``${{ github.x }}``, ``${{ runner.x }}``, ``${{ env.x }}``
and ``${{ steps.id.outputs.x }}`` expressions replaced by their values (a
composite action gets its inputs through expressions, not ``INPUT_*``
variables), the script run by ``bash --noprofile --norc -eo pipefail``, a
fresh ``$GITHUB_OUTPUT`` and ``$GITHUB_PATH`` per step, read back after it,
and the variables GitHub sets on a job. The server is a real `mldebt serve`
on loopback with a token bound to the project.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from .ci_local import BIN, Site, commit, ml_repo, scan_of_server, site  # noqa: F401 (site is a fixture)
from .conftest import ROOT
from .test_sarif import validator as sarif_validator

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())

# GitHub's "Metadata syntax for GitHub Actions", for a composite action, as a JSON schema.
NAME = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"}
METADATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "description", "runs"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "author": {"type": "string"},
        "description": {"type": "string", "minLength": 1},
        "branding": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "icon": {"type": "string"},
                "color": {
                    "enum": ["white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"]
                },
            },
        },
        "inputs": {
            "type": "object",
            "propertyNames": NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["description"],
                "additionalProperties": False,
                "properties": {
                    "description": {"type": "string", "minLength": 1},
                    "required": {"type": "boolean"},
                    "default": {"type": "string"},
                    "deprecationMessage": {"type": "string"},
                },
            },
        },
        "outputs": {
            "type": "object",
            "propertyNames": NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["description", "value"],
                "additionalProperties": False,
                "properties": {"description": {"type": "string", "minLength": 1}, "value": {"type": "string"}},
            },
        },
        "runs": {
            "type": "object",
            "required": ["using", "steps"],
            "additionalProperties": False,
            "properties": {
                "using": {"const": "composite"},
                "steps": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "oneOf": [{"required": ["run", "shell"]}, {"required": ["uses"], "not": {"required": ["run"]}}],
                        "properties": {
                            "id": NAME,
                            "name": {"type": "string"},
                            "if": {"type": "string"},
                            "run": {"type": "string"},
                            "shell": {"type": "string"},
                            "uses": {"type": "string"},
                            "with": {"type": "object"},
                            "env": {"type": "object", "additionalProperties": {"type": "string"}},
                            "working-directory": {"type": "string"},
                            "continue-on-error": {"type": ["boolean", "string"]},
                        },
                    },
                },
            },
        },
    },
}


def test_the_metadata_follows_githubs_syntax_and_a_broken_copy_does_not():
    jsonschema.Draft202012Validator.check_schema(METADATA_SCHEMA)
    jsonschema.validate(ACTION, METADATA_SCHEMA)
    assert set(ACTION["outputs"]) == {"grade", "score", "level", "passed", "scan-id", "scorecard-url", "sarif"}
    for broken in (
        lambda a: a["runs"]["steps"][1].pop("shell"),
        lambda a: a["runs"].update(using="node20"),
        lambda a: a["inputs"]["token"].pop("description"),
        lambda a: a["outputs"]["grade"].pop("value"),
        lambda a: a["inputs"]["server"].update(required="yes"),
        lambda a: a.pop("description"),
    ):
        copied = copy.deepcopy(ACTION)
        broken(copied)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(copied, METADATA_SCHEMA)


def test_the_install_step_installs_the_actions_own_checkout_or_the_given_spec_into_a_venv():
    install = next(s for s in ACTION["runs"]["steps"] if s["id"] == "install")
    assert install["if"] == "inputs.install != 'false'"
    assert install["env"] == {"MLDEBT_SPEC": "${{ inputs.version }}", "MLDEBT_ACTION_PATH": "${{ github.action_path }}"}
    lines = [line.strip() for line in install["run"].splitlines()]
    assert 'python3 -m venv "$venv"' in lines
    command = (
        '"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${MLDEBT_SPEC:-$MLDEBT_ACTION_PATH}"'
    )
    assert command in lines
    assert 'echo "$venv/bin" >> "$GITHUB_PATH"' in lines
    readme = (ROOT / "README.md").read_text()
    assert "pip install --quiet --disable-pip-version-check" in readme  # the README says what the step runs


# ---- running the steps --------------------------------------------------------------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONDITION = re.compile(r"^([\w.-]+)\s*(==|!=)\s*'([^']*)'$")


@dataclass
class Job:
    """The contexts one run of the action sees, and what its steps left."""

    inputs: dict[str, str]
    github: dict[str, str]
    runner: dict[str, str]
    env: dict[str, str]
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: str = ""

    def lookup(self, name: str) -> str:
        head, _, rest = name.partition(".")
        if head == "steps":
            step, _, output = rest.partition(".outputs.")
            return str(self.steps.get(step, {}).get("outputs", {}).get(output, ""))
        found = {"inputs": self.inputs, "github": self.github, "runner": self.runner, "env": self.env}[head]
        return str(found.get(rest, ""))

    def expand(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self.lookup(m.group(1)), text)

    def holds(self, condition: str) -> bool:
        found = CONDITION.match(condition.strip())
        assert found, f"the test's expander does not know the condition {condition!r}"
        equal = self.lookup(found.group(1)) == found.group(3)
        return equal if found.group(2) == "==" else not equal


def run_action(job: Job, work: Path) -> int:
    """Run the action's steps as the runner would; the exit status of the first step that failed, else 0."""
    path = job.env["PATH"]
    for number, step in enumerate(ACTION["runs"]["steps"]):
        if "if" in step and not job.holds(step["if"]):
            continue
        assert step["shell"] == "bash"
        script = work / f"step{number}.sh"
        script.write_text(job.expand(step["run"]))
        output, added_path = work / f"output{number}", work / f"path{number}"
        output.touch()
        added_path.touch()
        env = {
            **job.env,
            "PATH": path,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_PATH": str(added_path),
            **{k: job.expand(v) for k, v in step.get("env", {}).items()},
        }
        cwd = job.expand(step.get("working-directory", "${{ github.workspace }}"))
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=300,
        )
        job.log += done.stdout + done.stderr
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        job.steps[step.get("id", str(number))] = {"outputs": outputs}
        path = os.pathsep.join([*reversed(added_path.read_text().split()), path])
        if done.returncode != 0:
            return done.returncode
    return 0


def action_outputs(job: Job) -> dict[str, str]:
    return {name: job.expand(spec["value"]) for name, spec in ACTION["outputs"].items()}


def github_job(repo: Path, work: Path, **inputs: str) -> Job:
    """A job of repository acme/ranker at ``repo``'s HEAD, with the action's defaults under ``inputs``."""
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    work.mkdir(parents=True, exist_ok=True)
    temp = work / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary = work / "step-summary.md"
    summary.touch()
    github = {
        "workspace": str(repo),
        "sha": sha,
        "ref_name": "main",
        "repository": "acme/ranker",
        "server_url": "https://github.com",
        "run_id": "4242",
        "action_path": str(ROOT),
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MLDEBT_", "GITHUB_"))},
        "PATH": os.pathsep.join([str(BIN), os.environ["PATH"]]),  # mldebt set up by an earlier step: this one
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": github["workspace"],
        "GITHUB_SHA": sha,
        "GITHUB_REF_NAME": "main",
        "GITHUB_REPOSITORY": "acme/ranker",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(temp),
    }
    defaults = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    return Job({**defaults, "install": "false", **inputs}, github, {"temp": str(temp)}, env)


def test_the_actions_steps_push_the_scan_write_the_summary_sarif_and_outputs_and_gate(site: Site, tmp_path):  # noqa: F811 (the fixture)
    repo = ml_repo(tmp_path)
    first = github_job(repo, tmp_path / "run1", server=site.url, token=site.token, sarif="mldebt.sarif")
    assert run_action(first, tmp_path / "run1") == 0, first.log

    # stored and scored on the server, at the commit the job ran for
    outputs = action_outputs(first)
    ((scan_id, commit_sha),) = site.scans()
    assert outputs["scan-id"] == scan_id and commit_sha == first.github["sha"]
    stored = scan_of_server(site, scan_id)
    assert stored["grade"] == outputs["grade"] and stored["grade"] in "ABCDF"
    assert f"{stored['ml_test_score']:g}" == outputs["score"]
    assert outputs["level"] == (stored["level"] or "none")
    assert outputs["passed"] == "true"
    assert outputs["scorecard-url"] == f"{site.url}/projects/ranker"
    assert outputs["sarif"] == "mldebt.sarif"

    summary = Path(first.env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## mldebt check: ranker passed\n")
    assert "| Tier | Production, target " in summary
    assert "- note: no baseline scan: nothing to compare" in summary
    assert f"({site.url}/projects/ranker/checks/" in summary  # links to the server's pages
    assert summary.endswith(
        f"Scanned {first.github['sha'][:12]} on main in [run 4242](https://github.com/acme/ranker/actions/runs/4242).\n"
    )

    sarif = json.loads((repo / "mldebt.sarif").read_text())
    sarif_validator().validate(sarif)
    found = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in sarif["runs"][0]["results"]
    }
    assert ("debt-markers", "src/ranker/train.py") in found or any(uri == "src/ranker/train.py" for _, uri in found)

    # the next commit drops the tests: the gate fails on the level asked for and on the new failure, exit 1
    commit(repo, {"tests/test_train.py": None}, "no tests")
    second = github_job(
        repo,
        tmp_path / "run2",
        server=site.url,
        token=site.token,
        **{"fail-under-level": "gold", "fail-on-new-failures": "true"},
    )
    assert run_action(second, tmp_path / "run2") == 1, second.log
    assert len(site.scans()) == 2
    outputs = action_outputs(second)
    assert outputs["passed"] == "false" and outputs["sarif"] == ""
    assert "  fail: level " in second.log and " held is below Gold" in second.log
    assert "check(s) fail that did not fail in scan " in second.log
    assert "::error title=mldebt gate::ranker fell below the gate" in second.log
    summary = Path(second.env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## mldebt check: ranker failed\n")
    assert "| regressed | [" in summary or "| newly failing | [" in summary

    # a level the rubric does not have is bad input (exit 2), named as the option
    third = github_job(repo, tmp_path / "run3", server=site.url, token=site.token, **{"fail-under-level": "platinum"})
    assert run_action(third, tmp_path / "run3") == 2
    assert "parameter level 'platinum': expected one of the rubric's levels (bronze, silver, gold)" in third.log

    for job in (first, second, third):
        assert site.token not in job.log
        assert site.token not in Path(job.env["GITHUB_STEP_SUMMARY"]).read_text()
        for step in job.steps.values():
            assert site.token not in json.dumps(step)


def test_a_server_that_cannot_be_reached_fails_the_job_with_a_clear_message(site: Site, tmp_path):  # noqa: F811 (the fixture)
    repo = ml_repo(tmp_path)
    site.process.terminate()
    site.process.wait(timeout=30)
    job = github_job(repo, tmp_path / "run", server=site.url, token=site.token)
    job.env.update(MLDEBT_PUSH_RETRIES="1", MLDEBT_PUSH_BACKOFF="0.05")
    assert run_action(job, tmp_path / "run") == 2
    assert f"mldebt: error: cannot push ranker to {site.url}/api/v1/scans: connection refused" in job.log
    assert f"::error title=mldebt::the scan of ranker was not stored on {site.url}" in job.log
    assert "gate" not in job.steps  # no verdict, no outputs: the job did not pass
    assert site.token not in job.log
