"""Issue 19 item 3: `mldebt portfolio import` from a CSV file, a GitHub organisation and a GitLab group.

GitHub's and GitLab's APIs are replayed on a loopback server from the listings in
tests/data/forges/ (their documented formats; see the README there), page by
page through the headers each forge sends. The tokens made for the imported
projects are pushed with by a real `mldebt collect --push` to a real `mldebt serve`.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from mldebt.cli.main import cli
from mldebt.onboarding.entries import repo_key
from mldebt.onboarding.portfolio_file import merge

from .conftest import GIT_ENV, ROOT
from .replay_server import ReplayServer, Request, replay
from .servers import MLDEBT, make_repos, serve

FORGES = ROOT / "tests" / "data" / "forges"
GITHUB_SECRET = "ghp_" + "s3cr3tV4lue" * 3
GITLAB_SECRET = "glpat-" + "N0tF0rY0urEyes" * 2


def page(name: str) -> list[dict[str, Any]]:
    return json.loads((FORGES / name).read_text())


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def notes(result: Result) -> list[str]:
    return result.stderr.splitlines()


# ---- GitHub -------------------------------------------------------------------------------------------------------


def github_org(server: ReplayServer, limited: dict[int, list[dict[str, str]]] | None = None) -> None:
    """acme-ml's 8 repositories on 3 pages; ``limited`` maps a page to the rate-limit answers given before it."""
    pending = {n: list(answers) for n, answers in (limited or {}).items()}
    later = f"{server.url}/organizations/91000001/repos"  # GitHub's own next links name the organisation by id

    def listing(request: Request) -> tuple[int, dict[str, str], Any]:
        n = int(request.query.get("page", ["1"])[0])
        if pending.get(n):
            headers = pending[n].pop(0)
            return 403, headers, {"message": "API rate limit exceeded for user ID 1.", "status": "403"}
        links = [f'<{later}?per_page=100&page={n + 1}>; rel="next"'] if n < 3 else []
        links += [f'<{later}?per_page=100&page=3>; rel="last"'] if n < 3 else []
        links += [f'<{later}?per_page=100&page={n - 1}>; rel="prev"'] if n > 1 else []
        headers = {"Link": ", ".join(links), "x-ratelimit-limit": "5000", "x-ratelimit-remaining": str(4990 - n)}
        return 200, headers, page(f"github-orgs-acme-ml-repos-page{n}.json")

    server.routes.update({"/orgs/acme-ml/repos": listing, "/organizations/91000001/repos": listing})


def test_a_github_organisation_is_imported_page_by_page_without_archives_forks_or_the_token(tmp_path):
    target = tmp_path / "portfolio.yaml"
    with replay({}) as server:
        github_org(server)
        result = run(
            "portfolio",
            "import",
            str(target),
            "--github",
            "acme-ml",
            "--api-url",
            server.url,
            env={"GITHUB_TOKEN": GITHUB_SECRET},
        )
    assert result.exit_code == 0, result.output
    assert [(r.path, r.query.get("page")) for r in server.requests] == [
        ("/orgs/acme-ml/repos", None),
        ("/organizations/91000001/repos", ["2"]),
        ("/organizations/91000001/repos", ["3"]),
    ]
    assert server.requests[0].query == {"per_page": ["100"]}
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {GITHUB_SECRET}"}
    assert notes(result) == [
        "mldebt: GitHub acme-ml: page 1, 3 repositories",
        "mldebt: GitHub acme-ml: page 2, 3 repositories",
        "mldebt: GitHub acme-ml: page 3, 2 repositories",
        *[
            f"mldebt: added {n}"
            for n in ("ranker", "churn-model", "feature-store", "github", "fraud-detector", "docs-site")
        ],
        f"mldebt: imported 6 projects into {target}, skipped 2 (1 archived, 1 a fork)",
    ]
    assert result.stdout == ""
    written = target.read_text()
    assert GITHUB_SECRET not in written + result.output
    assert written.startswith("# The portfolio: teams, their projects and where each project's evidence lives")
    data = yaml.safe_load(written)
    assert data["portfolio"] == "acme-ml"
    assert [t["name"] for t in data["teams"]] == ["acme-ml"]
    projects = data["teams"][0]["projects"]
    assert projects[0] == {
        "name": "ranker",
        "repo": "https://github.com/acme-ml/ranker.git",
        "tags": ["ml", "search"],
        "description": "Learning-to-rank service for search results",
        "ci": {"provider": "github", "repository": "acme-ml/ranker", "api_url": server.url},
    }
    assert projects[3]["name"] == "github" and projects[3]["repo"] == "https://github.com/acme-ml/.github.git"
    assert "tags" not in projects[3]  # no topics, no empty list
    # the file is written to be read: lists indented under their key, a project's short values on one line
    assert "teams:\n  - name: acme-ml\n    projects:\n      - name: ranker\n" in written
    assert "        tags: [ml, search]\n" in written
    assert f"        ci: {{provider: github, repository: acme-ml/ranker, api_url: '{server.url}'}}\n" in written


def test_github_filters_choose_by_topic_and_name_and_take_archives_and_forks_when_asked(tmp_path):
    target = tmp_path / "portfolio.yaml"
    with replay({}) as server:
        github_org(server)
        by_topic = run(
            "portfolio",
            "import",
            str(target),
            "--github",
            "acme-ml",
            "--api-url",
            server.url,
            "--topic",
            "ml",
            "--match",
            "*e*",
            "--include-archived",
            "--include-forks",
            "--team",
            "Machine Learning",
            "--tier",
            "production",
            "--dry-run",
        )
        assert by_topic.exit_code == 0, by_topic.output
        assert not target.exists()
        assert notes(by_topic)[3:] == [
            *[
                f"mldebt: would add {n}"
                for n in ("ranker", "churn-model", "old-pipeline", "feature-store", "fraud-detector")
            ],
            f"mldebt: would import 5 projects into {target}, skipped 3 (3 not matching the filters)",
        ]
        done = run(
            "portfolio",
            "import",
            str(target),
            "--github",
            "acme-ml",
            "--api-url",
            server.url,
            "--topic",
            "ml",
            "--team",
            "Machine Learning",
            "--tier",
            "production",
        )
    assert done.exit_code == 0, done.output
    data = yaml.safe_load(target.read_text())
    team = data["teams"][0]
    assert team["name"] == "Machine Learning"
    assert [(p["name"], p["tier"]) for p in team["projects"]] == [
        ("ranker", "production"),
        ("churn-model", "production"),
        ("feature-store", "production"),
        ("fraud-detector", "production"),
    ]
    assert notes(done)[-1] == (
        f"mldebt: imported 4 projects into {target}, skipped 4 (1 archived, 1 a fork, 2 not matching the filters)"
    )
    assert "authorization" not in server.requests[0].headers  # no GITHUB_TOKEN set: none sent


def test_a_short_github_rate_limit_is_waited_out_and_a_long_one_fails_with_the_reset_time(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_SECRET)
    target = tmp_path / "portfolio.yaml"
    soon = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 1)}
    with replay({}) as server:
        secondary = {"retry-after": "1", "x-ratelimit-remaining": "4000"}  # GitHub's secondary rate limit
        github_org(server, {2: [soon], 3: [secondary]})
        started = time.monotonic()
        result = run("portfolio", "import", str(target), "--github", "acme-ml", "--api-url", server.url)
        took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert [r.query.get("page") for r in server.requests] == [None, ["2"], ["2"], ["3"], ["3"]]
    waits = [line for line in notes(result) if "rate limit" in line]
    assert len(waits) == 2 and re.fullmatch(
        r"mldebt: GitHub's rate limit is reached; waiting [12] s for it to reset", waits[0]
    ), waits
    assert waits[1] == "mldebt: GitHub's rate limit is reached; waiting 1 s for it to reset"
    assert 1.5 < took < 10
    assert len(yaml.safe_load(target.read_text())["teams"][0]["projects"]) == 6

    later = int(time.time()) + 3600
    hour = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(later)}
    fresh = tmp_path / "other.yaml"
    with replay({}) as server:
        github_org(server, {1: [hour]})
        started = time.monotonic()
        failed = run("portfolio", "import", str(fresh), "--github", "acme-ml", "--api-url", server.url)
    assert failed.exit_code == 2
    assert time.monotonic() - started < 5  # no hour-long wait
    reset = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(later))
    assert failed.stderr == (
        f"mldebt: error: GitHub's API rate limit is used up until {reset} UTC (in about 60 minutes, longer than "
        "the 60 s this import waits); run the import again then, or let it wait longer with --max-wait SECONDS\n"
    )
    assert not fresh.exists()
    assert GITHUB_SECRET not in failed.output


def test_github_refusals_are_one_line_errors_without_the_token(tmp_path):
    with replay({"/orgs/nobody/repos": lambda r: (404, {}, {"message": "Not Found"})}) as server:
        result = run(
            "portfolio",
            "import",
            str(tmp_path / "p.yaml"),
            "--github",
            "nobody",
            "--api-url",
            server.url,
            env={"GITHUB_TOKEN": GITHUB_SECRET},
        )
        wrong = run(
            "portfolio", "import", str(tmp_path / "p.yaml"), "--github", "x", "--api-url", "http://forge.example.com"
        )
    assert result.exit_code == 2
    assert result.stderr == (
        "mldebt: error: GitHub has no organisation by that name, or the token cannot see it (HTTP 404): "
        f"HTTP 404 from {server.url}/orgs/nobody/repos\n"
    )
    assert GITHUB_SECRET not in result.output
    assert wrong.exit_code == 2
    assert wrong.stderr == (
        "mldebt: error: API URL http://forge.example.com: must be an https:// URL; plain http is allowed only to "
        "this machine (localhost, 127.0.0.0/8, ::1)\n"
    )


def test_a_listed_clone_url_git_must_not_run_is_refused(tmp_path):
    hostile = page("github-orgs-acme-ml-repos-page3.json")
    hostile[1]["clone_url"] = "ext::sh -c touch% /tmp/pwned"
    with replay({"/orgs/acme-ml/repos": lambda r: (200, {}, hostile)}) as server:
        result = run("portfolio", "import", str(tmp_path / "p.yaml"), "--github", "acme-ml", "--api-url", server.url)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "mldebt: error: GitHub listed acme-ml/docs-site with a clone URL that cannot be used: it transport helpers "
        "such as 'ext::' are not allowed"
    )
    assert not (tmp_path / "p.yaml").exists()


# ---- GitLab -------------------------------------------------------------------------------------------------------


def gitlab_group(server: ReplayServer, limited: list[dict[str, str]] | None = None) -> None:
    """acme/ml's 6 projects (with its subgroup's) on 3 pages, after ``limited``'s 429 answers."""
    pending = list(limited or [])

    def listing(request: Request) -> tuple[int, dict[str, str], Any]:
        if pending:
            return 429, pending.pop(0), {"message": "429 Too Many Requests"}
        n = int(request.query.get("page", ["1"])[0])
        headers = {
            "x-page": str(n),
            "x-per-page": "100",
            "x-total": "6",
            "x-total-pages": "3",
            "x-next-page": str(n + 1) if n < 3 else "",
            "x-prev-page": str(n - 1) if n > 1 else "",
        }
        return 200, headers, page(f"gitlab-groups-acme-ml-projects-page{n}.json")

    server.routes["/api/v4/groups/acme%2Fml/projects"] = listing


def test_a_gitlab_group_with_subgroups_is_imported_after_a_short_429(tmp_path):
    target = tmp_path / "portfolio.yaml"
    short = {
        "Retry-After": "1",
        "RateLimit-Limit": "2000",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(int(time.time()) + 1),
    }
    with replay({}) as server:
        gitlab_group(server, [short])
        result = run(
            "portfolio",
            "import",
            str(target),
            "--gitlab",
            "acme/ml",
            "--api-url",
            f"{server.url}/api/v4",
            "--team",
            "ML Platform",
            env={"GITLAB_TOKEN": GITLAB_SECRET},
        )
    assert result.exit_code == 0, result.output
    assert [r.query.get("page") for r in server.requests] == [None, None, ["2"], ["3"]]
    assert server.requests[0].query == {
        "include_subgroups": ["true"],
        "per_page": ["100"],
        "order_by": ["path"],
        "sort": ["asc"],
    }
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {GITLAB_SECRET}"}
    assert notes(result) == [
        "mldebt: GitLab's rate limit is reached; waiting 1 s for it to reset",
        "mldebt: GitLab acme/ml: page 1, 3 repositories",
        "mldebt: GitLab acme/ml: page 2, 2 repositories",
        "mldebt: GitLab acme/ml: page 3, 1 repositories",
        "mldebt: added forecasting",
        "mldebt: added ranker",
        "mldebt: added vision-ranker",  # the second `ranker`, named by its place in the group
        "mldebt: added label-tool",
        f"mldebt: imported 4 projects into {target}, skipped 2 (1 archived, 1 a fork)",
    ]
    written = target.read_text()
    assert GITLAB_SECRET not in written + result.output
    projects = yaml.safe_load(written)["teams"][0]["projects"]
    assert projects[2] == {
        "name": "vision-ranker",
        "repo": "https://gitlab.example.com/acme/ml/vision/ranker.git",
        "tags": ["ml", "vision"],
        "description": "Image similarity ranking",
        "ci": {"provider": "gitlab", "repository": "acme/ml/vision/ranker", "api_url": f"{server.url}/api/v4"},
    }


def test_a_long_gitlab_429_fails_at_once_naming_when_it_resets(tmp_path):
    reset = int(time.time()) + 1800
    long = {"Retry-After": "1800", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}
    with replay({}) as server:
        gitlab_group(server, [long])
        result = run(
            "portfolio",
            "import",
            str(tmp_path / "p.yaml"),
            "--gitlab",
            "acme/ml",
            "--api-url",
            f"{server.url}/api/v4",
            "--max-wait",
            "5",
        )
    assert result.exit_code == 2
    assert re.fullmatch(
        r"mldebt: error: GitLab's API rate limit is used up until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in about "
        r"30 minutes, longer than the 5 s this import waits\); run the import again then, or let it wait longer "
        r"with --max-wait SECONDS\n",
        result.stderr,
    ), result.stderr
    assert len(server.requests) == 1


# ---- CSV and merging into a file ----------------------------------------------------------------------------------

EXISTING = """\
# Acme's portfolio: kept by hand, grown by `mldebt portfolio import`.
portfolio: Acme ML
teams:
  - name: Search   # the ranking people
    id: search
    owner: search-lead@example.com
    projects:
      - name: ranker
        repo: git@github.com:acme/ranker.git   # cloned over ssh
        tier: production
        description: |
          Learning to rank.

# nothing below this line is generated
  - name: Growth
    projects:
    - {name: churn, repo: ../churn}
"""


def test_a_csv_import_keeps_the_file_and_its_comments_and_adds_nothing_twice(tmp_path):
    (tmp_path / "churn").mkdir()
    (tmp_path / "repos" / "feature-store").mkdir(parents=True)
    folder = tmp_path / "ml"
    folder.mkdir()
    target = folder / "portfolio.yaml"
    target.write_text(EXISTING)
    sheet = tmp_path / "repos.csv"
    sheet.write_text(
        "name,repo,team,tier,owner,tags\n"
        "ranker-2,https://GitHub.com/acme/ranker/,search,,,\n"  # the same repository as `ranker`: left alone
        "fraud,https://github.com/acme/fraud.git,Search,production,ana@example.com,fraud;batch\n"
        ",repos/feature-store,Data Platform,research,,\n"
        "churn,churn,Growth,,,\n"  # ../churn seen from the file: already there
    )
    first = run("portfolio", "import", str(target), "--csv", str(sheet))
    assert first.exit_code == 0, first.output
    assert notes(first) == [
        "mldebt: added fraud",
        "mldebt: added feature-store",
        f"mldebt: imported 2 projects into {target}, skipped 2 (2 already in the file)",
    ]
    written = target.read_text()
    assert written == EXISTING.replace(
        "          Learning to rank.\n",
        "          Learning to rank.\n"
        "      - name: fraud\n"
        "        repo: https://github.com/acme/fraud.git\n"
        "        tier: production\n"
        "        owner: ana@example.com\n"
        "        tags: [fraud, batch]\n",
    ) + (
        "  - name: Data Platform\n"
        "    projects:\n"
        "      - name: feature-store\n"
        "        repo: ../repos/feature-store\n"
        "        tier: research\n"
    )
    again = run("portfolio", "import", str(target), "--csv", str(sheet))
    assert again.exit_code == 0, again.output
    assert notes(again) == [f"mldebt: imported 0 projects into {target}, skipped 4 (4 already in the file)"]
    assert target.read_text() == written


def test_a_bad_csv_names_the_file_line_and_column_and_writes_nothing(tmp_path):
    target = tmp_path / "portfolio.yaml"
    sheet = tmp_path / "repos.csv"
    sheet.write_text(
        "name,repo,team,tier\n"
        "ok,https://github.com/acme/ok.git,Search,\n"
        '"multi\nline",https://github.com/acme/x.git,Search,prod\n'
        "bad name!,https://github.com/acme/y.git,,\n"
        "z,ext::sh -c touch% /tmp/pwned,Search,\n"
        "ok,https://github.com/acme/other.git,Search,\n"
        "dup,https://github.com/acme/ok,Search,\n"
        "w,missing-folder,Search,\n"
    )
    result = run("portfolio", "import", str(target), "--csv", str(sheet))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"mldebt: error: {sheet}:3, column name: 'multi\\nline' is not a project name (1-100 letters, digits "
        "and . _ -, starting with a letter or digit)",
        f"mldebt: error: {sheet}:3, column tier: 'prod' is not a tier (research, prototype, production)",
        f"mldebt: error: {sheet}:5, column name: 'bad name!' is not a project name (1-100 letters, digits and "
        ". _ -, starting with a letter or digit)",
        f"mldebt: error: {sheet}:5, column team: empty; name the project's team (or give the import a default team)",
        f"mldebt: error: {sheet}:6, column repo: git URL transport helpers such as 'ext::' are not allowed",
        f"mldebt: error: {sheet}:7, column name: the name 'ok' is already listed at line 2",
        f"mldebt: error: {sheet}:8, column repo: the repository is already listed at line 2",
        f"mldebt: error: {sheet}:9, column repo: no such directory: {tmp_path / 'missing-folder'}",
    ]
    assert not target.exists()
    (tmp_path / "headless.csv").write_text("https://github.com/acme/ok.git,Search\n")
    headless = run("portfolio", "import", str(target), "--csv", str(tmp_path / "headless.csv"))
    assert headless.stderr == (
        f"mldebt: error: {tmp_path / 'headless.csv'}:1: the first line must be a header naming the columns, with "
        "at least repo (columns: name, repo, team, tier, owner, description, tags, subpath, ref)\n"
    )
    (tmp_path / "typo.csv").write_text("repo,teem\nhttps://github.com/acme/ok.git,Search\n")
    typo = run("portfolio", "import", str(target), "--csv", str(tmp_path / "typo.csv"))
    assert typo.stderr == (
        f"mldebt: error: {tmp_path / 'typo.csv'}:1: unknown column 'teem' (columns: name, repo, team, tier, owner, "
        "description, tags, subpath, ref)\n"
    )
    both = run("portfolio", "import", str(target), "--csv", str(sheet), "--github", "acme")
    assert (
        both.stderr
        == "mldebt: error: give one source: --csv FILE, --github ORG or --gitlab GROUP (not --csv and --github)\n"
    )


def test_a_csv_name_another_repository_has_in_the_file_is_refused_at_its_line(tmp_path):
    target = tmp_path / "portfolio.yaml"
    target.write_text(
        "portfolio: p\nteams:\n  - name: A\n    projects:\n      - {name: web, repo: https://x.org/a/web}\n"
    )
    sheet = tmp_path / "more.csv"
    sheet.write_text("name,repo,team\nweb,https://x.org/b/web,A\n")
    result = run("portfolio", "import", str(target), "--csv", str(sheet))
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldebt: error: {sheet}:2, column name: 'web' is already the name of another repository's project in "
        f"{target}\n"
    )


def test_a_file_with_lists_in_flow_style_is_written_whole_and_says_its_comments_are_gone(tmp_path):
    target = tmp_path / "portfolio.yaml"
    target.write_text(
        "# gone\nportfolio: p\nteams: [{name: A, projects: [{name: web, repo: 'https://x.org/a/web'}]}]\n"
    )
    sheet = tmp_path / "more.csv"
    sheet.write_text("repo,team\nhttps://x.org/a/api.git,A\n")
    result = run("portfolio", "import", str(target), "--csv", str(sheet))
    assert result.exit_code == 0, result.output
    assert notes(result)[0] == (
        f"mldebt: {target}'s layout (a list written as [...]) could not take the new entries in place: the file is "
        "written anew, and its comments are not kept"
    )
    assert yaml.safe_load(target.read_text())["teams"][0]["projects"] == [
        {"name": "web", "repo": "https://x.org/a/web"},
        {"name": "api", "repo": "https://x.org/a/api.git"},
    ]


def test_one_repository_written_many_ways_is_one_key(tmp_path):
    keys = {
        repo_key(url, tmp_path)
        for url in (
            "https://github.com/Acme/Ranker.git",
            "https://github.com/acme/ranker/",
            "git@github.com:acme/ranker.git",
            "ssh://git@github.com:22/acme/ranker",
        )
    }
    assert keys == {"github.com/acme/ranker"}
    assert repo_key("https://github.com/acme/mono", tmp_path, "svc/a") != repo_key(
        "https://github.com/acme/mono", tmp_path, "svc/b"
    )
    nothing = merge(tmp_path / "new.yaml", [], "Empty")  # a new file with no project would not be a portfolio
    assert (nothing.changed, nothing.text) == (False, "")


# ---- tokens ------------------------------------------------------------------------------------------------------


@pytest.mark.server
def test_imported_projects_get_push_tokens_once_that_collect_push_can_use(tmp_path):
    make_repos(tmp_path, 2)
    target = tmp_path / "portfolio.yaml"
    sheet = tmp_path / "repos.csv"
    sheet.write_text("name,repo,team\np0,repo0,Team A\np1,repo1,Team A\n")
    db_path = tmp_path / "server.db"
    made = run("portfolio", "import", str(target), "--csv", str(sheet), "--tokens", "--db", str(db_path))
    assert made.exit_code == 0, made.output
    lines = made.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["p0", "p1"]
    tokens = dict(line.split("\t") for line in lines)
    assert all(re.fullmatch(r"mldebt_[A-Za-z0-9_-]{43}", t) for t in tokens.values())
    assert notes(made)[-1] == f"mldebt: imported 2 projects into {target}, skipped 0, tokens created 2"
    stored = db_path.read_bytes() + target.read_bytes()
    assert not any(t.encode() in stored for t in tokens.values())  # only hashes are kept
    with sqlite3.connect(db_path) as db:
        assert db.execute("select name, project_id, scopes from api_tokens order by id").fetchall() == [
            ("ci-p0", "p0", '["push"]'),
            ("ci-p1", "p1", '["push"]'),
        ]
        assert db.execute("select id, team_id from projects order by id").fetchall() == [
            ("p0", "team-a"),
            ("p1", "team-a"),
        ]

    again = run("portfolio", "import", str(target), "--csv", str(sheet), "--tokens", "--db", str(db_path))
    assert again.exit_code == 0, again.output
    assert again.stdout == ""  # no second token, and none shown again
    assert notes(again) == [
        "mldebt: p0 has a live token ci-p0 already: none made (--rotate-tokens replaces it)",
        "mldebt: p1 has a live token ci-p1 already: none made (--rotate-tokens replaces it)",
        f"mldebt: imported 0 projects into {target}, skipped 2 (2 already in the file), tokens created 0",
    ]
    rotated = run(
        "portfolio", "import", str(target), "--csv", str(sheet), "--tokens", "--rotate-tokens", "--db", str(db_path)
    )
    assert rotated.exit_code == 0, rotated.output
    new = dict(line.split("\t") for line in rotated.stdout.splitlines())
    assert set(new) == {"p0", "p1"} and not set(new.values()) & set(tokens.values())
    with sqlite3.connect(db_path) as db:
        assert db.execute("select name, revoked_at is not null from api_tokens order by id").fetchall() == [
            ("ci-p0", 1),
            ("ci-p1", 1),
            ("ci-p0", 0),
            ("ci-p1", 0),
        ]

    process, url = serve(db_path, tmp_path / "serve.log")
    try:
        pushed = push(tmp_path / "repo0", "p0", new["p0"], url, tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        other = push(tmp_path / "repo1", "p1", new["p0"], url, tmp_path)  # p0's token, p1's scan
        assert other.returncode != 0
        assert other.stderr.endswith(
            "refused the push of p1: 403 token ci-p0 may push scans of project p0 only, not p1\n"
        )
        old = push(tmp_path / "repo0", "p0", tokens["p0"], url, tmp_path)  # revoked by the rotation
        assert old.returncode != 0
        assert "refused the push of p0: 401" in old.stderr, old.stderr
    finally:
        process.terminate()
        process.wait(timeout=30)
    with sqlite3.connect(db_path) as db:
        assert db.execute("select project_id, count(*) from scans group by project_id").fetchall() == [("p0", 1)]


def push(repo: Path, project: str, token: str, url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """What a project's CI runs in its checkout with the token from its secrets."""
    env = {k: v for k, v in os.environ.items() if k != "MLDEBT_PUSH_TOKEN"}
    env.update(GIT_ENV, MLDEBT_PUSH_TOKEN=token, MLDEBT_PUSH_RETRIES="0")
    return subprocess.run(
        [MLDEBT, "collect", str(repo), "--project", project, "--push", url, "--db", str(tmp_path / "ci.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
