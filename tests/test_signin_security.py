"""Tokens, sign-in throttling, revocable sessions and the sign-in redirect, against a real `mldebt serve`.

Issue 15: write-only tokens work whatever the read policy (item 10); guessing
passwords is throttled per account and per address across server processes,
and logged (item 12); signing out ends the session on the server, and a
control character in ``next=`` is refused instead of failing (item 13).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from mldebt.access import add_user
from mldebt.signin import ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW
from mldebt.store.db import open_db
from mldebt.webapp import create_app

from .browser import csrf_of, served

pytestmark = [pytest.mark.slow, pytest.mark.server]

MLDEBT = str(Path(sys.executable).with_name("mldebt"))
PASSWORD = "correct horse battery"
PROJECT = "reco-service"


def mldebt(
    *args: str, cwd: Path | None = None, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MLDEBT, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        input=stdin,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def store(tmp_path: Path, make_repo) -> tuple[Path, Path]:
    """A real repository collected into a server store that has one user, elena."""
    repo = make_repo(
        PROJECT,
        [
            (
                "2026-01-10T10:00:00+00:00",
                {
                    "train.py": "import pandas\n\nx = 1\n",
                    "requirements.txt": "pandas==2.2.0\n",
                    "tests/test_train.py": "def test_train():\n    assert True\n",
                },
            )
        ],
    )
    db_path = tmp_path / "server.db"
    done = mldebt("collect", str(repo), "--project", PROJECT, "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    added = mldebt("user", "add", "elena", "--password-stdin", "--db", str(db_path), stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    return repo, db_path


def make_token(db_path: Path, name: str, scope: str) -> str:
    """`mldebt token create NAME --scope SCOPE` as the README shows it; a push token is bound to the
    project when this mldebt binds push tokens (`--project`)."""
    args = ["token", "create", name, "--scope", scope, "--db", str(db_path)]
    if scope == "push" and "--project" in mldebt("token", "create", "--help").stdout:
        args += ["--project", PROJECT]
    made = mldebt(*args)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(session: requests.Session, base: str, name: str, password: str, nxt: str = "/") -> requests.Response:
    """Sign in through the form, as a browser does: fetch it for its CSRF token, then post it."""
    csrf = csrf_of(session.get(base + "/login", timeout=30).text)
    return session.post(
        base + "/login",
        data={"name": name, "password": password, "csrf_token": csrf, "next": nxt},
        allow_redirects=False,
        timeout=60,
    )


# Item 10: scopes work whatever the read policy ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["open", "signed-in"])
def test_the_readme_push_and_attest_examples_work_whatever_the_read_policy(store, tmp_path, mode):
    repo, db_path = store
    push_token = make_token(db_path, "ci-reco", "push")
    attest_token = make_token(db_path, "ci-attest", "attest")
    waive_token = make_token(db_path, "ci-waive", "waive")
    with served(db_path, "--read-access", mode) as base:
        # README: MLDEBT_PUSH_TOKEN=$MLDEBT_TOKEN mldebt collect . --project reco-service --push URL
        pushed = mldebt(
            "collect",
            ".",
            "--project",
            PROJECT,
            "--push",
            base,
            "--db",
            str(tmp_path / "local.db"),
            cwd=repo,
            env={"MLDEBT_PUSH_TOKEN": push_token},
        )
        assert pushed.returncode == 0, pushed.stderr
        assert pushed.stdout.startswith(f"pushed {PROJECT} at "), pushed.stdout
        # README: curl -H "Authorization: Bearer $TOKEN" -d '{"question": ...}' .../attestations
        attested = requests.post(
            f"{base}/api/v1/projects/{PROJECT}/attestations",
            headers=bearer(attest_token),
            json={"question": "feedback_loops", "answer": "...", "by": "elena@example.com"},
            timeout=60,
        )
        assert attested.status_code == 201, attested.text
        waived = requests.post(
            f"{base}/api/v1/projects/{PROJECT}/waivers",
            headers=bearer(waive_token),
            json={
                "check": "deps-pinned",
                "reason": "pinned by the platform image",
                "owner": "elena",
                "until": "2099-12-31",
            },
            timeout=60,
        )
        assert waived.status_code == 201, waived.text
        # a write scope is not a read scope: reading a private server still needs `read`
        for token in (push_token, attest_token, waive_token):
            read = requests.get(f"{base}/api/v1/portfolio", headers=bearer(token), timeout=30)
            assert read.status_code == (200 if mode == "open" else 403), read.text
        # and a write scope lets only its own write through
        wrong = requests.post(
            f"{base}/api/v1/projects/{PROJECT}/attestations",
            headers=bearer(push_token),
            json={"question": "feedback_loops", "answer": "...", "by": "x"},
            timeout=30,
        )
        assert wrong.status_code == 403
    db = open_db(db_path)
    assert db["scans"].count_where("project_id = ?", [PROJECT]) == 2  # the local collect and the push
    assert db["pushed_scans"].count == 1
    db.close()


# Item 12: sign-in is throttled per account and per address, and logged ----------------------------------------------


def backdate_attempts(db_path: Path, by: timedelta) -> None:
    conn = sqlite3.connect(db_path)
    with conn:
        for ident, at in conn.execute("select id, at from signin_attempts").fetchall():
            moved = (datetime.fromisoformat(at) - by).isoformat(timespec="microseconds")
            conn.execute("update signin_attempts set at = ? where id = ?", [moved, ident])
    conn.close()


def test_guessing_locks_the_account_then_the_address_until_the_window_passes(store, tmp_path):
    _, db_path = store
    db = open_db(db_path)
    add_user(db, "jonas", "another long password")
    db.close()
    with served(db_path) as base:
        attacker = requests.Session()
        for i in range(ACCOUNT_LIMIT):
            assert sign_in(attacker, base, "elena", f"guess-number-{i}").status_code == 401
        locked = sign_in(attacker, base, "elena", "guess-number-final")
        assert locked.status_code == 429
        assert 0 < int(locked.headers["Retry-After"]) <= WINDOW.total_seconds()
        assert "Too many failed sign-ins" in locked.text
        assert sign_in(requests.Session(), base, "elena", PASSWORD).status_code == 429  # even the right password
        # another account from the same address still signs in, until the address has failed too often
        assert sign_in(requests.Session(), base, "jonas", "another long password").status_code == 303
        for i in range(ADDRESS_LIMIT - ACCOUNT_LIMIT - 1):
            assert sign_in(attacker, base, f"nobody-{i}", "guess").status_code == 401
        assert sign_in(requests.Session(), base, "jonas", "another long password").status_code == 303
        assert sign_in(attacker, base, "nobody-last", "guess").status_code == 401
        refused = sign_in(requests.Session(), base, "jonas", "another long password")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        backdate_attempts(db_path, WINDOW + timedelta(seconds=1))
        assert sign_in(requests.Session(), base, "elena", PASSWORD).status_code == 303
    log = "\n".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
    assert re.search(r"WARNING:mldebt\.auth:.*'elena'.*127\.0\.0\.1", log), log
    assert re.search(r"WARNING:mldebt\.auth:.*refused.*'elena'", log), log
    assert "guess-number" not in log and PASSWORD not in log


def test_a_successful_sign_in_clears_the_accounts_failures(store):
    _, db_path = store
    with served(db_path) as base:
        browser = requests.Session()
        for _ in range(2):
            for i in range(ACCOUNT_LIMIT - 1):
                assert sign_in(browser, base, "elena", f"typo {i}").status_code == 401
            assert sign_in(browser, base, "elena", PASSWORD).status_code == 303


def test_concurrent_guesses_on_two_server_processes_stay_within_the_limit(store):
    _, db_path = store
    with served(db_path, "--threads", "8") as first, served(db_path, "--threads", "8") as second:

        def guess(i: int) -> int:
            return sign_in(requests.Session(), (first, second)[i % 2], "elena", f"parallel guess {i}").status_code

        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(guess, range(48)))
    assert set(codes) <= {401, 429}, codes
    assert codes.count(401) <= ACCOUNT_LIMIT + 2, codes
    conn = sqlite3.connect(db_path)
    failures = conn.execute("select count(*) from signin_attempts where name = 'elena' and ok = 0").fetchone()[0]
    conn.close()
    assert failures <= ACCOUNT_LIMIT + 2


# Item 13: sessions end on the server; next= with control characters ------------------------------------------------


def attest_form(base: str, cookie: str, csrf: str) -> requests.Response:
    return requests.post(
        f"{base}/projects/{PROJECT}/attest",
        cookies={"mldebt_session": cookie},
        data={"csrf_token": csrf, "question": "feedback_loops", "answer": "replayed", "by": "mallory"},
        allow_redirects=False,
        timeout=60,
    )


def attest_api(base: str, cookie: str, csrf: str) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/projects/{PROJECT}/attestations",
        cookies={"mldebt_session": cookie},
        headers={"X-CSRF-Token": csrf},
        json={"question": "feedback_loops", "answer": "replayed", "by": "mallory"},
        timeout=60,
    )


def test_a_cookie_copied_before_sign_out_is_refused_after_it(store):
    _, db_path = store
    with served(db_path) as base:
        browser = requests.Session()
        assert sign_in(browser, base, "elena", PASSWORD).status_code == 303
        cookie = browser.cookies["mldebt_session"]
        csrf = csrf_of(browser.get(f"{base}/projects/{PROJECT}/attest", timeout=30).text)
        assert attest_form(base, cookie, csrf).status_code == 303  # the copy works while the session lives
        assert (
            browser.post(base + "/logout", data={"csrf_token": csrf}, allow_redirects=False, timeout=30).status_code
            == 303
        )
        assert attest_form(base, cookie, csrf).status_code == 401
        assert attest_api(base, cookie, csrf).status_code == 401
        page = requests.get(
            f"{base}/projects/{PROJECT}/attest", cookies={"mldebt_session": cookie}, allow_redirects=False, timeout=30
        )
        assert page.status_code == 302 and "/login" in page.headers["Location"]
    db = open_db(db_path)
    assert db["attestations"].count_where("answer = 'replayed'") == 1
    assert db["web_sessions"].count_where("user = 'elena' and revoked_at is not null") == 1
    db.close()


def test_removing_a_user_ends_their_sessions_even_if_the_name_comes_back(store):
    _, db_path = store
    with served(db_path) as base:
        browser = requests.Session()
        assert sign_in(browser, base, "elena", PASSWORD).status_code == 303
        cookie = browser.cookies["mldebt_session"]
        csrf = csrf_of(browser.get(f"{base}/projects/{PROJECT}/attest", timeout=30).text)
        assert mldebt("user", "remove", "elena", "--db", str(db_path)).returncode == 0
        readded = mldebt("user", "add", "elena", "--password-stdin", "--db", str(db_path), stdin="a new password 2\n")
        assert readded.returncode == 0
        assert attest_form(base, cookie, csrf).status_code == 401
        assert attest_api(base, cookie, csrf).status_code == 401


def test_the_cookie_holds_only_a_session_id_and_the_store_only_its_hash(store):
    _, db_path = store
    with served(db_path) as base:
        browser = requests.Session()
        assert sign_in(browser, base, "elena", PASSWORD).status_code == 303
        cookie = browser.cookies["mldebt_session"]
    app = create_app({"DATABASE": str(db_path)})  # the same signing key: it is kept in the store
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert set(data) == {"sid", "csrf"} and len(data["sid"]) >= 43
    conn = sqlite3.connect(db_path)
    stored = [row[0] for row in conn.execute("select id from web_sessions")]
    conn.close()
    assert stored == [hashlib.sha256(data["sid"].encode()).hexdigest()]


BAD_NEXT = ["/\r\nSet-Cookie: x=1", "/\rLocation: http://evil.example", "/\nX: y", "/projects\x00x", "/\tx", "/\x7f"]


def test_a_control_character_in_next_falls_back_to_the_portfolio(store):
    _, db_path = store
    with served(db_path) as base:
        for target in BAD_NEXT:
            browser = requests.Session()
            form = browser.get(base + "/login", params={"next": target}, timeout=30)
            assert form.status_code == 200, target
            assert re.search(r'name="next" value="/"', form.text), target
            signed = sign_in(browser, base, "elena", PASSWORD, nxt=target)
            assert signed.status_code == 303, (target, signed.status_code)
            assert signed.headers["Location"] in ("/", base + "/"), target
        kept = sign_in(requests.Session(), base, "elena", PASSWORD, nxt="/checks?x=%0d%0a")
        assert kept.status_code == 303 and kept.headers["Location"].endswith("/checks?x=%0d%0a")


@pytest.mark.parametrize("hops", ["0", "1"])
def test_behind_a_declared_proxy_the_throttle_counts_the_clients_address(store, monkeypatch, hops):
    """With MLDEBT_PROXY_HOPS=1 each client behind the proxy has its own address count; without it,
    X-Forwarded-For is anyone's to send and is ignored, so it cannot be used to dodge the limit."""
    _, db_path = store
    monkeypatch.setenv("MLDEBT_PROXY_HOPS", hops)
    with served(db_path) as base:

        def sign_in_from(address: str, name: str, password: str) -> int:
            session = requests.Session()
            session.headers["X-Forwarded-For"] = address
            return sign_in(session, base, name, password).status_code

        for i in range(ADDRESS_LIMIT):
            assert sign_in_from(f"203.0.113.{i}" if hops == "0" else "203.0.113.7", f"nobody-{i}", "guess") == 401
        with sqlite3.connect(db_path) as db:
            seen = {row[0] for row in db.execute("select address from signin_attempts")}
        assert seen == ({"127.0.0.1"} if hops == "0" else {"203.0.113.7"})
        other_client = sign_in_from("198.51.100.9", "elena", PASSWORD)
        assert other_client == (429 if hops == "0" else 303)
