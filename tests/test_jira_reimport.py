"""The Jira CSV imported twice, a new scan between, updates the issues it made rather than duplicating them.

``Importer`` applies a CSV as Jira's importer does with "External ID" mapped
to a text custom field that identifies the issue (docs/EXPORTS.md): a row
whose id is new creates an issue, a row whose id is there updates it.
"""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

from click.testing import CliRunner

from mldebt.cli.main import cli
from mldebt.exports.jira import HEADER
from mldebt.store.db import open_db

from .sample_store import rescan


class Importer:
    """Issues by External ID: create when new, update when present; every import's counts kept."""

    def __init__(self) -> None:
        self.issues: dict[str, dict[str, object]] = {}
        self.created: list[str] = []
        self.runs: list[tuple[int, int]] = []  # (created, updated) per import

    def load(self, text: str) -> None:
        rows = list(csv.reader(io.StringIO(text)))
        assert tuple(rows[0]) == HEADER
        made = updated = 0
        for row in rows[1:]:
            fields: dict[str, object] = {}
            for name, value in zip(rows[0], row, strict=True):
                if name == "Labels":
                    fields.setdefault("Labels", []).append(value)  # type: ignore[union-attr]
                else:
                    fields[name] = value
            key = str(fields["External ID"])
            assert key.startswith("MLD-")
            if key in self.issues:
                self.issues[key].update(fields)
                updated += 1
            else:
                self.issues[key] = fields
                self.created.append(key)
                made += 1
        self.runs.append((made, updated))


def jira(db: Path) -> str:
    result = CliRunner().invoke(cli, ["export", "backlog", "--format", "jira", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_second_import_after_a_new_scan_updates_and_adds_without_duplicates(sample_db, tmp_path):
    jira_tool = Importer()
    first = jira(sample_db)
    jira_tool.load(first)
    before = {k: dict(v) for k, v in jira_tool.issues.items()}
    assert jira_tool.runs == [(13, 0)]
    jira_tool.load(first)  # the same file again: every issue found, none added
    assert jira_tool.runs[-1] == (0, 13) and jira_tool.issues == before

    repo = next(open_db(sample_db).query("select repo from projects where id = 'churn-notebooks'"))["repo"]
    notebooks = subprocess.run(["git", "-C", repo, "ls-files", "*.ipynb"], capture_output=True, text=True).stdout
    rescan(sample_db, "churn-notebooks", {path: None for path in notebooks.split()}, tmp_path)  # one item closes
    rescan(sample_db, "reco-service", {".github/workflows/ci.yml": None}, tmp_path)  # one item opens again
    jira_tool.load(jira(sample_db))

    assert jira_tool.runs[-1] == (1, 12)  # one new issue, twelve updated, none duplicated
    assert len(jira_tool.created) == len(set(jira_tool.created)) == len(jira_tool.issues) == 14
    assert jira_tool.created[-1] == "MLD-8346012067"  # reco-service's unit tests, under the id it had before
    assert jira_tool.issues["MLD-8346012067"]["Summary"] == (
        "[MLD-8346012067] reco-service: Model specification code is unit tested"
    )
    # the closed item is not in the new file: its issue stays as it was, for the team to close
    assert jira_tool.issues["MLD-d32d1e8f05"] == before["MLD-d32d1e8f05"]
    # a rescanned project's items: unmet one scan longer, so their descriptions (and the priority) changed
    churn = jira_tool.issues["MLD-9d2a262bc3"]
    assert churn["Description"] != before["MLD-9d2a262bc3"]["Description"]
    assert "unmet for 6 scan(s)" in str(churn["Description"])
    assert "unmet for 5 scan(s)" in str(before["MLD-9d2a262bc3"]["Description"])
    assert {k for k in churn if churn[k] != before["MLD-9d2a262bc3"][k]} <= {"Description", "Priority"}
    # an item of a project not scanned again is the same issue, unchanged
    assert jira_tool.issues["MLD-252003eb8e"] == before["MLD-252003eb8e"]
