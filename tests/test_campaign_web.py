"""Campaigns on the web: a team's lead creates and edits one through the form, and it shows up everywhere it covers.

Everything here is real: the Flask app over a copy of the sample store (a SQLite file), users signed in through
the sign-in form, CSRF tokens read from the pages, the PDF written by `mldebt report` and read back with
pdftotext, and the campaign page drawn by Chromium from a running `mldebt serve`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.cli.main import cli
from mldebt.readmodel.campaigns import get_campaign, item_ids
from mldebt.store.db import open_db

from .browser import artifacts_dir, chromium, csrf_of, served, sign_in

LEAD = "platform-lead@example.com"  # the Platform team's owner in the sample portfolio
FORM = {
    "name": "Q4 pins",
    "owner": LEAD,
    "checks": ["deps-pinned", "infra-2-unit-tests"],
    "projects": ["fraud-kaggle", "reco-service"],
    "items": "",
    "start": "2026-10-01",
    "target": "2026-12-31",
}


@pytest.fixture
def web(sample_db: Path):
    from mldebt.webapp import create_app

    return create_app({"DATABASE": str(sample_db), "TESTING": True, "PAGE_CACHE": 0}).test_client()


def as_lead(web, store: Path, name: str = LEAD) -> str:
    """Sign ``web`` in as ``name`` and return the CSRF token the new-campaign form carries."""
    sign_in(web, store, name)
    page = web.get("/campaigns/new")
    assert page.status_code == 200, page.get_data(as_text=True)
    return csrf_of(page.get_data(as_text=True))


def create(web, token: str, **changes) -> object:
    return web.post("/campaigns/new", data={**FORM, **changes, "csrf_token": token})


def text(response) -> str:
    return response.get_data(as_text=True)


def pdf_text(db: Path, pdf: Path) -> str:
    made = CliRunner().invoke(cli, ["report", "-o", str(pdf), "--db", str(db)], catch_exceptions=False)
    assert made.exit_code == 0, made.output
    found = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(found.stdout.split())  # one line: a sentence may wrap anywhere on the page


def test_a_lead_creates_a_campaign_on_the_web_and_it_shows_wherever_it_covers(web, sample_db, tmp_path):
    token = as_lead(web, sample_db)
    made = create(web, token)
    assert made.status_code == 303, text(made)
    assert made.headers["Location"].endswith("/campaigns/Q4%20pins")

    stored = get_campaign(open_db(sample_db), "Q4 pins")
    assert (stored.owner, stored.checks, stored.projects, str(stored.start_on), str(stored.target_on)) == (
        LEAD,
        ("deps-pinned", "infra-2-unit-tests"),
        ("fraud-kaggle", "reco-service"),
        "2026-10-01",
        "2026-12-31",
    )

    link = '<a href="/campaigns/Q4%20pins">Q4 pins</a>'
    for project in ("fraud-kaggle", "reco-service"):
        page = text(web.get(f"/projects/{project}"))
        assert "Campaign covering this project: " + link in page, project
    assert link not in text(web.get("/projects/churn-notebooks"))  # not covered

    # the covered paydown items name their campaign, on the project page and in the backlog
    page = text(web.get("/projects/fraud-kaggle"))
    covered = re.findall(r'<code class="id">(MLD-\w+)</code></td><td><a [^>]*>([\w-]+)</a>(.*?)</td>', page)
    marked = {check for _, check, rest in covered if link in rest}
    assert marked == {"deps-pinned", "infra-2-unit-tests"}, covered
    backlog = text(web.get("/backlog"))
    rows = re.findall(r"<tr>(.*?)</tr>", backlog, flags=re.S)
    tagged = sorted(
        (
            re.search(r'href="/projects/([\w-]+)"', r).group(1),
            re.search(r'<span class="muted">([\w-]+)</span>', r).group(1),
        )
        for r in rows
        if link in r
    )
    assert tagged == [
        ("fraud-kaggle", "deps-pinned"),
        ("fraud-kaggle", "infra-2-unit-tests"),
        ("reco-service", "deps-pinned"),
    ]  # reco-service's unit tests pass, so it has no open item for them

    # the campaign page: its burn-up chart with the scope and done series
    page = text(web.get("/campaigns/Q4%20pins"))
    svg = re.search(r'<svg[^>]*class="chart chart-burnup".*?</svg>', page, flags=re.S)
    assert svg, page
    assert re.findall(r"<text[^>]*>(scope|done|pace to target)</text>", svg.group(0)) == [
        "scope",
        "done",
        "pace to target",
    ]
    assert len(re.findall(r"<polyline ", svg.group(0))) == 2
    assert "Burn-up of campaign Q4 pins: 2026-10-01 0 of 3 done; 2026-11-15 0 of 3 done; target 2026-12-31." in page
    assert '<div class="table-scroll">' in page

    # and in the PDF, with its burn-up
    report = pdf_text(sample_db, tmp_path / "report.pdf")
    assert (
        "Q4 pins Owner platform-lead@example.com · 2026-10-01 to 2026-12-31 · 2 projects, 2 checks "
        "Projects: fraud-kaggle, reco-service · on the scorecard: http://127.0.0.1:8000/campaigns/Q4%20pins "
        "0 of 3 done (0%), 3 open as of 2026-11-15"
    ) in report
    assert "Burn-up of campaign Q4 pins: 2026-10-01 0 of 3 done; 2026-11-15 0 of 3 done; target 2026-12-31." in report
    assert "pace to target" in report  # the chart's legend, drawn in the PDF


def test_editing_changes_the_target_and_the_pages_show_it(web, sample_db):
    token = as_lead(web, sample_db)
    assert create(web, token).status_code == 303
    form = web.get("/campaigns/Q4%20pins/edit")
    assert form.status_code == 200
    html = text(form)
    assert 'value="2026-12-31"' in html and 'value="deps-pinned" checked' in html
    token = csrf_of(html)
    edited = web.post(
        "/campaigns/Q4%20pins/edit", data={**FORM, "name": "ignored", "target": "2027-03-31", "csrf_token": token}
    )
    assert edited.status_code == 303, text(edited)
    page = text(web.get("/campaigns/Q4%20pins"))
    assert "2026-10-01 to 2027-03-31" in page and "target 2027-03-31." in page
    assert "2026-10-01 to 2027-03-31, owner platform-lead@example.com" in text(web.get("/projects/reco-service"))
    assert get_campaign(open_db(sample_db), "Q4 pins").created_at  # the same campaign, its name kept


def test_the_form_and_the_command_line_share_one_write(web, sample_db, tmp_path):
    """The same edit made by `mldebt campaign edit` and by the form leaves the same row."""
    twin = tmp_path / "twin.db"
    db = open_db(sample_db)
    db.execute("vacuum into ?", [str(twin)])
    db.close()
    token = as_lead(web, sample_db)
    assert create(web, token).status_code == 303
    runner = CliRunner()
    for args in (
        ["campaign", "create", "Q4 pins", "--owner", LEAD, "--checks", "deps-pinned,infra-2-unit-tests"],
        ["campaign", "edit", "Q4 pins", "--target", "2027-01-15", "--items", "MLD-c8b92f257f"],
    ):
        extra = ["--projects", "fraud-kaggle,reco-service", "--start", "2026-10-01", "--target", "2026-12-31"]
        result = runner.invoke(cli, [*args, *(extra if args[1] == "create" else []), "--db", str(twin)])
        assert result.exit_code == 0, result.output
    assert result.output.startswith("updated campaign Q4 pins: 5 project-check pair(s)")
    token = csrf_of(text(web.get("/campaigns/Q4%20pins/edit")))
    edited = web.post(
        "/campaigns/Q4%20pins/edit",
        data={**FORM, "target": "2027-01-15", "items": "MLD-c8b92f257f", "csrf_token": token},
    )
    assert edited.status_code == 303, text(edited)
    by_web, by_cli = (get_campaign(open_db(p), "Q4 pins") for p in (sample_db, twin))
    assert (by_web.checks, by_web.projects, by_web.items, by_web.target_on) == (
        by_cli.checks,
        by_cli.projects,
        by_cli.items,
        by_cli.target_on,
    )
    assert item_ids(by_web) == ["MLD-c8b92f257f"] and by_web.items == (("churn-notebooks", "deps-pinned"),)
    assert by_web.all_projects == ["churn-notebooks", "fraud-kaggle", "reco-service"]
    # the named item's project is covered now: its page links the campaign, and so does the item
    page = text(web.get("/projects/churn-notebooks"))
    assert 'Campaign covering this project: <a href="/campaigns/Q4%20pins">Q4 pins</a>' in page
    assert page.count('<div class="muted campaign-of">Campaign <a href="/campaigns/Q4%20pins">') == 1


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"name": "bad/name"}, "name", "campaign name 'bad/name': use letters, digits, spaces, '.', '_' or '-'"),
        ({"name": "new"}, "name", "campaign name 'new': 'new' is kept for the web page that creates campaigns"),
        ({"owner": " "}, "owner", "owner: a campaign needs an owner"),
        ({"checks": ["deps-pinned", "nope"]}, "checks", "checks 'nope': not in the projects' rubric (checks: "),
        ({"checks": [], "items": ""}, "checks", "a campaign needs checks or paydown items to fix"),
        (
            {"projects": ["reco-service", "nope"]},
            "projects",
            "projects 'nope': no scanned project of that name (projects: churn-notebooks, credit-risk-prod, "
            "fraud-kaggle, reco-service)",
        ),
        (
            {"items": "MLD-0000000000"},
            "items",
            "items 'MLD-0000000000': no paydown item of that id (see `mldebt export backlog`)",
        ),
        ({"start": "2026-13-01"}, "start", "start '2026-13-01': expected a date such as 2026-03-31"),
        ({"start": ""}, "start", "start: give a date such as 2026-03-31"),
        ({"target": "2026-09-30"}, "target", "target '2026-09-30': must be after the start, 2026-10-01"),
    ],
)
def test_a_bad_value_is_shown_beside_its_field_and_nothing_is_stored(web, sample_db, changes, field, message):
    token = as_lead(web, sample_db)
    refused = create(web, token, **changes)
    assert refused.status_code == 400
    html = text(refused)
    shown = re.search(rf'<p class="error field-error" id="{field}-error">([^<]*)</p>', html)
    assert shown, html
    assert shown.group(1).replace("&#39;", "'").startswith(message)
    assert f'aria-describedby="{field}-error"' in html
    # what was typed is kept for the next try
    assert 'value="deps-pinned" checked' in html or "deps-pinned" not in changes.get("checks", ["deps-pinned"])
    assert open_db(sample_db).execute("select count(*) from campaigns").fetchone()[0] == 0


def test_a_taken_name_is_refused_beside_the_name(web, sample_db):
    token = as_lead(web, sample_db)
    assert create(web, token).status_code == 303
    again = create(web, token, target="2027-06-30")
    assert again.status_code == 400
    assert '<p class="error field-error" id="name-error">campaign &#39;Q4 pins&#39; already exists</p>' in text(again)


def test_only_a_signed_in_lead_may_create_or_edit(web, sample_db):
    # signed out: the form sends you to sign in; a post is refused
    assert web.get("/campaigns/new").status_code == 302
    assert web.get("/campaigns/new").headers["Location"].startswith("/login?next=/campaigns/new")
    assert web.post("/campaigns/new", data=FORM).status_code == 401
    # signed in, but no team's lead
    token = sign_in(web, sample_db, "elena")
    refused = web.get("/campaigns/new")
    assert refused.status_code == 403
    assert "elena leads no team: only a team&#39;s owner in the portfolio may create or edit campaigns" in text(refused)
    assert create(web, token).status_code == 403
    # an API token, whatever its scopes, is not a lead
    from mldebt.access import create_token

    db = open_db(sample_db)
    secret, _ = create_token(db, "ci", ["attest", "waive"])
    db.close()
    by_token = web.post("/campaigns/new", data=FORM, headers={"Authorization": f"Bearer {secret}"})
    assert by_token.status_code == 403
    assert open_db(sample_db).execute("select count(*) from campaigns").fetchone()[0] == 0


def test_a_missing_or_wrong_csrf_token_is_refused(web, sample_db):
    token = as_lead(web, sample_db)
    for sent in ({}, {"csrf_token": "x" + token[1:]}):
        refused = web.post("/campaigns/new", data={**FORM, **sent})
        assert refused.status_code == 403
        assert "CSRF token is missing or wrong" in text(refused)
    assert create(web, token).status_code == 303
    refused = web.post("/campaigns/Q4%20pins/edit", data={**FORM, "target": "2027-03-31"})
    assert refused.status_code == 403
    assert str(get_campaign(open_db(sample_db), "Q4 pins").target_on) == "2026-12-31"


def test_unknown_campaigns_and_stray_parameters(web, sample_db):
    as_lead(web, sample_db)
    assert web.get("/campaigns/nope/edit").status_code == 404
    assert web.get("/campaigns/new?project=nope").status_code == 400
    page = text(web.get("/campaigns/new?project=reco-service"))
    assert 'value="reco-service" checked' in page and f'value="{LEAD}"' in page


def test_the_campaign_pages_drawn_in_chromium(sample_db, tmp_path, tmp_path_factory):
    """Create a campaign through the form of a running `mldebt serve`, then keep screenshots of its pages."""
    shots = artifacts_dir(tmp_path_factory)
    from mldebt.access import add_user

    db = open_db(sample_db)
    add_user(db, LEAD, "correct horse battery")
    db.close()
    with served(sample_db) as base, chromium(tmp_path / "profile") as browser:
        page = browser.new_page()
        page.goto(base + "/login?next=/campaigns/new")
        page.fill("#name", LEAD)
        page.fill("#password", "correct horse battery")
        page.click("button[type=submit]")
        page.wait_for_url("**/campaigns/new")
        page.fill("#name", "Q4 pins")
        for check in FORM["checks"]:
            page.check(f'input[name=checks][value="{check}"]')
        for project in FORM["projects"]:
            page.check(f'input[name=projects][value="{project}"]')
        page.fill("#start", "2026-10-01")
        page.fill("#target", "2026-12-31")
        page.screenshot(path=str(shots / "campaign-form-1400.png"), full_page=True)
        page.click("form.campaign-form button[type=submit]")
        page.wait_for_url("**/campaigns/Q4%20pins")
        assert page.locator("svg.chart-burnup").count() == 1
        for width in (375, 768, 1400):
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in (("campaign", "/campaigns/Q4%20pins"), ("campaigns", "/campaigns")):
                page.goto(base + path)
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, (path, width, overflow)
                page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        page.goto(base + "/projects/fraud-kaggle")  # the link to the campaign, above the scores
        assert page.locator('p.campaigns a[href="/campaigns/Q4%20pins"]').count() == 1
        page.screenshot(path=str(shots / "campaign-project-1400.png"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # keep the 303, to see what the form answered
        return None


def _session(base: str, name: str) -> tuple[urllib.request.OpenerDirector, str]:
    """A browser-like client of `mldebt serve` signed in as ``name``, and its CSRF token."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())
    with opener.open(base + "/login") as page:
        token = csrf_of(page.read().decode())
    form = urllib.parse.urlencode({"name": name, "password": "correct horse battery", "csrf_token": token})
    try:
        opener.open(base + "/login", data=form.encode())
    except urllib.error.HTTPError as exc:
        assert exc.code == 303, exc.read()[:300]
    with opener.open(base + "/campaigns/new") as page:
        return opener, csrf_of(page.read().decode())


def _post(opener: urllib.request.OpenerDirector, url: str, fields: dict) -> tuple[int, str]:
    try:
        with opener.open(url, data=urllib.parse.urlencode(fields, doseq=True).encode(), timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_forms_and_the_command_line_writing_at_once_lose_nothing_and_one_name_wins_once(sample_db, tmp_path):
    """Four signed-in leads post the form to a real `mldebt serve` while `mldebt campaign` writes from other
    processes: every campaign answered 303 (or exit 0) is stored, a name taken twice at once is taken once,
    and nobody sees "database is locked" or a 500."""
    from mldebt.access import add_user

    db = open_db(sample_db)
    for team in ("growth", "platform", "research", "risk"):
        add_user(db, f"{team}-lead@example.com", "correct horse battery")
    db.close()
    answers: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    with served(sample_db) as base:
        sessions = [_session(base, f"{team}-lead@example.com") for team in ("growth", "platform", "research", "risk")]

        def lead(index: int) -> None:
            opener, token = sessions[index]
            for n in [*range(6), "shared"]:
                name = f"web-{index}-{n}" if n != "shared" else "shared"
                status, body = _post(opener, base + "/campaigns/new", {**FORM, "name": name, "csrf_token": token})
                if status == 303 and n != "shared":
                    status, body = _post(
                        opener,
                        f"{base}/campaigns/{urllib.parse.quote(name)}/edit",
                        {**FORM, "target": "2027-06-30", "csrf_token": token},
                    )
                with lock:
                    answers.append((name, status, body))

        def command_line(index: int) -> None:
            for n in [*range(3), "shared"]:
                name = f"cli-{index}-{n}" if n != "shared" else "shared"
                done = subprocess.run(
                    [
                        str(Path(sys.executable).with_name("mldebt")),
                        "campaign",
                        "create",
                        name,
                        "--owner",
                        LEAD,
                        "--checks",
                        "deps-pinned",
                        "--start",
                        "2026-10-01",
                        "--target",
                        "2026-12-31",
                        "--db",
                        str(sample_db),
                    ],
                    capture_output=True,
                    text=True,
                )
                with lock:
                    answers.append((name, 303 if done.returncode == 0 else done.returncode, done.stdout + done.stderr))

        threads = [threading.Thread(target=lead, args=(i,)) for i in range(4)]
        threads += [threading.Thread(target=command_line, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        log = next(sample_db.parent.glob("serve-*.log")).read_text()

    stored = open_db(sample_db)
    names = {r[0]: r[1] for r in stored.execute("select name, target_on from campaigns")}
    assert stored.execute("pragma integrity_check").fetchone()[0] == "ok"
    stored.close()
    ok = [name for name, status, _ in answers if status == 303]
    refused = [(name, status, said) for name, status, said in answers if status != 303]
    assert len(answers) == 4 * 7 + 2 * 4
    assert ok.count("shared") == 1, answers
    assert [name for name, _, _ in refused] == ["shared"] * 5, refused  # the four others that wanted the name
    for _, status, said in refused:
        assert status in (2, 400) and "already exists" in said, said[-2000:]
    assert sorted(names) == sorted(ok)
    assert all(names[f"web-{i}-{n}"] == "2027-06-30" for i in range(4) for n in range(6))  # every edit landed
    assert not [w for w in ("locked", "Traceback", " 500 ") if w in log], log[-3000:]
