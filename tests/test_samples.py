"""The sample-project builder (scripts/samples.py) and the shape of the samples:
real git histories over several quarters, HEAD trees equal to the replayed
layers, deterministic builds, parseable code and well-formed expected.yaml."""

from __future__ import annotations

import ast
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from mldebt.collectors.registry import declared_keys
from mldebt.errors import InputError
from mldebt.readmodel.quarters import Quarter
from mldebt.rubric.schema import load_rubric
from scripts.samples import build_repo, build_samples, load_history, main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_projects"
NAMES = sorted(p.name for p in SAMPLES.iterdir() if (p / "history.yaml").is_file())
CHECK_VALUES = {"automated", "manual", "fail", "unknown", "n/a"}
FACT_KEYS = {
    "repo.files.total",
    "repo.python.files",
    "repo.notebooks.count",
    "repo.notebooks.with_outputs",
    "repo.tests.files",
    "repo.tests.functions",
    "repo.deps.pinned_ratio",
    "repo.deps.lockfiles",
    "repo.ci.configs",
    "repo.deps.update_bot",
    "repo.debt_markers.count",
    "repo.readme.present",
}
REQUIRED_QUARTERS = {"2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"}


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True, text=True).stdout


def head_files(repo: Path) -> dict[str, bytes]:
    paths = git(repo, "ls-tree", "-r", "-z", "--name-only", "HEAD").split("\0")
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return {
        path: subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:{path}"], env=env, check=True, capture_output=True
        ).stdout
        for path in paths
        if path
    }


def replayed_layers(project: Path) -> dict[str, bytes]:
    """The tree HEAD should have: every commit's layer copied over, removals applied."""
    tree: dict[str, bytes] = {}
    for commit in load_history(project):
        if commit["layer"]:
            layer = project / "layers" / commit["layer"]
            for path in sorted(layer.rglob("*")):
                if path.is_file():
                    tree[path.relative_to(layer).as_posix()] = path.read_bytes()
        for rel in commit["remove"]:
            tree = {k: v for k, v in tree.items() if k != rel and not k.startswith(rel + "/")}
    return tree


def head_hashes(dest: Path) -> dict[str, str]:
    return {name: git(dest / "repos" / name, "rev-parse", "HEAD").strip() for name in NAMES}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("samples")
    assert build_samples(SAMPLES, dest) == dest / "portfolio.yaml"
    return dest


def test_there_are_four_samples_and_the_portfolio_lists_them():
    assert NAMES == ["churn-notebooks", "credit-risk-prod", "fraud-kaggle", "reco-service"]
    portfolio = yaml.safe_load((SAMPLES / "portfolio.yaml").read_text())
    assert set(portfolio) == {"portfolio", "teams"}
    projects = [p for team in portfolio["teams"] for p in team["projects"]]
    assert sorted(p["name"] for p in projects) == NAMES
    for team in portfolio["teams"]:
        assert set(team) <= {"name", "id", "owner", "projects"}
    for project in projects:
        assert set(project) <= {"name", "repo", "owner", "tags", "tier", "description"}
        assert project["repo"] == f"repos/{project['name']}"
        assert project["description"]


def test_build_gives_a_repository_per_project_and_copies_the_portfolio(built):
    assert (built / "portfolio.yaml").read_bytes() == (SAMPLES / "portfolio.yaml").read_bytes()
    for name in NAMES:
        repo = built / "repos" / name
        assert (repo / ".git").is_dir()
        assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
        assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("name", NAMES)
def test_history_spans_quarters_and_authors(built, name):
    log = git(built / "repos" / name, "log", "--format=%aI|%cI|%an").splitlines()
    assert len(log) >= 5
    dates = [datetime.fromisoformat(line.split("|")[0]) for line in log]
    assert [line.split("|")[0] for line in log] == [line.split("|")[1] for line in log]
    quarters = {str(Quarter.of(d.date())) for d in dates}
    assert len(quarters) >= 4
    assert quarters >= REQUIRED_QUARTERS
    assert max(dates).date().isoformat() <= "2026-11-15"
    assert 2 <= len({line.split("|")[2] for line in log}) <= 3


@pytest.mark.parametrize("name", NAMES)
def test_head_tree_matches_the_replayed_layers(built, name):
    assert head_files(built / "repos" / name) == replayed_layers(SAMPLES / name)


@pytest.mark.parametrize("name", NAMES)
def test_every_layer_is_used(name):
    used = {c["layer"] for c in load_history(SAMPLES / name)}
    assert {p.name for p in (SAMPLES / name / "layers").iterdir() if p.is_dir()} == used


def test_builds_are_deterministic_and_can_be_repeated(built, tmp_path):
    first = head_hashes(built)
    build_samples(SAMPLES, tmp_path)
    assert head_hashes(tmp_path) == first
    (tmp_path / "repos" / NAMES[0] / "stray.txt").write_text("left over from an earlier build")
    build_samples(SAMPLES, tmp_path)
    assert head_hashes(tmp_path) == first
    assert not (tmp_path / "repos" / NAMES[0] / "stray.txt").exists()


@pytest.mark.parametrize("name", NAMES)
def test_python_files_parse_and_notebooks_are_nbformat_4(built, name):
    files = head_files(built / "repos" / name)
    for path, content in files.items():
        if path.endswith(".py"):
            ast.parse(content.decode("utf-8"), filename=path)
        elif path.endswith(".ipynb"):
            notebook = json.loads(content)
            assert notebook["nbformat"] == 4, path
            assert isinstance(notebook["cells"], list) and notebook["cells"], path
    readme = files["README.md"].decode("utf-8")
    assert "## Debt profile" in readme


@pytest.mark.parametrize("name", NAMES)
def test_expected_yaml_is_well_formed(name):
    expected = yaml.safe_load((SAMPLES / name / "expected.yaml").read_text())
    assert set(expected) == {"profile", "facts", "scores", "checks"}
    assert isinstance(expected["profile"], str) and expected["profile"].strip()
    assert set(expected["facts"]) <= FACT_KEYS | set(declared_keys())  # any key some collector declares
    assert expected["checks"] and set(expected["checks"].values()) <= CHECK_VALUES


def test_profiles_differ():
    checks = {name: yaml.safe_load((SAMPLES / name / "expected.yaml").read_text())["checks"] for name in NAMES}
    assert len({tuple(sorted(c.items())) for c in checks.values()}) == len(NAMES)
    automated = {name: sum(status == "automated" for status in c.values()) for name, c in checks.items()}
    assert automated["credit-risk-prod"] > automated["reco-service"] > automated["churn-notebooks"]
    assert automated["reco-service"] > automated["fraud-kaggle"]
    ml_tests = {c.id for c in load_rubric().checks if c.ml_test}
    # the research notebooks earn no automated ML test; what their tier does not expect of them is n/a
    assert {checks["churn-notebooks"][i] for i in ml_tests} <= {"fail", "manual", "n/a"}
    assert "n/a" not in {checks["credit-risk-prod"][i] for i in ml_tests if "monitor" in i}


def test_command_line_prints_the_portfolio_path(tmp_path, capsys):
    assert main([str(SAMPLES), str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "portfolio.yaml")
    assert main([]) == 2


def _project(tmp_path: Path, history: str, layers: tuple[str, ...] = ("one",)) -> Path:
    project = tmp_path / "demo"
    for layer in layers:
        (project / "layers" / layer).mkdir(parents=True)
        (project / "layers" / layer / "a.py").write_text("x = 1\n")
    (project / "history.yaml").write_text(history)
    return project


AUTHOR = "author: {name: A, email: a@example.com}\n"


@pytest.mark.parametrize(
    "history, problem",
    [
        ("commits: []\n", "commits: list should have at least 1 item"),
        ("commits: [\n", "YAML syntax error"),
        (AUTHOR + "commits:\n  - {message: m, layer: one}\n", "commits[0].date: required key is missing"),
        (AUTHOR + "commits:\n  - {date: '2026-01-01T00:00:00', message: m, layer: one}\n", "timezone"),
        (
            AUTHOR + "commits:\n  - {date: '2026-01-01T00:00:00+00:00', layer: one}\n",
            "message: required key is missing",
        ),
        (AUTHOR + "commits:\n  - {date: '2026-01-01T00:00:00+00:00', message: m, layer: nope}\n", "layers/nope"),
        (AUTHOR + "commits:\n  - {date: '2026-01-01T00:00:00+00:00', message: m}\n", "'layer' or paths"),
        (
            AUTHOR + "commits:\n  - {date: '2026-01-01T00:00:00+00:00', message: m, layer: one, colour: red}\n",
            "colour: unknown key",
        ),
        ("commits:\n  - {date: '2026-01-01T00:00:00+00:00', message: m, layer: one}\n", "no author"),
        (
            AUTHOR + "commits:\n  - {date: '2026-01-01T00:00:00+00:00', message: m, layer: one, remove: [../x]}\n",
            "relative path",
        ),
        (
            AUTHOR + "commits:\n  - {date: '2026-02-01T00:00:00+00:00', message: m, layer: one}\n"
            "  - {date: '2026-01-01T00:00:00+00:00', message: n, remove: [a.py]}\n",
            "backwards",
        ),
    ],
)
def test_invalid_history_is_rejected_with_file_and_reason(tmp_path, history, problem):
    project = _project(tmp_path, history)
    with pytest.raises(InputError, match=r"history\.yaml") as info:
        build_repo(project, tmp_path / "out")
    assert problem in "\n".join(info.value.problems)


def test_removing_a_missing_path_is_an_error(tmp_path):
    project = _project(
        tmp_path, AUTHOR + "commits:\n  - {date: '2026-01-01T00:00:00+00:00', message: m, layer: one, remove: [b.py]}\n"
    )
    with pytest.raises(InputError, match=r"cannot remove 'b\.py'"):
        build_repo(project, tmp_path / "out")
