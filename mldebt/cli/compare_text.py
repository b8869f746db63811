"""`mldebt compare` laid out for a terminal (Rich), or as CSV: the read model's comparison of two quarters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

from mldebt.cli.portfolio_text import number, plural, signed
from mldebt.cli.terminal import Column, Page, labelled, stacked
from mldebt.exports import csvsafe

KIND_WORDS = {
    "paid_down": ("paid down", "green"),
    "improved": ("improved", "green"),
    "regressed": ("regressed", "red"),
    "new": ("new debt", "red"),
    "waived": ("waived", "magenta"),
    "other": ("other", "blue"),
}
BETTER, WORSE, ASIDE = ("paid_down", "improved"), ("regressed", "new"), ("waived", "other")
STATUS = {"fail": "not met", "manual": "half met", "automated": "met", "unknown": "unknown", "waived": "waived"}
CLOSED_AS = {"automated": "met", "waived": "waived", "n/a": "no longer applies", None: "no longer scored"}
CSV_HEADER = (
    "from",
    "to",
    "project",
    "team",
    "kind",
    "id",
    "title",
    "before",
    "after",
    "change",
    "reason",
    "effort_hours",
)


def change(
    before: float | None, after: float | None, unit: str = "", lower_is_better: bool = False, delta: bool = True
) -> Text:
    """``28 → 29.2 (+1.2)``, green when better and red when worse; the value alone when it did not move."""
    if before is None or after is None or before == after:
        return Text(number(after, unit) if before == after or before is None else f"{number(before, unit)} → –")
    moved_by = round(after - before, 2)
    better = (moved_by < 0) if lower_is_better else (moved_by > 0)
    text = f"{number(before, unit)} → {number(after, unit)}"
    if delta:
        text += f" ({signed(moved_by)}{' ' + unit if unit else ''})"
    return Text(text, style="green" if better else "red")


def moved(before: str | None, after: str | None) -> str:
    """``C → B`` when it changed, else the value (``none`` for no level)."""
    return after or "none" if before == after else f"{before or 'none'} → {after or 'none'}"


def level(value: str | None) -> str | None:
    return value.capitalize() if value else None


def _summary_row(row: Mapping[str, Any]) -> list[Any]:
    a, b = row["a"], row["b"]
    if a is None:
        return [row["project"], b["grade"] or "–", Text("new: not scanned before", style="dim"), "", "", "", ""]
    return [
        row["project"],
        moved(a["grade"], b["grade"]),
        change(a["overall"], b["overall"], delta=False),
        change(a["ml_test_score"], b["ml_test_score"], delta=False),
        moved(level(a["level"]), level(b["level"])),
        change(a["gap_size"], b["gap_size"], lower_is_better=True, delta=False),
        change(a["effort_hours"], b["effort_hours"], "h", lower_is_better=True, delta=False),
    ]


def render_portfolio(data: Mapping[str, Any], page: Page) -> None:
    rows = data["projects"]
    changes = data["changes"]
    count = {k: len(v) for k, v in changes.items()}
    opened = sum(len(r["paydown"]["new"]) for r in rows)
    closed = sum(len(r["paydown"]["closed"]) for r in rows)
    before = sum(r["a"]["effort_hours"] for r in rows if r["a"])
    after = sum(r["b"]["effort_hours"] for r in rows)
    page.heading(f"What changed from {data['from']} to {data['to']}: {plural(len(rows), 'project')}")
    page.line(
        f"Checks: {count['paid_down'] + count['improved']} better, {count['regressed'] + count['new']} worse, "
        f"{count['waived']} newly waived. Paydown items: {opened} opened, {closed} closed."
    )
    page.line(Text.assemble("Open effort: ", change(before, after, "h", lower_is_better=True), "."))
    page.line(f"Each project as its last scan by the end of {data['from']} and of {data['to']}.", style="dim")
    page.blank()
    by_team: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_team.setdefault(row["team_name"] or row["team"], []).append(row)
    page.grouped(
        [
            Column("Project", min_width=12),
            Column("Grade"),
            Column("Overall"),
            Column("ML Test"),
            Column("Level", optional=2),
            Column("Gap to target", optional=1),
            Column("Open effort"),
        ],
        [(Text(team, style="bold"), [_summary_row(r) for r in found]) for team, found in by_team.items()],
        indent=2,
    )
    for row in rows:
        mine = {k: [c for c in v if c["project"] == row["project"]] for k, v in changes.items()}
        if not any(mine.values()) and not row["paydown"]["new"] and not row["paydown"]["closed"]:
            continue
        page.blank()
        note = (
            "" if row["same_rubric"] or row["a"] is None else " (scored with another rubric before: compare with care)"
        )
        page.heading(f"{row['project']} (team {row['team_name'] or row['team']}){note}")
        _details(page, mine, row["paydown"])
    quiet = [
        r["project"]
        for r in rows
        if not any(c["project"] == r["project"] for v in changes.values() for c in v)
        and not r["paydown"]["new"]
        and not r["paydown"]["closed"]
    ]
    if quiet:
        page.blank()
        page.line(f"No check changed in: {', '.join(quiet)}.", style="dim")


def render_project(data: Mapping[str, Any], page: Page) -> None:
    a, b = data["a"], data["b"]
    page.heading(f"What changed in {data['project']} from {data['from']} to {data['to']}")
    page.line(
        f"Scan of {a['as_of'][:10]} ({(a['commit_sha'] or 'working tree')[:12]}) against scan of {b['as_of'][:10]} "
        f"({(b['commit_sha'] or 'working tree')[:12]})"
        + ("" if data["same_rubric"] else "; the two were scored with different rubrics: compare with care"),
        style="dim",
    )
    if a["id"] == b["id"]:
        page.line(f"No scan was made between the end of {data['from']} and the end of {data['to']}: nothing changed.")
        return
    page.blank()
    headline = [
        ("Grade", Text(moved(a["grade"], b["grade"]))),
        ("Level", Text(moved(level(a["level"]), level(b["level"])))),
        ("Gap to target", Text(moved(a["gap"], b["gap"]))),
    ]
    moving = [s for s in data["scores"][4:] if s["before"] != s["after"]]
    page.table(
        [Column("Score"), Column("Before → after", wrap=True)],
        [
            *headline,
            *(
                (
                    s["name"],
                    change(s["before"], s["after"], "h" if "hours" in s["name"] else "", s["better"] == "lower"),
                )
                for s in data["scores"][1:4] + moving
            ),
        ],
    )
    if len(data["scores"]) > 4 + len(moving):
        page.line("Sections and category health not listed did not change.", style="dim")
    page.blank()
    _details(page, data["changes"], data["paydown"])


def _details(page: Page, changes: Mapping[str, list[Mapping[str, Any]]], items: Mapping[str, list[Any]]) -> None:
    for title, kinds in (("Better", BETTER), ("Worse", WORSE), ("Also changed", ASIDE)):
        listed = [(kind, c) for kind in kinds for c in changes[kind]]
        if not listed:
            continue
        page.line(f"{title} ({len(listed)})", style="bold", indent=2)
        page.table([Column("", min_width=9), Column("", wrap=True)], [_change_row(k, c) for k, c in listed], 4)
    if items["new"]:
        page.line(f"Paydown items opened ({len(items['new'])})", style="bold", indent=2)
        page.table(_item_columns(), [_item_row(i, "open") for i in items["new"]], 4)
    if items["closed"]:
        page.line(f"Paydown items closed ({len(items['closed'])})", style="bold", indent=2)
        page.table(
            _item_columns(), [_item_row(i, CLOSED_AS.get(i["status_after"], "closed")) for i in items["closed"]], 4
        )


def _change_row(kind: str, c: Mapping[str, Any]) -> list[Any]:
    word, style = KIND_WORDS[kind]
    was = STATUS.get(c["before"], c["before"] or "not scored")
    now = STATUS.get(c["after"], c["after"] or "not scored")
    return [
        Text(word, style=style),
        stacked(
            Text.assemble((c["check_id"], "bold"), "  ", c["title"]),
            labelled([("Result", f"{was} → {now}"), ("Reason", c["reason"])]),
        ),
    ]


def _item_columns() -> list[Column]:
    return [Column(""), Column("", justify="right"), Column(""), Column("", wrap=True)]


def _item_row(item: Mapping[str, Any], state: str) -> list[Any]:
    return [item["id"], number(item["effort_hours"], "h"), state, f"{item['check_id']}: {item['title']}"]


# CSV ---------------------------------------------------------------------------------------------------------------


def csv_text(data: Mapping[str, Any]) -> str:
    """One row per line item: each project's scores (kind ``score``), each check that changed (its kind), each
    paydown item opened or closed (``item opened``, ``item closed``)."""
    rows: list[Sequence[Any]] = []
    if "projects" in data:
        teams = {r["project"]: r["team"] for r in data["projects"]}
        for r in data["projects"]:
            rows += _score_rows(data, r["project"], r["team"], _headline_scores(r["a"], r["b"]))
        for kind, listed in data["changes"].items():
            rows += [_check_csv(data, c["project"], teams.get(c["project"], ""), kind, c) for c in listed]
        for r in data["projects"]:
            rows += _item_csv(data, r["project"], r["team"], r["paydown"])
    else:
        scores = _headline_scores(data["a"], data["b"])[:2] + data["scores"]
        rows += _score_rows(data, data["project"], "", scores)
        for kind, listed in data["changes"].items():
            rows += [_check_csv(data, data["project"], "", kind, c) for c in listed]
        rows += _item_csv(data, data["project"], "", data["paydown"])
    return csvsafe.render(CSV_HEADER, rows)


def _headline_scores(a: Mapping[str, Any] | None, b: Mapping[str, Any]) -> list[dict[str, Any]]:
    def was(key: str) -> Any:
        return a[key] if a else None

    return [
        {"name": "Grade", "before": was("grade"), "after": b["grade"]},
        {"name": "Level", "before": was("level"), "after": b["level"]},
        {"name": "Gap to target", "before": was("gap_size"), "after": b["gap_size"]},
        {"name": "ML Test Score", "before": was("ml_test_score"), "after": b["ml_test_score"]},
        {"name": "Overall (0-100)", "before": was("overall"), "after": b["overall"]},
        {"name": "Open effort (hours)", "before": was("effort_hours"), "after": b["effort_hours"]},
    ]


def _score_rows(
    data: Mapping[str, Any], project: str, team: str, scores: Sequence[Mapping[str, Any]]
) -> list[list[Any]]:
    out = []
    for s in scores:
        numeric = all(isinstance(v, (int, float)) for v in (s["before"], s["after"]))
        delta = round(s["after"] - s["before"], 2) if numeric else None
        out.append(
            [data["from"], data["to"], project, team, "score", "", s["name"], s["before"], s["after"], delta, "", ""]
        )
    return out


def _check_csv(data: Mapping[str, Any], project: str, team: str, kind: str, c: Mapping[str, Any]) -> list[Any]:
    return [
        data["from"],
        data["to"],
        project,
        team,
        kind,
        c["check_id"],
        c["title"],
        c["before"],
        c["after"],
        "",
        c["reason"],
        "",
    ]


def _item_csv(data: Mapping[str, Any], project: str, team: str, items: Mapping[str, list[Any]]) -> list[list[Any]]:
    opened = [
        [
            data["from"],
            data["to"],
            project,
            team,
            "item opened",
            i["id"],
            f"{i['check_id']}: {i['title']}",
            "",
            "open",
            "",
            "",
            i["effort_hours"],
        ]
        for i in items["new"]
    ]
    closed = [
        [
            data["from"],
            data["to"],
            project,
            team,
            "item closed",
            i["id"],
            f"{i['check_id']}: {i['title']}",
            "open",
            i["status_after"] or "",
            "",
            "",
            i["effort_hours"],
        ]
        for i in items["closed"]
    ]
    return opened + closed
