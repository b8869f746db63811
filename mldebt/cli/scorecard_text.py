"""`mldebt show PROJECT`: one project's scorecard as text or CSV, from ``readmodel.scorecard.scorecard``.

The page answers, in order: where the project stands against its tier's
target; its ML Test Score and grade; the health of each debt category; then
its checks. Checks that owe something (not met, unknown, half met, waived)
come first, each with its reason and the rubric's fix, grouped by ML Test
Score section and debt category; met checks follow with their reason, and
the checks that do not apply come last, apart, with why they do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.text import Text

from mldebt.cli.portfolio_text import number
from mldebt.cli.terminal import Cell, Column, Page, labelled, stacked
from mldebt.exports import csvsafe
from mldebt.readmodel.scorecard import (
    HEALTH,
    NOT_APPLICABLE,
    STATUS_ORDER,
    SYMBOLS,
    gap_text,
    health_title,
    section_text,
    target_text,
)
from mldebt.rubric.paydown import PRIORITY_FORMULA, PRIORITY_UNIT

WORDS = {
    "fail": "not met",
    "unknown": "unknown",
    "manual": "half met",
    "waived": "waived",
    "automated": "met",
    NOT_APPLICABLE: "n/a",
}
OWING = ("fail", "unknown", "manual", "waived")
NO_SECTION = "Other checks (not part of the ML Test Score)"
CSV_HEADER = (
    "project",
    "scan_as_of",
    "section",
    "category",
    "check_id",
    "title",
    "status",
    "points",
    "weight",
    "reason",
    "fix",
)


def status_cell(status: str) -> Text:
    symbol, colour = SYMBOLS.get(status, ("·", None))
    return Text(f"{symbol} {WORDS.get(status, status)}", style=colour or "")


def render(card: Mapping[str, Any], page: Page) -> None:
    scan = card["scan"]
    page.line(
        Text.assemble(
            (card["project"], "bold"),
            f"  team {card['team']}" + (f", owner {card['owner']}" if card["owner"] else ""),
        )
    )
    page.line(
        f"Scan of {scan['as_of'][:10]} at commit {(scan['commit_sha'] or 'working tree')[:12]}, rubric "
        f"{card['rubric']['name']} {card['rubric']['version']} ({card['rubric']['hash']})"
        + (f", {scan['error_count']} inputs could not be read" if scan["error_count"] else ""),
        style="dim",
    )
    page.blank()
    page.labelled(_headline(card))
    page.blank()
    page.heading(HEALTH)
    page.table(
        [Column(""), Column("", justify="right")],
        [
            (health_title(c["title"]), "–  no decided check" if c["score"] is None else f"{c['score']:.0f}")
            for c in card["categories"]
        ],
        indent=2,
    )
    _checks(card, page)
    _questions(card, page)
    _paydown(card, page)
    _history(card, page)


def _headline(card: Mapping[str, Any]) -> list[tuple[str, Cell]]:
    score = card["ml_test_score"]
    tier = "none" if card["tier"] is None else f"{card['tier_title']} (target: {target_text(card)})"
    sections = ", ".join(
        f"{name} {section_text(value, card['section_max'].get(name))}" for name, value in card["sections"].items()
    )
    grade = f"{card['grade']} ({card['overall']:.0f} / 100)" if card["overall"] is not None else "– (no decided check)"
    waived = f" (+{number(card['waived_effort_hours'])} h waived)" if card["waived_effort_hours"] else ""
    return [
        ("Tier", tier),
        ("Level", f"{card['level_title'] or 'none'} held"),
        ("Gap", (gap_text(card), None if card["gap"]["on_target"] else "bold")),
        ("ML Test", f"{'n/a' if score is None else f'{score:g} of 7'}: {card['band_text']}"),
        ("Sections", f"{sections} (the ML Test Score is the lowest)"),
        ("Grade", f"{grade}, open effort {number(card['effort_hours'], 'h')}{waived}"),
    ]


def grouped(
    checks: Iterable[Mapping[str, Any]], card: Mapping[str, Any]
) -> list[tuple[str, list[tuple[str, list[Mapping[str, Any]]]]]]:
    """Checks by section (rubric order, then those outside the ML Test Score) and category (rubric order); within
    a category, by status (not met first) then id."""
    sections = list(card["section_titles"]) + [None]
    categories = [c["id"] for c in card["categories"]]
    titles = {c["id"]: c["title"] for c in card["categories"]}
    found: dict[Any, dict[Any, list[Mapping[str, Any]]]] = {}
    for check in checks:
        found.setdefault(check.get("section"), {}).setdefault(check.get("category"), []).append(check)
    out = []
    for section in sorted(found, key=lambda s: sections.index(s) if s in sections else len(sections)):
        title = NO_SECTION if section is None else f"{card['section_titles'].get(section, section)} ({section})"
        by_category = found[section]
        out.append(
            (
                title,
                [
                    (
                        titles.get(category, category or "No category"),
                        sorted(by_category[category], key=lambda c: (STATUS_ORDER.get(c["status"], 9), c["id"])),
                    )
                    for category in sorted(
                        by_category, key=lambda c: categories.index(c) if c in categories else len(categories)
                    )
                ],
            )
        )
    return out


def _checks(card: Mapping[str, Any], page: Page) -> None:
    checks = card["checks"]
    owing = [c for c in checks if c["status"] in OWING]
    met = [c for c in checks if c["status"] not in OWING and c["status"] != NOT_APPLICABLE]
    left_out = [c for c in checks if c["status"] == NOT_APPLICABLE]
    counts = ", ".join(
        f"{sum(c['status'] == status for c in checks)} {WORDS[status]}"
        for status in STATUS_ORDER
        if any(c["status"] == status for c in checks)
    )
    page.blank()
    page.heading(f"Checks: {counts}" if counts else "Checks: none scored")
    if owing:
        _block(page, f"To fix ({len(owing)}), by section and category, not met first", owing, card, with_fix=True)
    if met:
        _block(page, f"Met ({len(met)})", met, card, with_fix=False)
    if left_out:
        page.blank()
        page.heading(f"Does not apply ({len(left_out)}: left out of every score, category, level and effort)")
        page.table([Column("", min_width=9), Column("", wrap=True)], [_check_row(c, False) for c in left_out], 2)


def _block(page: Page, heading: str, checks: list[Mapping[str, Any]], card: Mapping[str, Any], with_fix: bool) -> None:
    page.blank()
    page.heading(heading)
    for section, categories in grouped(checks, card):
        page.line(section, style="bold underline", indent=2)
        for category, members in categories:
            page.line(category, style="bold", indent=4)
            page.table([Column("", min_width=10), Column("", wrap=True)], [_check_row(c, with_fix) for c in members], 6)


def _check_row(check: Mapping[str, Any], with_fix: bool) -> Sequence[Any]:
    """The status, and beside it the check and its title, its reason and (for an unmet check) its fix."""
    pairs: list[tuple[str, Cell]] = [("Reason", check["reason"] or "(no reason recorded: run `mldebt score`)")]
    if with_fix and check.get("fix"):
        pairs.append(("Fix", check["fix"]))
    return [
        status_cell(check["status"]),
        stacked(Text.assemble((check["id"], "bold"), "  ", check["title"]), labelled(pairs)),
    ]


def _questions(card: Mapping[str, Any], page: Page) -> None:
    if not card["questions"]:
        return
    page.blank()
    page.heading("Litmus questions (the score of their proxy checks; answered by the team?)")
    page.table(
        [Column("", justify="right"), Column(""), Column("", wrap=True)],
        [
            (
                "–" if q["score"] is None else f"{q['score']:.0f}",
                "attested" if q["attested"] else "not attested",
                q["title"],
            )
            for q in card["questions"]
        ],
        indent=2,
    )


def _paydown(card: Mapping[str, Any], page: Page) -> None:
    if not card["paydown"]:
        return
    page.blank()
    page.heading(f"Top paydown items (of {len(card['paydown'])} open; priority in {PRIORITY_UNIT})")
    page.line(PRIORITY_FORMULA, style="dim", indent=2)
    page.table(
        [
            Column("Item"),
            Column("Priority", justify="right"),
            Column("Effort", justify="right"),
            Column("Unmet", justify="right"),
            Column("Check", wrap=True),
        ],
        [
            (
                i["id"],
                f"{i['priority']:.3f}",
                number(i["effort_hours"], "h"),
                f"{i['scans_unmet']} scans",
                f"{i['check_id']}: {i['title']}",
            )
            for i in card["paydown"][:5]
        ],
        indent=2,
    )


def _history(card: Mapping[str, Any], page: Page) -> None:
    if len(card["history"]) < 2:
        return
    page.blank()
    page.heading("History")
    page.table(
        [
            Column("Scan"),
            Column("Commit"),
            Column("ML Test", justify="right"),
            Column("Grade"),
            Column("Gap to target", wrap=True),
        ],
        [
            (
                h["as_of"][:10],
                (h["commit"] or "–")[:8],
                "n/a" if h["ml_test_score"] is None else f"{h['ml_test_score']:g}",
                f"{h['grade']} {number(h['overall'])}",
                (h["gap"] or "–") + ("" if h["same_rubric"] else " (other rubric: not comparable)"),
            )
            for h in card["history"]
        ],
        indent=2,
    )


def csv_text(card: Mapping[str, Any]) -> str:
    """One row per check, in the order the page lists them."""
    sections = card["section_titles"]
    titles = {c["id"]: c["title"] for c in card["categories"]}
    return csvsafe.render(
        CSV_HEADER,
        (
            (
                card["project"],
                card["scan"]["as_of"],
                sections.get(c.get("section"), c.get("section")),
                titles.get(c.get("category"), c.get("category")),
                c["id"],
                c["title"],
                c["status"],
                c["points"],
                c["weight"],
                c["reason"],
                c.get("fix", ""),
            )
            for c in card["checks"]
        ),
    )
