"""CI results collector: JUnit test reports and coverage reports kept in the project.

Reads the files the portfolio lists under ``ci.results`` (paths or glob
patterns relative to the project root) and report files with well-known names
(``junit*.xml``, ``TEST-*.xml``, ``pytest-report.xml``, ``coverage.xml``,
``coverage.json``, ...). XML is parsed with defusedxml, which refuses DTDs,
entity expansion and external references, so a hostile report cannot blow up
memory or reach the network. Counts come from the ``<testcase>`` elements
themselves; the totals a report declares are kept beside them when they differ.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.repo.configfiles import ConfigError, decode, read_bytes, walk
from mldebt.nested import json_loads

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

MAX_BYTES = 20 * 1024 * 1024
MAX_NAMES = 50
WELL_KNOWN = re.compile(
    r"^(coverage\.(xml|json)|cobertura.*\.xml|.*junit.*\.xml|test-.*\.xml|tests?-?results?.*\.xml"
    r"|.*test-?report.*\.xml|pytest.*\.xml|report\.xml)$",
    re.I,
)


class ReportError(Exception):
    """A report that cannot be read; ``line`` when the parser knows it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Report:
    kind: str  # "junit", "cobertura" or "coverage.py json"
    numbers: dict[str, Any] = field(default_factory=dict)


def parse_report(raw: bytes, name: str = "") -> Report | None:
    """The report in ``raw``, or None when it is XML/JSON of another kind."""
    if name.lower().endswith(".json") or raw.lstrip()[:1] in (b"{", b"["):
        return _coverage_json(raw)
    try:  # imported here so that a missing hardened parser fails report reading only, never falls back
        import defusedxml
        import defusedxml.ElementTree as SafeET
    except ImportError:
        raise ReportError("cannot parse XML safely: defusedxml is not installed") from None
    from xml.etree.ElementTree import ParseError  # the XML modules load with the first report, not with the scan

    try:
        root = SafeET.fromstring(raw, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise ReportError(f"refused unsafe XML: {type(exc).__name__}") from None
    except ParseError as exc:
        raise ReportError(f"not well-formed XML: {exc}", exc.position[0]) from None
    except (LookupError, ValueError) as exc:  # the XML declaration names an encoding expat cannot read
        raise ReportError(f"not readable XML: {exc}", 1) from None
    tag = root.tag.rsplit("}", 1)[-1]
    if tag in ("testsuites", "testsuite"):
        return _junit(root)
    if tag == "coverage" and root.get("line-rate") is not None:
        return _cobertura(root)
    return None


def _int(value: str | None) -> int | None:
    """An attribute's whole number ("12" or "12.0"); None when it is absent or not a number."""
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    """An attribute's number; None when it is absent or not a number."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _junit(root: Element) -> Report:
    suites = [root] if root.tag.endswith("testsuite") else [s for s in root.iter() if s.tag.endswith("testsuite")]
    cases = [c for c in root.iter() if c.tag.endswith("testcase")]
    outcome = {"failure": "failures", "error": "errors", "skipped": "skipped"}
    counts = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
    failing: list[str] = []
    for case in cases:
        children = {child.tag.rsplit("}", 1)[-1] for child in case}
        for tag, key in outcome.items():
            if tag in children:
                counts[key] += 1
                if key != "skipped":
                    failing.append(f"{case.get('classname', '')}::{case.get('name', '')}".strip(":"))
                break
    top = [root] if root.get("tests") is not None else [s for s in suites if s.get("tests") is not None]
    declared = {key: sum(_int(s.get(key)) or 0 for s in top) for key in counts if any(s.get(key) for s in top)}
    if not cases:
        counts.update(declared)
    times = [_float(s.get("time")) for s in ([root] if root.get("time") else suites)]
    numbers: dict[str, Any] = {**counts, "time_s": round(sum(t for t in times if t), 3)}
    numbers["failing"] = failing[:MAX_NAMES]
    differs = {k: v for k, v in declared.items() if cases and v != counts[k]}
    if differs:
        numbers["declared"] = differs
    return Report("junit", numbers)


def _cobertura(root: Element) -> Report:
    numbers = {
        "line_rate": _float(root.get("line-rate")),
        "branch_rate": _float(root.get("branch-rate")),
        "lines_valid": _int(root.get("lines-valid")),
        "lines_covered": _int(root.get("lines-covered")),
        "branches_valid": _int(root.get("branches-valid")),
        "classes": sum(1 for e in root.iter() if e.tag == "class"),
    }
    return Report("cobertura", numbers)


def _coverage_json(raw: bytes) -> Report | None:
    try:
        data = json_loads(decode(raw))
    except json.JSONDecodeError as exc:
        raise ReportError(f"not valid JSON: {exc.msg}", exc.lineno) from None
    totals = data.get("totals") if isinstance(data, dict) else None
    if not isinstance(totals, dict) or "num_statements" not in totals:
        return None
    statements, covered = totals.get("num_statements") or 0, totals.get("covered_lines") or 0
    branches = totals.get("num_branches") or 0
    for name in ("num_statements", "covered_lines", "num_branches", "covered_branches"):
        if not isinstance(totals.get(name) or 0, (int, float)) or isinstance(totals.get(name), bool):
            raise ReportError(f"coverage.py JSON: totals.{name} is not a number")
    return Report(
        "coverage.py json",
        {
            "line_rate": round(covered / statements, 4) if statements else None,
            "branch_rate": round((totals.get("covered_branches") or 0) / branches, 4) if branches else None,
            "lines_valid": statements,
            "lines_covered": covered,
            "branches_valid": branches,
            "files": len(data.get("files") or {}),
        },
    )


class CIResultsCollector(Collector):
    name = "ci_results"
    keys = {
        "ci.results.files": "test and coverage report files read",
        "ci.results.reports": "one per report file: its kind and numbers",
        "ci.results.tests": "test cases in the JUnit reports",
        "ci.results.failures": "test cases that failed",
        "ci.results.errors": "test cases that errored",
        "ci.results.skipped": "test cases that were skipped",
        "ci.results.passed": "test cases that passed",
        "ci.results.pass_rate": "passed / (tests - skipped), 0 to 1",
        "ci.results.time_s": "total test time in seconds",
        "ci.results.failing_tests": "names of the failed or errored test cases (first 50)",
        "ci.coverage.line_rate": "covered / measured lines over every coverage report, 0 to 1",
        "ci.coverage.branch_rate": "covered / measured branches, 0 to 1 (when branches were measured)",
        "ci.coverage.lines_valid": "lines measured by the coverage reports",
        "ci.results.unparsed": "(error facts) report files that could not be read",
    }

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        configured = [p for p in ((snapshot.sources.get("ci") or {}).get("results") or []) if isinstance(p, str)]
        matched: set[str] = set()
        reports: list[tuple[str, Report]] = []
        for rel, _ in walk(snapshot.root):
            wanted = [p for p in configured if rel == p.lstrip("./") or fnmatch.fnmatchcase(rel, p.lstrip("./"))]
            matched |= set(wanted)
            if not wanted and not WELL_KNOWN.match(rel.rsplit("/", 1)[-1]):
                continue
            try:
                raw = read_bytes(snapshot.root, rel, MAX_BYTES)
                report = parse_report(raw, rel)
            except (ConfigError, ReportError) as exc:
                yield Fact.failure("ci.results.unparsed", str(exc), path=rel, line=getattr(exc, "line", None))
                continue
            if report is None:
                if wanted:
                    yield Fact.failure(
                        "ci.results.unparsed", "not a JUnit, Cobertura or coverage.py JSON report", path=rel
                    )
                continue
            reports.append((rel, report))
            yield Fact("ci.results.reports", {"kind": report.kind, **report.numbers}, path=rel)
        for pattern in configured:
            if pattern not in matched:
                yield Fact.failure(
                    "ci.results.unparsed", "no such file in the project (listed in ci.results)", path=pattern
                )
        yield Fact("ci.results.files", sorted(rel for rel, _ in reports))
        yield from _totals([r for _, r in reports])


def _totals(reports: list[Report]) -> Iterator[Fact]:
    junit = [r.numbers for r in reports if r.kind == "junit"]
    if junit:
        totals = {k: sum(n[k] for n in junit) for k in ("tests", "failures", "errors", "skipped")}
        passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
        for key, value in totals.items():
            yield Fact(f"ci.results.{key}", value)
        yield Fact("ci.results.passed", passed)
        ran = totals["tests"] - totals["skipped"]
        if ran > 0:
            yield Fact("ci.results.pass_rate", round(passed / ran, 4))
        yield Fact("ci.results.time_s", round(sum(n["time_s"] for n in junit), 3))
        yield Fact("ci.results.failing_tests", [name for n in junit for name in n["failing"]][:MAX_NAMES])
    coverage = [r.numbers for r in reports if r.kind != "junit" and r.numbers.get("lines_valid")]
    if coverage:
        valid = sum(n["lines_valid"] for n in coverage)
        yield Fact("ci.coverage.lines_valid", valid)
        yield Fact("ci.coverage.line_rate", round(sum(n["lines_covered"] or 0 for n in coverage) / valid, 4))
        with_branches = [n for n in coverage if n.get("branches_valid") and n.get("branch_rate") is not None]
        if with_branches:
            total = sum(n["branches_valid"] for n in with_branches)
            yield Fact(
                "ci.coverage.branch_rate",
                round(sum(n["branch_rate"] * n["branches_valid"] for n in with_branches) / total, 4),
            )
    elif any(r.kind != "junit" and r.numbers.get("line_rate") is not None for r in reports):
        yield Fact(
            "ci.coverage.line_rate",
            min(
                r.numbers["line_rate"] for r in reports if r.kind != "junit" and r.numbers.get("line_rate") is not None
            ),
        )
