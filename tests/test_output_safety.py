"""Files mldebt writes for people and tools: whole or not at all, inert Markdown, valid URIs (issue 15 item 13).

- A write that fails half way (a real file-size limit, RLIMIT_FSIZE, makes the
  kernel refuse the write with EFBIG, as a full disk does with ENOSPC) leaves
  the file from the run before intact, no temporary file behind, and one line
  saying nothing was written: for the report PDF, `export -o` and each of the
  gate's outputs.
- Names from the portfolio can neither mention people nor inject links,
  images or HTML into the Markdown and GitHub exports.
- SARIF artifact URIs are percent-encoded (RFC 3986) for paths with spaces,
  #, %, brackets and non-ASCII letters.
- `mldebt report --quarter 9999Q4` is one clear line, not an internal error.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

import pytest

from mldebt.atomicfile import OutputError, write_text
from mldebt.readmodel.quarters import Quarter

from .builders import SARIF_RUBRIC

MLDEBT = str(Path(sys.executable).with_name("mldebt"))
TEAM = "@org/everyone ](javascript:alert(1)) <img src=x onerror=alert(1)> *bold* `code` | pipe"
OWNER = "@evil-user [click](javascript:alert(2)) <script>alert(3)</script>"
ODD_FILES = {
    "my model #1 100%/trainér ü.py": "import os\n\n# TODO: a real model\nx = 1\n",
    "odd ?[x] name.py": "# FIXME later\ny = 2\n",
    "plain/ok-file_v1.py": "# TODO: plain\nz = 3\n",
}
PREVIOUS = b"the output of the run before, which must survive\n"
# Run mldebt under a file-size limit; the signal the kernel sends past the limit is ignored, so the write fails
# with EFBIG instead of killing the process (both the limit and the ignored signal survive exec).
LIMITED = """
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
os.execv(sys.argv[2], sys.argv[2:])
"""


def mldebt(*args: str, limit: int | None = None) -> subprocess.CompletedProcess:
    command = [MLDEBT, *args] if limit is None else [sys.executable, "-c", LIMITED, str(limit), MLDEBT, *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    )


@pytest.fixture
def store(tmp_path: Path, make_repo) -> Path:
    """A real repository with oddly named files, under a team and owner whose names are Markdown attacks."""
    repo = make_repo(
        "ranker",
        [
            (
                "2026-10-01T10:00:00+00:00",
                {**ODD_FILES, "requirements.txt": "pandas\n", "tests/test_x.py": "def test_x(:\n    pass\n"},
            )
        ],
    )
    (tmp_path / "rubric.yaml").write_text(SARIF_RUBRIC)
    (tmp_path / "portfolio.yaml").write_text(
        f"portfolio: t\nteams:\n  - name: {json.dumps(TEAM)}\n    id: search\n    owner: {json.dumps(OWNER)}\n"
        f"    projects:\n      - name: ranker\n        repo: {repo}\n        owner: {json.dumps(OWNER)}\n"
    )
    db = tmp_path / "out.db"
    done = mldebt(
        "collect",
        str(tmp_path / "portfolio.yaml"),
        "--rubric",
        str(tmp_path / "rubric.yaml"),
        "--db",
        str(db),
        "--jobs",
        "1",
    )
    assert done.returncode == 0, done.stderr
    return db


# A failed write leaves the previous file ---------------------------------------------------------------------------


@contextmanager
def held_open(db: Path) -> Iterator[None]:
    """Keep a reader on the store, so that its shared-memory file exists at full size before the limited process
    opens it: SQLite then needs to grow no file, and the limit hits only the output."""
    conn = sqlite3.connect(db)
    conn.execute("select count(*) from scans").fetchone()
    try:
        yield
    finally:
        conn.close()


def assert_untouched(target: Path, result: subprocess.CompletedProcess, option: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert target.read_bytes() == PREVIOUS
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name], "a temporary file was left behind"
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"mldebt: error: {option} {target}: writing failed (File too large); nothing was written")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "option,fmt", [("--sarif", None), ("--markdown", None), ("--badge", None), ("-o", "csv"), ("-o", "markdown")]
)
def test_a_write_cut_short_leaves_the_previous_file(store, tmp_path, option, fmt):
    folder = tmp_path / "outputs"
    folder.mkdir()
    target = folder / "result"
    target.write_bytes(PREVIOUS)
    args = (
        ["export", "backlog", "--format", fmt, "-o", str(target)]
        if fmt
        else ["check", "ranker", "--baseline", "none", option, str(target)]
    )
    whole = mldebt(*args, "--db", str(store))
    assert whole.returncode in (0, 1), whole.stderr
    size = target.stat().st_size
    assert size > 2 * len(PREVIOUS), "the output is too small to be cut short"
    target.write_bytes(PREVIOUS)
    with held_open(store):
        assert_untouched(target, mldebt(*args, "--db", str(store), limit=size // 2), option)


def test_a_report_cut_short_leaves_the_previous_pdf(store, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    target = folder / "report.pdf"
    done = mldebt("report", "-o", str(target), "--db", str(store))
    assert done.returncode == 0, done.stderr
    size = target.stat().st_size
    assert target.read_bytes().startswith(b"%PDF")
    target.write_bytes(PREVIOUS)
    with held_open(store):
        assert_untouched(target, mldebt("report", "-o", str(target), "--db", str(store), limit=size // 2), "-o")


def test_the_writer_keeps_the_mode_and_refuses_a_missing_folder(tmp_path):
    target = tmp_path / "kept.txt"
    target.write_text("old")
    target.chmod(0o640)
    write_text(target, "new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o640
    missing = tmp_path / "missing" / "x"
    with pytest.raises(OutputError) as raised:
        write_text(missing, "data")
    assert str(raised.value) == f"{missing}: folder {missing.parent} does not exist"  # the file, never an option
    assert raised.value.named("--sarif") == f"--sarif {missing}: folder {missing.parent} does not exist"


# Markdown and GitHub exports: no mention, link, image or HTML from a name ---------------------------------------------

MENTION = re.compile(r"(?<![\w.+-])@[A-Za-z0-9]")


def assert_inert_markdown(text: str, where: str) -> None:
    assert not MENTION.search(text), (where, MENTION.search(text))
    assert not re.search(r"(?<!\\)\]\(javascript:", text), where  # a link needs an unescaped ](
    for raw in ("<img", "<script", "[click]", "*bold*", "`code`", " | pipe"):
        assert raw not in text, (where, raw)


def test_names_cannot_mention_link_or_inject_html_in_markdown_exports(store):
    markdown = mldebt("export", "backlog", "--format", "markdown", "--db", str(store))
    assert markdown.returncode == 0, markdown.stderr
    assert_inert_markdown(markdown.stdout, "markdown")
    assert "\\](javascript:alert(1))" in markdown.stdout and "&lt;img src=x onerror=alert(1)&gt;" in markdown.stdout
    issues = json.loads(mldebt("export", "backlog", "--format", "github", "--db", str(store)).stdout)
    assert issues
    for issue in issues:
        assert_inert_markdown(issue["body"], "github body")
        assert_inert_markdown(issue["title"], "github title")
        assert "\\[click\\]" in issue["body"]


# SARIF URIs -----------------------------------------------------------------------------------------------------------

URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$")  # RFC 3986 path characters


def test_sarif_uris_are_percent_encoded(store, tmp_path):
    out = tmp_path / "ranker.sarif"
    done = mldebt("check", "ranker", "--baseline", "none", "--sarif", str(out), "--db", str(store))
    assert done.returncode in (0, 1), done.stderr
    results = json.loads(out.read_text())["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert {
        "my%20model%20%231%20100%25/train%C3%A9r%20%C3%BC.py",
        "odd%20%3F%5Bx%5D%20name.py",
        "plain/ok-file_v1.py",
    } <= uris, uris
    for uri in uris:
        assert URI_REFERENCE.match(uri) and ":" not in uri.split("/")[0], uri
    assert {unquote(u) for u in uris} >= set(ODD_FILES)


# A quarter out of range ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quarter,message",
    [
        ("9999Q4", "quarter 9999Q4: no scans in or after it (quarters with scans: 2026Q4)"),
        ("2027Q1", "quarter 2027Q1: no scans in or after it (quarters with scans: 2026Q4)"),
        ("0000Q1", "--quarter '0000Q1': the year must be between 1 and 9999"),
    ],
)
def test_a_quarter_without_scans_is_one_line(store, tmp_path, quarter, message):
    target = tmp_path / "r.pdf"
    result = mldebt("report", "--quarter", quarter, "-o", str(target), "--db", str(store))
    status = 2 if message.startswith("--quarter") else 1  # a quarter that cannot be read; one without scans
    assert (result.returncode, result.stderr) == (status, f"mldebt: error: {message}\n")
    assert not target.exists()


def test_the_last_quarter_of_the_calendar_has_an_end():
    last = Quarter.parse("9999Q4")
    assert str(last.last_day) == "9999-12-31" and last.end.year == 9999
    assert Quarter.parse("2026Q1").last_day.isoformat() == "2026-03-31"
