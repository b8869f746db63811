"""What every collector shares: the facts it produces and the snapshot it reads.

A collector turns one family of sources into evidence facts. It knows nothing
of the rubric. It never raises for bad input: what it could not read becomes
an error fact, with the file and line when it has them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

# Facts the scan itself adds about what it could read (mldebt.scanning.completeness).
SCAN_KEYS = {
    "scan.incomplete": "the scan could not read part of the project, whose git objects are missing or damaged "
    "(a partial or damaged copy): how many files and folders, and the first of their paths",
    "project.tier": "the project's tier in the portfolio (research, prototype or production)",
}


@dataclass(frozen=True)
class Fact:
    """One piece of evidence: a dotted key, a JSON-able value, and its origin."""

    key: str
    value: Any
    collector: str = ""
    path: str | None = None
    line: int | None = None
    url: str | None = None
    error: str | None = None

    @classmethod
    def failure(cls, key: str, message: str, **origin: Any) -> Fact:
        """An error fact: the collector tried ``key`` and could not read it."""
        return cls(key=key, value=None, error=message, **origin)

    @property
    def is_error(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class Snapshot:
    """The project as it was at one commit, laid out in a private directory.

    ``root`` is the project's own folder (a monorepo sub-path already applied);
    collectors read files there and never anywhere else. ``sources`` is the
    project's CI, monitoring and registry settings from the portfolio.
    ``git_dir`` is the repository (read-only: history commands only, never
    checkout) and ``subpath`` the project's folder inside it; ``as_of`` is the
    moment the scan stands for, so ages are measured from it, not from now.
    ``tree`` is the git id of the project's tree when the checkout already
    knows it (a collector need not ask git again).
    """

    project: str
    root: Path
    commit: str | None = None
    sources: dict[str, Any] = field(default_factory=dict)
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason) left out when the tree was laid out
    git_dir: Path | None = None
    subpath: str | None = None
    as_of: datetime | None = None
    tree: str | None = None


class CollectorError(Exception):
    """Raised inside a collector for a problem that ends that collector's run."""


class Collector(ABC):
    """One source family. Subclasses set ``name`` and ``keys`` and implement ``collect``.

    ``keys`` declares every evidence key the collector can produce, with one
    line on its meaning; the rubric validator refuses conditions over keys no
    collector declares, and a test holds each collector to its declaration.
    Error facts use ``<declared key>`` or ``<name>.error`` and need no entry.
    """

    name: ClassVar[str]
    keys: ClassVar[dict[str, str]]

    @abstractmethod
    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        """Yield the facts found in ``snapshot``."""
