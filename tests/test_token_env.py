"""ci.token_env and ci.api_url (issue 15 item 5): no portfolio can send an arbitrary secret anywhere.

Before, `token_env: AWS_SECRET_ACCESS_KEY` with any `api_url`, plain http
included, sent that variable's value as a Bearer token. Now only the providers'
usual token variables or one named MLDEBT_..._TOKEN (never mldebt's own push token) may
be named, and the API must be https unless it is on this machine. The portfolio
refuses the setting with file, line and key; the collector refuses it too, for a
project whose sources did not come through the portfolio check.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mldebt.collectors.ci.history import CIHistoryCollector
from mldebt.collectors.interface import Snapshot
from mldebt.errors import InputError
from mldebt.sources.portfolio import load_portfolio

from .ci_replays import AS_OF, github_routes
from .conftest import GIT_ENV, ROOT, git
from .replay_server import replay

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY0"  # the shape of an AWS secret access key
TOKEN = "ghp_ForTheCiApiOnly0123456789abcdefABCD"
MLDEBT = str(Path(sys.executable).with_name("mldebt"))


def portfolio(folder: Path, ci: str) -> Path:
    (folder / "repos" / "ranker").mkdir(parents=True, exist_ok=True)
    path = folder / "portfolio.yaml"
    path.write_text(f"""portfolio: Acme ML
teams:
  - name: Search
    projects:
      - name: ranker
        repo: repos/ranker
        ci:
          provider: github
          repository: acme/ranker
{ci}""")
    return path


def refused(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_portfolio(path)
    return [p.replace(f"{path}:", "FILE:") for p in info.value.problems]


@pytest.mark.parametrize(
    "name",
    [
        "AWS_SECRET_ACCESS_KEY",
        "HOME",
        "github_token",
        "MLDEBT_PUSH_TOKEN",
        "MLDEBT_SECRET_KEY",
        "MLDEBT_DB",
        "MLDEBT_GITHUB_PAT",
        "DATABASE_URL",
    ],
)
def test_a_variable_that_is_not_a_ci_token_is_refused_with_file_line_and_key(tmp_path, name):
    problems = refused(portfolio(tmp_path, f"          token_env: {name}\n"))
    assert len(problems) == 1
    assert problems[0].startswith(f"FILE:10:22: teams[0].projects[0].ci.token_env: '{name}' ")


def test_the_refusal_names_what_is_allowed(tmp_path):
    assert refused(portfolio(tmp_path, "          token_env: AWS_SECRET_ACCESS_KEY\n")) == [
        "FILE:10:22: teams[0].projects[0].ci.token_env: 'AWS_SECRET_ACCESS_KEY' may not be sent as an API token: "
        "name GITHUB_TOKEN, GH_TOKEN, GH_ENTERPRISE_TOKEN, GITLAB_TOKEN, GL_TOKEN, CI_JOB_TOKEN, or a variable of "
        "your own named MLDEBT_..._TOKEN"
    ]
    assert refused(portfolio(tmp_path, "          token_env: MLDEBT_PUSH_TOKEN\n")) == [
        "FILE:10:22: teams[0].projects[0].ci.token_env: 'MLDEBT_PUSH_TOKEN' is one of mldebt's own settings and "
        "is never sent to a CI API"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GH_ENTERPRISE_TOKEN",
        "GITLAB_TOKEN",
        "GL_TOKEN",
        "CI_JOB_TOKEN",
        "MLDEBT_CI_TOKEN",
        "MLDEBT_ACME_GHE_TOKEN",
    ],
)
def test_the_providers_token_variables_and_our_own_prefix_are_accepted(tmp_path, name):
    project = load_portfolio(portfolio(tmp_path, f"          token_env: {name}\n")).projects[0]
    assert project.sources["ci"]["token_env"] == name


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://example.com:443/api/v3",
        "http://10.0.0.7/api/v4",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "ftp://127.0.0.1",
        "https://",
        "api.github.com",
    ],
)
def test_an_api_url_that_is_not_https_or_this_machine_is_refused_with_file_line_and_key(tmp_path, url):
    assert refused(portfolio(tmp_path, f'          api_url: "{url}"\n')) == [
        "FILE:10:20: teams[0].projects[0].ci.api_url: must be an https:// URL; plain http is allowed only to "
        "this machine (localhost, 127.0.0.0/8, ::1)"
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://ghe.example.com/api/v3",
        "http://127.0.0.1:8080",
        "http://127.9.8.7/api/v4",
        "http://localhost:3000",
        "http://LOCALHOST",
        "http://[::1]:9000/api/v4",
    ],
)
def test_https_and_loopback_api_urls_are_accepted(tmp_path, url):
    project = load_portfolio(portfolio(tmp_path, f'          api_url: "{url}"\n')).projects[0]
    assert project.sources["ci"]["api_url"] == url


def test_none_of_mldebts_own_settings_can_be_named():
    """Every MLDEBT_ variable mldebt reads (a push token, the session key, ...) is refused, also ones added later."""
    from mldebt.sources.portfolio import token_env_problem

    names = {
        name
        for folder in ("mldebt", "collectors", "webapp", "rubric")
        for path in (ROOT / folder).rglob("*.py")
        for name in re.findall(r"\bMLDEBT_[A-Z0-9_]+\b", path.read_text())
    }
    assert {"MLDEBT_PUSH_TOKEN", "MLDEBT_SECRET_KEY", "MLDEBT_DB"} <= names
    assert not {name for name in names if token_env_problem(name) is None}


def collect(ci: dict) -> list:
    return list(
        CIHistoryCollector(timeout=(0.5, 2.0)).collect(
            Snapshot(project="p", root=Path("."), sources={"ci": ci}, as_of=AS_OF)
        )
    )


def test_the_collector_refuses_too_and_sends_nothing(monkeypatch):
    """Sources that did not come through the portfolio check (an older stored project): an error fact, no request."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with replay({}) as server:
        server.routes.update(github_routes(server.url))
        by_name = collect(
            {
                "provider": "github",
                "repository": "acme/ranker",
                "api_url": server.url,
                "token_env": "AWS_SECRET_ACCESS_KEY",
            }
        )
        assert server.requests == []
    assert [(f.key, f.error) for f in by_name] == [
        (
            "ci.history.error",
            "ci.token_env: 'AWS_SECRET_ACCESS_KEY' may not be sent as an API token: name "
            "GITHUB_TOKEN, GH_TOKEN, GH_ENTERPRISE_TOKEN, GITLAB_TOKEN, GL_TOKEN, CI_JOB_TOKEN, or a variable of your own "
            "named MLDEBT_..._TOKEN",
        )
    ]
    plain = collect({"provider": "github", "repository": "acme/ranker", "api_url": "http://example.com"})
    assert [(f.key, f.error) for f in plain] == [
        (
            "ci.history.error",
            "ci.api_url: must be an https:// URL; plain http is allowed only to this machine "
            "(localhost, 127.0.0.0/8, ::1)",
        )
    ]
    assert SECRET not in repr(by_name + plain) and TOKEN not in repr(by_name + plain)


def test_the_secret_never_reaches_a_server_through_mldebt_collect(tmp_path):
    """A real `mldebt collect`: refused before anything is sent; the allowed setting reaches the loopback API."""
    env = {
        **os.environ,
        **GIT_ENV,
        "MLDEBT_CACHE": str(tmp_path / "cache"),
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "MLDEBT_CI_TOKEN": TOKEN,
    }
    (tmp_path / "repos" / "ranker").mkdir(parents=True)
    git(tmp_path / "repos" / "ranker", "init", "-q")
    git(tmp_path / "repos" / "ranker", "commit", "-q", "--allow-empty", "-m", "start", date="2026-11-01T10:00:00+00:00")
    with replay({}) as server:
        server.routes.update(github_routes(server.url))
        bad = portfolio(tmp_path, f'          api_url: "{server.url}"\n          token_env: AWS_SECRET_ACCESS_KEY\n')
        result = subprocess.run(
            [MLDEBT, "collect", str(bad), "--db", str(tmp_path / "bad.db")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert result.stderr.splitlines() == [
            f"mldebt: error: {bad}:11:22: teams[0].projects[0].ci.token_env: 'AWS_SECRET_ACCESS_KEY' may not be "
            "sent as an API token: name GITHUB_TOKEN, GH_TOKEN, GH_ENTERPRISE_TOKEN, GITLAB_TOKEN, GL_TOKEN, "
            "CI_JOB_TOKEN, or a variable of your own named MLDEBT_..._TOKEN"
        ]
        assert server.requests == []
        good = portfolio(tmp_path, f'          api_url: "{server.url}"\n          token_env: MLDEBT_CI_TOKEN\n')
        result = subprocess.run(
            [MLDEBT, "collect", str(good), "--db", str(tmp_path / "good.db")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        sent = [value for request in server.requests for value in request.headers.values()]
    assert server.requests and {r.headers.get("authorization") for r in server.requests} == {f"Bearer {TOKEN}"}
    assert not [value for value in sent if SECRET in value]
    assert SECRET not in result.stdout + result.stderr
