"""Fuzzing the user's own files: rubric, portfolio and attestations.

A rubric or portfolio that cannot be used raises InputError (one line per
problem, naming file, line and key) and nothing else; an attestation file
that cannot be used becomes error facts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from mldebt.collectors.registry import declared_keys
from mldebt.errors import InputError
from mldebt.rubric.schema import load_rubric
from mldebt.sources.portfolio import load_portfolio

from .fuzz_strategies import FUZZ, raises_only, run_collector, seeds, yaml_documents

KEYS = declared_keys()
RUBRIC_KEYS = [
    "rubric",
    "version",
    "extends",
    "sections",
    "categories",
    "questions",
    "levels",
    "totals",
    "checks",
    "overrides",
    "disable",
    "id",
    "title",
    "description",
    "section",
    "category",
    "weight",
    "effort_hours",
    "automated",
    "manual",
    "why",
    "how",
    "paper",
    "scope",
    "tags",
    "teams",
    "requires",
    "checks_all",
    "min",
    "question",
    "litmus",
    "mltest",
]
CONDITIONS = [
    "repo.tests.files > 0",
    "ci.runs_tests and not ci.runs_lint",
    "len(repo.tests.files) >= 3",
    "monitoring.alerts.count > 2 or x",
    "9 ** 9 ** 9",
    "().__class__.__bases__",
    "'a' * 10 ** 9",
    "attest.feedback_loops.answer",
    "exists('ci.runs_tests')",
    "[1, 2][5]",
    "1 / 0",
    "{}['k']",
    "repo.files.total",
    *list(KEYS)[:40],
]
PORTFOLIO_KEYS = [
    "portfolio",
    "teams",
    "name",
    "id",
    "owner",
    "projects",
    "repo",
    "subpath",
    "ref",
    "description",
    "tags",
    "ci",
    "monitoring",
    "registries",
    "provider",
    "repository",
    "api_url",
    "results",
    "token_env",
    "rules",
    "dashboards",
    "prometheus_url",
    "alertmanager_url",
    "mlflow_url",
    "models",
    "feature_store",
]
PORTFOLIO_WORDS = [
    ".",
    "..",
    "repos/a",
    "/",
    "-uhack",
    "ext::sh -c id",
    "https://github.com/o/r.git",
    "git@github.com:o/r.git",
    "file:///etc",
    "github",
    "gitlab",
    "jenkins",
    "GITHUB_TOKEN",
    "a b",
    "~/x",
    "\x00",
    "reco-service",
]
ATTEST_KEYS = ["attestations", "question", "answer", "by", "date", "link", "expires"]
ATTEST_WORDS = [
    "feedback_loops",
    "undeclared_consumers",
    "data_dependency_closure",
    "2026-10-30",
    "2027-04-30",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "https://wiki.example.com/x",
    "javascript:alert(1)",
    "someone@example.com",
    "yesterday",
]


def _write(data: bytes, name: str) -> tuple[tempfile.TemporaryDirectory, Path]:
    folder = tempfile.TemporaryDirectory(prefix="mldebt-fuzz-")
    path = Path(folder.name) / name
    path.write_bytes(data)
    (Path(folder.name) / "repos" / "a").mkdir(parents=True)
    return folder, path


@FUZZ
@given(
    yaml_documents(
        RUBRIC_KEYS, CONDITIONS, seeds("rubric/default.yaml", "rubric/draft/*.yaml", "tests/data/rubric-report.yaml")
    )
)
def test_rubric_loader_raises_only_input_errors(data):
    folder, path = _write(data, "rubric.yaml")
    with folder:
        raises_only((InputError,), lambda: load_rubric(path, KEYS))


@FUZZ
@given(yaml_documents(PORTFOLIO_KEYS, PORTFOLIO_WORDS, seeds("sample_projects/portfolio.yaml")))
def test_portfolio_loader_raises_only_input_errors(data):
    folder, path = _write(data, "portfolio.yaml")
    with folder:
        raises_only((InputError,), lambda: load_portfolio(path))


@FUZZ
@given(yaml_documents(ATTEST_KEYS, ATTEST_WORDS, seeds("sample_projects/*/layers/*/.mldebt/attestations.yaml")))
def test_attestation_files_become_facts_or_error_facts(data):
    facts = run_collector("attest", {".mldebt/attestations.yaml": data})
    assert any(f.key == "attest.file" for f in facts)
