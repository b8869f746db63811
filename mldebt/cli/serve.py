"""`mldebt serve`: the web scorecard over a store, served by waitress.

On a loopback address anyone may read the pages; on any other address only
signed-in users and read tokens may, unless --read-access says otherwise.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from mldebt.cli.options import db_option, existing_store
from mldebt.errors import InputError
from mldebt.settings import DEFAULT_HOST, DEFAULT_PORT, base_url, served_url

READ_ACCESS = ("open", "signed-in")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine alone (``localhost``, 127.0.0.1, ::1): its pages are open by default."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
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

    with existing_store(db_path):
        pass  # the store is there and up to date before the first request
    access = read_access or ("open" if is_loopback(host) else "signed-in")
    app = create_app({"DATABASE": str(db_path), "READ_REQUIRES_LOGIN": access == "signed-in"})
    click.echo(serving_line(db_path, host, port, access), err=True)
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
        where = served_url(host, port).removeprefix("http://")
        raise InputError(f"cannot listen on {where}: {exc.strerror or exc}") from None


def serving_line(db_path: Path, host: str, port: int, access: str) -> str:
    """What `serve` prints on start: where it answers, who may read, how to stop it, and where links point
    when MLDEBT_BASE_URL names another address (a proxy in front of it)."""
    here = served_url(host, port)
    links = base_url()
    elsewhere = f"; links in exports, reports and the gate point at {links}/" if links != here else ""
    return (
        f"serving the mldebt scorecard of {db_path} on {here}/ "
        f"(reading: {'open to anyone' if access == 'open' else 'signed-in users and read tokens'}){elsewhere}; "
        "Ctrl-C stops it"
    )
