"""`mldebt serve`, `mldebt token ...` and `mldebt user ...`: the web scorecard and who may write through it."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Callable
from pathlib import Path

import click

from mldebt.access import SCOPES, add_user, create_token, list_tokens, list_users, remove_user, revoke_token
from mldebt.errors import InputError
from mldebt.scanning.scans import save_portfolio
from mldebt.sources.portfolio import load_portfolio
from mldebt.store.db import open_db

READ_ACCESS = ("open", "signed-in")


def db_option(func: Callable) -> Callable:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="MLDEBT_DB",
        default="mldebt.db",
        show_default=True,
        help="The SQLite store (or set MLDEBT_DB).",
    )(func)


def _existing(db_path: Path):
    if not db_path.exists():
        raise InputError(f"{db_path}: no database yet: run `mldebt collect` first")
    return open_db(db_path)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--read-access",
    type=click.Choice(READ_ACCESS),
    help="Who may read pages: anyone ('open', the default on a loopback address) or only signed-in "
    "users and read tokens ('signed-in', the default on any other address).",
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@db_option
def serve(host: str, port: int, read_access: str | None, threads: int, db_path: Path) -> None:
    """Serve the web scorecard (portfolio, teams, projects, checks, backlog, API) with waitress.

    Pages only read the store. Recording attestations and waivers needs a
    user (`mldebt user add`) or an API token (`mldebt token create`).

    \b
    Example:
        mldebt serve --port 8000
        mldebt serve --host 0.0.0.0 --read-access signed-in --db /srv/mldebt/mldebt.db
    """
    from waitress import serve as waitress_serve

    from mldebt.webapp import create_app

    _existing(db_path).close()
    access = read_access or ("open" if is_loopback(host) else "signed-in")
    app = create_app({"DATABASE": str(db_path), "READ_REQUIRES_LOGIN": access == "signed-in"})
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"serving the mldebt scorecard of {db_path} on http://{shown}:{port}/ "
        f"(reading: {'open to anyone' if access == 'open' else 'signed-in users and read tokens'}); "
        "Ctrl-C stops it",
        err=True,
    )
    try:
        # With MLDEBT_PROXY_HOPS the app itself believes that many proxies' X-Forwarded-* headers;
        # waitress would otherwise strip them first (it trusts no proxy of its own).
        waitress_serve(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="mldebt",
            clear_untrusted_proxy_headers=not app.config["PROXY_HOPS"],
        )
    except OSError as exc:  # the address is taken or not ours
        raise InputError(f"cannot listen on {shown}:{port}: {exc.strerror or exc}") from None


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
    portfolio = load_portfolio(portfolio_path) if portfolio_path is not None else None
    db = open_db(db_path) if portfolio is not None else _existing(db_path)
    with db.atomic():  # the portfolio is recorded only with the token
        if portfolio is not None:
            save_portfolio(db, portfolio)
        secret, row = create_token(db, name, scopes, expires, project=project, team=team)
    click.echo(secret)
    click.echo(
        f"token {row['name']} (#{row['id']}) with scopes {', '.join(sorted(set(scopes)))}"
        + (f", bound to {binding_text(row)}" if "push" in scopes else "")
        + (f", until {expires}" if expires else "")
        + ": store it now, it is not shown again",
        err=True,
    )


def binding_text(row: dict) -> str:
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
    db = _existing(db_path)
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
    row = revoke_token(_existing(db_path), name_or_id)
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
    db = _existing(db_path)
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
    found = list_users(_existing(db_path))
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
    remove_user(_existing(db_path), name)
    click.echo(f"removed user {name}")
