"""`mldebt rubric ...`: work with rubric files before a scan is scored with them.

A rubric is YAML validated against its schema and against the evidence keys
the collectors declare; every problem is printed with its file, line and key,
so a team can check its own rubric in CI before `mldebt score` applies it.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def rubric() -> None:
    """Work with rubric files.

    \b
    Example:
        mldebt rubric validate my-rubric.yaml
    """


@rubric.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
def rubric_validate(file: Path) -> None:
    """Check a rubric file; print every problem with its file, line and key.

    \b
    Example:
        mldebt rubric validate rubric/default.yaml
    """
    from mldebt.collectors.registry import declared_keys
    from mldebt.rubric.schema import load_rubric

    loaded = load_rubric(file, declared_keys())
    click.echo(f"{file}: valid rubric {loaded.name} {loaded.version}, {len(loaded.checks)} checks (hash {loaded.hash})")
