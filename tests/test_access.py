"""Users and API tokens: kept only as hashes, scoped, revocable; `mldebt user` and `mldebt token`."""

from __future__ import annotations

import re
import sqlite3

import pytest
from click.testing import CliRunner

from mldebt.access import (
    Identity,
    add_user,
    authenticate,
    create_token,
    list_tokens,
    revoke_token,
    session_secret,
    token_identity,
)
from mldebt.cli.main import cli
from mldebt.errors import InputError, NotFound


def every_stored_text(db_path) -> str:
    """Every value in every table, as one string: what someone who copies the file can read."""
    conn = sqlite3.connect(db_path)
    found = []
    for (table,) in conn.execute("select name from sqlite_master where type = 'table'"):
        for row in conn.execute(f'select * from "{table}"'):
            found += [str(v) for v in row]
    conn.close()
    return "\n".join(found)


def test_a_password_is_stored_only_as_a_salted_hash(db, db_path):
    add_user(db, "elena", "correct horse battery")
    stored = db["users"].get("elena")["password_hash"]
    assert stored.startswith("scrypt:") and "correct horse battery" not in every_stored_text(db_path)
    assert authenticate(db, "elena", "correct horse battery") == Identity(
        "elena", "user", frozenset({"read", "attest", "waive"})
    )
    assert authenticate(db, "elena", "wrong") is None
    assert authenticate(db, "nobody", "correct horse battery") is None


@pytest.mark.parametrize(
    "name,password,message",
    [
        ("elena", "short", "the password must have at least 10 characters"),
        (
            "../etc",
            "long enough password",
            "user name '../etc': use 1-64 letters, digits and . _ @ + - (starting with a letter or digit)",
        ),
        ("", "long enough password", "user name '': use 1-64 letters"),
    ],
)
def test_bad_users_are_refused(db, name, password, message):
    with pytest.raises(InputError) as caught:
        add_user(db, name, password)
    assert str(caught.value).startswith(message)


def test_a_token_is_shown_once_stored_hashed_and_can_be_revoked(db, db_path):
    token, row = create_token(db, "ci-reco", ["attest", "waive"], "2099-12-31")
    assert re.fullmatch(r"mldebt_[A-Za-z0-9_-]{43}", token)
    assert token not in every_stored_text(db_path)
    assert row["prefix"] == token[:13]
    assert token_identity(db, token) == Identity("ci-reco", "token", frozenset({"attest", "waive"}))
    assert list_tokens(db)[0]["last_used_at"] is not None
    assert token_identity(db, token + "x") is None and token_identity(db, "not-a-token") is None
    revoke_token(db, "ci-reco")
    assert token_identity(db, token) is None
    with pytest.raises(NotFound, match="no live token named 'ci-reco'"):
        revoke_token(db, "ci-reco")


def test_an_expired_token_stops_working(db):
    token, row = create_token(db, "old", ["read"])
    db["api_tokens"].update(row["id"], {"expires_on": "2020-01-01"})
    assert token_identity(db, token) is None


@pytest.mark.parametrize(
    "scopes,expires,message",
    [
        ([], None, "a token needs at least one scope (read, attest, waive, push)"),
        (["admin"], None, "unknown scope 'admin' (scopes: read, attest, waive, push)"),
        (["read"], "2020-01-01", "expires 2020-01-01: the date has passed"),
        (["read"], "soon", "expires 'soon': expected a date such as 2027-03-31"),
    ],
)
def test_bad_tokens_are_refused(db, scopes, expires, message):
    with pytest.raises(InputError) as caught:
        create_token(db, "t", scopes, expires)
    assert str(caught.value) == message


def test_the_session_secret_is_made_once_per_database(db):
    assert session_secret(db) == session_secret(db) and len(session_secret(db)) == 64


def invoke(db_path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, [*args, "--db", str(db_path)], input=stdin, catch_exceptions=False)


def test_user_commands(db, db_path):
    added = invoke(db_path, "user", "add", "elena", "--password-stdin", stdin="correct horse battery\n")
    assert added.exit_code == 0 and added.output == "added user elena\n"
    again = invoke(db_path, "user", "add", "elena", "--password-stdin", stdin="correct horse battery\n")
    assert again.exit_code == 2 and again.output == "mldebt: error: user 'elena' already exists\n"
    prompted = invoke(db_path, "user", "add", "jonas", stdin="another long password\nanother long password\n")
    assert prompted.exit_code == 0 and prompted.output.endswith("added user jonas\n")
    assert "another long password" not in prompted.output
    listed = invoke(db_path, "user", "list").output.splitlines()
    assert [line.split()[0] for line in listed] == ["elena", "jonas"]
    assert invoke(db_path, "user", "remove", "jonas").output == "removed user jonas\n"
    missing = invoke(db_path, "user", "remove", "jonas")
    assert missing.exit_code == 2 and missing.output == "mldebt: error: no user 'jonas'\n"


def test_token_commands(db, db_path):
    made = invoke(db_path, "token", "create", "ci-reco", "--scope", "attest", "--scope", "waive")
    assert made.exit_code == 0
    secret = made.stdout.strip()
    assert re.fullmatch(r"mldebt_[A-Za-z0-9_-]{43}", secret)
    assert "token ci-reco (#1) with scopes attest, waive: store it now, it is not shown again" in made.stderr
    listed = invoke(db_path, "token", "list").output
    assert re.fullmatch(rf"#1  ci-reco  {re.escape(secret[:13])}…  attest,waive  live  last used never\n", listed)
    assert secret not in listed
    assert invoke(db_path, "token", "revoke", "1").output == "revoked token ci-reco (#1)\n"
    assert "revoked 20" in invoke(db_path, "token", "list").output
    bad = invoke(db_path, "token", "create", "x", "--scope", "admin")
    assert bad.exit_code == 2 and "Invalid value for '--scope'" in bad.output


def test_commands_need_an_existing_database(tmp_path):
    result = invoke(tmp_path / "none.db", "token", "list")
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {tmp_path / 'none.db'}: no database yet: run `mldebt collect` first\n"
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize(
    "host,loopback",
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("example.org", False),
    ],
)
def test_reading_is_open_by_default_only_on_loopback(host, loopback):
    from mldebt.cli.serve import is_loopback

    assert is_loopback(host) is loopback


def test_serve_needs_an_existing_database(tmp_path):
    result = invoke(tmp_path / "none.db", "serve", "--port", "8123")
    assert result.exit_code == 2
    assert result.output == f"mldebt: error: {tmp_path / 'none.db'}: no database yet: run `mldebt collect` first\n"
