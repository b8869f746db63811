"""A truncated or corrupt database: every command that opens it says so in one line, exits 2, and leaves it as it was.

The damage is real bytes in a real file: truncations at several offsets, random
bytes over the header fields the SQLite format constrains and over b-tree pages,
an empty file, and a leftover write-ahead log. Damage inside a stored value is
not among them: SQLite keeps no checksums, so no open can see it.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.cli.main import cli
from mldebt.errors import StoreError
from mldebt.store.db import open_db
from mldebt.webapp import create_app

from .builders import REPORT_RUBRIC as RUBRIC
from .builders import small_portfolio

PAGE = 4096
Damage = Callable[[bytes, random.Random], bytes]


def _overwrite(data: bytes, start: int, length: int, rng: random.Random, first: int | None = None) -> bytes:
    noise = bytearray(rng.randrange(256) for _ in range(length))
    if first is not None:
        noise[0] = first
    out = bytearray(data)
    out[start : start + length] = noise
    return bytes(out)


def _pages(data: bytes) -> int:
    return len(data) // PAGE


DAMAGES: dict[str, Damage] = {
    "empty": lambda d, r: b"",
    "cut-at-10": lambda d, r: d[:10],
    "cut-at-100": lambda d, r: d[:100],
    "cut-at-1000": lambda d, r: d[:1000],
    "cut-at-one-page": lambda d, r: d[:PAGE],
    "cut-at-a-third": lambda d, r: d[: len(d) // 3],
    "cut-before-last-page": lambda d, r: d[:-PAGE],
    "cut-last-byte": lambda d, r: d[:-1],
    "header-page-size-and-versions": lambda d, r: _overwrite(d, 16, 8, r),
    "header-payload-fractions": lambda d, r: _overwrite(d, 21, 3, r, first=0x41),
    "header-text-encoding": lambda d, r: _overwrite(d, 56, 4, r, first=0x7F),
    "header-reserved-space": lambda d, r: _overwrite(d, 72, 20, r, first=0x01),
    # a b-tree (or overflow) page's first byte is its type (or the next page's number): 0xFF is never valid
    "second-page": lambda d, r: _overwrite(d, PAGE, 24, r, first=0xFF),
    "middle-page": lambda d, r: _overwrite(d, PAGE * (_pages(d) // 2), 24, r, first=0xFF),
    "last-page": lambda d, r: _overwrite(d, PAGE * (_pages(d) - 1), 24, r, first=0xFF),
}


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """A real store with two scans, vacuumed (no free pages) and checkpointed into one file."""
    tmp = tmp_path_factory.mktemp("good")
    portfolio = small_portfolio(tmp, 0)
    path = tmp / "good.db"
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("mldebt")),
            "collect",
            str(portfolio),
            "--rubric",
            str(RUBRIC),
            "--db",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(path)
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    assert not path.with_name("good.db-wal").exists()
    data = path.read_bytes()
    assert _pages(data) > 20 and len(data) % PAGE == 0
    return data, tmp / "repo0-0"


def commands(db: Path, repo: Path, out: Path) -> dict[str, list[str]]:
    return {
        "collect": ["collect", str(repo), "--project", "c0-0", "--rubric", str(RUBRIC), "--db", str(db)],
        "show": ["show", "c0-0", "--db", str(db)],
        "score": ["score", "--rubric", str(RUBRIC), "--db", str(db)],
        "explain": ["explain", "c0-0", "some-check", "--db", str(db)],
        "report": ["report", "-o", str(out / "r.pdf"), "--db", str(db)],
        "export": ["export", "backlog", "--format", "csv", "-o", str(out / "b.csv"), "--db", str(db)],
        "check": ["check", "c0-0", "--db", str(db)],
        "serve": ["serve", "--port", "9", "--db", str(db)],
    }


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def assert_refused(args: list[str], db: Path, *files: Path) -> str:
    before = [digest(f) for f in (db, *files)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (args[0], result.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"mldebt: error: {db}: "), (args[0], result.stderr)
    assert [digest(f) for f in (db, *files)] == before, f"{args[0]} changed the damaged file"
    assert not (db.parent / "r.pdf").exists() and not (db.parent / "b.csv").exists()
    return lines[0]


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_every_command_refuses_a_damaged_database_in_one_line_and_leaves_it_untouched(damage, good_db, tmp_path):
    data, repo = good_db
    db = tmp_path / "damaged.db"
    db.write_bytes(DAMAGES[damage](data, random.Random(f"mldebt-{damage}")))
    messages = {name: assert_refused(args, db) for name, args in commands(db, repo, tmp_path).items()}
    assert len(set(messages.values())) == 1, messages  # the same diagnosis whichever command found it


def test_the_messages_say_what_is_wrong(good_db, tmp_path):
    data, _ = good_db
    db = tmp_path / "x.db"
    expected = {
        "empty": f"{db}: is empty (0 bytes), not a database; move it away to start a new one (refusing to touch it)",
        "cut-at-10": f"{db}: database is damaged or unreadable: truncated to 10 bytes (the file was left untouched)",
        "cut-at-1000": f"{db}: database is damaged or unreadable: truncated: 1000 bytes where the header "
        f"promises {_pages(data)} pages of {PAGE} (the file was left untouched)",
        "cut-last-byte": f"{db}: database is damaged or unreadable: truncated: {len(data) - 1} bytes where the header "
        f"promises {_pages(data)} pages of {PAGE} (the file was left untouched)",
        "header-reserved-space": f"{db}: database is damaged or unreadable: the header holds values the SQLite format "
        "does not allow (the file was left untouched)",
        "second-page": f"{db}: database is damaged or unreadable: ",
    }
    for damage, message in expected.items():
        db.write_bytes(DAMAGES[damage](data, random.Random(f"mldebt-{damage}")))
        with pytest.raises(StoreError) as info:
            open_db(db)
        assert str(info.value).startswith(message) if message.endswith(": ") else str(info.value) == message, str(
            info.value
        )


def test_a_damaged_database_with_a_leftover_wal_is_refused_and_neither_file_changes(good_db, tmp_path):
    data, repo = good_db
    db = tmp_path / "damaged.db"
    wal = tmp_path / "damaged.db-wal"
    db.write_bytes(data[: len(data) // 2])
    wal.write_bytes(bytes(random.Random(7).randrange(256) for _ in range(3 * PAGE)))
    for args in commands(db, repo, tmp_path).values():
        assert_refused(args, db, wal)


def test_a_leftover_wal_of_noise_beside_a_sound_database_is_ignored(good_db, tmp_path):
    """SQLite ignores a log whose header and checksums do not hold: the store reads as it was."""
    data, _ = good_db
    db = tmp_path / "sound.db"
    db.write_bytes(data)
    (tmp_path / "sound.db-wal").write_bytes(bytes(random.Random(8).randrange(256) for _ in range(2 * PAGE)))
    result = CliRunner().invoke(cli, ["show", "c0-0", "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "c0-0" in result.stdout
    assert db.read_bytes() == data


def test_the_web_app_answers_a_database_damaged_under_it_with_an_error_page(good_db, tmp_path):
    data, _ = good_db
    db = tmp_path / "served.db"
    db.write_bytes(data)
    app = create_app({"DATABASE": str(db), "TESTING": True, "PAGE_CACHE": 0})
    client = app.test_client()
    assert client.get("/").status_code == 200
    for damage in ("cut-at-1000", "header-page-size-and-versions", "empty"):
        db.write_bytes(DAMAGES[damage](data, random.Random(f"mldebt-{damage}")))
        for ext in ("-wal", "-shm"):
            (tmp_path / f"served.db{ext}").unlink(missing_ok=True)
        before = digest(db)
        page = client.get("/")
        assert page.status_code == 503
        assert f"{db}: " in page.get_data(as_text=True)
        api = client.get("/api/v1/projects")
        assert api.status_code == 503 and api.get_json()["error"]["message"].startswith(f"{db}: ")
        assert digest(db) == before
