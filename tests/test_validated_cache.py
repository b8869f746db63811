"""A rubric or question catalogue validated once is taken from the cache (mldebt.validated) while its files are
unchanged: the same rubric as a full load, an edited file validated again, a damaged entry a miss, and an
unchanged collect that loads no pydantic at all."""

from __future__ import annotations

import json
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
    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / validated.FOLDER


def test_the_kept_rubric_equals_a_full_load(cache: Path) -> None:
    keys = declared_keys()
    loaded = load_rubric(None, keys)
    assert len(list(cache.glob("rubric-*.json"))) == 1
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
    assert not list(cache.glob("rubric-*.json"))


def test_other_known_keys_are_another_entry(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(RUBRIC)
    load_rubric(path, declared_keys())
    with pytest.raises(InputError, match=r"no collector produces repo\.files\.total"):
        load_rubric(path, {k: v for k, v in declared_keys().items() if k != "repo.files.total"})


def test_a_damaged_entry_is_a_miss(cache: Path) -> None:
    keys = declared_keys()
    loaded = load_rubric(None, keys)
    (entry,) = cache.glob("rubric-*.json")
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


def test_an_unchanged_collect_loads_no_pydantic(tmp_path: Path) -> None:
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
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
        for _ in range(2)
    ]
    assert runs[0][-1] == "True"  # the first collect validates the rubric and the catalogue
    assert runs[1][-1] == "False"
