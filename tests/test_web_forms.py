"""Writing through the web: the attest and waive forms, the API's writes, sign-in, CSRF, and private reading."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mldebt.access import create_token, revoke_token
from mldebt.store.db import open_db

from .browser import csrf_of, sign_in

ANSWER = {
    "question": "feedback_loops",
    "answer": "Only approved loans get labels; 2% are approved at random.",
    "by": "elena@example.com",
    "link": "https://wiki.example.com/credit/feedback",
    "date": "2026-11-01",
    "expires": "2027-05-01",
}
NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()


def count(store_path, table: str) -> int:
    db = open_db(store_path)
    try:
        return db[table].count
    finally:
        db.close()


def status_of(client, project: str, check: str) -> str:
    return client.get(f"/api/v1/projects/{project}/checks/{check}").get_json()["result"]["status"]


def test_the_forms_ask_anonymous_visitors_to_sign_in(client):
    response = client.get("/projects/reco-service/attest")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/projects/reco-service/attest"


def test_an_attestation_through_the_form_is_recorded_and_rescores(client, store_path):
    # feedback-loops-known is a check of the default rubric that only an attestation can satisfy
    assert status_of(client, "reco-service", "feedback-loops-known") == "fail"
    token = sign_in(client, store_path)
    form = client.get("/projects/reco-service/attest?question=feedback_loops").get_data(as_text=True)
    assert '<option value="feedback_loops" selected>' in form and 'value="elena"' in form
    response = client.post("/projects/reco-service/attest", data={**ANSWER, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/projects/reco-service#attestations"
    page = client.get("/projects/reco-service").get_data(as_text=True)
    assert "Only approved loans get labels; 2% are approved at random." in page and "web:elena" in page
    assert status_of(client, "reco-service", "feedback-loops-known") == "manual"
    evidence = client.get("/projects/reco-service/checks/feedback-loops-known").get_data(as_text=True)
    assert 'href="https://wiki.example.com/credit/feedback"' in evidence


@pytest.mark.parametrize(
    "change,message",
    [
        ({"question": "weather"}, "question: unknown question &#39;weather&#39; (known: change_impact"),
        ({"answer": "  "}, "answer: required"),
        ({"date": "2099-01-01"}, "date: 2099-01-01 is in the future"),
        ({"expires": "2026-10-01"}, "expires: 2026-10-01 is before the day of the answer (2026-11-01)"),
        ({"date": "1st of May"}, "date: expected a date such as 2027-03-31, not &#39;1st of May&#39;"),
        ({"link": "javascript:alert(1)"}, "link: use an http(s) URL or a document path"),
    ],
)
def test_a_bad_attestation_is_shown_again_with_the_problem(client, store_path, change, message):
    token = sign_in(client, store_path)
    response = client.post("/projects/reco-service/attest", data={**ANSWER, **change, "csrf_token": token})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(store_path, "attestations") == 0


def test_a_waiver_through_the_form(client, store_path):
    token = sign_in(client, store_path)
    assert '<option value="deps-pinned" selected>' in client.get(
        "/projects/reco-service/waive?check=deps-pinned"
    ).get_data(as_text=True)
    response = client.post(
        "/projects/reco-service/waive",
        data={
            "check": "deps-pinned",
            "reason": "lock files wait for the new build image",
            "owner": "jonas@example.com",
            "until": NEXT_YEAR,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/projects/reco-service#waivers"
    assert status_of(client, "reco-service", "deps-pinned") == "waived"
    assert "lock files wait for the new build image" in client.get("/projects/reco-service").get_data(as_text=True)


@pytest.mark.parametrize(
    "change,message",
    [
        ({"until": "2020-01-01"}, "until: 2020-01-01 has passed"),
        ({"check": "nope"}, "no check &#39;nope&#39; in rubric mldebt-default"),
        ({"owner": ""}, "owner: required"),
    ],
)
def test_a_bad_waiver_is_refused(client, store_path, change, message):
    token = sign_in(client, store_path)
    response = client.post(
        "/projects/reco-service/waive",
        data={"check": "deps-pinned", "reason": "r", "owner": "o", "until": NEXT_YEAR, **change, "csrf_token": token},
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(store_path, "waivers") == 0


def test_writes_without_a_user_or_csrf_token_are_refused(client, store_path):
    anonymous = client.post("/projects/reco-service/attest", data=ANSWER)
    assert anonymous.status_code == 401
    assert "sign in or send an API token with the attest scope to do this" in anonymous.get_data(as_text=True)
    token = sign_in(client, store_path)
    missing = client.post("/projects/reco-service/attest", data=ANSWER)
    assert missing.status_code == 403
    assert "the form&#39;s CSRF token is missing or wrong" in missing.get_data(as_text=True)
    assert (
        client.post("/projects/reco-service/attest", data={**ANSWER, "csrf_token": token[:-1] + "x"}).status_code == 403
    )
    assert client.post("/projects/reco-service/waive", data={"check": "deps-pinned"}).status_code == 403
    assert client.post("/logout").status_code == 403  # signing out is a write too
    assert count(store_path, "attestations") == 0 and count(store_path, "waivers") == 0


def test_the_api_writes_with_a_scoped_token(client, store_path):
    db = open_db(store_path)
    attest_token, _ = create_token(db, "ci-attest", ["attest"])
    read_token, _ = create_token(db, "reader", ["read"])
    revoked, _ = create_token(db, "old", ["attest"])
    revoke_token(db, "old")
    db.close()
    url = "/api/v1/projects/reco-service/attestations"
    nobody = client.post(url, json=ANSWER)
    assert nobody.status_code == 401 and nobody.headers["WWW-Authenticate"] == 'Bearer realm="mldebt"'
    assert nobody.get_json() == {
        "error": {"status": 401, "message": "sign in or send an API token with the attest scope to do this"}
    }
    assert client.post(url, json=ANSWER, headers={"Authorization": f"Bearer {revoked}"}).get_json() == {
        "error": {"status": 401, "message": "the API token is unknown, revoked or expired"}
    }
    assert client.post(url, json=ANSWER, headers={"Authorization": f"Token {attest_token}"}).status_code == 401
    wrong_scope = client.post(url, json=ANSWER, headers={"Authorization": f"Bearer {read_token}"})
    assert (
        wrong_scope.status_code == 403
        and wrong_scope.get_json()["error"]["message"] == "token reader lacks the attest scope"
    )
    bad_body = client.post(url, data="answer=yes", headers={"Authorization": f"Bearer {attest_token}"})
    assert bad_body.status_code == 400
    assert (
        bad_body.get_json()["error"]["message"]
        == "the request body must be a JSON object (Content-Type: application/json)"
    )
    assert count(store_path, "attestations") == 0
    created = client.post(url, json=ANSWER, headers={"Authorization": f"Bearer {attest_token}"})
    assert created.status_code == 201
    assert created.get_json()["source"] == "api:ci-attest" and created.get_json()["question"] == "feedback_loops"
    waive = client.post(
        "/api/v1/projects/reco-service/waivers",
        headers={"Authorization": f"Bearer {attest_token}"},
        json={"check": "deps-pinned", "reason": "r", "owner": "o", "until": NEXT_YEAR},
    )
    assert waive.status_code == 403


def test_the_api_accepts_a_session_only_with_its_csrf_header(client, store_path):
    token = sign_in(client, store_path)
    url = "/api/v1/projects/reco-service/waivers"
    body = {"check": "deps-pinned", "reason": "bot blocked", "owner": "jonas", "until": NEXT_YEAR}
    assert client.post(url, json=body).status_code == 403
    created = client.post(url, json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201 and created.get_json()["check_id"] == "deps-pinned"


def test_sign_in_errors_and_redirects(client, store_path):
    sign_in(client, store_path)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/login").get_data(as_text=True))})
    page = client.get("/login").get_data(as_text=True)
    wrong = client.post("/login", data={"name": "elena", "password": "nope", "csrf_token": csrf_of(page)})
    assert wrong.status_code == 401 and "Unknown user or wrong password." in wrong.get_data(as_text=True)
    assert client.post("/login", data={"name": "elena", "password": "correct horse battery"}).status_code == 403
    elsewhere = client.post(
        "/login",
        data={
            "name": "elena",
            "password": "correct horse battery",
            "csrf_token": csrf_of(page),
            "next": "//evil.example/",
        },
    )
    assert elsewhere.status_code == 303 and elsewhere.headers["Location"] == "/"


def test_reading_can_require_sign_in(store_path):
    from mldebt.webapp import create_app

    app = create_app({"DATABASE": str(store_path), "TESTING": True, "READ_REQUIRES_LOGIN": True})
    client = app.test_client()
    db = open_db(store_path)
    reader, _ = create_token(db, "reader", ["read"])
    writer, _ = create_token(db, "writer", ["attest"])
    db.close()
    assert client.get("/").headers["Location"] == "/login?next=/"
    denied = client.get("/api/v1/portfolio")
    assert (
        denied.status_code == 401
        and denied.get_json()["error"]["message"]
        == "sign in (or send an API token with the read scope) to read this server"
    )
    assert (
        client.get("/api/v1/portfolio", headers={"Authorization": f"Bearer {writer}"}).status_code == 403
    )  # known, but without the read scope
    assert client.get("/api/v1/portfolio", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    assert client.get("/healthz").status_code == 200
    with client.get("/static/mldebt.css") as stylesheet:
        assert stylesheet.status_code == 200
    sign_in(client, store_path)
    assert client.get("/teams/risk").status_code == 200
