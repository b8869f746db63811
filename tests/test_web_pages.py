"""The web scorecard's pages on the sample portfolio, through Flask's test client."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from mldebt.store.db import migrations, open_db

PROJECTS = ["churn-notebooks", "credit-risk-prod", "fraud-kaggle", "reco-service"]
TEAMS = ["growth", "platform", "research", "risk"]
CHECKS = ["deps-pinned", "infra-2-unit-tests", "monitor-1-dependency-updates", "notebooks-out-of-production"]


def text_of(response) -> str:
    """The page's visible words, tags dropped and spaces squeezed."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def page_urls() -> list[str]:
    urls = [
        "/",
        "/checks",
        "/compare",
        "/backlog",
        "/login",
        "/?quarter=2026Q2",
        "/?quarter=2026-q2",
        "/?team=risk",
        "/?sort=overall&order=asc",
        "/?sort=category:reproducibility",
        "/compare?from=2025Q4&to=2026Q2",
        "/compare?from=2025-Q4&to=2026-Q2",
        "/backlog?team=research&sort=effort&order=asc",
        "/backlog?category=reproducibility&max_effort=4",
    ]
    urls += [f"/teams/{t}" for t in TEAMS]
    urls += [f"/projects/{p}" for p in PROJECTS] + [f"/projects/{p}/compare" for p in PROJECTS]
    urls += [f"/checks/{c}" for c in CHECKS] + [f"/projects/{p}/checks/{c}" for p in PROJECTS for c in CHECKS]
    return urls


@pytest.mark.parametrize("url", page_urls())
def test_every_page_renders(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert body.startswith("<!doctype html>") and "</html>" in body
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched from elsewhere
    assert "<script" not in body


def test_portfolio_lists_every_team_and_project_with_their_figures(client):
    page = text_of(client.get("/"))
    assert "Portfolio at the end of 2026Q4" in page
    for team in ("Growth", "Platform", "Research", "Risk"):
        assert team in page
    for project in PROJECTS:
        assert project in page
    assert "Category health by project" in page  # category columns from the rubric, as health
    assert "Reproducibility" in page and "Data dependencies" in page and "Reproducibility debt" not in page
    assert "B 75" in page  # credit-risk-prod's grade and overall score
    assert "more of a research project than a productionized system" in page  # the band, beside a project on target
    assert re.search(
        r'aria-label="Overall score of reco-service by quarter: 2025Q4 [0-9.]+, 2026Q1 [0-9.]+, 2026Q2 [0-9.]+, '
        r'2026Q3 [0-9.]+, 2026Q4 [0-9.]+"',
        client.get("/").get_data(as_text=True),
    )


def test_portfolio_sorts_and_filters(client):
    def order(url: str) -> list[str]:
        body = client.get(url).get_data(as_text=True)
        return re.findall(r'<th scope="row"><a href="/projects/([^"]+)">', body)

    assert order("/?sort=overall&order=desc") == ["credit-risk-prod", "reco-service", "churn-notebooks", "fraud-kaggle"]
    assert order("/?sort=overall&order=asc") == ["fraud-kaggle", "churn-notebooks", "reco-service", "credit-risk-prod"]
    assert order("/?sort=project&order=asc") == sorted(PROJECTS)
    assert order("/?team=platform") == ["reco-service"]
    assert order("/?quarter=2025Q4&sort=overall&order=desc")[0] == "credit-risk-prod"


def test_portfolio_change_since_last_quarter(client):
    data = client.get("/api/v1/portfolio").get_json()
    reco = next(p for p in data["projects"] if p["project"] == "reco-service")
    assert data["quarter"] == "2026Q4" and data["previous_quarter"] == "2026Q3"
    assert reco["change"] == {"overall": 1.2, "ml_test_score": 0.0, "effort_hours": -4.0}
    assert [t["quarter"] for t in reco["trend"]] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"]


def test_project_page_shows_scores_checks_history_and_paydown(client):
    page = text_of(client.get("/projects/reco-service"))
    assert "ML Test Score ? 0 of 7" in page
    assert re.search(r"Grade \? F [0-9]+ / 100", page)
    for words in (
        "Tier and target ? Production target: level Silver and ML Test Score 2",
        "Tests for ML infrastructure (ML Test Score section)",
        "Infra 2 Model specification code is unit tested",
        "✔ automated",
        "½ manual",
        "✘ failing",
        "Reproducibility health (category)",
        "Overall score by quarter. Overall (0-100):",
        "MLD-90c425762e",
        "No waivers.",
    ):
        assert words in page, words
    body = client.get("/projects/reco-service").get_data(as_text=True)
    assert body.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart') == 4  # sections, categories, 2 histories
    assert 'href="/projects/reco-service/checks/deps-pinned"' in body


def test_team_page_has_the_checks_of_each_project_and_its_paydown(client):
    page = text_of(client.get("/teams/research"))
    assert "Team Research" in page and "churn-notebooks" in page
    assert "Monitor 1: Dependency changes result in notification ✘ failing" in page
    assert "Open paydown items, highest priority first" in page and "MLD-a30bb88c0b" in page


def test_check_page_shows_definition_and_every_project_result(client):
    response = client.get("/checks/deps-pinned")
    page = text_of(response)
    assert "Dependencies are pinned and locked" in page
    assert "Automated (1 point) when" in page and "repo.deps.pinned" in page  # the condition, on the check's page
    assert "Why it matters" in page and "How to fix it" in page
    for project in PROJECTS:
        assert f'href="/projects/{project}/checks/deps-pinned"' in response.get_data(as_text=True)


def test_evidence_page_shows_conditions_facts_and_history(client):
    page = text_of(client.get("/projects/reco-service/checks/deps-pinned"))
    assert "½ manual · 0.5 points" in page and "Half met:" in page  # the result and its reason
    assert "repo.deps.pinned_ratio >=" not in page  # the condition stays on the check's page
    assert "repo.deps.pinned_ratio 1.0 repo" in page
    assert "2025-12-31 ✘ failing 2026-03-31 ✘ failing" in page and "2026-11-20 ½ manual" in page
    assert "MLD-0cdc536330 : open" in page


def test_compare_two_scans_lists_what_changed(client):
    scans = client.get("/api/v1/projects/reco-service/scans").get_json()["scans"]
    first, last = scans[-1]["id"], scans[0]["id"]
    data = client.get(f"/api/v1/projects/reco-service/compare?a={first}&b={last}").get_json()
    paid = data["changes"]["paid_down"]
    assert paid and all(c["before"] in ("fail", "manual", "waived") and c["after"] == "automated" for c in paid)
    assert all(c["reason"].startswith("Met:") for c in paid)  # each change with the later result's reason
    assert {
        "check_id": "ci-on-every-change",
        "title": "CI runs on every pull request and push",
        "before": "fail",
        "after": "automated",
    }.items() <= next(c for c in paid if c["check_id"] == "ci-on-every-change").items()
    assert "deps-pinned" in [c["check_id"] for c in data["changes"]["improved"]]
    assert data["same_rubric"] is True
    page = text_of(client.get(f"/projects/reco-service/compare?a={first}&b={last}"))
    assert f"Paid down ({len(paid)})" in page and "Regressed (0)" in page


def test_compare_quarters_of_the_portfolio(client):
    data = client.get("/api/v1/compare?from=2025Q4&to=2026Q4").get_json()
    assert [p["project"] for p in data["projects"]] == [
        "fraud-kaggle",
        "reco-service",
        "churn-notebooks",
        "credit-risk-prod",
    ]
    assert data["new_projects"] == []
    assert {c["project"] for c in data["changes"]["paid_down"]} >= {"reco-service"}
    assert "Portfolio: 2025Q4 against 2026Q4" in text_of(client.get("/compare?from=2025Q4&to=2026Q4"))


def test_backlog_filters_sorts_and_exports(client):
    everything = client.get("/backlog.json").get_json()
    priorities = [i["priority"] for i in everything["items"]]
    assert priorities == sorted(priorities, reverse=True) and everything["count"] == len(priorities) > 0
    research = client.get("/backlog.json?team=research&sort=effort&order=asc").get_json()["items"]
    assert {i["team"] for i in research} == {"research"}
    assert [i["effort_hours"] for i in research] == sorted(i["effort_hours"] for i in research)
    quick = client.get("/backlog.json?max_effort=4&category=reproducibility").get_json()["items"]
    assert quick and all(i["effort_hours"] <= 4 and i["category_id"] == "reproducibility" for i in quick)
    rows = list(csv.DictReader(io.StringIO(client.get("/backlog.csv?team=research").get_data(as_text=True))))
    assert [r["id"] for r in rows] == [i["id"] for i in client.get("/backlog.json?team=research").get_json()["items"]]
    assert rows[0]["title"] and rows[0]["team"] == "research"
    page = client.get("/backlog?team=research").get_data(as_text=True)
    assert 'href="/backlog.csv?team=research"' in page and 'href="/backlog.json?team=research"' in page


@pytest.mark.parametrize(
    "url,message",
    [
        ("/projects/nope", "no project named &#39;nope&#39; in the database"),
        ("/teams/nope", "no team &#39;nope&#39; in the database"),
        ("/checks/nope", "no check &#39;nope&#39; in the rubrics of the latest scans"),
        ("/projects/reco-service/checks/nope", "no check &#39;nope&#39; in rubric mldebt-default"),
        ("/projects/nope/checks/deps-pinned", "no project named &#39;nope&#39;"),
        ("/projects/reco-service/compare?a=nope", "no scan &#39;nope&#39; of project &#39;reco-service&#39;"),
        ("/?quarter=2019Q1", "quarter 2019Q1: no scans in or before it (quarters with scans: 2025Q4, 2026Q1, 2026Q2,"),
        ("/compare?from=2019Q1&to=2026Q4", "quarter 2019Q1: no scans in or before it (quarters with scans: 2025Q4,"),
        (
            "/?quarter=2027-Q1",
            "quarter 2027Q1: no scans in or after it (quarters with scans: 2025Q4, 2026Q1, 2026Q2, 2026Q3, 2026Q4)",
        ),
        ("/nowhere", "no such page"),
    ],
)
def test_unknown_things_are_404(client, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url,message",
    [
        ("/?sort=height", "parameter sort=&#39;height&#39;: expected one of gap, project, team, tier, overall"),
        ("/?order=sideways", "parameter order=&#39;sideways&#39;: expected one of asc, desc"),
        ("/?quarter=2026Q5", "parameter quarter &#39;2026Q5&#39;: expected a quarter such as 2026Q3"),
        ("/?quarter=0000Q1", "parameter quarter &#39;0000Q1&#39;: the year must be between 1 and 9999"),
        ("/?team=nope", "parameter team: no team &#39;nope&#39;"),
        ("/?colour=red", "unknown parameter &#39;colour&#39;"),
        ("/backlog?min_priority=high", "parameter min_priority=&#39;high&#39;: expected a number"),
        ("/backlog?max_effort=-1", "parameter max_effort=&#39;-1&#39;: expected a number from 0 to 1e+09"),
        ("/backlog?category=nope", "parameter category=&#39;nope&#39;: expected one of"),
        ("/backlog?page=99", "parameter page=&#39;99&#39;: expected a number from 1 to 2"),
        ("/compare?from=2026Q4&to=2025Q4", "parameter from=2026Q4 must be a quarter before to=2025Q4"),
        ("/projects/reco-service?x=1", "unknown parameter &#39;x&#39; (this page takes: result)"),
        ("/projects/reco-service?result=maybe", "parameter result=&#39;maybe&#39;: expected one of automated, manual"),
        ("/checks/deps-pinned?result=maybe", "parameter result=&#39;maybe&#39;: expected one of automated, manual"),
        ("/help?x=1", "unknown parameter &#39;x&#39; (this page takes: none)"),
    ],
)
def test_bad_parameters_are_400(client, url, message):
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_pages_are_data_driven_by_the_stored_rubric(client, store_path, tmp_path):
    """A rubric with another category and check shows on every page without a change of code."""
    from mldebt.rubric.schema import load_rubric
    from mldebt.scanning.scans import rescore

    custom = tmp_path / "team.yaml"
    custom.write_text("""rubric: team-rubric
version: "7"
extends: default
categories:
  - {id: observability, title: Observability debt}
checks:
  - id: model-3-readme
    title: The project explains itself in a README
    section: model
    ml_test: Model 3
    category: observability
    effort_hours: 1
    automated: repo.readme.present
    why: Nobody can run what nobody can read.
    fix: Write a README.
""")
    db = open_db(store_path)
    rescore(db, load_rubric(custom))
    db.close()
    portfolio = text_of(client.get("/"))
    assert "Observability" in portfolio and "team-rubric 7" in portfolio
    project = text_of(client.get("/projects/reco-service"))
    assert "Model 3 The project explains itself in a README" in project
    assert "Tests for model development" in project
    assert "Model 3: The project explains itself in a README" in text_of(client.get("/teams/platform"))
    assert "Nobody can run what nobody can read." in text_of(client.get("/checks/model-3-readme"))
    assert client.get("/backlog?category=observability").status_code == 200


def test_a_page_shows_new_data_as_soon_as_the_store_changes(client, store_path):
    before = client.get("/teams/risk").get_data(as_text=True)
    assert client.get("/teams/risk").get_data(as_text=True) == before  # served again (from the cache)
    db = open_db(store_path)
    db["teams"].update("risk", {"name": "Credit Risk"})
    db.close()
    assert "Team Credit Risk" in text_of(client.get("/teams/risk"))


def test_while_a_page_is_rendered_again_anonymous_readers_get_the_previous_one(app, client, store_path, tmp_path):
    import threading

    from .browser import sign_in

    cache = app.extensions["mldebt_cache"]
    assert "Team Risk" in text_of(client.get("/teams/risk"))
    db = open_db(store_path)
    db["teams"].update("risk", {"name": "Credit Risk"})
    db.close()
    held, done = threading.Event(), threading.Event()

    def render_elsewhere() -> None:  # another request is busy rendering the page again
        with cache.single_flight(("/teams/risk?", None, None, None)):
            held.set()
            done.wait(10)

    worker = threading.Thread(target=render_elsewhere)
    worker.start()
    held.wait(10)
    try:
        assert "Team Risk" in text_of(client.get("/teams/risk"))  # the page as of one commit ago
    finally:
        done.set()
        worker.join()
    assert "Team Credit Risk" in text_of(client.get("/teams/risk"))
    signed_in = app.test_client()
    sign_in(signed_in, store_path)
    assert "Team Credit Risk" in text_of(signed_in.get("/teams/risk"))  # a writer never gets an old page


def test_health(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "version": "0.1.0",
        "schema": migrations._migrations[-1].name,
        "projects": 4,
        "scans": 20,
    }


def test_a_large_portfolio_is_shown_a_page_at_a_time(client, store_path, monkeypatch):
    from mldebt.webapp import portfolio as view

    monkeypatch.setattr(view, "PAGE_SIZE", 3)
    first = client.get("/?sort=project&order=asc").get_data(as_text=True)
    assert re.findall(r'<th scope="row"><a href="/projects/([^"]+)">', first) == sorted(PROJECTS)[:3]
    assert "projects 1–3 of 4, page 1 of 2" in text_of(client.get("/?sort=project&order=asc"))
    assert 'href="/?page=2&amp;sort=project&amp;order=asc"' in first
    second = client.get("/?sort=project&order=asc&page=2").get_data(as_text=True)
    assert re.findall(r'<th scope="row"><a href="/projects/([^"]+)">', second) == sorted(PROJECTS)[3:]
    assert client.get("/?page=3").status_code == 400


def test_many_teams_are_charted_as_their_spread():
    from mldebt.webapp.portfolio import spread

    named = {f"team {i}": [float(i), None] for i in range(10)}
    assert [s.name for s in spread("teams", named)] == ["mean of 10 teams", "lowest team", "highest team"]
    assert [s.values for s in spread("teams", named)] == [[4.5, None], [0.0, None], [9.0, None]]
    assert [s.name for s in spread("teams", {"a": [1.0], "b": [2.0]})] == ["a", "b"]


def test_a_get_request_reads_one_snapshot_while_a_collector_commits(app, store_path):
    """Every query of one page sees the store as it was when the page began (no torn page under writers)."""
    from mldebt.webapp.db import get_db

    with app.test_request_context("/", method="GET"):
        app.preprocess_request()
        db = get_db()
        before = db.execute("select count(*) from scans").fetchone()[0]
        writer = open_db(store_path)
        with writer.atomic():
            writer.execute("insert into scans (id, project_id, as_of) values ('s-new', 'reco-service', '2026-12-31')")
        writer.close()
        assert db.execute("select count(*) from scans").fetchone()[0] == before
    with app.test_request_context("/", method="GET"):
        app.preprocess_request()
        assert get_db().execute("select count(*) from scans").fetchone()[0] == before + 1


def test_two_scans_of_the_same_moment_compare(run, make_repo, db_path):
    """A commit scanned again at the same moment (a CI re-run) is compared with the scan before it, not refused."""
    from mldebt.readmodel.compare import compare_scans
    from mldebt.store.db import open_db

    from .builders import SMALL_PROJECT

    repo = make_repo("small", [("2026-01-10T10:00:00+00:00", SMALL_PROJECT)])
    for _ in range(2):
        assert run("collect", str(repo), "--as-of", "2026-02-01").exit_code == 0
    db = open_db(db_path)
    try:
        first, second = (row["id"] for row in db.query("select id from scans order by collected_at, rowid"))
        data = compare_scans(db, "small", None, None)
    finally:
        db.close()
    assert (data["a"]["id"], data["b"]["id"]) == (first, second)
