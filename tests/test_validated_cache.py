"""A rubric or question catalogue validated once is taken from the cache (mldebt.validated) while its files are
unchanged: the same rubric as a full load, an edited file validated again, a damaged entry a miss, and an
unchanged collect that loads no pydantic at all. What mldebt ships is kept beside it, as Python keeps bytecode,
so that a collect with an empty cache folder loads no pydantic either."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mldebt import questions, validated
from mldebt.collectors.registry import declared_keys
from mldebt.errors import InputError
from mldebt.rubric import schema
from mldebt.rubric.schema import load_rubric

RUBRIC = """\
rubric: team
version: "1"
extends: default
checks:
  - id: team-check
    title: A team check
    section: infra
    effort_hours: 2
    automated: repo.files.total > 0
    why: Because.
    fix: Do it.
"""


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Entries in a fresh cache folder; none beside the shipped files (those tests say so), and none of theirs read."""
    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pycache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    return tmp_path / "cache" / validated.FOLDER


def entries(folder: Path, kind: str = "rubric") -> list[Path]:
    return list(folder.glob(f"mldebt-validated-{kind}-*.json"))


def test_the_kept_rubric_equals_a_full_load(cache: Path) -> None:
    keys = declared_keys()
    loaded = load_rubric(None, keys)
    assert len(entries(cache)) == 1
    kept = load_rubric(None, keys)
    assert kept == loaded
    assert (kept.hash, kept.source, kept.content) == (loaded.hash, loaded.source, loaded.content)
    assert kept.checks == loaded.checks and kept.tiers == loaded.tiers


def test_a_kept_rubric_is_used_without_reading_the_file_again(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = declared_keys()
    load_rubric(None, keys)
    monkeypatch.setattr(schema, "_load", lambda *args: pytest.fail("validated again"))
    assert load_rubric(None, keys).name == "mldebt-default"


def test_an_edited_rubric_is_validated_again(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(RUBRIC)
    keys = declared_keys()
    assert load_rubric(path, keys).check("team-check") is not None
    path.write_text(RUBRIC.replace("repo.files.total > 0", "repo.no_such_key > 0"))
    with pytest.raises(InputError) as error:
        load_rubric(path, keys)
    assert str(error.value) == f"{path}:9:16: checks[0].automated: no collector produces repo.no_such_key"


def test_an_error_is_reported_every_time_never_kept(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(RUBRIC.replace("effort_hours: 2", "effort_hours: lots"))
    messages = []
    for _ in range(2):
        with pytest.raises(InputError) as error:
            load_rubric(path, declared_keys())
        messages.append(str(error.value))
    assert messages[0] == messages[1] and f"{path}:8:" in messages[0]
    assert not entries(cache)


def test_other_known_keys_are_another_entry(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(RUBRIC)
    load_rubric(path, declared_keys())
    with pytest.raises(InputError, match=r"no collector produces repo\.files\.total"):
        load_rubric(path, {k: v for k, v in declared_keys().items() if k != "repo.files.total"})


def test_a_damaged_entry_is_a_miss(cache: Path) -> None:
    keys = declared_keys()
    loaded = load_rubric(None, keys)
    (entry,) = entries(cache)
    for damage in ("not json", json.dumps({"files": {}, "value": {"content": "{}", "source": "x"}})):
        entry.write_text(damage)
        assert load_rubric(None, keys) == loaded


def test_the_kept_catalogue_equals_a_full_load(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_bytes(questions.CATALOGUE.read_bytes())
    loaded = questions._validated(str(path))
    questions._load.cache_clear()
    assert questions.load_questions(path) == loaded
    questions._load.cache_clear()
    assert questions.load_questions(path) == loaded  # from the cache this time
    path.write_text(path.read_text().replace("valid_days: ", "valid_days: -", 1))
    questions._load.cache_clear()
    with pytest.raises(InputError, match="greater than or equal to 1"):
        questions.load_questions(path)
    questions._load.cache_clear()


def test_the_shipped_rubric_and_catalogue_are_kept_beside_them_as_bytecode_is(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    keys = declared_keys()
    loaded = load_rubric(None, keys)
    questions._load.cache_clear()
    catalogue = questions.load_questions()
    rubric_folder, catalogue_folder = validated.beside(schema.DEFAULT_RUBRIC), validated.beside(questions.CATALOGUE)
    assert rubric_folder.is_relative_to(tmp_path / "pycache")  # PYTHONPYCACHEPREFIX's tree, as for bytecode
    assert len(entries(rubric_folder)) == 1 and len(entries(catalogue_folder, "questions")) == 1
    assert not entries(cache) and not entries(cache, "questions")
    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "another-cache"))  # a CI job's empty cache
    monkeypatch.setattr(schema, "_load", lambda *args: pytest.fail("validated again"))
    monkeypatch.setattr(questions, "_validated", lambda *args: pytest.fail("validated again"))
    questions._load.cache_clear()
    assert load_rubric(None, keys) == loaded
    assert questions.load_questions() == catalogue
    questions._load.cache_clear()


def test_beside_a_shipped_file_an_entry_another_version_of_the_code_made_is_removed(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    keys = declared_keys()
    load_rubric(None, keys)
    folder = validated.beside(schema.DEFAULT_RUBRIC)
    (current,) = entries(folder)
    made = current.name.split("-")[3]
    older = folder / "mldebt-validated-rubric-00000000000000000000000000000000.json"  # the one-digest names before
    other_code = folder / "mldebt-validated-rubric-0123456789abcdef-0123456789abcdef.json"
    other_keys = folder / f"mldebt-validated-rubric-{made}-0123456789abcdef.json"  # same code, other known keys
    catalogue = folder / "mldebt-validated-questions-0123456789abcdef-0123456789abcdef.json"
    for stale in (older, other_code, other_keys, catalogue):
        stale.write_text(current.read_text())
    current.unlink()
    load_rubric(None, keys)
    assert sorted(entries(folder)) == sorted([current, other_keys]) and catalogue.exists()


def test_nothing_is_kept_beside_when_python_keeps_no_bytecode(cache: Path) -> None:
    load_rubric(None, declared_keys())  # the fixture: sys.dont_write_bytecode, as PYTHONDONTWRITEBYTECODE sets it
    assert not entries(validated.beside(schema.DEFAULT_RUBRIC))
    assert len(entries(cache)) == 1


def test_a_folder_beside_that_cannot_be_written_leaves_the_entry_in_the_cache(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setattr(validated, "beside", lambda shipped: blocked / "__pycache__")
    loaded = load_rubric(None, declared_keys())
    assert len(entries(cache)) == 1
    monkeypatch.setattr(schema, "_load", lambda *args: pytest.fail("validated again"))
    assert load_rubric(None, declared_keys()) == loaded


def test_a_teams_own_rubric_is_kept_in_the_cache_only(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    path = tmp_path / "team.yaml"
    path.write_text(RUBRIC)
    load_rubric(path, declared_keys())
    assert len(entries(cache)) == 1
    assert not list((tmp_path / "pycache").rglob("*.json"))


def test_a_collect_loads_no_pydantic_once_validated_even_with_an_empty_cache(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "train.py").write_text("print(1)\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    code = (
        "import sys\nfrom mldebt.cli.main import cli\n"
        f"try:\n    cli(['collect', {str(repo)!r}, '--db', {str(tmp_path / 'x.db')!r}], prog_name='mldebt')\n"
        "except SystemExit:\n    pass\nprint('pydantic' in sys.modules)"
    )

    def loads_pydantic(cache: str, bytecode: bool = True) -> bool:
        env = {**os.environ, "MLDEBT_CACHE": str(tmp_path / cache), "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if not bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        return {"True": True, "False": False}[out.stdout.splitlines()[-1]]

    assert loads_pydantic("one", bytecode=False)  # the first collect validates the rubric and the catalogue
    assert not loads_pydantic("one", bytecode=False)  # kept in the cache folder
    assert loads_pydantic("two", bytecode=False)  # nothing was kept beside the shipped files
    assert loads_pydantic("three")  # validated again, and kept beside them this time
    assert not loads_pydantic("four")  # an empty cache folder: what a CI job starts with
