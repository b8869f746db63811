"""The command line end to end on a small real repository."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest

from mldebt.atomicfile import OutputError
from mldebt.cli.main import cli
from mldebt.cli.options import OUTPUT, existing_store, in_option_words
from mldebt.errors import FieldError, InputError, MldebtError
from mldebt.readmodel.quarters import BadValue
from mldebt.store.db import open_db

from .builders import SMALL_PROJECT
from .conftest import ROOT


def all_commands(group: click.Group = cli, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found += all_commands(command, full + " ")
    return found


def test_collect_a_repository_then_show_it(run, make_repo, db_path):
    repo = make_repo("small", [("2026-01-10T10:00:00+00:00", SMALL_PROJECT)])
    result = run("collect", str(repo), "--rubric", str(ROOT / "tests" / "data" / "rubric-starter.yaml"))
    assert result.exit_code == 0, result.output
    assert re.match(r"scored small at [0-9a-f]{12} \(\d{4}-\d\d-\d\d\): ML Test Score 0\.0, grade [A-F]", result.output)

    shown = run("show", "small")
    assert shown.exit_code == 0
    assert re.search(r"^ +✔ met +infra-2-unit-tests  ", shown.output, re.M)
    assert re.search(r"^ML Test +0 of 7: ", shown.output, re.M)

    card = json.loads(run("show", "small", "--json").output)
    assert card["project"] == "small"
    statuses = {c["id"]: c["status"] for c in card["checks"]}
    assert statuses == {
        "infra-2-unit-tests": "automated",
        "deps-pinned": "manual",
        "monitor-1-dependency-updates": "fail",
        "notebooks-out-of-production": "automated",
    }
    assert card["sections"] == {"data": 0.0, "model": 0.0, "infra": 1.0, "monitor": 0.0}


def test_show_unknown_project_is_a_one_line_error(run, make_repo):
    repo = make_repo("small", [("2026-01-10T10:00:00+00:00", SMALL_PROJECT)])
    run("collect", str(repo))
    result = run("show", "nope")
    assert result.exit_code == 2
    assert result.output == "mldebt: error: no project named 'nope' in the database (projects: small)\n"


def test_show_without_a_database(run, db_path):
    result = run("show", "small")
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {db_path}: no database yet: run `mldebt collect` first\n"
    assert not db_path.exists()


def test_score_reapplies_another_rubric(run, make_repo, tmp_path, db):
    repo = make_repo("small", [("2026-01-10T10:00:00+00:00", SMALL_PROJECT)])
    run("collect", str(repo))
    rubric = (ROOT / "rubric" / "default.yaml").read_text().replace("weight: 3", "weight: 5")
    (tmp_path / "r.yaml").write_text(rubric)
    result = run("score", "--rubric", str(tmp_path / "r.yaml"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("scored 1 scans with rubric mldebt-default 1.0 (")
    weights = [r["weight"] for r in db.query("select weight from results where check_id = 'infra-2-unit-tests'")]
    assert weights == [5.0]
    hashes = {r["rubric_hash"] for r in db.query("select rubric_hash from scans")}
    assert len(hashes) == 1 and hashes != {"28f781478f18767d"}


@pytest.mark.parametrize("name,command", all_commands())
def test_every_command_has_help_with_an_example(name, command):
    ctx = click.Context(command, info_name=name)
    text = command.get_help(ctx)
    assert "Example:" in text, f"`mldebt {name} --help` has no example"


@pytest.mark.parametrize("name,command", all_commands())
def test_every_command_is_documented_in_the_readme(name, command):
    readme = (ROOT / "README.md").read_text()
    assert f"mldebt {name}" in readme, f"README.md does not document `mldebt {name}`"


def test_rubric_validate_accepts_the_default_rubric(run):
    result = run("rubric", "validate", str(ROOT / "rubric" / "default.yaml"))
    assert result.exit_code == 0
    assert re.fullmatch(
        r".*default\.yaml: valid rubric mldebt-default 1\.0, 69 checks \(hash [0-9a-f]{16}\)\n", result.output
    )


def test_bad_as_of_date(run, make_repo):
    repo = make_repo("small", [("2026-01-10T10:00:00+00:00", SMALL_PROJECT)])
    result = run("collect", str(repo), "--as-of", "last tuesday")
    assert result.exit_code == 2
    assert result.output == (
        "mldebt: error: --as-of 'last tuesday': expected a date such as 2026-03-31 or 2026-03-31T18:00\n"
    )


def test_console_script_runs_without_traceback(tmp_path):
    exe = Path(sys.executable).with_name("mldebt")
    proc = subprocess.run([str(exe), "show", "x", "--db", str(tmp_path / "x.db")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("mldebt: error:")


def test_the_store_reads_plainly_with_pandas(run, make_repo, db_path):
    import sqlite3

    import pandas as pd

    repo = make_repo("small", [("2026-01-10T10:00:00+00:00", SMALL_PROJECT)])
    run("collect", str(repo), "--as-of", "2026-02-01")
    run("collect", str(repo))
    with sqlite3.connect(db_path) as conn:
        frame = pd.read_sql_query(
            "select s.project_id, s.as_of, sc.value as ml_test_score from scans s "
            "join scores sc on sc.scan_id = s.id and sc.scope = 'mltest' order by s.as_of",
            conn,
        )
        evidence = pd.read_sql_query("select key, value from evidence where key = 'repo.tests.functions'", conn)
    assert list(frame["project_id"]) == ["small", "small"]
    assert frame["as_of"].iloc[0] == "2026-02-01T23:59:59+00:00"
    assert list(evidence["value"]) == ["2", "2"]


# The glue every command shares, written once (issue 16) -------------------------------------------------------------


def test_every_command_takes_the_one_db_option():
    found = {name: [p for p in command.params if p.name == "db_path"] for name, command in all_commands()}
    without = {name for name, params in found.items() if not params}
    assert without == {"campaign", "export", "portfolio", "rubric", "rubric validate", "token", "user"}
    options = [params[0] for params in found.values() if params]
    assert {(tuple(o.opts), o.envvar, o.default, o.help) for o in options} == {
        (("--db",), "MLDEBT_DB", "mldebt.db", "The SQLite store (or set MLDEBT_DB).")
    }


def test_the_glue_lives_in_options_only():
    sources = {path.name: path.read_text() for path in sorted((ROOT / "mldebt" / "cli").glob("*.py"))}
    for text in ('"--db"', "no database yet", "fromisoformat", "Quarter.parse", "except FieldError", "except BadValue"):
        assert [name for name, source in sources.items() if text in source] == ["options.py"], text


def test_the_store_is_refused_when_missing_and_closed_even_after_an_error(tmp_path):
    missing = tmp_path / "none.db"
    with (
        pytest.raises(InputError, match=r"none\.db: no database yet: run `mldebt collect` first$"),
        existing_store(missing),
    ):
        pass
    assert not missing.exists()
    path = tmp_path / "s.db"
    open_db(path).close()
    with pytest.raises(RuntimeError), existing_store(path) as db:
        raise RuntimeError("the command failed")
    with pytest.raises(sqlite3.ProgrammingError):
        db.execute("select 1")


def test_library_errors_name_values_and_the_cli_names_options(tmp_path):
    target = tmp_path / "r.pdf"
    cases = [
        (FieldError("expires", "2026-01-01 is before the day of the answer"), {"expires": "--expires"}),
        (FieldError("check", "no check 'x' in rubric r"), {"reason": "--reason"}),
        (BadValue("target", "2026-09-30", "must be after the start, 2026-10-01"), {"target": "--target"}),
        (BadValue("quarter", "2026Q5", "expected a quarter such as 2026Q3"), {"target": "--target"}),
        (OutputError(target, "is a folder, not a file"), {OUTPUT: "-o"}),
    ]
    said = []
    for error, options in cases:
        with pytest.raises(MldebtError) as raised, in_option_words(options):
            raise error
        said.append(str(raised.value))
    assert said == [
        "--expires: 2026-01-01 is before the day of the answer",
        "no check 'x' in rubric r",  # an argument, not an option: the problem alone
        "--target '2026-09-30': must be after the start, 2026-10-01",
        "quarter '2026Q5': expected a quarter such as 2026Q3",  # no option gave it: its own name
        f"-o {target}: is a folder, not a file",
    ]
