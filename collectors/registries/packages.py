"""Package collector: pinned versions against the releases of the package index.

Scans read a local cache of the index, never the network, so the same scan
gives the same facts offline and a year later. The cache holds each package's
PyPI JSON document (``/pypi/<name>/json``: ``releases`` with their upload
times and yanked flags) and its OSV vulnerability list (the reply of
``/v1/query`` for the package, with ``affected`` ranges). ``refresh_cache``
fills it when the network allows (``python -m mldebt.collectors.registries.packages
refresh PATH``). Everything is judged at the scan's moment: a release
uploaded, or an advisory published, after ``snapshot.as_of`` does not count.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mldebt.collectors.http import DEFAULT_TIMEOUT, ApiClient, ApiError
from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.nested import json_loads

if TYPE_CHECKING:
    from packaging.version import Version

INDEX_URL = "https://pypi.org"
OSV_URL = "https://api.osv.dev"
MAX_BYTES = 2 * 1024 * 1024
REQUIREMENTS = re.compile(r"^requirements.*\.txt$")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(?:;.*)?$")


def normalize(name: str) -> str:
    """The PEP 503 form of a project name: ``Scikit_Learn`` -> ``scikit-learn``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements(text: str) -> list[tuple[str, str, int]]:
    """``(normalized name, version, line)`` for each ``name==version`` line of a requirements file.

    Comments, options (``-r``, ``--hash``) and ranges are skipped; backslash
    continuations are joined; an environment marker does not hide the pin.
    """
    pins = []
    logical, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not logical:
            start = number
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        requirement = logical.split(" --", 1)[0].strip()
        logical = ""
        found = PIN.match(requirement)
        if found and "*" not in found.group(2):
            pins.append((normalize(found.group(1)), found.group(2), start))
    return pins


def cache_dir() -> Path:
    """``MLDEBT_INDEX_CACHE``, or ``index/`` in mldebt's cache folder (``MLDEBT_CACHE``, ~/.cache/mldebt)."""
    if os.environ.get("MLDEBT_INDEX_CACHE"):
        return Path(os.environ["MLDEBT_INDEX_CACHE"])
    base = os.environ.get("MLDEBT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mldebt"
    )
    return Path(base) / "index"


def _cached(cache: Path, kind: str, name: str) -> Any:
    """The cached document, None when absent; ValueError when it is not readable JSON."""
    path = cache / kind / f"{name}.json"
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        raw = fh.read(MAX_BYTES * 10 + 1)
    if len(raw) > MAX_BYTES * 10:
        raise ValueError(f"index cache entry {kind}/{name}.json is too large")
    return json_loads(raw)


def _moment(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _releases(document: dict[str, Any], on: datetime) -> dict[Version, tuple[datetime, bool, str | None]]:
    """Each release uploaded by ``on``: (first upload, yanked, yanked reason)."""
    from packaging.version import InvalidVersion, Version  # loaded when a registry's answer is read

    out = {}
    releases = document.get("releases")
    if not isinstance(releases, dict):
        releases = {}
    for text, files in releases.items():
        files = [f for f in files or [] if isinstance(f, dict)]
        times = [t for t in (_moment(f.get("upload_time_iso_8601") or f.get("upload_time")) for f in files) if t]
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if times and min(times) <= on:
            reason = next((f.get("yanked_reason") for f in files if f.get("yanked")), None)
            out[version] = (min(times), all(f.get("yanked") for f in files), reason)
    return out


def staleness(document: dict[str, Any], pinned: str, on: datetime) -> dict[str, Any] | None:
    """How far ``pinned`` is behind the newest final, non-yanked release at ``on``; None if unknown."""
    from packaging.version import InvalidVersion, Version  # loaded when a registry's answer is read

    releases = _releases(document, on)
    try:
        mine = Version(pinned)
    except InvalidVersion:
        return None
    if mine not in releases:
        return None
    usable = [v for v, (_, yanked, _) in releases.items() if not yanked and not v.is_prerelease and not v.is_devrelease]
    latest = max(usable, default=mine)
    newer = [v for v in usable if v > mine]
    days = (releases[latest][0] - releases[mine][0]).days if latest > mine else 0
    return {
        "pinned": pinned,
        "latest": str(max(latest, mine)),
        "releases_behind": len(newer),
        "days_behind": max(days, 0),
        "yanked": releases[mine][1],
        "yanked_reason": releases[mine][2],
    }


def _affected_by(affected: dict[str, Any], version: Version) -> bool:
    """OSV's rule: listed versions, or an ECOSYSTEM range whose sorted events leave ``version`` affected."""
    from packaging.version import InvalidVersion, Version  # loaded when a registry's answer is read

    if str(version) in {str(v) for v in affected.get("versions") or []}:
        return True
    for span in affected.get("ranges") or []:
        if not isinstance(span, dict) or span.get("type") != "ECOSYSTEM":
            continue
        events = []
        for event in span.get("events") or []:
            for kind, text in event.items() if isinstance(event, dict) else []:
                try:
                    events.append((Version("0") if text == "0" else Version(str(text)), kind))
                except InvalidVersion:
                    continue
        state = False
        for at, kind in sorted(events, key=lambda e: (e[0], e[1] != "introduced")):
            if kind == "introduced" and version >= at:
                state = True
            elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
                state = False
        if state:
            return True
    return False


def vulnerabilities(document: dict[str, Any], name: str, pinned: str, on: datetime) -> list[str]:
    """Ids of the advisories published by ``on`` (and not withdrawn) that affect ``name==pinned``."""
    from packaging.version import InvalidVersion, Version  # loaded when a registry's answer is read

    try:
        version = Version(pinned)
    except InvalidVersion:
        return []
    found = []
    for vuln in document.get("vulns") or []:
        published = _moment(vuln.get("published") or vuln.get("modified"))
        withdrawn = _moment(vuln.get("withdrawn")) if vuln.get("withdrawn") else None
        if not published or published > on or (withdrawn and withdrawn <= on):
            continue
        for affected in vuln.get("affected") or []:
            package = affected.get("package") or {}
            if (
                package.get("ecosystem") == "PyPI"
                and normalize(str(package.get("name", ""))) == name
                and _affected_by(affected, version)
            ):
                found.append(str(vuln.get("id")))
                break
    return sorted(set(found))


class PackagesCollector(Collector):
    name = "packages"
    keys = {
        "packages.pinned": "distinct name==version pins in requirements*.txt files",
        "packages.checked": "pins whose package is in the local index cache",
        "packages.uncached": "pinned packages missing from the index cache (run the refresh)",
        "packages.unknown_versions": "pins to versions the index does not list",
        "packages.outdated": "pins behind the newest release: latest, releases and days behind",
        "packages.outdated_count": "how many pins are behind the newest release",
        "packages.days_behind_max": "the largest gap, in days, between a pinned release and the newest",
        "packages.libyears": "the gaps of every pin added up, in years",
        "packages.yanked": "pins to releases that were yanked from the index, with the reason",
        "packages.vulnerable": "pins with known vulnerabilities (OSV ids)",
        "packages.vulnerabilities_count": "distinct known vulnerabilities affecting the pins",
    }

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        on = snapshot.as_of or datetime.now(UTC)
        on = on if on.tzinfo else on.replace(tzinfo=UTC)
        pins: dict[tuple[str, str], tuple[str, int]] = {}
        for rel, text in _requirement_files(snapshot.root):
            for name, version, line in pinned_requirements(text):
                pins.setdefault((name, version), (rel, line))
        yield Fact("packages.pinned", len(pins))
        if pins:
            yield from self._judge(pins, on)

    def _judge(self, pins: dict[tuple[str, str], tuple[str, int]], on: datetime) -> Iterator[Fact]:
        cache = self.cache or cache_dir()
        uncached, unknown, outdated, yanked, vulnerable = [], [], {}, {}, {}
        for (name, version), (rel, line) in sorted(pins.items()):
            try:
                document, advisories = _cached(cache, "pypi", name), _cached(cache, "osv", name)
            except (OSError, ValueError) as exc:
                yield Fact.failure(
                    "packages.checked", f"index cache entry for {name} is unreadable: {exc}", path=rel, line=line
                )
                continue
            if not isinstance(document, dict):
                uncached.append(name)
                continue
            status = staleness(document, version, on)
            if status is None:
                unknown.append(f"{name}=={version}")
                continue
            if status["releases_behind"]:
                outdated[name] = {k: status[k] for k in ("pinned", "latest", "releases_behind", "days_behind")}
            if status["yanked"]:
                yanked[f"{name}=={version}"] = status["yanked_reason"] or ""
            ids = vulnerabilities(advisories, name, version, on) if isinstance(advisories, dict) else []
            if ids:
                vulnerable[f"{name}=={version}"] = ids
        yield Fact("packages.checked", len(pins) - len(uncached))
        yield Fact("packages.uncached", sorted(set(uncached)))
        if len(uncached) == len(pins):
            return
        days = [o["days_behind"] for o in outdated.values()]
        yield Fact("packages.unknown_versions", unknown)
        yield Fact("packages.outdated", outdated)
        yield Fact("packages.outdated_count", len(outdated))
        yield Fact("packages.days_behind_max", max(days, default=0))
        yield Fact("packages.libyears", round(sum(days) / 365.25, 2))
        yield Fact("packages.yanked", yanked)
        yield Fact("packages.vulnerable", vulnerable)
        yield Fact("packages.vulnerabilities_count", len({i for ids in vulnerable.values() for i in ids}))


def _requirement_files(root: Path) -> Iterator[tuple[str, str]]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", "node_modules", ".venv", "venv"))
        for filename in sorted(filenames):
            full = Path(dirpath) / filename
            if REQUIREMENTS.match(filename) and not full.is_symlink():
                try:
                    with full.open("rb") as fh:
                        raw = fh.read(MAX_BYTES + 1)
                except OSError:
                    continue
                if len(raw) <= MAX_BYTES:
                    yield full.relative_to(root).as_posix(), raw.decode("utf-8", errors="replace")


def refresh_cache(
    names: Iterable[str],
    cache: Path | None = None,
    *,
    index_url: str = INDEX_URL,
    osv_url: str = OSV_URL,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> list[str]:
    """Fetch each package's index document and advisories into the cache; return one line per failure.

    What could not be fetched keeps its previous cache entry.
    """
    cache = cache or cache_dir()
    index, osv = ApiClient(index_url, timeout=timeout), ApiClient(osv_url, timeout=timeout)
    problems = []
    for name in sorted({normalize(n) for n in names}):
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            problems.append(f"{name}: not a valid package name")
            continue
        query = {"package": {"name": name, "ecosystem": "PyPI"}}
        for kind, fetch in (
            ("pypi", partial(index.get_json, f"pypi/{name}/json")),
            ("osv", partial(osv.post_json, "v1/query", query)),
        ):
            try:
                _store(cache / kind / f"{name}.json", fetch())
            except ApiError as exc:
                problems.append(f"{name}: {kind}: {exc}")
    return problems


def _store(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(document, sort_keys=True))
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    """``python -m mldebt.collectors.registries.packages refresh PATH...``.

    Refreshes the cache for the pins under the PATHs.
    """
    parser = argparse.ArgumentParser(
        prog="python -m mldebt.collectors.registries.packages",
        description="Refresh the package index cache that scans read.",
    )
    parser.add_argument("command", choices=["refresh"])
    parser.add_argument("paths", nargs="+", type=Path, help="project folders whose requirements*.txt pins to refresh")
    parser.add_argument("--index-url", default=INDEX_URL, help=f"PyPI JSON API (default {INDEX_URL})")
    parser.add_argument("--osv-url", default=OSV_URL, help=f"OSV API (default {OSV_URL})")
    args = parser.parse_args(argv)
    names = {
        name for path in args.paths for _, text in _requirement_files(path) for name, _, _ in pinned_requirements(text)
    }
    problems = refresh_cache(names, index_url=args.index_url, osv_url=args.osv_url)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    failed = {p.split(":", 1)[0] for p in problems}
    print(f"refreshed {len(names) - len(failed)} of {len(names)} packages in {cache_dir()}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
