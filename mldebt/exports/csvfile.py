"""Plain CSV of the backlog: one row per item, for spreadsheets and scripts (no cell runs as a formula).

The one backlog CSV: ``mldebt export backlog --format csv`` and the web
scorecard's ``/backlog.csv`` both write it, from the same rows
(``backlog.BacklogItem``) through the same writer (``csvsafe.render``).
``DOCS`` says what each column holds, in the words a help page or a
spreadsheet's notes can show; every row carries its own effort basis and
its priority worked out, with the unit, and where its evidence is in the
code: ``location`` and ``code_link``, or in ``location_note`` why not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from mldebt.exports.csvsafe import render as render_csv
from mldebt.rubric.paydown import PRIORITY_HELP

if TYPE_CHECKING:  # the read model loads only when items are made
    from mldebt.readmodel.backlog import BacklogItem

COLUMNS = (
    "id",
    "project",
    "team",
    "team_name",
    "owner",
    "check_id",
    "title",
    "status",
    "priority",
    "effort_hours",
    "gap",
    "weight",
    "scans_unmet",
    "opened_at",
    "section",
    "ml_test",
    "category",
    "fix",
    "link",
    "clears",
    "effort_basis",
    "priority_basis",
    "commit",
    "location",
    "code_link",
    "location_note",
)
DOCS = {
    "id": "the item's stable id (MLD-...): a later export of the same item has the same id",
    "project": "the project the item belongs to",
    "team": "the team's id in the portfolio",
    "team_name": "the team's name",
    "owner": "who answers for the project",
    "check_id": "the check the item's fix is named for",
    "title": "that check's title",
    "status": "open (only open items are exported)",
    "priority": PRIORITY_HELP,
    "effort_hours": "hours of work to clear the item, counted once even when the fix clears several checks",
    "gap": "the share of the check's point still missing: 1 when not met, 0.5 when only manual credit",
    "weight": "the check's weight in the rubric",
    "scans_unmet": "scans in a row the check has stayed unmet, up to the latest",
    "opened_at": "the moment of the scan where the item opened",
    "section": "the ML Test Score section of the check, if any",
    "ml_test": "the ML Test Score test the check scores, if any",
    "category": "the debt category of the check",
    "fix": "how to fix it",
    "link": "the check's result and evidence on the web scorecard",
    "clears": "every check the fix clears, the item's own first, separated by spaces",
    "effort_basis": "where the effort figure comes from",
    "priority_basis": "the priority worked out from the formula, in points per hour",
    "commit": "the scanned commit the item stands at (empty for a folder without git)",
    "location": "the file and line of the evidence behind the item (path:line from the top of the repository), "
    "empty when it has no file",
    "code_link": "that file at the scanned commit on its forge (GitHub, GitLab, Bitbucket or the portfolio's "
    "code_url), empty when there is none",
    "location_note": "why location or code_link is empty (no file evidence, no known forge), else empty",
}


def render(items: Iterable[BacklogItem]) -> str:
    rows = ([_value(getattr(item, c)) for c in COLUMNS] for item in items)
    return render_csv(COLUMNS, rows)


def _value(value: object) -> object:
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else value
