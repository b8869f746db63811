"""`mldebt collect` of one repository lays its commit out and reads its log in a forked process while it loads
(mldebt.scanning.prefetch): the scan then finds both where it looks and writes neither again, with the same facts.

Each case runs in a fresh interpreter: a fork is only made from a process with one thread, which a test
process need not be."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCAN = """
import json, sys, time
from mldebt.scanning import prefetch
from mldebt.sources.portfolio import single_repository

project = single_repository(sys.argv[1]).projects[0]
if sys.argv[2] == "prefetched":
    prefetch.prefetch(project, None)
    prefetch.settle()
    from mldebt.collectors.repo import history
    from mldebt.sources import gitsource

    def refuse(*args, **kwargs):
        raise AssertionError("done again: " + sys.argv[2])

    gitsource._write_tree = refuse  # the layout is in the cache, under its tree's id
    history._log = refuse  # and the log is kept
from mldebt.scanning.scans import collect_evidence

bundle = collect_evidence(project, None)
print(json.dumps(sorted(
    [f.collector, f.key, repr(f.value), f.error, f.path, f.line] for f in bundle.facts if f.key != "git.history.window"
)))
"""


def run(code: str, *args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLDEBT_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def repo(make_repo) -> Path:
    sample = Path(__file__).parents[1] / "sample_projects" / "reco-service"
    files: dict[str, str | bytes | None] = {
        str(path.relative_to(sample)): path.read_bytes() for path in sample.rglob("*") if path.is_file()
    }
    return make_repo(
        "reco", [("2026-01-05T10:00:00+00:00", {"README.md": "# reco\n"}), ("2026-02-01T10:00:00+00:00", files)]
    )


def test_the_scan_takes_the_layout_and_the_log_made_ahead_and_finds_the_same_facts(repo: Path, tmp_path: Path) -> None:
    ahead = run(SCAN, str(repo), "prefetched", cache=tmp_path / "ahead")
    assert ahead.returncode == 0, ahead.stderr
    plain = run(SCAN, str(repo), "plain", cache=tmp_path / "plain")
    assert plain.returncode == 0, plain.stderr
    facts = json.loads(ahead.stdout)
    assert facts == json.loads(plain.stdout)
    assert not [f for f in facts if "done again" in (f[3] or "")]  # equal above says so too: the plain scan has none
    assert any(f[1] == "git.hotspots" for f in facts)
    assert len(list((tmp_path / "ahead" / "trees").iterdir())) == 1


def test_a_plain_folder_and_a_busy_process_are_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "train.py").write_text("print(1)\n")
    code = """
import sys, threading, time
from mldebt.scanning import prefetch
from mldebt.sources.portfolio import single_repository

project = single_repository(sys.argv[1]).projects[0]
prefetch.prefetch(project, None)
forked = list(prefetch._running)
prefetch.settle()
blocker = threading.Event()
thread = threading.Thread(target=blocker.wait)
thread.start()
prefetch.prefetch(project, None)  # another thread alive: no fork
print(len(forked), len(prefetch._running))
blocker.set()
thread.join()
"""
    done = run(code, str(folder), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0"]  # forked for the folder (it finds no git and ends), not beside a thread
    assert not (tmp_path / "cache" / "trees").exists() and not (tmp_path / "cache" / "folders").exists()


def test_a_prefetch_that_does_not_end_is_stopped(tmp_path: Path, repo: Path) -> None:
    code = """
import sys, time
from mldebt.scanning import prefetch
from mldebt.sources.portfolio import single_repository

prefetch._warm = lambda project, as_of: time.sleep(60)
prefetch.WAIT_S = 0.3
started = time.monotonic()
prefetch.prefetch(single_repository(sys.argv[1]).projects[0], None)
pid = prefetch._running[0]
prefetch.settle()
try:
    import os
    os.kill(pid, 0)
    print("alive")
except ProcessLookupError:
    print("gone", time.monotonic() - started < 5)
"""
    done = run(code, str(repo), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["gone", "True"]
