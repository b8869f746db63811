"""JUnit and coverage reports: the corpus reports' numbers, hostile XML refused, bad files as error facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mldebt.collectors.ci.results import CIResultsCollector, ReportError, parse_report
from mldebt.collectors.interface import Fact, Snapshot

from .conftest import corpus_files, write_files

JUNIT = """<?xml version="1.0"?>
<testsuite name="t" tests="3" failures="1" errors="0" skipped="1" time="1.5">
  <testcase classname="a" name="ok" time="0.5"/>
  <testcase classname="a" name="bad" time="1"><failure message="x">trace</failure></testcase>
  <testcase classname="a" name="later"><skipped/></testcase>
</testsuite>
"""


def collect(root: Path, results: list[str] | None = None) -> list[Fact]:
    sources = {"ci": {"results": results}} if results is not None else {}
    return list(CIResultsCollector().collect(Snapshot(project="p", root=root, sources=sources)))


def values(facts: list[Fact]) -> dict:
    return {f.key: f.value for f in facts if not f.is_error and f.key != "ci.results.reports"}


def test_every_corpus_report_parses(corpus):
    files = corpus_files(corpus, "results")
    assert len(files) == 4
    assert all(parse_report(p.read_bytes(), p.name) is not None for p in files)


def test_corpus_report_numbers(corpus):
    report = {p.name: parse_report(p.read_bytes(), p.name) for p in corpus_files(corpus, "results")}
    pytest_report = report["pavelzbornik__whisperX-FastAPI__pytest-report.xml"].numbers
    assert {k: pytest_report[k] for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": 21,
        "failures": 5,
        "errors": 0,
        "skipped": 4,
    }
    assert len(pytest_report["failing"]) == 5 and "declared" not in pytest_report
    whisper = report["pavelzbornik__whisperX-FastAPI__coverage.xml"]
    assert whisper.kind == "cobertura"
    assert (
        whisper.numbers["line_rate"],
        whisper.numbers["lines_covered"],
        whisper.numbers["lines_valid"],
        whisper.numbers["classes"],
        whisper.numbers["branch_rate"],
    ) == (0.5435, 631, 1161, 41, 0.0)
    hetu = report["AFDWang__Hetu-Galvatron__coverage.xml"].numbers
    assert (hetu["line_rate"], hetu["lines_valid"], hetu["classes"]) == (1.0, 13, 2)
    ray = report["ray-project__kuberay__benchmark__perf-tests__100-rayjob__results__junit.xml"].numbers
    assert (ray["tests"], ray["declared"], ray["time_s"]) == (10, {"tests": 0}, 848.021)


def test_well_known_reports_are_found_and_summed(tmp_path):
    write_files(
        tmp_path,
        {
            "reports/junit.xml": JUNIT,
            "build/TEST-more.xml": '<testsuites><testsuite name="s"><testcase name="x"><error/></testcase></testsuite>'
            "</testsuites>",
            "coverage.json": json.dumps(
                {
                    "meta": {},
                    "files": {"a.py": {}},
                    "totals": {
                        "covered_lines": 30,
                        "num_statements": 40,
                        "percent_covered": 75.0,
                        "num_branches": 10,
                        "covered_branches": 5,
                    },
                }
            ),
            "htmlcov/coverage.xml": '<coverage line-rate="0.5" branch-rate="0" lines-valid="60" lines-covered="30"/>',
            "data/results.xml": "<rows/>",  # not a well-known report name: not read
            "junit-other.xml": "<html/>",  # a well-known name of another kind: skipped quietly
        },
    )
    found = values(collect(tmp_path))
    assert found["ci.results.files"] == [
        "build/TEST-more.xml",
        "coverage.json",
        "htmlcov/coverage.xml",
        "reports/junit.xml",
    ]
    assert (
        found["ci.results.tests"],
        found["ci.results.failures"],
        found["ci.results.errors"],
        found["ci.results.skipped"],
        found["ci.results.passed"],
    ) == (4, 1, 1, 1, 1)
    assert found["ci.results.pass_rate"] == round(1 / 3, 4)
    assert found["ci.results.failing_tests"] == ["x", "a::bad"]
    assert found["ci.coverage.line_rate"] == 0.6 and found["ci.coverage.lines_valid"] == 100
    assert found["ci.coverage.branch_rate"] == 0.5


def test_configured_paths_and_patterns(tmp_path):
    write_files(
        tmp_path, {"out/unit-1.xml": JUNIT, "out/unit-2.xml": JUNIT, "notes.txt": "hello\n", "other.xml": "<html/>"}
    )
    facts = collect(tmp_path, ["out/unit-*.xml", "missing/junit.xml", "notes.txt", "other.xml"])
    assert values(facts)["ci.results.tests"] == 6
    assert sorted((f.path, f.error) for f in facts if f.is_error) == [
        ("missing/junit.xml", "no such file in the project (listed in ci.results)"),
        ("notes.txt", "not well-formed XML: syntax error: line 1, column 0"),
        ("other.xml", "not a JUnit, Cobertura or coverage.py JSON report"),
    ]


def test_hostile_and_broken_xml_become_error_facts(tmp_path):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        '<testsuite tests="1">&lol2;</testsuite>'
    )
    external = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><testsuite>&e;</testsuite>'
    write_files(
        tmp_path,
        {
            "junit-bomb.xml": bomb,
            "junit-external.xml": external,
            "junit-broken.xml": "<testsuite>\n<testcase name='a'>\n</testsuite>\n",
        },
    )
    facts = collect(tmp_path)
    assert sorted((f.path, f.line, f.error) for f in facts if f.is_error) == [
        ("junit-bomb.xml", None, "refused unsafe XML: DTDForbidden"),
        ("junit-broken.xml", 3, "not well-formed XML: mismatched tag: line 3, column 2"),
        ("junit-external.xml", None, "refused unsafe XML: DTDForbidden"),
    ]
    assert values(facts) == {"ci.results.files": []}


def test_parse_report_refuses_entities_without_a_dtd_flag():
    with pytest.raises(ReportError, match="refused unsafe XML"):
        parse_report(b'<!DOCTYPE t [<!ENTITY a "b">]><testsuite>&a;</testsuite>')


def test_no_reports_is_an_empty_list(tmp_path):
    assert values(collect(tmp_path)) == {"ci.results.files": []}


def test_the_collector_produces_only_declared_keys(tmp_path):
    write_files(
        tmp_path,
        {
            "junit.xml": JUNIT,
            "coverage.xml": "<coverage line-rate='1' lines-valid='2' lines-covered='2'/>",
            "report.xml": "<oops",
        },
    )
    assert {f.key for f in collect(tmp_path, ["nope.xml"])} <= set(CIResultsCollector.keys)
