"""`mldebt check`: the CI gate on a project's latest scan, with SARIF, Code Quality, Markdown and badge outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from mldebt.cli.options import base_url_option, db_option, existing_store, in_option_words, parsed, write_output
from mldebt.errors import InputError
from mldebt.settings import base_url as resolve_base_url


@click.command("check")
@click.argument("project")
@click.option("--fail-under-grade", metavar="X", help="Fail when the grade is below X (A-F).")
@click.option("--fail-under-score", metavar="N", help="Fail when the ML Test Score is below N (0-7).")
@click.option(
    "--fail-under-level",
    metavar="LEVEL",
    help="Fail when the level held is below LEVEL, one of the rubric's levels (bronze, silver, gold).",
)
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
    "--fail-on-new-failures",
    is_flag=True,
    help="Fail when a check fails that did not fail in the baseline scan (unknown or not applicable then included).",
)
@click.option(
    "--scan", "scan_id", metavar="SCAN", help="Judge this scan (an id or its first characters), not the latest."
)
@click.option(
    "--server",
    "server_url",
    metavar="URL",
    help="Judge the scan stored on the mldebt server at URL (what `collect --push` sent) instead of the local "
    "store; its token, if reading needs one, in MLDEBT_PUSH_TOKEN.",
)
@click.option(
    "--sarif",
    "sarif_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write SARIF 2.1.0 findings (file and line) for unmet checks.",
)
@click.option(
    "--codequality",
    "codequality_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write GitLab's Code Quality report (JSON) with the same findings.",
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
@click.option(
    "--outputs",
    "outputs_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append passed, grade, score, level, tier, gap, scan_id and scorecard_url as name=value lines "
    "(GitHub's $GITHUB_OUTPUT, GitLab's dotenv report).",
)
@base_url_option
@db_option
def check(
    project: str,
    fail_under_grade: str | None,
    fail_under_score: str | None,
    fail_under_level: str | None,
    fail_below_target: bool,
    baseline: str,
    fail_on_new_failures: bool,
    scan_id: str | None,
    server_url: str | None,
    sarif_path: Path | None,
    codequality_path: Path | None,
    markdown_path: Path | None,
    badge_path: Path | None,
    outputs_path: Path | None,
    base_url: str | None,
    db_path: Path,
) -> None:
    """Gate a pipeline on a project's latest scan: exit 1 when it falls below a bar, is short of its tier's
    target (with --fail-below-target) or a check regresses.

    Exit status 0 when the gate passes, 1 when it fails, 2 on bad input or
    when the server (--server) cannot be reached. The outputs are written
    either way. The summary always gives the project's tier, the level it
    holds, its target and the gap to it.

    \b
    Example:
        mldebt collect . --project ranker
        mldebt check ranker --fail-below-target --sarif mldebt.sarif \\
            --markdown mldebt.md --badge mldebt.svg; status=$?
        cat mldebt.md >> "$GITHUB_STEP_SUMMARY"; exit $status
        # in CI, after `mldebt collect . --push URL`: judged on the server
        mldebt check ranker --server URL --fail-under-level bronze --fail-on-new-failures
    """
    from mldebt.exports.verdict import verdict
    from mldebt.gate.check import evaluate, parse_grade, parse_score
    from mldebt.gate.remote import remote_verdict

    grade = parsed("--fail-under-grade", parse_grade, fail_under_grade)
    score = parsed("--fail-under-score", parse_score, fail_under_score)
    words = {"baseline": "--baseline", "level": "--fail-under-level", "scan": "--scan", "server": "--server"}
    if server_url is not None:
        query = {
            "baseline": baseline,
            **{k: v for k, v in (("scan", scan_id), ("fail_under_level", fail_under_level)) if v},
            **({"fail_under_grade": grade} if grade else {}),
            **({"fail_under_score": f"{score:g}"} if score is not None else {}),
            "fail_below_target": "true" if fail_below_target else "false",
            "fail_on_new_failures": "true" if fail_on_new_failures else "false",
        }
        with in_option_words(words):
            found = remote_verdict(server_url, project, query)
    else:
        link = resolve_base_url(base_url)
        with existing_store(db_path) as db:
            with in_option_words(words):
                result = evaluate(
                    db,
                    project,
                    fail_under_grade=grade,
                    fail_under_score=score,
                    fail_under_level=fail_under_level,
                    fail_below_target=fail_below_target,
                    fail_on_new_failures=fail_on_new_failures,
                    baseline=baseline,
                    scan=scan_id,
                )
            found = verdict(db, result, link)
    _write(found, sarif_path, codequality_path, markdown_path, badge_path, outputs_path)
    _say(project, found)
    if not found["passed"]:
        sys.exit(1)


def _write(
    found: dict[str, Any],
    sarif_path: Path | None,
    codequality_path: Path | None,
    markdown_path: Path | None,
    badge_path: Path | None,
    outputs_path: Path | None,
) -> None:
    from mldebt.exports.badge import grade_badge
    from mldebt.exports.verdict import outputs

    if sarif_path:
        write_output(sarif_path, json.dumps(found["sarif"], indent=2, ensure_ascii=False) + "\n", "--sarif")
    if codequality_path:
        text = json.dumps(found["codequality"], indent=2, ensure_ascii=False) + "\n"
        write_output(codequality_path, text, "--codequality")
    if markdown_path:
        write_output(markdown_path, found["markdown"], "--markdown")
    scan = found["scan"]
    if badge_path:
        badge_svg = grade_badge(scan["grade"], scan["ml_test_score"], scan.get("tier"), scan.get("gap"))
        write_output(badge_path, badge_svg, "--badge")
    if outputs_path:
        lines = "".join(f"{name}={value}\n" for name, value in outputs(found).items())
        try:
            with outputs_path.open("a", encoding="utf-8") as handle:
                handle.write(lines)
        except OSError as exc:
            raise InputError(f"--outputs {str(outputs_path)!r}: cannot append to it: {exc.strerror}") from None


def _say(project: str, found: dict[str, Any]) -> None:
    scan = found["scan"]
    overall = "n/a" if scan["overall"] is None else f"{scan['overall']:g}"
    score = "n/a" if scan["ml_test_score"] is None else f"{scan['ml_test_score']:g}"
    click.echo(
        f"{project}: grade {scan['grade']} ({overall}), ML Test Score {score}/7 "
        f"at {scan['as_of'][:10]}: {'passed' if found['passed'] else 'FAILED'}"
    )
    for line in found["standing_lines"]:
        click.echo(f"  {line}")
    for reason in found["failures"]:
        click.echo(f"  fail: {reason}")
    for note in found["notes"]:
        click.echo(f"  note: {note}")
