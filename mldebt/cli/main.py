"""The `mldebt` command line: a thin layer over the library, one module per command group.

Exit status: 0 success, 1 a gate failed, 2 bad input (one clear line per
problem on stderr), 3 an internal error. The library raises; only the group
here turns its errors into those lines.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Any, NoReturn

import click

from mldebt import __version__
from mldebt.cli.access import token, user
from mldebt.cli.attest import attest, waive
from mldebt.cli.campaign import campaign
from mldebt.cli.collect import collect, score
from mldebt.cli.compare import compare
from mldebt.cli.export import export
from mldebt.cli.gate import check
from mldebt.cli.portfolio import portfolio
from mldebt.cli.report import report
from mldebt.cli.rubric import rubric
from mldebt.cli.serve import serve
from mldebt.cli.show import explain, show
from mldebt.errors import MldebtError


class Mldebt(click.Group):
    """Turns mldebt's own errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MldebtError as exc:
            problems = getattr(exc, "problems", [str(exc)])
            for problem in problems:
                click.echo(f"mldebt: error: {problem}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("MLDEBT_DEBUG"):
                raise
            click.echo(
                f"mldebt: internal error: {type(exc).__name__}: {exc} (set MLDEBT_DEBUG=1 to see the traceback)",
                err=True,
            )
            ctx.exit(3)


@click.group(cls=Mldebt, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mldebt")
def cli() -> None:
    """Measure and pay down the technical debt of machine-learning projects.

    \b
    Example:
        mldebt collect portfolio.yaml
        mldebt show my-project
    """


def main() -> NoReturn:
    """Run the command, then leave without tearing the interpreter down (``leave``)."""
    try:
        cli(prog_name="mldebt")
    except SystemExit as done:
        leave(done.code)
    leave(0)


def leave(code: str | int | None) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` would, minus the interpreter's teardown.

    A finished command has closed its store and its files; what the normal
    exit adds is freeing every object and module one by one, ~15 ms after a
    scan of a large repository and pure waiting for whoever runs it. So the
    output is flushed, the exit handlers run (the process pool's, logging's,
    temporary folders'), and the process ends there (``os._exit``). With
    another thread still alive the normal exit is taken: it waits for it.
    """
    if threading.active_count() != 1 or not hasattr(atexit, "_run_exitfuncs"):
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`mldebt ... | head`): as Python's own exit says it
            status = status or 120
    os._exit(status)


cli.add_command(collect)
cli.add_command(score)
cli.add_command(show)
cli.add_command(explain)
cli.add_command(compare)
cli.add_command(attest)
cli.add_command(waive)
cli.add_command(rubric)
cli.add_command(report)
cli.add_command(export)
cli.add_command(campaign)
cli.add_command(check)
cli.add_command(serve)
cli.add_command(token)
cli.add_command(user)
cli.add_command(portfolio)
