"""Secrets planted in a scanned repository and in the API collectors' environment appear in no output.

The repository's config files hold passwords, tokens and URLs with credentials;
the portfolio's API URLs carry user:password@; GITHUB_TOKEN, GITLAB_TOKEN,
MLFLOW_TRACKING_TOKEN and a portfolio-named token variable hold tokens that are
really sent to loopback replay servers. Then every way out is searched: the
database file and its write-ahead log, the scan cache, stdout and stderr of
every command, the web pages and API of a running `mldebt serve` and its log,
the PDF report (as text), every export format, SARIF, Markdown and the badge.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.cli.main import cli
from mldebt.rubric.schema import load_rubric

from .ci_replays import github_routes, gitlab_routes
from .conftest import git, write_files
from .replay_server import replay
from .servers import free_port, wait_until_serving

pytestmark = [pytest.mark.slow]

PLACES = [
    "dotenv_key",
    "dotenv_password",
    "dotenv_uri",
    "yaml_password",
    "yaml_url",
    "yaml_token",
    "gha_env",
    "gha_curl",
    "gitlab_var",
    "gitlab_script",
    "jenkins_env",
    "jenkins_sh",
    "dvc_url",
    "dvc_password",
    "dvc_secret_key",
    "dvc_local_password",
    "dvc_stage_cmd",
    "dvc_file_remote",
    "feast_password",
    "feast_connection",
    "feast_offline",
    "code_tracking_uri",
    "code_api_key",
    "notebook_token",
    "am_smtp",
    "am_slack",
    "am_webhook",
    "rule_runbook",
    "req_index",
    "req_git",
    "mlproject_uri",
    "portfolio_mlflow",
    "portfolio_prometheus",
    "portfolio_alertmanager",
    "portfolio_git_url",
    "live_alertmanager",
    "mlflow_source",
    "env_github",
    "env_gitlab",
    "env_mlflow",
    "env_custom",
]


def planted() -> dict[str, str]:
    return {place: f"zq{secrets.token_hex(12)}" for place in PLACES}


def repository(root: Path, s: dict[str, str]) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit = "a" * 40
    write_files(
        repo,
        {
            ".env": f"API_KEY={s['dotenv_key']}\nDB_PASSWORD={s['dotenv_password']}\n"
            f"MLFLOW_TRACKING_URI=http://ml:{s['dotenv_uri']}@mlflow.example.com\n",
            "config.yaml": f"model:\n  lr: 0.1\n  seed: 7\ndatabase:\n  host: db\n  password: {s['yaml_password']}\n"
            f"  url: postgresql://admin:{s['yaml_url']}@db:5432/x\napi_token: {s['yaml_token']}\n",
            ".github/workflows/ci.yml": f"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    env:\n"
            f"      API_TOKEN: {s['gha_env']}\n    steps:\n      - uses: actions/checkout@v4\n"
            "      - run: pip install -r requirements.txt\n"
            "      - run: pytest --junitxml=report.xml --cov=src --cov-fail-under=80\n"
            f"      - run: curl -H 'Authorization: Bearer {s['gha_curl']}' https://x.example.com\n",
            ".gitlab-ci.yml": f"variables:\n  PASSWORD: {s['gitlab_var']}\ntest:\n  script:\n    - pytest\n"
            f"    - ./deploy --token {s['gitlab_script']}\n",
            "Jenkinsfile": f"pipeline {{\n  agent any\n  environment {{\n    TOKEN = '{s['jenkins_env']}'\n  }}\n"
            f"  stages {{\n    stage('Test') {{\n      steps {{\n        sh 'pytest --token={s['jenkins_sh']}'\n"
            "      }\n    }\n  }\n}\n",
            ".dvc/config": f"[core]\n    remote = storage\n['remote \"storage\"']\n"
            f"    url = https://dvcuser:{s['dvc_url']}@dvc.example.com/store\n"
            f"    password = {s['dvc_password']}\n    secret_access_key = {s['dvc_secret_key']}\n",
            ".dvc/config.local": f"['remote \"storage\"']\n    user = dvcuser\n    password = {s['dvc_local_password']}\n",
            "dvc.yaml": f"stages:\n  train:\n    cmd: python train.py --api-key {s['dvc_stage_cmd']}\n"
            "    deps:\n      - data/raw.csv\n      - train.py\n    outs:\n      - model.pkl\n",
            "data/raw.csv.dvc": f"outs:\n  - md5: d41d8cd98f00b204e9800998ecf8427e\n    path: raw.csv\n"
            f"    remote: https://u:{s['dvc_file_remote']}@dvc.example.com/x\n",
            "features/feature_store.yaml": f"project: leaky\nregistry: data/registry.db\nprovider: local\nonline_store:\n"
            f"  type: postgres\n  host: db\n  password: {s['feast_password']}\n"
            f"  connection_string: postgresql://feast:{s['feast_connection']}@db:5432/feast\n"
            f"offline_store:\n  type: snowflake.offline\n  password: {s['feast_offline']}\n",
            "features/defs.py": "from feast import Entity, FeatureView, Field\n"
            "driver = Entity(name='driver', join_keys=['driver_id'])\n"
            "stats = FeatureView(name='stats', entities=[driver], schema=[Field(name='rate', dtype=1)])\n",
            "train.py": "import mlflow\nimport random\nrandom.seed(0)\n"
            f"mlflow.set_tracking_uri('http://mluser:{s['code_tracking_uri']}@mlflow.example.com')\n"
            f"API_KEY = '{s['code_api_key']}'\n\n\ndef main():\n    features = ['stats:rate']\n    return features\n",
            "MLproject": f"name: leaky\nentry_points:\n  main:\n    parameters:\n      uri: {{type: string, default: "
            f"'http://u:{s['mlproject_uri']}@mlflow.example.com'}}\n    command: python train.py\n",
            "notebooks/explore.ipynb": '{"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, '
            f'"source": ["token = \\"{s["notebook_token"]}\\"\\n", "print(token)"], '
            f'"outputs": [{{"output_type": "stream", "name": "stdout", "text": ["{s["notebook_token"]}"]}}]}}], '
            '"metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
            "monitoring/alertmanager.yml": f"global:\n  smtp_auth_password: {s['am_smtp']}\n"
            f"  slack_api_url: https://hooks.slack.com/services/T0/B0/{s['am_slack']}\n"
            "route:\n  receiver: ml\nreceivers:\n  - name: ml\n    webhook_configs:\n"
            f"      - url: http://u:{s['am_webhook']}@hooks.example.com/x\n",
            "monitoring/alerts.yml": "groups:\n  - name: ml\n    rules:\n      - alert: PredictionDrift\n"
            "        expr: model_drift_score > 0.3\n        annotations:\n"
            f"          runbook: https://u:{s['rule_runbook']}@wiki.example.com/drift\n",
            "requirements.txt": f"numpy==1.26.4\n--extra-index-url https://pypiuser:{s['req_index']}@pypi.example.com/simple\n"
            f"private @ git+https://oauth2:{s['req_git']}@gitlab.example.com/x.git@{commit}\n",
            "tests/test_train.py": "from train import main\n\n\ndef test_main():\n    assert main()\n",
            "report.xml": '<testsuite name="t" tests="1" failures="0"><testcase name="a"/></testsuite>',
        },
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial", date="2026-11-01T00:00:00+00:00")
    return repo


def api_routes(base: str, s: dict[str, str]) -> dict:
    model = {"name": "m", "aliases": [{"alias": "champion", "version": "1"}]}
    version = {
        "name": "m",
        "version": "1",
        "creation_timestamp": 1762000000000,
        "current_stage": "Production",
        "run_id": "r1",
        "source": f"s3://u:{s['mlflow_source']}@bucket/model",
    }
    routes = {
        **github_routes(base),
        **gitlab_routes(),
        "/api/2.0/mlflow/registered-models/search": lambda r: (200, {}, {"registered_models": [model]}),
        "/api/2.0/mlflow/model-versions/search": lambda r: (200, {}, {"model_versions": [version]}),
        "/api/2.0/mlflow/experiments/search": lambda r: (200, {}, {"experiments": []}),
        "/api/v1/rules": lambda r: (200, {}, {"status": "success", "data": {"groups": []}}),
        "/api/v1/alerts": lambda r: (200, {}, {"status": "success", "data": {"alerts": []}}),
        "/api/v2/status": lambda r: (
            200,
            {},
            {
                "config": {
                    "original": (
                        f"global:\n  smtp_auth_password: {s['live_alertmanager']}\nroute:\n  receiver: x\n"
                        "receivers:\n  - name: x\n"
                    )
                }
            },
        ),
    }
    return routes


def portfolio(root: Path, url: str, s: dict[str, str]) -> Path:
    host = url.removeprefix("http://")
    path = root / "portfolio.yaml"
    path.write_text(f"""portfolio: secrets
teams:
  - name: Leaks
    projects:
      - name: leaky
        repo: repo
        ci: {{provider: github, repository: acme/ranker, api_url: "{url}", results: [report.xml]}}
        monitoring:
          prometheus_url: "http://prom:{s["portfolio_prometheus"]}@{host}/"
          alertmanager_url: "http://am:{s["portfolio_alertmanager"]}@{host}/"
        registries:
          mlflow_url: "http://mluser:{s["portfolio_mlflow"]}@{host}/"
          models: [m]
          feature_store: features
      - name: leaky-gitlab
        repo: repo
        ci: {{provider: gitlab, repository: group/sub/proj, api_url: "{url}/api/v4", token_env: MLDEBT_CUSTOM_CI_TOKEN}}
        registries: {{mlflow_url: "{url}/", models: [m]}}
      - name: leaky-remote
        repo: "http://ci-bot:{s["portfolio_git_url"]}@{host}/acme/ranker.git"
""")
    return path


def mldebt(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("mldebt")), *args]


def test_no_planted_secret_appears_in_any_output(tmp_path):
    s = planted()
    repository(tmp_path, s)
    out = tmp_path / "out"
    out.mkdir()
    db = tmp_path / "leaks.db"
    cache = tmp_path / "cache"
    env = dict(
        os.environ,
        MLDEBT_CACHE=str(cache),
        GITHUB_TOKEN=s["env_github"],
        GITLAB_TOKEN=s["env_gitlab"],
        MLFLOW_TRACKING_TOKEN=s["env_mlflow"],
        MLDEBT_CUSTOM_CI_TOKEN=s["env_custom"],
        MLDEBT_PAGE_CACHE="0",
    )
    env.pop("MLDEBT_DEBUG", None)
    texts: dict[str, str] = {}
    timings: dict[str, float] = {}
    blobs: dict[str, bytes] = {}

    def run(name: str, *args: str, ok: tuple[int, ...] = (0,)) -> None:
        """`collect` as its own process (what a user runs); the read commands in-process, for time."""
        started = time.monotonic()
        if args[0] == "collect":
            result = subprocess.run(
                mldebt(*args, "--db", str(db)), env=env, capture_output=True, text=True, timeout=300
            )
            code, stdout, stderr = result.returncode, result.stdout, result.stderr
        else:
            invoked = CliRunner().invoke(cli, [*args, "--db", str(db)], env=env, catch_exceptions=False)
            code, stdout, stderr = invoked.exit_code, invoked.stdout, invoked.stderr
        assert code in ok, (name, stderr)
        texts[f"{name} stdout"], texts[f"{name} stderr"] = stdout, stderr
        timings[name] = time.monotonic() - started

    with replay({}) as server:
        server.routes.update(api_routes(server.url, s))
        pf = portfolio(tmp_path, server.url, s)
        run("collect", "collect", str(pf), ok=(2,))  # leaky-remote cannot be cloned: exit 2, the others stored
        reader = sqlite3.connect(db)  # held open, so the next collect's write-ahead log stays on disk
        reader.execute("select count(*) from scans").fetchone()
        run("collect again", "collect", str(pf), "--project", "leaky")
        blobs["write-ahead log"] = (tmp_path / "leaks.db-wal").read_bytes()
        sent = {r.headers.get("authorization", "") for r in server.requests}
    reader.close()
    # the tokens were used (an URL's own user:password@ is sent as basic auth instead)
    assert f"Bearer {s['env_github']}" in sent and f"Bearer {s['env_mlflow']}" in sent
    assert any(s["env_custom"] in header for header in sent)
    assert any(r.path.startswith("/api/v4/") for r in server.requests)
    assert "cannot clone" in texts["collect stderr"]  # and the message carries no credential (checked below)

    run("score", "score")
    run("show", "show", "leaky")
    run("show json", "show", "leaky", "--json")
    for check in load_rubric().checks:
        run(f"explain {check.id}", "explain", "leaky", check.id)
    run("report", "report", "-o", str(out / "report.pdf"))
    texts["report pdf"] = subprocess.run(
        ["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    for fmt in ("csv", "jira", "github", "markdown", "json"):
        run(f"export {fmt}", "export", "backlog", "--format", fmt, "-o", str(out / f"backlog.{fmt}"))
    run(
        "check",
        "check",
        "leaky",
        "--sarif",
        str(out / "gate.sarif"),
        "--markdown",
        str(out / "gate.md"),
        "--badge",
        str(out / "badge.svg"),
        "--fail-under-grade",
        "A",
        ok=(0, 1),
    )
    for path in out.iterdir():
        blobs[f"file {path.name}"] = path.read_bytes()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_proc = subprocess.Popen(
        mldebt("serve", "--port", str(port), "--db", str(db)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_serving(base, server_proc)
        pages = [
            "/",
            "/teams/leaks",
            "/projects/leaky",
            "/projects/leaky-gitlab",
            "/backlog",
            "/backlog.json",
            "/backlog.csv",
            "/checks",
            "/projects/leaky/compare",
            "/api/v1/portfolio",
            "/api/v1/projects",
            "/api/v1/projects/leaky",
            "/api/v1/projects/leaky/scans",
            "/api/v1/backlog",
            "/api/v1/checks",
        ]
        for check in load_rubric().checks:  # each check's page shows the evidence behind it
            pages += [f"/projects/leaky/checks/{check.id}", f"/api/v1/projects/leaky/checks/{check.id}"]
        started = time.monotonic()
        for page in pages:
            with urllib.request.urlopen(base + page, timeout=60) as response:
                assert response.status == 200, page
                texts[f"page {page}"] = response.read().decode("utf-8", "replace")
        timings["pages"] = time.monotonic() - started
    finally:
        server_proc.terminate()
        texts["serve stdout"], texts["serve stderr"] = server_proc.communicate(timeout=60)

    blobs["database"] = db.read_bytes()
    for path in sorted(cache.rglob("*")):
        if path.is_file() and path.relative_to(cache).parts[0] != "trees":  # trees: the checked-out repository itself
            blobs[f"cache {path.relative_to(cache)}"] = path.read_bytes()
    assert len(blobs["database"]) > 50_000 and texts["report pdf"].strip()

    leaks = sorted(
        {(place, where) for place, secret in s.items() for where, text in texts.items() if secret in text}
        | {(place, where) for place, secret in s.items() for where, data in blobs.items() if secret.encode() in data}
    )
    if os.environ.get("MLDEBT_LEAKS_TO"):
        Path(os.environ["MLDEBT_LEAKS_TO"]).write_text("\n".join(f"{a}\t{b}" for a, b in leaks) + f"\n{timings}")
    assert leaks == []


def test_the_redaction_helper_takes_out_every_url_credential_and_nothing_else():
    from mldebt.redact import without_credentials

    assert (
        without_credentials("see http://u:p4ss@host:8080/x and s3+https://key@b/y, git@github.com:o/r.git")
        == "see http://host:8080/x and s3+https://b/y, git@github.com:o/r.git"
    )
    assert without_credentials({"url": ["postgresql://feast:pw@db/f"], "n": 3, "https://a:b@c": None}) == {
        "url": ["postgresql://db/f"],
        "n": 3,
        "https://c": None,
    }
    assert (
        without_credentials("mailto:ml@example.com https://host/path@v2 'https://x:y@h'")
        == "mailto:ml@example.com https://host/path@v2 'https://h'"
    )


@pytest.mark.parametrize(
    "text,shown",
    [
        ("pytest --token=abc123", "pytest --token=<redacted>"),
        ("./deploy --token abc", "./deploy --token <redacted>"),
        ('python train.py --api-key "k3y"', "python train.py --api-key <redacted>"),
        ("TOKEN=xyz pytest", "TOKEN=<redacted> pytest"),
        ("aws --secret-access-key=AKIA1 s3 ls", "aws --secret-access-key=<redacted> s3 ls"),
        ("GITHUB_TOKEN", "GITHUB_TOKEN"),
        ("pytest -k test_token", "pytest -k test_token"),
        ("tokens: 5", "tokens: 5"),
    ],
)
def test_a_command_lines_secret_values_never_leave_a_fact(text, shown):
    from mldebt.redact import without_credentials

    assert without_credentials(text) == shown
    assert without_credentials({"step": text, "hops": [text]}) == {"step": shown, "hops": [shown]}
