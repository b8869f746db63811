"""The portfolio file's schema: pydantic models that check a portfolio as written.

Only loading a portfolio file needs them (``portfolio.load_portfolio``); a
``mldebt collect DIR`` builds its one-project portfolio in code.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal

from pydantic import Field, field_validator

from mldebt.sources.forge import code_url_problem
from mldebt.sources.portfolio import NAME, api_url_problem, token_env_problem
from mldebt.tiers import DEFAULT_TIER, Tier
from mldebt.validation import Strict


class CISource(Strict):
    provider: Literal["github", "gitlab", "circleci", "azure", "jenkins"] | None = None
    repository: str | None = None  # owner/name on the provider, for run history
    api_url: str | None = None  # https, or http to a loopback address (api_url_problem)
    results: list[str] = []  # JUnit or coverage files, relative to the repository
    # environment variable holding the API token for run history; GITHUB_TOKEN or GITLAB_TOKEN when unset;
    # only the names token_env_problem accepts
    token_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @field_validator("token_env")
    @classmethod
    def _sendable(cls, value: str | None) -> str | None:
        problem = token_env_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("api_url")
    @classmethod
    def _private_enough(cls, value: str | None) -> str | None:
        problem = api_url_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value


class MonitoringSource(Strict):
    rules: list[str] = []  # Prometheus rule files, relative to the repository
    dashboards: list[str] = []
    prometheus_url: str | None = None
    alertmanager_url: str | None = None


class RegistrySource(Strict):
    mlflow_url: str | None = None
    models: list[str] = []  # registered model names to follow
    feature_store: str | None = None  # path of a Feast repository, relative to the repository


class ProjectSpec(Strict):
    name: str = Field(pattern=NAME)
    repo: str = Field(min_length=1)
    subpath: str | None = None
    ref: str | None = None  # branch or tag of a git URL; HEAD by default
    owner: str | None = None
    description: str | None = None
    tags: list[str] = []
    tier: Tier = DEFAULT_TIER  # what the project is expected to hold
    ci: CISource | None = None
    monitoring: MonitoringSource | None = None
    registries: RegistrySource | None = None
    code_url: str | None = None  # a link to a file at a commit, for a forge mldebt does not know (forge.fill)

    @field_validator("code_url")
    @classmethod
    def _fillable(cls, value: str | None) -> str | None:
        return _code_url(value)

    @field_validator("subpath")
    @classmethod
    def _relative(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = PurePosixPath(value).parts
        if value.startswith("/") or ".." in parts:
            raise ValueError("must be a relative path inside the repository, without '..'")
        return PurePosixPath(value).as_posix()


class TeamSpec(Strict):
    name: str = Field(min_length=1)
    id: str | None = Field(default=None, pattern=NAME)
    owner: str | None = None
    projects: list[ProjectSpec] = Field(min_length=1)


class PortfolioSpec(Strict):
    portfolio: str = Field(min_length=1)
    teams: list[TeamSpec] = Field(min_length=1)
    code_url: str | None = None  # every project's, unless a project sets its own

    @field_validator("code_url")
    @classmethod
    def _fillable(cls, value: str | None) -> str | None:
        return _code_url(value)


def _code_url(value: str | None) -> str | None:
    problem = code_url_problem(value) if value is not None else None
    if problem:
        raise ValueError(problem)
    return value
