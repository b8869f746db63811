"""Project entries from a CSV file: a header line, then one repository a line.

```csv
name,repo,team,tier,owner
ranker,https://github.com/acme/ranker.git,Search,production,ana@example.com
churn,../churn-notebooks,Growth,research,
```

``repo`` is required (a git URL, or a folder relative to the CSV file); ``team``
too, unless the import names a default team. ``name`` defaults to the
repository's name. Every problem names the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

from mldebt.errors import InputError
from mldebt.onboarding.entries import Entry, Listing, ordered, project_name, repo_key
from mldebt.sources.portfolio import NAME, check_git_url, is_git_url
from mldebt.tiers import TIERS

COLUMNS = ("name", "repo", "team", "tier", "owner", "description", "tags", "subpath", "ref")
MAX_BYTES = 5 * 1024 * 1024


def read_csv(path: Path, portfolio_dir: Path, team: str | None = None, tier: str | None = None) -> Listing:
    """The entries of the CSV file at ``path``; local folders are written relative to ``portfolio_dir``.

    ``team`` and ``tier`` fill rows that leave those columns empty. Raises
    InputError listing every bad row.
    """
    text = _text(path)
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(rows, [])]
    except csv.Error as exc:
        raise InputError(f"{path}:1: not CSV: {exc}") from None
    if "repo" not in header:
        raise InputError(
            f"{path}:1: the first line must be a header naming the columns, with at least repo "
            f"(columns: {', '.join(COLUMNS)})"
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InputError(f"{path}:1: unknown column {unknown[0]!r} (columns: {', '.join(COLUMNS)})")
    repeated = [h for h in header if header.count(h) > 1]
    if repeated:
        raise InputError(f"{path}:1: the column {repeated[0]!r} is named twice")
    listing = Listing(title=path.stem)
    problems: list[str] = []
    seen: dict[str, str] = {}  # repository key or name -> where first listed
    line = rows.line_num
    while True:
        start = line + 1
        try:
            row = next(rows, None)
        except csv.Error as exc:
            problems.append(f"{path}:{start}: not CSV: {exc}")
            break
        line = rows.line_num
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}:{start}"
        if len(row) > len(header):
            problems.append(f"{where}: {len(row)} values for {len(header)} columns")
            continue
        values = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        entry, said = _entry(values, where, path.parent, portfolio_dir, team, tier)
        problems += said
        if entry is None:
            continue
        fields = entry.fields
        for key, what in (
            (repo_key(values["repo"], path.parent, fields.get("subpath")), "repository"),
            ("name:" + entry.name, f"name {entry.name!r}"),
        ):
            if key in seen:
                problems.append(
                    f"{where}, column {'repo' if what == 'repository' else 'name'}: the {what} is "
                    f"already listed at line {seen[key]}"
                )
            seen.setdefault(key, str(start))
        listing.entries.append(entry)
    if problems:
        raise InputError.of_file(path, "the CSV file", problems)
    return listing


def _text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"{path}: the CSV file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a CSV file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def _entry(
    values: dict[str, str], where: str, csv_dir: Path, portfolio_dir: Path, team: str | None, tier: str | None
) -> tuple[Entry | None, list[str]]:
    """One row as an entry, or None and what is wrong with it (``file:line, column c: problem``)."""
    problems: list[str] = []

    def bad(column: str, problem: str) -> None:
        problems.append(f"{where}, column {column}: {problem}")

    repo = values["repo"]
    if not repo:
        bad("repo", "empty; give a git URL or a folder")
    elif is_git_url(repo) or repo.startswith("-") or "::" in repo:
        if problem := check_git_url(repo):
            bad("repo", f"git URL {problem}")
    else:
        local = (csv_dir / Path(repo).expanduser()).resolve()
        if not local.is_dir():
            bad("repo", f"no such directory: {local}")
        repo = os.path.relpath(local, portfolio_dir.resolve())
    name = values.get("name") or project_name(Path(values["repo"].rstrip("/")).name.removesuffix(".git") or "x")
    if not re.match(NAME, name):
        bad(
            "name", f"{name!r} is not a project name (1-100 letters, digits and . _ -, starting with a letter or digit)"
        )
    chosen_team = values.get("team") or team
    if not chosen_team:
        bad("team", "empty; name the project's team (or give the import a default team)")
    chosen_tier = values.get("tier") or tier
    if chosen_tier and chosen_tier not in TIERS:
        bad("tier", f"{chosen_tier!r} is not a tier ({', '.join(TIERS)})")
    subpath = values.get("subpath") or None
    if subpath and (subpath.startswith("/") or ".." in PurePosixPath(subpath).parts):
        bad("subpath", "must be a relative path inside the repository, without '..'")
    if problems:
        return None, problems
    fields: dict[str, Any] = {
        "name": name,
        "repo": repo,
        "subpath": subpath,
        "ref": values.get("ref"),
        "tier": chosen_tier,
        "owner": values.get("owner"),
        "tags": [t for t in re.split(r"[;\s]+", values.get("tags", "")) if t],
        "description": values.get("description"),
    }
    return Entry(team=str(chosen_team), fields=ordered(fields), where=where), []
