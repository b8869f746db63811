"""Whether a scan read the whole project: the ``scan.incomplete`` fact.

A repository that lacks some git objects (a blob-less partial clone whose
source is gone, a damaged or incomplete copy) is still scanned: each file or
folder whose object cannot be read is left out of the layout
(``gitsource.checkout``) and becomes an error fact of the repository collector
(``repo.files.skipped``, its reason starting with "unreadable"); everything
else is read. The scan then carries one ``scan.incomplete`` fact, saying how
much it could not read and where, so that no reader takes its scores for the
whole project's; a complete scan has none. ``mldebt collect`` says so on the
project's line (``note``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mldebt.collectors.interface import SCAN_KEYS, Fact
from mldebt.redact import without_credentials
from mldebt.sources.gitobjects import UNREADABLE_FOLDER, WHY, is_unreadable

KEY = "scan.incomplete"
KEYS = SCAN_KEYS
COLLECTOR = "scan"
MAX_PATHS = 100  # each unreadable path is also its own error fact


def incomplete(skipped: Iterable[tuple[str, str]]) -> list[Fact]:
    """The ``scan.incomplete`` fact for a layout that left out these (path, reason) pairs; none when it is whole."""
    files, folders = [], []
    for path, why in skipped:
        if why.startswith(UNREADABLE_FOLDER):
            folders.append(path)
        elif is_unreadable(why):
            files.append(path)
    if not files and not folders:
        return []
    paths = sorted(folders) + sorted(files)
    value = {
        "unreadable_files": len(files),
        "unreadable_folders": len(folders),
        "paths": paths[:MAX_PATHS],
        "why": f"git objects {WHY}",
    }
    return [Fact(KEY, without_credentials(value), collector=COLLECTOR)]


def note(facts: Sequence[Fact]) -> str:
    """What ``mldebt collect`` adds to a project's line when its scan is incomplete ("" when it is whole)."""
    found = next((f.value for f in facts if f.key == KEY and isinstance(f.value, dict)), None)
    if found is None:
        return ""
    parts = [_count(found.get("unreadable_files"), "file"), _count(found.get("unreadable_folders"), "folder")]
    return f"; incomplete scan: {' and '.join(p for p in parts if p)} unreadable (git objects missing or damaged)"


def _count(number: object, noun: str) -> str:
    if not isinstance(number, int) or number <= 0:
        return ""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
