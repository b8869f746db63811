"""A waiver of one place (issue 18, part 5): `mldebt waive --at path:line`, the waive form and the API waive the
finding at that place only; the check counts as waived once every place it is unmet at is waived, SARIF
suppresses each waived place's result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.access import create_token
from mldebt.cli.main import cli
from mldebt.store.db import open_db, rows
from mldebt.waivers import parse_location

from .browser import sign_in

CHECK = "no-hardcoded-data-paths"
PROJECT = {
    "svc/src/train.py": 'import pandas as pd\n\n\ndef load():\n    return pd.read_csv("/mnt/data/raw/train.csv")\n',
    "svc/src/score.py": (
        "import pandas as pd\n\n\ndef load_scores():\n"
        '    frame = pd.read_parquet("/mnt/data/features/scores.parquet")\n    return frame\n'
    ),
    "svc/requirements.txt": "pandas==2.2.2\n",
}
UNTIL = "2099-01-31"


def mldebt(db: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


@pytest.fixture
def store(make_repo, tmp_path) -> Path:
    """A monorepo whose project (in svc/) reads data from two hard-coded paths, collected under the default rubric."""
    repo = make_repo("mono", [("2026-10-01T10:00:00+00:00", PROJECT)])
    (tmp_path / "portfolio.yaml").write_text(
        "portfolio: t\nteams:\n  - name: Search\n    projects:\n"
        f"      - name: ranker\n        repo: {repo}\n        subpath: svc\n"
    )
    db = tmp_path / "lw.db"
    done = mldebt(db, "collect", str(tmp_path / "portfolio.yaml"))
    assert done.exit_code == 0, done.output
    return db


def result(db: Path) -> dict:
    explained = mldebt(db, "explain", "ranker", CHECK, "--json")
    assert explained.exit_code == 0, explained.output
    return json.loads(explained.output)["result"]


def sarif_results(db: Path, tmp_path: Path) -> dict[str, dict]:
    out = tmp_path / "ranker.sarif"
    gate = mldebt(db, "check", "ranker", "--sarif", str(out))
    assert gate.exit_code == 0, gate.output
    found = [r for r in json.loads(out.read_text())["runs"][0]["results"] if r["ruleId"] == CHECK]
    by_place = {}
    for r in found:
        where = r["locations"][0]["physicalLocation"]
        by_place[f"{where['artifactLocation']['uri']}:{where['region']['startLine']}"] = r
    return by_place


def paydown_status(db: Path) -> str:
    store = open_db(db)
    try:
        return next(rows(store, "select status from paydown_items where check_id = ?", [CHECK]))["status"]
    finally:
        store.close()


def test_waiving_one_place_then_the_other(store, tmp_path):
    before = result(store)
    assert before["status"] == "manual"
    assert "(at src/score.py:5 and src/train.py:5)" in before["reason"]
    assert set(sarif_results(store, tmp_path)) == {"svc/src/score.py:5", "svc/src/train.py:5"}

    one = mldebt(
        store, "waive", "ranker", CHECK, "--at", "src/train.py:5", "--reason", "exploration only.", "--owner", "ana"
    )
    assert one.exit_code == 2 and one.output == "mldebt: error: waive needs --until (see `mldebt waive --help`)\n"
    one = mldebt(
        store,
        *("waive", "ranker", CHECK, "--at", "src/train.py:5", "--reason", "exploration only."),
        *("--owner", "ana", "--expires", UNTIL),
    )
    assert one.exit_code == 0, one.output
    assert one.output.startswith(f"waived {CHECK} at src/train.py:5 for ranker from ")

    partly = result(store)
    assert partly["status"] == "manual"  # still unmet at the other place
    assert partly["reason"] == (
        before["reason"].rstrip(".")
        + f". Waived at src/train.py:5 until {UNTIL} by ana: exploration only; still unmet at src/score.py:5."
    )
    assert paydown_status(store) == "open"
    places = sarif_results(store, tmp_path)
    assert places["svc/src/train.py:5"]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": f"waived at src/train.py:5 until {UNTIL} by ana: exploration only",
        }
    ]
    assert "suppressions" not in places["svc/src/score.py:5"]

    # the second place through the API, written loosely: the place is read as mldebt writes it
    db = open_db(store)
    token, _ = create_token(db, "ci-waive", ["waive"])
    db.close()
    from mldebt.webapp import create_app

    client = create_app({"DATABASE": str(store), "TESTING": True}).test_client()
    response = client.post(
        "/api/v1/projects/ranker/waivers",
        json={"check": CHECK, "at": "./src//score.py:05", "reason": "retired in Q1", "owner": "bo", "until": UNTIL},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["location"] == "src/score.py:5"

    waived = result(store)
    assert waived["status"] == "waived"
    assert waived["reason"] == (
        f"Waived at src/score.py:5 until {UNTIL} by bo: retired in Q1; at src/train.py:5 until {UNTIL} by ana: "
        f"exploration only. Without the waivers: {before['reason'].rstrip('.')}."
    )
    assert paydown_status(store) == "waived"
    places = sarif_results(store, tmp_path)
    assert set(places) == {"svc/src/score.py:5", "svc/src/train.py:5"}
    assert all(r["suppressions"][0]["status"] == "accepted" for r in places.values())

    listed = mldebt(store, "waive", "--list")
    assert listed.output.splitlines() == [
        f"ranker  {CHECK}  at src/score.py:5  until {UNTIL}  owner bo  retired in Q1",
        f"ranker  {CHECK}  at src/train.py:5  until {UNTIL}  owner ana  exploration only.",
    ]


@pytest.mark.parametrize(
    "at,message",
    [
        ("src/train.py", "--at: 'src/train.py': expected a file and a line, such as src/train.py:42"),
        ("src/train.py:0", "--at: 'src/train.py:0': the line must be a positive number"),
        ("src/train.py:-3", "--at: 'src/train.py:-3': expected a file and a line, such as src/train.py:42"),
        ("src/train.py:x", "--at: 'src/train.py:x': expected a file and a line, such as src/train.py:42"),
        ("/etc/src/train.py:5", "--at: '/etc/src/train.py:5': the path must be relative to the project's folder"),
        ("C:/src/train.py:5", "--at: 'C:/src/train.py:5': the path must be relative to the project's folder"),
        ("src/../../train.py:5", "--at: 'src/../../train.py:5': the path must not go up a folder ('..')"),
        ("src\\train.py:5", "--at: 'src\\\\train.py:5': write the path with / between folders"),
        (
            "src/train.py:6",
            f"--at: src/train.py:6: check {CHECK} has no evidence there in the latest scan "
            "(did you mean 'src/train.py:5' or 'src/score.py:5'?)",
        ),
        (
            "lib/other.py:1",
            f"--at: lib/other.py:1: check {CHECK} has no evidence there in the latest scan "
            "(its places: src/score.py:5, src/train.py:5)",
        ),
    ],
)
def test_a_bad_place_is_refused_with_one_line(store, at, message):
    refused = mldebt(store, "waive", "ranker", CHECK, "--at", at, "--reason", "r", "--owner", "o", "--until", UNTIL)
    assert (refused.exit_code, refused.output) == (2, f"mldebt: error: {message}\n")
    db = open_db(store)
    assert db["waivers"].count == 0
    db.close()


def test_a_check_without_places_cannot_be_waived_at_one(store):
    refused = mldebt(
        store,
        "waive",
        "ranker",
        "deps-pinned",
        "--at",
        "requirements.txt:1",
        "--reason",
        "r",
        "--owner",
        "o",
        "--until",
        UNTIL,
    )
    assert refused.exit_code == 2
    assert refused.output == (
        "mldebt: error: --at: requirements.txt:1: check deps-pinned points at no file and line in the latest scan; "
        "waive the whole check\n"
    )


def test_the_waive_form_takes_a_place(store, tmp_path):
    from mldebt.webapp import create_app

    client = create_app({"DATABASE": str(store), "TESTING": True}).test_client()
    token = sign_in(client, store)
    form = client.get(f"/projects/ranker/waive?check={CHECK}&at=src/train.py:5").get_data(as_text=True)
    assert 'name="at"' in form and 'value="src/train.py:5"' in form
    fields = {"check": CHECK, "reason": "exploration only", "owner": "ana", "until": UNTIL, "csrf_token": token}
    bad = client.post("/projects/ranker/waive", data={**fields, "at": "../train.py:5"})
    assert bad.status_code == 400
    assert "at: &#39;../train.py:5&#39;: the path must not go up a folder (&#39;..&#39;)" in bad.get_data(as_text=True)
    done = client.post("/projects/ranker/waive", data={**fields, "at": "src/train.py:5"})
    assert done.status_code == 303
    page = client.get("/projects/ranker").get_data(as_text=True)
    assert "Only at src/train.py:5: exploration only" in page
    assert result(store)["status"] == "manual"
    assert "Waived at src/train.py:5" in result(store)["reason"]


@pytest.mark.parametrize(
    "text,read",
    [("src/a.py:42", "src/a.py:42"), (" ./src//a.py:042 ", "src/a.py:42"), ("a b/c:d.py:7", "a b/c:d.py:7")],
)
def test_places_are_read_as_mldebt_writes_them(text, read):
    assert parse_location(text) == read
