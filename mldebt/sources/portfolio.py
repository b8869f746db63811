"""The portfolio file: teams, their projects, and where each project's evidence lives.

```yaml
portfolio: Acme ML
teams:
  - name: Search
    owner: search-lead@example.com
    projects:
      - name: ranker
        repo: ../ranker            # a path (relative to this file) or a git URL
        subpath: services/ranker   # optional: one project of a monorepo
        ci: {provider: github, repository: acme/ranker}
        monitoring: {rules: [monitoring/alerts.yml]}
        registries: {mlflow_url: http://127.0.0.1:5000}
        # optional: where exports link a file at the scanned commit, when the remote is not on GitHub,
        # GitLab or Bitbucket (placeholders: sources.forge.PLACEHOLDERS); also allowed once at the top
        code_url: "https://git.example.com/{repo}/blob/{commit}/{path}#L{line}"
```

A local repository's ``origin`` remote is read when the portfolio is loaded
(``forge.origin_url``, without credentials) and kept with the project's
sources under ``code``, with its ``code_url``: exports link the evidence
behind an item to the file on its forge at the scanned commit.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from mldebt.errors import InputError
from mldebt.redact import without_credentials
from mldebt.sources.forge import origin_url
from mldebt.sources.gitlocate import locate

if TYPE_CHECKING:
    from mldebt.sources.portfolio_spec import PortfolioSpec
    from mldebt.yamlfile import Document

NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
URL_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")
SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^:]")

# What ``ci.token_env`` may name: the variables CI providers and their CLIs use for an API token, or one the
# operator made for mldebt, MLDEBT_<anything>_TOKEN. Never any other variable (a cloud key, a database URL),
# nor mldebt's own push token: the value is sent as a Bearer token to ``ci.api_url``.
CI_TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITLAB_TOKEN", "GL_TOKEN", "CI_JOB_TOKEN")
OWN_TOKEN = re.compile(r"^MLDEBT_[A-Z0-9_]+_TOKEN$")
MLDEBT_SECRETS = frozenset({"MLDEBT_PUSH_TOKEN"})  # mldebt's own settings that match OWN_TOKEN


def token_env_problem(name: str) -> str | None:
    """Why the variable ``name`` may not be sent as a CI API token, or None when it may."""
    if name in MLDEBT_SECRETS:
        return f"{name!r} is one of mldebt's own settings and is never sent to a CI API"
    if name in CI_TOKEN_VARIABLES or OWN_TOKEN.match(name):
        return None
    return (
        f"{name!r} may not be sent as an API token: name {', '.join(CI_TOKEN_VARIABLES)}, "
        "or a variable of your own named MLDEBT_..._TOKEN"
    )


def api_url_problem(url: str) -> str | None:
    """Why a token may not be sent to the API at ``url``, or None: https, or plain http to this machine only."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if (parts.scheme == "https" and host) or (parts.scheme == "http" and _loopback(host)):
        return None
    return "must be an https:// URL; plain http is allowed only to this machine (localhost, 127.0.0.0/8, ::1)"


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Project:
    """A project ready to scan: its team, and its repository resolved."""

    name: str
    team_id: str
    team_name: str
    repo: str  # absolute local path, or a validated git URL
    is_url: bool
    subpath: str | None
    ref: str | None
    owner: str | None
    description: str | None
    tags: tuple[str, ...]
    sources: dict[str, Any]
    tier: str = "prototype"


@dataclass(frozen=True)
class Portfolio:
    name: str
    path: Path | None
    teams: dict[str, dict[str, str | None]]  # id -> {name, owner}
    projects: tuple[Project, ...]

    def select(self, name: str | None) -> tuple[Project, ...]:
        if name is None:
            return self.projects
        chosen = tuple(p for p in self.projects if p.name == name)
        if not chosen:
            known = ", ".join(p.name for p in self.projects)
            raise InputError(f"no project named {name!r} in the portfolio (projects: {known})")
        return chosen


def slug(text: str) -> str:
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-._").lower()
    return value[:100] or "project"


def is_git_url(text: str) -> bool:
    return text.startswith(URL_SCHEMES) or bool(SCP_LIKE.match(text))


def check_git_url(text: str) -> str | None:
    """The problem with a git URL a user gave, or None when it is safe to clone."""
    if text.startswith("-"):
        return "must not start with '-'"
    if "::" in text.split("/", 1)[0] or text.startswith("ext:"):
        return "transport helpers such as 'ext::' are not allowed"
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        return "must not contain spaces or control characters"
    if not is_git_url(text):
        return f"not a git URL (use one of {', '.join(URL_SCHEMES)} or user@host:path)"
    return None


def load_portfolio(path: Path | str) -> Portfolio:
    """Load and validate a portfolio file; every problem names file, line and key."""
    from mldebt.sources.portfolio_spec import PortfolioSpec  # pydantic loads only when a file is validated
    from mldebt.validation import validate
    from mldebt.yamlfile import load  # YAML is read only here: one repository's scan forks its prefetch sooner

    doc = load(path, what="portfolio file")
    spec = validate(PortfolioSpec, doc, what="the portfolio")
    return _resolve(spec, doc)


def _resolve(spec: PortfolioSpec, doc: Document) -> Portfolio:
    base = doc.path.resolve().parent
    problems: list[str] = []
    teams: dict[str, dict[str, str | None]] = {}
    projects: list[Project] = []
    seen: dict[str, tuple[str | int, ...]] = {}
    for t, team in enumerate(spec.teams):
        team_id = team.id or slug(team.name)
        if team_id in teams:
            problems.append(doc.message(("teams", t, "name"), f"duplicate team id {team_id!r}"))
        teams[team_id] = {"name": team.name, "owner": team.owner}
        for p, proj in enumerate(team.projects):
            loc = ("teams", t, "projects", p)
            if proj.name in seen:
                problems.append(doc.message(loc + ("name",), f"duplicate project name {proj.name!r}"))
            seen[proj.name] = loc
            repo = proj.repo
            is_url = is_git_url(repo) or repo.startswith("-") or "::" in repo
            if is_url:
                problem = check_git_url(repo)
                if problem:
                    problems.append(doc.message(loc + ("repo",), f"git URL {problem}"))
            else:
                local = (base / Path(repo).expanduser()).resolve()
                if not local.is_dir():
                    problems.append(doc.message(loc + ("repo",), f"no such directory: {local}"))
                elif proj.subpath and not (local / proj.subpath).is_dir():
                    problems.append(
                        doc.message(loc + ("subpath",), f"no such directory in the repository: {proj.subpath}")
                    )
                repo = str(local)
            sources = {k: v for k, v in proj.model_dump(include={"ci", "monitoring", "registries"}).items() if v}
            code = _code_source(repo if is_url else (origin_url(Path(repo)) if Path(repo).is_dir() else None))
            template = proj.code_url or spec.code_url
            code.update({"url": template} if template else {})
            sources.update({"code": code} if code else {})
            projects.append(
                Project(
                    name=proj.name,
                    team_id=team_id,
                    team_name=team.name,
                    repo=repo,
                    is_url=is_url,
                    subpath=proj.subpath,
                    ref=proj.ref,
                    owner=proj.owner or team.owner,
                    description=proj.description,
                    tags=tuple(proj.tags),
                    sources=sources,
                    tier=proj.tier,
                )
            )
    if problems:
        raise InputError.of_file(doc.path, "the portfolio", problems)
    return Portfolio(name=spec.portfolio, path=doc.path, teams=teams, projects=tuple(projects))


def _code_source(remote: str | None) -> dict[str, str]:
    """The ``code`` source of a project: its remote, without credentials, when it has one."""
    return {"remote": without_credentials(remote)} if remote else {}


def single_repository(path: Path | str, name: str | None = None) -> Portfolio:
    """A one-project portfolio for ``mldebt collect REPO_PATH``.

    A folder inside a git repository (not its top) is scanned as that
    repository's sub-path, as committed, and a note on stderr says so; a
    ``.git`` link leading outside the folder is refused (``gitlocate.locate``).
    """
    local = Path(path).expanduser().resolve()
    if not local.is_dir():
        raise InputError(f"{path}: no such directory")
    where = locate(local)
    repo, subpath = str(local), None
    if where.top is not None:
        repo, subpath = str(where.top), where.subpath
        click.echo(
            f"mldebt: note: {local} is inside the git repository {where.top}: scanning its sub-path "
            f"{subpath} as committed at HEAD",
            err=True,
        )
    project_name = name or slug(local.name)
    code = _code_source(origin_url(Path(repo)))
    project = Project(
        name=project_name,
        team_id="local",
        team_name="Local",
        repo=repo,
        is_url=False,
        subpath=subpath,
        ref=None,
        owner=None,
        description=None,
        tags=(),
        sources={"code": code} if code else {},
    )
    return Portfolio(
        name=project_name, path=None, teams={"local": {"name": "Local", "owner": None}}, projects=(project,)
    )
