"""`mldebt check`: the CI gate on a project's latest scan, with SARIF, Markdown and badge outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mldebt.cli.options import base_url_option, db_option, existing_store, in_option_words, parsed, write_output
from mldebt.exports.badge import grade_badge
from mldebt.exports.sarif import render as render_sarif
from mldebt.gate.check import evaluate, parse_grade, parse_score
from mldebt.gate.summary import markdown
from mldebt.readmodel.scorecard import standing_lines
from mldebt.settings import base_url as resolve_base_url


@click.command("check")
@click.argument("project")
@click.option("--fail-under-grade", metavar="X", help="Fail when the grade is below X (A-F).")
@click.option("--fail-under-score", metavar="N", help="Fail when the ML Test Score is below N (0-7).")
@click.option(
    "--fail-below-target",
    is_flag=True,
    help="Fail when the project is short of its tier's target (level and ML Test Score).",
)
@click.option(
    "--baseline",
    default="previous",
    show_default=True,
    metavar="SCAN|previous|none",
    help="Fail when a check earns fewer points than in this scan (an id or its first characters).",
)
@click.option(
    "--sarif",
    "sarif_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write SARIF 2.1.0 findings (file and line) for unmet checks.",
)
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a Markdown summary (for a CI step summary or a pull-request comment).",
)
@click.option(
    "--badge",
    "badge_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an SVG badge with the grade, ML Test Score, tier and gap to its target.",
)
@base_url_option
@db_option
def check(
    project: str,
    fail_under_grade: str | None,
    fail_under_score: str | None,
    fail_below_target: bool,
    baseline: str,
    sarif_path: Path | None,
    markdown_path: Path | None,
    badge_path: Path | None,
    base_url: str | None,
    db_path: Path,
) -> None:
    """Gate a pipeline on a project's latest scan: exit 1 when it falls below a bar, is short of its tier's
    target (with --fail-below-target) or a check regresses.

    Exit status 0 when the gate passes, 1 when it fails, 2 on bad input. The
    outputs are written either way. The summary always gives the project's
    tier, the level it holds, its target and the gap to it.

    \b
    Example:
        mldebt collect . --project ranker
        mldebt check ranker --fail-below-target --sarif mldebt.sarif \\
            --markdown mldebt.md --badge mldebt.svg; status=$?
        cat mldebt.md >> "$GITHUB_STEP_SUMMARY"; exit $status
    """
    grade = parsed("--fail-under-grade", parse_grade, fail_under_grade)
    score = parsed("--fail-under-score", parse_score, fail_under_score)
    link = resolve_base_url(base_url)
    with existing_store(db_path) as db:
        with in_option_words({"baseline": "--baseline"}):
            result = evaluate(
                db,
                project,
                fail_under_grade=grade,
                fail_under_score=score,
                fail_below_target=fail_below_target,
                baseline=baseline,
            )
        if sarif_path:
            write_output(sarif_path, render_sarif(db, result, link), "--sarif")
    if markdown_path:
        write_output(markdown_path, markdown(result, link), "--markdown")
    if badge_path:
        scan = result.scan
        badge_svg = grade_badge(scan["grade"], scan["ml_test_score"], scan.get("tier"), scan.get("gap"))
        write_output(badge_path, badge_svg, "--badge")
    scan = result.scan
    overall = "n/a" if scan["overall"] is None else f"{scan['overall']:g}"
    click.echo(
        f"{project}: grade {scan['grade']} ({overall}), ML Test Score {scan['ml_test_score']:g}/7 "
        f"at {scan['as_of'][:10]}: {'passed' if result.passed else 'FAILED'}"
    )
    for line in standing_lines(result.standing):
        click.echo(f"  {line}")
    for reason in result.failures:
        click.echo(f"  fail: {reason}")
    for note in result.notes:
        click.echo(f"  note: {note}")
    if not result.passed:
        sys.exit(1)
