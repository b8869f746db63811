"""Issue 15 item 3: a push token is bound to one project or one team, and a push never changes the portfolio.

Everything runs against a real `mldebt serve` over a real store, with bundles
collected from real git repositories; the tokens and the server's portfolio
are made with the real `mldebt token create` command.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .builders import SCALE_RUBRIC
from .conftest import GIT_ENV
from .servers import PORTFOLIO, Site, check_answer, invoke, make_repos, start_site

pytestmark = [pytest.mark.server]

MLDEBT = str(Path(sys.executable).with_name("mldebt"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("binding")
    found, process = start_site(root)
    try:
        yield found
    finally:
        process.terminate()
        process.wait(timeout=30)


def portfolio_rows(site: Site) -> tuple[list[tuple], list[tuple]]:
    return (
        site.query("select * from teams order by id"),
        site.query("select id, team_id, name, repo, subpath, owner, description, tags from projects order by id"),
    )


def scans_of(site: Site, project: str) -> set[str]:
    return {r[0] for r in site.query("select id from scans where project_id = ?", (project,))}


# ---- making tokens -------------------------------------------------------------------------------------------


def test_a_push_token_must_name_exactly_one_existing_project_or_team(tmp_path):
    make_repos(tmp_path, 3)
    (tmp_path / "portfolio.yaml").write_text(PORTFOLIO)
    db_path = tmp_path / "server.db"
    seeded = invoke(
        db_path,
        "token",
        "create",
        "ci-p0",
        "--scope",
        "push",
        "--project",
        "p0",
        "--portfolio",
        str(tmp_path / "portfolio.yaml"),
    )
    assert seeded.exit_code == 0, seeded.output
    assert re.fullmatch(r"mldebt_[A-Za-z0-9_-]{43}\n", seeded.stdout)
    assert "bound to project p0" in seeded.stderr

    unbound = invoke(db_path, "token", "create", "ci-any", "--scope", "push")
    assert unbound.exit_code == 2
    assert unbound.stderr == (
        "mldebt: error: a push token must be bound to one project or one team: add --project NAME or --team NAME\n"
    )
    both = invoke(db_path, "token", "create", "ci-two", "--scope", "push", "--project", "p0", "--team", "a")
    assert both.exit_code == 2
    assert both.stderr == (
        "mldebt: error: a push token is bound to one project or one team, not both: give --project or --team\n"
    )
    unknown = invoke(db_path, "token", "create", "ci-x", "--scope", "push", "--project", "p9")
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith(
        "mldebt: error: --project p9: no such project in the store (projects: p0, p1, p2); "
    )
    team = invoke(db_path, "token", "create", "ci-x", "--scope", "push", "--team", "z")
    assert team.exit_code == 2
    assert team.stderr.startswith("mldebt: error: --team z: no such team in the store (teams: a, b); ")
    reader = invoke(db_path, "token", "create", "reader", "--scope", "read", "--project", "p0")
    assert reader.exit_code == 2
    assert reader.stderr == (
        "mldebt: error: --project and --team limit what a token writes; "
        "token reader has no write scope (push, attest or waive)\n"
    )
    assert invoke(db_path, "token", "create", "ci-team-a", "--scope", "push", "--team", "a").exit_code == 0
    assert invoke(db_path, "token", "create", "reader", "--scope", "read").exit_code == 0

    listed = invoke(db_path, "token", "list").output.splitlines()
    assert [line.split("  ")[1] for line in listed] == ["ci-p0", "ci-team-a", "reader"]
    assert "push  project p0  live" in listed[0]
    assert "push  team a  live" in listed[1]
    assert listed[2].endswith("  read  live  last used never")
    with sqlite3.connect(db_path) as db:
        assert db.execute("select name, project_id, team_id from api_tokens order by id").fetchall() == [
            ("ci-p0", "p0", None),
            ("ci-team-a", None, "a"),
            ("reader", None, None),
        ]


def test_an_old_unbound_push_token_is_listed_as_such_and_refused_at_push(site):
    token = site.token("ci-old", "--project", "p0")
    with sqlite3.connect(site.db_path) as db:  # what a store from before the binding holds
        db.execute("update api_tokens set project_id = null, team_id = null where name = 'ci-old'")
    listed = invoke(site.db_path, "token", "list").output
    assert re.search(r"ci-old  mldebt_\S+…  push  unbound: cannot push, make a bound token  live", listed), listed
    before = scans_of(site, "p0")
    refused = site.push(token, site.bundle("p0"))
    assert refused.status_code == 403
    check_answer("/api/v1/scans", refused)
    assert refused.json()["error"]["message"] == (
        "token ci-old is not bound to a project or team, so it cannot push: make a bound one on the server with "
        "`mldebt token create NAME --scope push --project PROJECT` (or --team TEAM) and revoke this one"
    )
    assert scans_of(site, "p0") == before


# ---- what a bound token may push -----------------------------------------------------------------------------


def test_a_project_token_pushes_for_its_project_and_no_other(site):
    token = site.token("ci-p0", "--project", "p0")
    accepted = site.push(token, site.bundle("p0"))
    assert accepted.status_code == 201, accepted.text
    for other in ("p1", "p2"):
        before = scans_of(site, other)
        refused = site.push(token, site.bundle(other))
        assert refused.status_code == 403
        check_answer("/api/v1/scans", refused)
        assert refused.json()["error"]["message"] == f"token ci-p0 may push scans of project p0 only, not {other}"
        assert scans_of(site, other) == before
    made_up = site.push(token, site.bundle("p0", name="p9"))
    assert made_up.status_code == 403
    assert made_up.json()["error"]["message"] == "token ci-p0 may push scans of project p0 only, not p9"
    assert site.query("select count(*) from projects where id = 'p9'") == [(0,)]


def test_a_team_token_pushes_for_its_teams_projects_only(site):
    token = site.token("ci-team-a", "--team", "a")
    for project in ("p0", "p1"):
        answer = site.push(token, site.bundle(project))
        assert answer.status_code == 201, answer.text
        assert answer.json()["project"] == project
    before = scans_of(site, "p2")
    refused = site.push(token, site.bundle("p2"))
    assert refused.status_code == 403
    assert (
        refused.json()["error"]["message"]
        == "token ci-team-a may push scans of team a's projects only; p2 is in team b"
    )
    # naming team a in the bundle does not move p2 there: membership is the server's
    claimed = site.push(token, site.bundle("p2", team_id="a", team_name="Team A"))
    assert claimed.status_code == 403
    assert scans_of(site, "p2") == before
    new = site.push(token, site.bundle("p1", name="p-new"))
    assert new.status_code == 403
    assert new.json()["error"]["message"] == (
        "project p-new is not in this server's portfolio: a push cannot add projects; record it on the server "
        "(`mldebt token create ... --portfolio FILE`, or `mldebt collect PORTFOLIO`)"
    )
    assert site.query("select count(*) from projects where id = 'p-new'") == [(0,)]


def test_a_push_cannot_move_a_project_rename_a_team_or_change_owners(site):
    token = site.token("ci-p0", "--project", "p0")
    teams, projects = portfolio_rows(site)
    assert ("a", "Team A", "lead-a@example.com") in teams
    hostile = site.bundle(
        "p0",
        team_id="b",
        team_name="Renamed by a push",
        team_owner="attacker@example.com",
        owner="attacker@example.com",
        repo="https://evil.example.com/x.git",
        subpath="elsewhere",
        description="<script>alert(1)</script>",
        tags=["owned"],
    )
    answer = site.push(token, hostile)
    assert answer.status_code == 201, answer.text
    assert answer.json()["project"] == "p0"
    assert portfolio_rows(site) == (teams, projects)
    stored = site.query("select project_id from scans where id = ?", (hostile["scan_id"],))
    assert stored == [("p0",)]
    # a team that does not exist is not created either
    ghost = site.push(token, site.bundle("p0", team_id="ghost", team_name="Ghost"))
    assert ghost.status_code == 201
    assert portfolio_rows(site) == (teams, projects)
    page = requests.get(site.url + "/projects/p0", timeout=30).text
    assert "Team A" in page and "Renamed by a push" not in page and "attacker@example.com" not in page


def test_the_readme_push_of_a_repository_folder_lands_in_the_servers_team(site):
    """`mldebt collect . --project p1 --push URL` from a checkout: its bundle names team 'local'; the server's team stands."""
    token = site.token("ci-p1", "--project", "p1")
    teams, projects = portfolio_rows(site)
    env = {k: v for k, v in os.environ.items() if k != "MLDEBT_PUSH_TOKEN"}
    env.update(
        GIT_ENV,
        MLDEBT_PUSH_TOKEN=token,
        MLDEBT_CACHE=str(site.root / "cache"),
        MLDEBT_PUSH_RETRIES="1",
        MLDEBT_PUSH_BACKOFF="0.05",
    )
    result = subprocess.run(
        [MLDEBT, "collect", ".", "--project", "p1", "--push", site.url],
        cwd=site.root / "repo1",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pushed p1 at ")
    assert portfolio_rows(site) == (teams, projects)
    assert site.query("select count(*) from teams where id = 'local'") == [(0,)]
    denied = subprocess.run(
        [MLDEBT, "collect", ".", "--project", "p2", "--push", site.url],
        cwd=site.root / "repo2",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert denied.returncode == 2
    assert denied.stderr == (
        f"mldebt: error: the server at {site.url}/api/v1/scans refused the push of p2: "
        "403 token ci-p1 may push scans of project p1 only, not p2\n"
    )


# ---- which token pushed a scan -------------------------------------------------------------------------------


def test_the_pushing_token_is_recorded_and_shown_with_the_scan(site):
    token = site.token("ci-p2", "--project", "p2")
    body = site.bundle("p2")
    answer = site.push(token, body)
    assert answer.status_code == 201, answer.text
    token_id = site.query("select id from api_tokens where name = 'ci-p2' and revoked_at is null")[0][0]
    assert site.query("select token, token_id from pushed_scans where scan_id = ?", (body["scan_id"],)) == [
        ("ci-p2", token_id)
    ]
    assert answer.json()["pushed_by"] == {"token": "ci-p2", "token_id": token_id}
    check_answer("/api/v1/scans", answer)

    page = requests.get(site.url + "/projects/p2", timeout=30)
    assert page.status_code == 200
    assert f"pushed by token ci-p2 (#{token_id})" in page.text
    data = requests.get(site.url + "/api/v1/projects/p2", timeout=30).json()
    assert data["scan"]["id"] == body["scan_id"]
    assert data["scan"]["pushed_by"] == {"token": "ci-p2", "token_id": token_id}
    rows = requests.get(site.url + "/api/v1/projects/p2/scans", timeout=30).json()["scans"]
    assert {r["id"]: r["pushed_by"] for r in rows}[body["scan_id"]] == {"token": "ci-p2", "token_id": token_id}

    # a retry is answered as the first push was, and records nothing new
    again = site.push(token, body)
    assert again.status_code == 200 and again.json() == answer.json()
    # a scan collected on the server itself says nothing of a token
    local = subprocess.run(
        [
            MLDEBT,
            "collect",
            str(site.root / "portfolio.yaml"),
            "--project",
            "p2",
            "--db",
            str(site.db_path),
            "--rubric",
            str(SCALE_RUBRIC),
        ],
        env={**os.environ, **GIT_ENV, "MLDEBT_CACHE": str(site.root / "cache")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert local.returncode == 0, local.stderr
    rows = requests.get(site.url + "/api/v1/projects/p2/scans", timeout=30).json()["scans"]
    assert sorted((r["pushed_by"] or {}).get("token", "-") for r in rows) == sorted(["-"] + ["ci-p2"] * (len(rows) - 1))


def test_a_bound_token_attests_and_waives_for_its_own_project_only(site):
    """The binding limits every write of a token, not only its pushes: API and forms alike."""
    made = invoke(
        site.db_path,
        "token",
        "create",
        "ci-p0-writes",
        "--scope",
        "push",
        "--scope",
        "attest",
        "--scope",
        "waive",
        "--project",
        "p0",
    )
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    answer = {"question": "feedback_loops", "answer": "reviewed in the design doc", "by": "lead@example.com"}
    own = requests.post(site.url + "/api/v1/projects/p0/attestations", json=answer, headers=headers, timeout=60)
    assert own.status_code == 201, own.text
    for project in ("p1", "p2"):
        other = requests.post(
            site.url + f"/api/v1/projects/{project}/attestations", json=answer, headers=headers, timeout=60
        )
        assert other.status_code == 403, other.text
        assert other.json()["error"]["message"] == (
            f"token ci-p0-writes is bound to project p0 and may not write for {project}"
        )
        waiver = requests.post(
            site.url + f"/api/v1/projects/{project}/waivers",
            headers=headers,
            timeout=60,
            json={"check": "infra-2-unit-tests", "reason": "r", "owner": "o", "until": "2099-01-01"},
        )
        assert waiver.status_code == 403, waiver.text
        form = requests.post(site.url + f"/projects/{project}/attest", data=answer, headers=headers, timeout=60)
        assert form.status_code == 403, form.text
    assert site.query("select project_id from attestations") == [("p0",)]
    assert site.query("select count(*) from waivers") == [(0,)]
