"""Every backlog row points at the code: its evidence's file:line and that file at the scanned commit on its forge.

The sample portfolio is loaded again over clones of its repositories whose
``origin`` names a forge (GitHub, GitLab on gitlab.com and self-hosted,
Bitbucket) or with a ``code_url`` template, and saved into a copy of the
sample store, as `mldebt collect` does; then every row of every export format
is checked: a row with file evidence carries ``path:line`` (a real file and
line at the scanned commit) and the link the forge uses for it; a row without
says so. The scorecard links of serve, exports, the report and the gate are
checked to share one default.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mldebt.cli.main import cli
from mldebt.cli.serve import serve, serving_line
from mldebt.errors import InputError
from mldebt.exports.ticket import markdown_inline
from mldebt.report.data import report_data
from mldebt.scanning.scans import save_portfolio
from mldebt.settings import DEFAULT_BASE_URL, DEFAULT_PORT
from mldebt.sources.forge import parse_remote
from mldebt.sources.portfolio import load_portfolio
from mldebt.store.db import open_db

from .conftest import git

SECRET = "s3cret-token"
FORMATS = ("json", "csv", "jira", "github", "markdown")
LOCATED = 2  # the sample store's open items with file evidence: an attestation file, a notebook with outputs
UNLOCATED = 11  # and those whose evidence is about the whole project, or missing

# remote of each sample project (by {p}), and the link expected for a file and line (by {sha}, {path}, {line})
FORGES = {
    "github-scp": ("git@github.com:acme/{p}.git", "https://github.com/acme/{p}/blob/{sha}/{path}", "#L{line}"),
    "gitlab-https-with-credentials": (
        f"https://deploy:{SECRET}@gitlab.com/ml/{{p}}.git",
        "https://gitlab.com/ml/{p}/-/blob/{sha}/{path}",
        "#L{line}",
    ),
    "gitlab-self-hosted-ssh": (
        "ssh://git@gitlab.example.com:2222/ml/risk/{p}.git",
        "https://gitlab.example.com/ml/risk/{p}/-/blob/{sha}/{path}",
        "#L{line}",
    ),
    "bitbucket-https": (
        "https://bitbucket.org/acme/{p}",
        "https://bitbucket.org/acme/{p}/src/{sha}/{path}",
        "#lines-{line}",
    ),
}
TEMPLATE = "https://code.example.com/{repo}/tree/{commit}/{path}?plain=1#line-{line}"


def with_remotes(db_path: Path, folder: Path, remote: str, code_url: str | None = None) -> dict[str, Path]:
    """Load the sample portfolio over clones whose origin is ``remote`` (``{p}``: the project) and save it into
    the store at ``db_path``, as `mldebt collect` does before it scans; the clones by project."""
    db = open_db(db_path)
    repos = {r["id"]: Path(r["repo"]) for r in db.query("select id, repo from projects")}
    spec = yaml.safe_load((next(iter(repos.values())).parents[1] / "portfolio.yaml").read_text())
    clones = {}
    for team in spec["teams"]:
        for project in team["projects"]:
            name = project["name"]
            clones[name] = folder / "clones" / name
            subprocess.run(["git", "clone", "-q", str(repos[name]), str(clones[name])], check=True, capture_output=True)
            git(clones[name], "remote", "set-url", "origin", remote.format(p=name))
            project["repo"] = str(clones[name])
    if code_url:
        spec["code_url"] = code_url
    (folder / "portfolio.yaml").write_text(yaml.safe_dump(spec))
    save_portfolio(db, load_portfolio(folder / "portfolio.yaml"))
    db.close()
    return clones


def export(db: Path, fmt: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["export", "backlog", "--format", fmt, *args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


def code_lines(db: Path) -> dict[str, dict[str, str]]:
    """What each format says of each item's place in the code, by format and item id."""
    found: dict[str, dict[str, str]] = {}
    items = json.loads(export(db, "json"))
    found["json"] = {i["id"]: (i["location"], i["code_link"], i["location_note"], i["commit"]) for i in items}
    found["csv"] = {
        r["id"]: (r["location"], r["code_link"], r["location_note"], r["commit"])
        for r in csv.DictReader(io.StringIO(export(db, "csv")))
    }
    jira = list(csv.reader(io.StringIO(export(db, "jira"))))
    found["jira"] = {r[5]: _line(r[3], "In the code: ") for r in jira[1:]}
    issues = json.loads(export(db, "github"))
    found["github"] = {
        re.search(r"mldebt-item: (MLD-\w+)", i["body"])[1]: _line(i["body"], "In the code: ") for i in issues
    }
    markdown = export(db, "markdown").splitlines()
    found["markdown"] = {}
    for n, line in enumerate(markdown):
        if line.startswith("- [ ] **MLD-"):
            found["markdown"][line.split("**")[1]] = next(x for x in markdown[n:] if x.startswith("  - Code: "))[10:]
    return found


def _line(text: str, start: str) -> str:
    return next(x for x in text.splitlines() if x.startswith(start))[len(start) :]


def expected_link(pattern: tuple[str, str, str], project: str, sha: str, location: str) -> str:
    path, _, line = location.partition(":")
    base, anchor = pattern[1], pattern[2]
    return (base + (anchor if line else "")).format(p=project, sha=sha, path=path, line=line)


def assert_real_place(clone: Path, sha: str, location: str) -> None:
    """``path:line`` names a file of the scanned commit, and a line it has."""
    path, _, line = location.partition(":")
    text = git(clone, "show", f"{sha}:{path}")
    assert text, location
    if line:
        assert 1 <= int(line) <= len(text.splitlines()), location


@pytest.mark.parametrize("forge", sorted(FORGES))
def test_every_row_of_every_format_has_its_file_line_and_forge_link(sample_db, tmp_path, forge):
    clones = with_remotes(sample_db, tmp_path, FORGES[forge][0])
    found = code_lines(sample_db)
    rows = found["json"]
    assert set(rows) and all(set(found[f]) == set(rows) for f in FORMATS)
    located = unlocated = 0
    for item_id, (location, link, note, sha) in rows.items():
        project = next(i["project"] for i in json.loads(export(sample_db, "json")) if i["id"] == item_id)
        assert re.fullmatch(r"[0-9a-f]{40}", sha)
        assert found["csv"][item_id] == (location, link, note, sha)
        if location:
            located += 1
            assert_real_place(clones[project], sha, location)
            assert (link, note) == (expected_link(FORGES[forge], project, sha, location), "")
            assert found["jira"][item_id] == f"{location} at commit {sha[:12]}: {link}"
            assert found["github"][item_id] == f"{markdown_inline(location)} at commit {sha[:12]}: {link}"
            assert found["markdown"][item_id] == f"[{markdown_inline(location)}](<{link}>) at {sha[:12]}"
        else:
            unlocated += 1
            assert link == "" and note.startswith("no file evidence: "), (item_id, note)
            assert found["jira"][item_id] == found["github"][item_id] == note
            assert found["markdown"][item_id] == markdown_inline(note)
    assert (located, unlocated) == (LOCATED, UNLOCATED)
    every = "".join(export(sample_db, f) for f in FORMATS)
    assert SECRET not in every and "deploy@" not in every
    stored = "".join(r["sources"] or "" for r in open_db(sample_db).query("select sources from projects"))
    assert SECRET not in stored


def test_a_code_url_template_links_every_located_row(sample_db, tmp_path):
    clones = with_remotes(sample_db, tmp_path, "git@code.example.com:acme/{p}.git", code_url=TEMPLATE)
    rows = json.loads(export(sample_db, "json"))
    located = [i for i in rows if i["location"]]
    assert len(located) == LOCATED and len(rows) - len(located) == UNLOCATED
    for item in located:
        path, _, line = item["location"].partition(":")
        assert_real_place(clones[item["project"]], item["commit"], item["location"])
        link = f"https://code.example.com/acme/{item['project']}/tree/{item['commit']}/{path}?plain=1"
        assert item["code_link"] == link + (f"#line-{line}" if line else "")  # no line: no fragment
    assert {i["location"] for i in located} == {".mldebt/attestations.yaml:5", "notebooks/01_explore.ipynb"}


def test_an_unknown_forge_or_no_remote_says_what_to_set(sample_db, tmp_path):
    located = [i for i in json.loads(export(sample_db, "json")) if i["location"]]  # the samples have no remote
    assert [(i["code_link"], i["location_note"]) for i in located] == [
        ("", "no link: the repository has no remote on a web host; set code_url in the portfolio")
    ] * LOCATED
    with_remotes(sample_db, tmp_path, "https://gitea.example.com/acme/{p}.git")
    located = [i for i in json.loads(export(sample_db, "json")) if i["location"]]
    assert [(i["code_link"], i["location_note"]) for i in located] == [
        ("", "no link: gitea.example.com is not GitHub, GitLab or Bitbucket; set code_url in the portfolio")
    ] * LOCATED


def test_a_template_with_an_unknown_placeholder_is_refused_with_file_line_and_key(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "p.yaml").write_text(
        "portfolio: P\ncode_url: https://git.example.com/{repo}/{sha}/{path}\nteams:\n  - name: T\n    projects:\n"
        "      - name: a\n        repo: repo\n        code_url: 'https://git.example.com/{commit}/{path:>9}'\n"
    )
    with pytest.raises(InputError) as caught:
        load_portfolio(tmp_path / "p.yaml")
    assert caught.value.problems == [
        f"{tmp_path / 'p.yaml'}:8:19: teams[0].projects[0].code_url: placeholder {{path}} takes no format or "
        "conversion: write it as {path}",
        f"{tmp_path / 'p.yaml'}:2:11: code_url: unknown placeholder {{sha}}: use {{repo}}, {{project}}, {{commit}}, "
        "{path}, {line}",
    ]
    result = CliRunner().invoke(cli, ["collect", str(tmp_path / "p.yaml"), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and "unknown placeholder {sha}" in result.output


@pytest.mark.parametrize(
    "url,web",
    [
        ("git@github.com:acme/ranker.git", "https://github.com/acme/ranker"),
        ("https://github.com/acme/ranker.git", "https://github.com/acme/ranker"),
        ("https://x-access-token:ghp_abc@github.com/acme/ranker.git/", "https://github.com/acme/ranker"),
        ("ssh://git@github.com/acme/ranker", "https://github.com/acme/ranker"),
        ("ssh://git@gitlab.example.com:2222/ml/search/ranker.git", "https://gitlab.example.com/ml/search/ranker"),
        ("https://gitlab.example.com:8443/ml/ranker.git", "https://gitlab.example.com:8443/ml/ranker"),
        ("http://127.0.0.1:3000/acme/ranker.git", "http://127.0.0.1:3000/acme/ranker"),
        ("bitbucket.org:acme/ranker.git", "https://bitbucket.org/acme/ranker"),
        ("/srv/git/ranker.git", None),
        ("file:///srv/git/ranker.git", None),
        ("https://github.com/", None),
    ],
)
def test_remote_urls_in_their_usual_forms(url, web):
    remote = parse_remote(url)
    assert (f"{remote.scheme}://{remote.host}/{remote.path}" if remote else None) == web


def test_a_local_repositorys_origin_is_kept_without_its_credentials(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "remote", "add", "origin", f"https://ci:{SECRET}@gitlab.com/ml/ranker.git")
    (tmp_path / "p.yaml").write_text(
        "portfolio: P\nteams:\n  - name: T\n    projects:\n      - name: a\n        repo: repo\n"
    )
    project = load_portfolio(tmp_path / "p.yaml").projects[0]
    assert project.sources == {"code": {"remote": "https://gitlab.com/ml/ranker.git"}}


def test_serve_exports_the_report_and_the_gate_share_one_default_base_url(sample_db, tmp_path, monkeypatch):
    monkeypatch.delenv("MLDEBT_BASE_URL", raising=False)
    defaults = {p.name: p.default for p in serve.params}
    served = serving_line(sample_db, defaults["host"], defaults["port"], "open")
    origin = re.search(r"on (http://\S+)/ ", served)[1]
    assert origin == DEFAULT_BASE_URL and defaults["port"] == DEFAULT_PORT == 8000

    exported = json.loads(export(sample_db, "json"))[0]["link"]
    db = open_db(sample_db)
    reported = report_data(db).top_items[0].link
    summary = tmp_path / "gate.md"
    gate = CliRunner().invoke(cli, ["check", "reco-service", "--markdown", str(summary), "--db", str(sample_db)])
    assert gate.exit_code in (0, 1), gate.output
    gated = re.search(r"\]\((http://[^)]+)\)", summary.read_text())[1]
    assert {link.split("/projects/")[0] for link in (exported, reported, gated)} == {origin}

    monkeypatch.setenv("MLDEBT_BASE_URL", "https://debt.example.com/")
    assert json.loads(export(sample_db, "json"))[0]["link"].startswith("https://debt.example.com/projects/")
    assert serving_line(sample_db, "127.0.0.1", 8000, "open").endswith(
        "links in exports, reports and the gate point at https://debt.example.com/; Ctrl-C stops it"
    )
