"""No cell of a CSV mldebt writes starts a spreadsheet formula (issue 15 item 11).

OWASP's CSV injection payloads (a leading =, +, -, @, tab, carriage return or
line feed, alone or after blanks) are put in team names and owners of a real
portfolio, which is collected into a real store; the backlog CSV, the Jira CSV
and /backlog.csv are parsed back with the csv module, and every cell must be
inert: no formula trigger first, even after leading blanks, and no bare
carriage return that splits a row so a payload starts a cell of its own.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from mldebt.exports.csvsafe import cell, render
from mldebt.webapp import create_app

PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=cmd|' /C calc'!A0",
    "\r=cmd|' /C calc'!A0",
    "\n=cmd|' /C calc'!A0",
    "\r\n@SUM(1+1)",
    '  =HYPERLINK("http://evil.example","x")',
    "Alice\r=cmd|' /C calc'!A0",
    "Bob\n+1+1",
    "Carol\r\n-1+1",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def assert_inert(rows: list[list[str]], where: str) -> None:
    for row in rows:
        for value in row:
            assert not value.startswith(TRIGGERS), f"{where}: {value!r} in {row}"
            assert value.startswith("'") or not value.lstrip().startswith(TRIGGERS), f"{where}: {value!r}"


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture
def hostile_store(tmp_path: Path, make_repo, run, db_path) -> Path:
    """A real portfolio, one team per payload (the payload as the team's name and its project's owner)."""
    repo = make_repo("model", [("2026-01-10T10:00:00+00:00", {"train.py": "x = 1\n", "requirements.txt": "pandas\n"})])
    lines = ["portfolio: hostile", "teams:"]
    for index, payload in enumerate(PAYLOADS):
        lines += [
            f"  - name: {json.dumps(payload)}",
            f"    id: team{index}",
            f"    owner: {json.dumps(payload)}",
            "    projects:",
            f"      - name: p{index}",
            f"        repo: {repo}",
            f"        owner: {json.dumps(payload)}",
        ]
    portfolio = tmp_path / "portfolio.yaml"
    portfolio.write_text("\n".join(lines) + "\n")
    done = run("collect", str(portfolio), "--jobs", "1")
    assert done.exit_code == 0, done.output
    return db_path


@pytest.mark.parametrize("fmt", ["csv", "jira"])
def test_the_backlog_exports_keep_every_payload_inert(hostile_store, run, tmp_path, fmt):
    out = tmp_path / f"backlog-{fmt}.csv"
    done = run("export", "backlog", "--format", fmt, "-o", str(out), "--db", str(hostile_store))
    assert done.exit_code == 0, done.output
    rows = parse(out.read_bytes().decode("utf-8"))
    assert len({len(row) for row in rows}) == 1, "a row was split"
    assert_inert(rows, fmt)
    text = "\n".join(value for row in rows for value in row)
    for payload in PAYLOADS:  # the data is kept, only neutralised
        assert payload.lstrip() in text, payload
    to_stdout = run("export", "backlog", "--format", fmt, "--db", str(hostile_store))
    assert_inert(parse(to_stdout.output), fmt + " on stdout")


def test_the_web_backlog_csv_keeps_every_payload_inert(hostile_store):
    client = create_app({"DATABASE": str(hostile_store), "TESTING": True}).test_client()
    response = client.get("/backlog.csv")
    assert response.status_code == 200
    rows = parse(response.get_data(as_text=True))
    assert len(rows) > len(PAYLOADS) and len({len(row) for row in rows}) == 1, "a row was split"
    assert_inert(rows, "/backlog.csv")
    names = {row[3] for row in rows[1:]}
    assert {"'" + p for p in PAYLOADS if p.lstrip()[:1] in "=+-@" or p[:1] in TRIGGERS} <= names


@pytest.mark.parametrize("payload", PAYLOADS + ["＝1+1", "normal text", "O'Brien", 'say "hi"'])
def test_the_one_escaper(payload):
    rows = parse(render(["a", "b"], [[payload, 3.5]]))
    assert rows[1][1] == "3.5" and len(rows) == 2
    assert_inert(rows, payload)
    assert rows[1][0].removeprefix("'") == payload


def test_numbers_and_empty_cells_stay_as_they_are():
    assert cell(None) == "" and cell(2) == 2 and cell(0.25) == 0.25 and cell("-") == "'-"
