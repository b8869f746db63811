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

    with existing_store(db_path):
        pass  # the store is there and up to date before the first request
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
