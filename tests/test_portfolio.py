"""The portfolio file: valid files load; each kind of bad input gets one precise message."""

from __future__ import annotations

from pathlib import Path

import pytest

from mldebt.errors import InputError
from mldebt.sources.portfolio import check_git_url, load_portfolio

VALID = """\
portfolio: Acme ML
teams:
  - name: Search Ranking
    owner: lead@example.com
    projects:
      - name: ranker
        repo: repos/ranker
        tags: [python]
        ci: {provider: github, repository: acme/ranker}
      - name: mono-part
        repo: repos/mono
        subpath: services/part
        owner: bob@example.com
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "repos" / "ranker").mkdir(parents=True)
    (tmp_path / "repos" / "mono" / "services" / "part").mkdir(parents=True)
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "portfolio.yaml"
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_portfolio(path)
    return [p.replace(f"{path}:", "FILE:") for p in info.value.problems]


def test_valid_portfolio_resolves_teams_and_projects(folder):
    portfolio = load_portfolio(write(folder, VALID))
    assert portfolio.name == "Acme ML"
    assert portfolio.teams == {"search-ranking": {"name": "Search Ranking", "owner": "lead@example.com"}}
    ranker, part = portfolio.projects
    assert ranker.repo == str(folder / "repos" / "ranker")
    assert ranker.owner == "lead@example.com"  # inherited from the team
    assert ranker.sources == {
        "ci": {"provider": "github", "repository": "acme/ranker", "api_url": None, "results": [], "token_env": None}
    }
    assert part.subpath == "services/part" and part.owner == "bob@example.com"


BAD = {
    "yaml syntax": (
        VALID.replace("tags: [python]", "tags: [python"),
        ["FILE:9:11: YAML syntax error: while parsing a flow sequence expected ',' or ']', but got ':'"],
    ),
    "unknown key": (
        VALID.replace("        tags:", "        tagz:"),
        ["FILE:8:9: teams[0].projects[0].tagz: unknown key"],
    ),
    "wrong type": (
        VALID.replace("tags: [python]", "tags: python"),
        ["FILE:8:15: teams[0].projects[0].tags: expected a list, got a string"],
    ),
    "missing key": (
        VALID.replace("        repo: repos/ranker\n", ""),
        ["FILE:6:9: teams[0].projects[0].repo: required key is missing"],
    ),
    "missing path": (
        VALID.replace("repos/ranker", "repos/nowhere"),
        ["FILE:7:15: teams[0].projects[0].repo: no such directory: {folder}/repos/nowhere"],
    ),
    "duplicate yaml key": (
        VALID.replace("        tags: [python]\n", "        tags: [python]\n        tags: [x]\n"),
        ["FILE:9:9: teams[0].projects[0].tags: duplicate key"],
    ),
    "duplicate project": (
        VALID.replace("name: mono-part", "name: ranker"),
        ["FILE:10:15: teams[0].projects[1].name: duplicate project name 'ranker'"],
    ),
    "bad provider": (
        VALID.replace("provider: github", "provider: bitbucket"),
        [
            "FILE:9:24: teams[0].projects[0].ci.provider: input should be 'github', 'gitlab', "
            "'circleci', 'azure' or 'jenkins'"
        ],
    ),
    "subpath escapes": (
        VALID.replace("services/part", "../../etc"),
        ["FILE:12:18: teams[0].projects[1].subpath: must be a relative path inside the repository, without '..'"],
    ),
    "option injection": (
        VALID.replace("repo: repos/ranker", "repo: --upload-pack=touch /tmp/x"),
        ["FILE:7:15: teams[0].projects[0].repo: git URL must not start with '-'"],
    ),
    "ext transport": (
        VALID.replace("repo: repos/ranker", "repo: 'ext::sh -c touch% /tmp/pwned'"),
        ["FILE:7:15: teams[0].projects[0].repo: git URL transport helpers such as 'ext::' are not allowed"],
    ),
    "no teams": (
        "portfolio: x\nteams: []\n",
        ["FILE:2:8: teams: list should have at least 1 item after validation, not 0"],
    ),
    "not a mapping": ("- just\n- a list\n", ["FILE:1:1: (top level): expected a mapping, got a list"]),
    "bad project name": (
        VALID.replace("name: ranker", "name: 'rank er'"),
        ["FILE:6:15: teams[0].projects[0].name: string should match pattern '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'"],
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_portfolio_gives_a_precise_message(folder, kind):
    text, expected = BAD[kind]
    assert problems_of(write(folder, text)) == [e.replace("{folder}", str(folder)) for e in expected]


def test_several_problems_are_all_reported(folder):
    text = VALID.replace("tags: [python]", "tags: python").replace("        owner: bob", "        ownr: bob")
    found = problems_of(write(folder, text))
    assert found == [
        "FILE:8:15: teams[0].projects[0].tags: expected a list, got a string",
        "FILE:13:9: teams[0].projects[1].ownr: unknown key",
    ]


def test_missing_file_and_non_utf8(folder):
    assert problems_of(folder / "absent.yaml") == ["FILE: no such file"]
    path = folder / "portfolio.yaml"
    path.write_bytes(b"portfolio: caf\xe9\n")
    assert problems_of(path) == ["FILE: not UTF-8 text (invalid continuation byte at byte 14)"]


@pytest.mark.parametrize(
    "url,problem",
    [
        ("https://example.com/org/repo.git", None),
        ("git@example.com:org/repo.git", None),
        ("file:///srv/git/repo", None),
        ("-oProxyCommand=x", "must not start with '-'"),
        ("ext::sh -c id", "transport helpers such as 'ext::' are not allowed"),
        ("fd::17", "transport helpers such as 'ext::' are not allowed"),
        ("https://example.com/a b", "must not contain spaces or control characters"),
    ],
)
def test_git_url_checks(url, problem):
    assert check_git_url(url) == problem


def test_cli_rejects_a_bad_portfolio_and_writes_nothing(run, folder, db_path):
    path = write(folder, VALID.replace("        tags:", "        tagz:"))
    result = run("collect", str(path))
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {path}:8:9: teams[0].projects[0].tagz: unknown key\n"
    assert not db_path.exists()


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "portfolio: x\nteams: [{name: a, projects: [{name: p, repo: r, description: 2026-13-01}]}]\n",
            "YAML value error: month must be in 1..12",
        ),
        ("portfolio: \x07\n", "YAML error: unacceptable character"),
        ("portfolio: &a [*a]\nteams: []\n", "1:16: YAML refused: the alias *a is inside the value it names"),
    ],
)
def test_yaml_that_pyyaml_cannot_build_is_a_clear_error(folder, text, message):
    found = problems_of(write(folder, text))
    assert len(found) == 1 and found[0].startswith("FILE:") and message in found[0]
