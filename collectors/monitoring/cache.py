"""What the monitoring collector learnt from each file, kept under the file's git blob id.

Most files of a project are neither rules, dashboards, Alertmanager nor
monitoring configs, and most Python files import no monitoring library; a
scan of a later commit need not read them again to learn that. Each file's
outcome (what a Python file or a notebook does for monitoring, as ``pycode``
reads it; "nothing here" for a YAML or JSON file) is cached under its blob
id, its lower-cased name (some configs are known by name), whether it is test
code (only looked over, not parsed) and the version of the monitoring code. Files that hold
monitoring evidence are read and parsed on every scan: they are few, and their
parsed form is richer than a cache entry. Without git (a plain folder) there
are no blob ids and every file is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.monitoring.pycode import in_tests
from mldebt.collectors.repo.cache import Cache, code_version
from mldebt.collectors.repo.tree import blob_ids

VERSION = code_version("monitoring/*.py", "repo/configfiles.py", "repo/notebooks.py")
NOTHING = "-"  # a YAML or JSON file that holds no monitoring evidence


class FileMemo:
    """Cached outcomes for the files of one snapshot: ``known(rel)`` before reading, ``learn`` after."""

    def __init__(self, snapshot: Snapshot, files: Iterable[str]) -> None:
        self._blobs = blob_ids(snapshot) or {}
        self._cache = Cache() if self._blobs else None
        self._keys = {rel: self._key(rel) for rel in files if rel in self._blobs}
        self._found: dict[str, Any] = self._cache.get_many(self._keys.values()) if self._cache else {}
        self._new: dict[str, Any] = {}

    def _key(self, rel: str) -> str:
        tests = ":tests" if in_tests(rel) else ""  # test code is only looked over, not parsed
        return f"mon:{VERSION}:{self._blobs[rel]}:{rel.rsplit('/', 1)[-1].lower()}{tests}"

    def known(self, rel: str) -> Any | None:
        """The cached outcome for ``rel``, or None when the file must be read."""
        key = self._keys.get(rel)
        return self._found.get(key) if key else None

    def learn(self, rel: str, outcome: Any) -> None:
        key = self._keys.get(rel)
        if key and key not in self._found:
            self._new[key] = outcome

    def close(self) -> None:
        if self._cache is not None:
            self._cache.put_many(self._new)
            self._cache.close()
            self._cache = None
