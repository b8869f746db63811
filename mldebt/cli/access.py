"""`mldebt token ...` and `mldebt user ...`: who may write to the web scorecard (and read it, when private).

Only a token's or a password's hash is stored; a token is printed once, when
it is made. The rules (scopes, a push token's binding, expiry) live in
``mldebt.access``; these commands give them a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mldebt.cli.options import db_option, existing_store, in_option_words, store
from mldebt.scopes import SCOPES

TOKEN_OPTIONS = {
    "scope": "--scope",
    "expires": "--expires",
    "project": "--project",
    "team": "--team",
    "portfolio": "--portfolio",
}


@click.group()
def token() -> None:
    """Create, list and revoke API tokens for writing to the web scorecard (and reading it, when private).

    \b
    Example:
        mldebt token create ci-reco --scope push --project reco-service
        mldebt token list
        mldebt token revoke ci-reco
    """


@token.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(sorted(SCOPES)),
    required=True,
    help="What the token may do (repeat for several): " + "; ".join(f"{k}: {v}" for k, v in SCOPES.items()) + ".",
)
@click.option("--expires", metavar="DATE", help="Last day the token works (YYYY-MM-DD; default: until revoked).")
@click.option(
    "--project",
    metavar="NAME",
    help="Bind a push token to this project of the store: it pushes scans of this project only.",
)
@click.option(
    "--team",
    metavar="ID",
    help="Bind a push token to this team of the store: it pushes scans of the team's projects only.",
)
@click.option(
    "--portfolio",
    "portfolio_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="First record this portfolio file's teams and projects in the store (the server's portfolio, "
    "as `mldebt collect` records it), creating the store if need be.",
)
@db_option
def token_create(
    name: str,
    scopes: tuple[str, ...],
    expires: str | None,
    project: str | None,
    team: str | None,
    portfolio_path: Path | None,
    db_path: Path,
) -> None:
    """Make a token and print it once; only its hash is stored.

    A push token must be bound to one project (--project) or one team
    (--team) already in the store: pushes for any other project are refused,
    and a push never changes the teams, owners or projects the store holds.

    \b
    Example:
        mldebt token create ci-reco --scope push --project reco-service --portfolio portfolio.yaml
        mldebt token create ci-search --scope push --team search
        mldebt token create ci-reco --scope attest --scope waive --expires 2027-06-30
        curl -H "Authorization: Bearer $TOKEN" ...
    """
    from mldebt.access import create_token
    from mldebt.scanning.scans import save_portfolio
    from mldebt.sources.portfolio import load_portfolio

    portfolio = load_portfolio(portfolio_path) if portfolio_path is not None else None
    opened = store(db_path) if portfolio is not None else existing_store(db_path)
    with opened as db, db.atomic():  # the portfolio is recorded only with the token
        if portfolio is not None:
            save_portfolio(db, portfolio)
        with in_option_words(TOKEN_OPTIONS):
            secret, row = create_token(db, name, scopes, expires, project=project, team=team)
    click.echo(secret)
    click.echo(
        f"token {row['name']} (#{row['id']}) with scopes {', '.join(sorted(set(scopes)))}"
        + (f", bound to {binding_text(row)}" if "push" in scopes else "")
        + (f", until {expires}" if expires else "")
        + ": store it now, it is not shown again",
        err=True,
    )


def binding_text(row: dict[str, Any]) -> str:
    """What a push token may push for, as `token list` and `token create` say it."""
    if row.get("project_id"):
        return f"project {row['project_id']}"
    if row.get("team_id"):
        return f"team {row['team_id']}"
    return "unbound: cannot push, make a bound token"


@token.command("list")
@db_option
def token_list(db_path: Path) -> None:
    """List tokens (never their secrets): name, scopes, what a push token is bound to, state and last use.

    \b
    Example:
        mldebt token list
    """
    from mldebt.access import list_tokens

    with existing_store(db_path) as db:
        found = list_tokens(db)
    if not found:
        click.echo("no tokens yet (make one with `mldebt token create NAME --scope ...`)")
    for t in found:
        state = (
            f"revoked {t['revoked_at'][:10]}"
            if t["revoked_at"]
            else (f"live until {t['expires_on']}" if t["expires_on"] else "live")
        )
        bound = f"{binding_text(t)}  " if "push" in t["scopes"] else ""
        click.echo(
            f"#{t['id']}  {t['name']}  {t['prefix']}…  {','.join(t['scopes'])}  {bound}{state}  "
            f"last used {(t['last_used_at'] or 'never')[:10]}"
        )


@token.command("revoke")
@click.argument("name_or_id")
@db_option
def token_revoke(name_or_id: str, db_path: Path) -> None:
    """Revoke a token at once; requests with it are refused from then on.

    \b
    Example:
        mldebt token revoke ci-reco
    """
    from mldebt.access import revoke_token

    with existing_store(db_path) as db:
        row = revoke_token(db, name_or_id)
    click.echo(f"revoked token {row['name']} (#{row['id']})")


@click.group()
def user() -> None:
    """Add, list and remove the users who may sign in to the web scorecard.

    \b
    Example:
        mldebt user add elena
        mldebt user list
    """


@user.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@db_option
def user_add(name: str, password_stdin: bool, db_path: Path) -> None:
    """Add a user; the password is asked for (or read from stdin) and only its hash is stored.

    \b
    Example:
        mldebt user add elena
        printf '%s\\n' "$PASSWORD" | mldebt user add ci-bot --password-stdin
    """
    from mldebt.access import add_user

    with existing_store(db_path) as db:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        add_user(db, name, password)
    click.echo(f"added user {name}")


@user.command("list")
@db_option
def user_list(db_path: Path) -> None:
    """List the users.

    \b
    Example:
        mldebt user list
    """
    from mldebt.access import list_users

    with existing_store(db_path) as db:
        found = list_users(db)
    if not found:
        click.echo("no users yet (add one with `mldebt user add NAME`)")
    for u in found:
        click.echo(f"{u['name']}  added {u['created_at'][:10]}")


@user.command("remove")
@click.argument("name")
@db_option
def user_remove(name: str, db_path: Path) -> None:
    """Remove a user; their sessions stop working at their next request.

    \b
    Example:
        mldebt user remove elena
    """
    from mldebt.access import remove_user

    with existing_store(db_path) as db:
        remove_user(db, name)
    click.echo(f"removed user {name}")
