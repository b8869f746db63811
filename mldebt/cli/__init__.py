"""The command line: one module per command group, the shared options and store lookup in options.py."""

from mldebt.cli.main import cli, main

__all__ = ["cli", "main"]
