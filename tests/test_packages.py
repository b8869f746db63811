"""Package collector: pins read statically, judged against a recorded index cache; the cache refresh."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.registries.packages import PackagesCollector, pinned_requirements, refresh_cache

from .conftest import ROOT, corpus_files, write_files

RECORDED = ROOT / "tests" / "data" / "index"
MID_MARCH = datetime(2026, 3, 15, 23, 59, 59, tzinfo=UTC)
REQUIREMENTS = """\
# pinned by pip-compile
tabular-kit==1.1.0 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
    # via -r requirements.in
Learn.Models[sparse]==0.9.1 ; python_version >= "3.10"
fresh_lib==3.0.1  # newest final release
private-thing==0.1
tabular-kit==1.1.0
numpy>=1.26
-r more.txt
"""


def collect(root: Path, cache: Path, as_of: datetime = MID_MARCH) -> list:
    return list(PackagesCollector(cache).collect(Snapshot(project="p", root=root, as_of=as_of)))


def values(facts: list) -> dict:
    return {f.key: f.value for f in facts if not f.is_error}


def test_pins_are_read_statically():
    assert pinned_requirements(REQUIREMENTS) == [
        ("tabular-kit", "1.1.0", 2),
        ("learn-models", "0.9.1", 6),
        ("fresh-lib", "3.0.1", 7),
        ("private-thing", "0.1", 8),
        ("tabular-kit", "1.1.0", 9),
    ]
    assert pinned_requirements("a==1.*\nb===2.0\nc == 3.0rc1\n# d==4\n-e git+https://x#egg=e\n") == [
        ("b", "2.0", 2),
        ("c", "3.0rc1", 3),
    ]


def test_corpus_requirement_files(corpus):
    counts = {
        p.name.split("__")[0]: len(pinned_requirements(p.read_text()))
        for p in corpus_files(corpus, "deps")
        if p.name.endswith(".txt")
    }
    assert counts["feast-dev"] == 159  # uv pip compile --generate-hashes: 159 exact pins
    assert counts["GokuMohandas"] == 33  # 35 requirements, two of them `>=` lower bounds
    assert counts["bentoml"] == 0  # an unresolvable -r include and two unpinned packages
    kubeflow = {
        p.name: pinned_requirements(p.read_text())
        for p in corpus_files(corpus, "deps")
        if p.name.startswith("kubeflow__")
    }
    assert len(kubeflow["kubeflow__pipelines__backend__requirements.txt"]) == 33  # pip-compile output
    dev = kubeflow["kubeflow__pipelines__sdk__python__requirements-dev.txt"]
    assert [v for n, v, _ in dev if n == "pytest"] == ["8.4.2", "9.0.3"]  # split by python_version markers


def test_pins_judged_against_the_recorded_index(tmp_path):
    write_files(tmp_path, {"requirements.txt": REQUIREMENTS, "service/requirements-dev.txt": "fresh-lib==3.0.0\n"})
    facts = collect(tmp_path, RECORDED)
    assert [f for f in facts if f.is_error] == []
    assert values(facts) == {
        "packages.pinned": 5,
        "packages.checked": 4,
        "packages.uncached": ["private-thing"],
        "packages.unknown_versions": [],
        # 1.2.0 was yanked, 2.0.0rc1 is a pre-release and 2.2.0 has no files: none of them count
        "packages.outdated": {
            "fresh-lib": {"pinned": "3.0.0", "latest": "3.0.1", "releases_behind": 1, "days_behind": 30},
            "learn-models": {"pinned": "0.9.1", "latest": "0.9.2", "releases_behind": 1, "days_behind": 2},
            "tabular-kit": {"pinned": "1.1.0", "latest": "2.1.0", "releases_behind": 2, "days_behind": 305},
        },
        "packages.outdated_count": 3,
        "packages.days_behind_max": 305,
        "packages.libyears": 0.92,
        "packages.yanked": {"learn-models==0.9.1": "breaks predict() on sparse input"},
        # GHSA-...-tk01 was fixed in 1.1.0 and GHSA-...-tk03 was withdrawn
        "packages.vulnerable": {"tabular-kit==1.1.0": ["PYSEC-2026-41"]},
        "packages.vulnerabilities_count": 1,
    }


def test_the_index_is_read_as_it_was_at_the_scan(tmp_path):
    write_files(tmp_path, {"requirements.txt": "tabular-kit==1.1.0\nlearn-models==0.9.2\n"})
    got = values(collect(tmp_path, RECORDED, datetime(2026, 1, 1, tzinfo=UTC)))
    assert got["packages.outdated"] == {
        "tabular-kit": {"pinned": "1.1.0", "latest": "2.0.0", "releases_behind": 1, "days_behind": 165}
    }
    assert got["packages.vulnerable"] == {}  # PYSEC-2026-41 was published in March 2026
    later = values(collect(tmp_path, RECORDED, datetime(2026, 7, 1, tzinfo=UTC)))
    assert later["packages.outdated"]["learn-models"] == {
        "pinned": "0.9.2",
        "latest": "1.0.0",
        "releases_behind": 1,
        "days_behind": 465,
    }


def test_a_version_the_index_does_not_list(tmp_path):
    write_files(tmp_path, {"requirements.txt": "tabular-kit==9.9.9\n"})
    got = values(collect(tmp_path, RECORDED))
    assert got["packages.unknown_versions"] == ["tabular-kit==9.9.9"] and got["packages.outdated"] == {}


def test_an_empty_cache_judges_nothing(tmp_path):
    write_files(tmp_path, {"requirements.txt": "tabular-kit==1.1.0\n"})
    assert values(collect(tmp_path, tmp_path / "no-cache")) == {
        "packages.pinned": 1,
        "packages.checked": 0,
        "packages.uncached": ["tabular-kit"],
    }
    assert values(collect(tmp_path / "nothing-here", RECORDED)) == {"packages.pinned": 0}


def test_an_unreadable_cache_entry_is_an_error_fact(tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(RECORDED, cache)
    (cache / "pypi" / "fresh-lib.json").write_text("{not json")
    write_files(tmp_path / "p", {"requirements.txt": "fresh-lib==3.0.1\ntabular-kit==2.1.0\n"})
    facts = collect(tmp_path / "p", cache)
    assert [(f.key, f.error, f.path, f.line) for f in facts if f.is_error] == [
        (
            "packages.checked",
            "index cache entry for fresh-lib is unreadable: Expecting property name enclosed "
            "in double quotes: line 1 column 2 (char 1)",
            "requirements.txt",
            1,
        )
    ]
    assert values(facts)["packages.outdated"] == {}


def test_the_collector_produces_only_declared_keys(tmp_path):
    write_files(tmp_path, {"requirements.txt": REQUIREMENTS})
    assert {f.key for f in collect(tmp_path, RECORDED)} <= set(PackagesCollector.keys)


# --- refreshing the cache from an index replayed on loopback ------------------------------------


class Index:
    """PyPI's JSON API and OSV's query API, replayed from the recorded cache on 127.0.0.1."""

    def __init__(self, delay: float = 0.0) -> None:
        self.seen: list[tuple[str, str, Any]] = []
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                index.seen.append(("GET", self.path, self.headers.get("Authorization")))
                parts = self.path.strip("/").split("/")
                found = RECORDED / "pypi" / f"{parts[1]}.json" if len(parts) == 3 and parts[0] == "pypi" else None
                self._reply(found)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                index.seen.append(("POST", self.path, body))
                name = body.get("package", {}).get("name", "")
                self._reply(RECORDED / "osv" / f"{name}.json" if self.path == "/v1/query" else None, empty={})

            def _reply(self, path: Path | None, empty: Any = None) -> None:
                time.sleep(delay)
                if path is not None and path.is_file():
                    data, status = path.read_bytes(), 200
                elif empty is not None:
                    data, status = json.dumps(empty).encode(), 200
                else:
                    data, status = b'{"message": "Not Found"}', 404
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Index:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def index() -> Iterator[Index]:
    with Index() as served:
        yield served


def test_refresh_fills_the_cache_from_the_index(tmp_path, index):
    cache = tmp_path / "cache"
    problems = refresh_cache(
        ["Tabular_Kit", "learn-models", "fresh-lib", "private-thing"], cache, index_url=index.url, osv_url=index.url
    )
    assert problems == [f"private-thing: pypi: HTTP 404 from {index.url}/pypi/private-thing/json"]
    assert sorted(p.name for p in (cache / "pypi").iterdir()) == [
        "fresh-lib.json",
        "learn-models.json",
        "tabular-kit.json",
    ]
    assert ("POST", "/v1/query", {"package": {"name": "tabular-kit", "ecosystem": "PyPI"}}) in index.seen
    write_files(tmp_path / "p", {"requirements.txt": REQUIREMENTS})
    assert values(collect(tmp_path / "p", cache)) == values(collect(tmp_path / "p", RECORDED))


def test_refresh_gives_up_on_a_slow_index_and_keeps_the_old_entry(tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(RECORDED, cache)
    before = (cache / "pypi" / "fresh-lib.json").read_bytes()
    with Index(delay=1.5) as slow:
        started = time.monotonic()
        problems = refresh_cache(["fresh-lib"], cache, index_url=slow.url, osv_url=slow.url, timeout=(1.0, 0.3))
        elapsed = time.monotonic() - started
    assert problems == [
        f"fresh-lib: pypi: timed out after 0 s: {slow.url}/pypi/fresh-lib/json",
        f"fresh-lib: osv: timed out after 0.3 s: {slow.url}/v1/query",
    ]
    assert elapsed < 1.5
    assert (cache / "pypi" / "fresh-lib.json").read_bytes() == before


def test_the_refresh_command(tmp_path, index, monkeypatch, capsys):
    from mldebt.collectors.registries.packages import main

    monkeypatch.setenv("MLDEBT_INDEX_CACHE", str(tmp_path / "cache"))
    write_files(tmp_path / "p", {"requirements.txt": "tabular-kit==1.1.0\nfresh-lib==3.0.1\n"})
    assert main(["refresh", str(tmp_path / "p"), "--index-url", index.url, "--osv-url", index.url]) == 0
    assert capsys.readouterr().out == f"refreshed 2 of 2 packages in {tmp_path / 'cache'}\n"
    assert sorted(p.name for p in (tmp_path / "cache" / "osv").iterdir()) == ["fresh-lib.json", "tabular-kit.json"]
