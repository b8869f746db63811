"""The JSON API: every route is in the OpenAPI document the app serves, and every answer matches it."""

from __future__ import annotations

import re

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mldebt.rubric.schema import load_rubric

_IDS = sorted(c.id for c in load_rubric().checks)
DEFAULT_CHECKS = ", ".join(_IDS[:15]) + f" and {len(_IDS) - 15} more"  # mldebt.suggest lists the first 15

NOT_API = {"static", "auth.login", "auth.logout"}


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def validator(document: dict, path: str, method: str, status: int) -> Draft202012Validator:
    """A validator for one response's JSON schema, its references resolved inside the document."""
    answer = document["paths"][path][method]["responses"][str(status)]
    where = ("paths", path, method, "responses", str(status))
    if "$ref" in answer:
        where = ("components", "responses", answer["$ref"].split("/")[-1])
    registry = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    target = "urn:openapi#/" + pointer(*where, "content", "application/json", "schema")
    return Draft202012Validator({"$ref": target}, registry=registry)


def check(document: dict, path: str, method: str, response) -> None:
    schema_validator = validator(document, path, method, response.status_code)
    errors = sorted(schema_validator.iter_errors(response.get_json()), key=lambda e: list(e.path))
    assert not errors, f"{method.upper()} {path} {response.status_code}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5]
    )


def test_every_route_but_the_html_pages_is_in_the_document(app, document):
    html_pages = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/") and rule.rule not in ("/healthz", "/backlog.json", "/backlog.csv")
    }
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule not in html_pages
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented


def test_the_document_is_valid_openapi_and_served_as_yaml(client, document):
    assert document["openapi"].startswith("3.1")
    assert document["info"]["version"] == "0.1.0"
    assert yaml.safe_load(client.get("/api/v1/openapi.yaml").get_data(as_text=True)) == document
    for _name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)


READS = [
    ("/healthz", "/healthz"),
    ("/api/v1/portfolio", "/api/v1/portfolio"),
    ("/api/v1/portfolio?quarter=2026Q1&sort=category:reproducibility&order=asc", "/api/v1/portfolio"),
    ("/api/v1/teams", "/api/v1/teams"),
    ("/api/v1/teams/research", "/api/v1/teams/{team}"),
    ("/api/v1/projects", "/api/v1/projects"),
    ("/api/v1/projects/reco-service", "/api/v1/projects/{project}"),
    ("/api/v1/projects/reco-service/scans", "/api/v1/projects/{project}/scans"),
    ("/api/v1/projects/reco-service/checks/deps-pinned", "/api/v1/projects/{project}/checks/{check_id}"),
    ("/api/v1/projects/churn-notebooks/compare", "/api/v1/projects/{project}/compare"),
    ("/api/v1/checks", "/api/v1/checks"),
    ("/api/v1/checks/infra-2-unit-tests", "/api/v1/checks/{check_id}"),
    ("/api/v1/compare", "/api/v1/compare"),
    ("/api/v1/compare?from=2025Q4&to=2026Q3", "/api/v1/compare"),
    ("/api/v1/backlog", "/api/v1/backlog"),
    ("/api/v1/backlog?team=research&sort=effort", "/api/v1/backlog"),
    ("/backlog.json?category=reproducibility", "/backlog.json"),
    ("/api/v1/questions", "/api/v1/questions"),
]


@pytest.mark.parametrize("url,path", READS)
def test_reads_match_the_document(client, document, url, path):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    check(document, path, "get", response)


@pytest.mark.parametrize(
    "url,path,status,message",
    [
        (
            "/api/v1/projects/nope",
            "/api/v1/projects/{project}",
            404,
            "no project named 'nope' in the database (projects: churn-notebooks, credit-risk-prod, fraud-kaggle, reco-service)",
        ),
        (
            "/api/v1/teams/nope",
            "/api/v1/teams/{team}",
            404,
            "no team 'nope' in the database (teams: growth, platform, research, risk)",
        ),
        (
            "/api/v1/checks/nope",
            "/api/v1/checks/{check_id}",
            404,
            f"no check 'nope' in the rubrics of the latest scans (checks: {DEFAULT_CHECKS})",
        ),
        (
            "/api/v1/projects/reco-service/checks/nope",
            "/api/v1/projects/{project}/checks/{check_id}",
            404,
            f"no check 'nope' in rubric mldebt-default (checks: {DEFAULT_CHECKS})",
        ),
        (
            "/api/v1/projects/reco-service/compare?b=123",
            "/api/v1/projects/{project}/compare",
            404,
            "no scan '123' of project 'reco-service'",
        ),
        (
            "/api/v1/portfolio?quarter=2026-Q5",
            "/api/v1/portfolio",
            400,
            "parameter quarter '2026-Q5': expected a quarter such as 2026Q3",
        ),
        (
            "/api/v1/portfolio?sort=x",
            "/api/v1/portfolio",
            400,
            "parameter sort='x': expected one of gap, project, team, tier, overall, ml_test_score, effort_hours, change, "
            "category:entanglement, category:data-dependencies, category:feedback-loops, category:anti-patterns, "
            "category:configuration, category:external-world, category:data-testing, category:reproducibility, "
            "category:process, category:culture",
        ),
        ("/api/v1/compare?to=2026", "/api/v1/compare", 400, "parameter to '2026': expected a quarter such as 2026Q3"),
        (
            "/api/v1/backlog?sort=cost",
            "/api/v1/backlog",
            400,
            "parameter sort='cost': expected one of priority, effort, team, category, project, opened",
        ),
        ("/backlog.csv?max_effort=lots", "/backlog.csv", 400, "parameter max_effort='lots': expected a number"),
    ],
)
def test_errors_are_json_and_match_the_document(client, document, url, path, status, message):
    response = client.get(url)
    assert response.status_code == status
    assert response.get_json() == {"error": {"status": status, "message": message}}
    check(document, path, "get", response)


def test_an_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"status": 404, "message": "no such page"}}


def test_a_wrong_method_is_405(client):
    response = client.delete("/api/v1/portfolio")
    assert response.status_code == 405
    assert response.get_json() == {"error": {"status": 405, "message": "DELETE is not allowed here"}}


EXAMPLES = {"project": "reco-service", "team": "platform", "check_id": "deps-pinned", "filename": "mldebt.css"}


def test_every_get_route_answers_on_the_sample_portfolio(app, client):
    """Each route, filled with sample values, answers without an error; routes added later are held to it too."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: EXAMPLES.get(m.group(1), "nope"), rule.rule)
        response = client.get(url)
        response.close()  # a static file is streamed: close it
        known = all(arg in EXAMPLES for arg in rule.arguments)
        expected = {200, 302} if known else {200, 302, 404}  # 302: the forms ask an anonymous visitor to sign in
        assert response.status_code in expected, f"{url}: {response.status_code}"
