"""`mldebt portfolio import`: add many repositories to a portfolio file at once, with a push token for each.

The sources (a CSV file, a GitHub organisation, a GitLab group) live in
``mldebt.onboarding``; here they get options, progress lines and a summary on
stderr, and the tokens on stdout, one ``project<TAB>token`` line each, so a
script can hand them to CI secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from mldebt.cli.options import db_option, store
from mldebt.errors import InputError
from mldebt.tiers import TIERS

if TYPE_CHECKING:
    from mldebt.onboarding.entries import Listing
    from mldebt.onboarding.forges import Filters


@click.group()
def portfolio() -> None:
    """Build and grow the portfolio file: the teams, their projects and where each project lives.

    \b
    Example:
        mldebt portfolio import portfolio.yaml --github acme-ml --topic ml --tokens
    """


def _note(text: str) -> None:
    click.echo(f"mldebt: {text}", err=True)


@portfolio.command("import")
@click.argument("portfolio_path", metavar="PORTFOLIO", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A CSV file with a header line: repo (a git URL, or a folder relative to the CSV file), and "
    "name, team, tier, owner, description, tags, subpath, ref.",
)
@click.option("--github", "github_org", metavar="ORG", help="Every repository of this GitHub organisation.")
@click.option(
    "--gitlab",
    "gitlab_group",
    metavar="GROUP",
    help="Every project of this GitLab group (its id or full path) and its subgroups.",
)
@click.option(
    "--api-url",
    metavar="URL",
    help="The forge's API (default https://api.github.com or "
    "https://gitlab.com/api/v4; a GitHub Enterprise or self-hosted GitLab's own, e.g. "
    "https://gitlab.example.com/api/v4).",
)
@click.option(
    "--token-env",
    metavar="VAR",
    help="The environment variable holding the forge's API token "
    "(default GITHUB_TOKEN or GITLAB_TOKEN); the token is sent to the API only, never written or shown.",
)
@click.option(
    "--team",
    metavar="NAME",
    help="The team the projects join (default: the organisation or group; "
    "for a CSV file, rows whose team column is empty).",
)
@click.option("--tier", type=click.Choice(TIERS), help="The tier of every imported project (a CSV row's own wins).")
@click.option(
    "--topic",
    "topics",
    multiple=True,
    metavar="TOPIC",
    help="Only repositories with this topic (repeat: with every one given).",
)
@click.option(
    "--match",
    "patterns",
    multiple=True,
    metavar="GLOB",
    help="Only repositories whose name matches this pattern, e.g. 'ml-*' (repeat: any of them).",
)
@click.option("--include-archived", is_flag=True, help="Import archived repositories too.")
@click.option("--include-forks", is_flag=True, help="Import forks too.")
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="When the forge's rate limit is used up, wait for it to reset if that takes at most this long.",
)
@click.option(
    "--title",
    metavar="NAME",
    help="The portfolio's name, when the file is new (default: the organisation, group or CSV file's name).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be added; write nothing and make no token.")
@click.option(
    "--tokens",
    is_flag=True,
    help="Also make a push token bound to each imported project (named "
    "ci-PROJECT), recording the portfolio in the store first; each is printed once.",
)
@click.option(
    "--rotate-tokens",
    is_flag=True,
    help="With --tokens: revoke a project's live ci-PROJECT token and "
    "make a new one (by default a project that has one keeps it and gets none).",
)
@db_option
def portfolio_import(
    portfolio_path: Path,
    csv_path: Path | None,
    github_org: str | None,
    gitlab_group: str | None,
    api_url: str | None,
    token_env: str | None,
    team: str | None,
    tier: str | None,
    topics: tuple[str, ...],
    patterns: tuple[str, ...],
    include_archived: bool,
    include_forks: bool,
    max_wait: float,
    title: str | None,
    dry_run: bool,
    tokens: bool,
    rotate_tokens: bool,
    db_path: Path,
) -> None:
    """Add the repositories of a CSV file, a GitHub organisation or a GitLab group to the portfolio file.

    Entries already in the file (the same repository) are left as they are, with
    the file's other entries and comments, so running the import again adds only
    new repositories. Archived repositories and forks are left out unless asked.
    The file is written whole or not at all. With --tokens each imported project
    gets a push token for `mldebt collect --push` from its CI, printed once on
    stdout as PROJECT<TAB>TOKEN; progress and the summary go to stderr.

    \b
    Example:
        mldebt portfolio import portfolio.yaml --csv repos.csv
        GITHUB_TOKEN=... mldebt portfolio import portfolio.yaml --github acme-ml --topic ml --tokens
        GITLAB_TOKEN=... mldebt portfolio import portfolio.yaml --gitlab acme/ml \\
            --api-url https://gitlab.example.com/api/v4
    """
    from mldebt.onboarding.forges import Filters
    from mldebt.onboarding.portfolio_file import merge, write
    from mldebt.onboarding.tokens import issue_push_tokens, token_name
    from mldebt.sources.portfolio import load_portfolio

    chosen = [o for o, v in (("--csv", csv_path), ("--github", github_org), ("--gitlab", gitlab_group)) if v]
    if len(chosen) != 1:
        raise InputError(
            "give one source: --csv FILE, --github ORG or --gitlab GROUP"
            + (f" (not {' and '.join(chosen)})" if chosen else "")
        )
    if csv_path is not None and (api_url or token_env or topics or patterns or include_archived or include_forks):
        raise InputError(
            "--api-url, --token-env, --topic, --match, --include-archived and --include-forks "
            "are for --github and --gitlab, not --csv"
        )
    if rotate_tokens and not tokens:
        raise InputError("--rotate-tokens goes with --tokens")
    listing = _listing(
        portfolio_path,
        csv_path,
        github_org,
        gitlab_group,
        api_url,
        token_env,
        Filters(include_archived, include_forks, topics, patterns, tier, team, max_wait),
    )
    merged = merge(portfolio_path, listing.entries, title or listing.title)
    for line in merged.taken:
        _note(line)
    skipped = listing.skipped.copy()
    skipped["exists"] += len(merged.present)
    skipped["name taken"] += len(merged.taken)
    if not merged.comments_kept:
        _note(
            f"{portfolio_path}'s layout (a list written as [...]) could not take the new entries in place: "
            "the file is written anew, and its comments are not kept"
        )
    if dry_run:
        for name in merged.added:
            _note(f"would add {name}")
        _note(_summary(f"would import {_projects(len(merged.added))} into {portfolio_path}", skipped, None))
        return
    if merged.changed:
        write(portfolio_path, merged)
    for name in merged.added:
        _note(f"added {name}")
    made = None
    imported = merged.added + merged.present
    if tokens and not imported:
        made = 0
    elif tokens:
        with store(db_path) as db:
            issued = issue_push_tokens(db, load_portfolio(portfolio_path), imported, rotate=rotate_tokens)
        for project, secret in issued.created:
            click.echo(f"{project}\t{secret}")
        for project in issued.kept:
            kept = token_name("ci-", project)
            _note(f"{project} has a live token {kept} already: none made (--rotate-tokens replaces it)")
        made = len(issued.created)
    _note(_summary(f"imported {_projects(len(merged.added))} into {portfolio_path}", skipped, made))


def _listing(
    portfolio_path: Path,
    csv_path: Path | None,
    github_org: str | None,
    gitlab_group: str | None,
    api_url: str | None,
    token_env: str | None,
    filters: Filters,
) -> Listing:
    from mldebt.onboarding.csvlist import read_csv
    from mldebt.onboarding.forges import RateLimited, list_github, list_gitlab

    try:
        if csv_path is not None:
            return read_csv(csv_path, portfolio_path.resolve().parent, filters.team, filters.tier)
        if github_org is not None:
            return list_github(github_org, filters, api_url, token_env or "GITHUB_TOKEN", _note)
        assert gitlab_group is not None
        return list_gitlab(gitlab_group, filters, api_url, token_env or "GITLAB_TOKEN", _note)
    except RateLimited as exc:
        raise InputError(f"{exc}, or let it wait longer with --max-wait SECONDS") from None


def _projects(count: int) -> str:
    return f"{count} project{'' if count == 1 else 's'}"


def _summary(head: str, skipped: dict[str, int], tokens: int | None) -> str:
    from mldebt.onboarding.entries import SKIP_REASONS

    reasons = [f"{skipped[reason]} {said}" for reason, said in SKIP_REASONS.items() if skipped.get(reason)]
    total = sum(skipped.values())
    text = f"{head}, skipped {total}" + (f" ({', '.join(reasons)})" if reasons else "")
    return text + (f", tokens created {tokens}" if tokens is not None else "")
