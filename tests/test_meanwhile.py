"""While the repository collector waits on its file pool, the collectors that do not need its results run in
the collecting process (collectors.meanwhile) when they cannot run in a forked process beside it (tests/test_ahead.py
covers that); the facts are those, in the order, of one collector after another."""

from __future__ import annotations

import multiprocessing
import sysconfig
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mldebt.collectors import ahead, meanwhile, registry
from mldebt.collectors.code import batch as code_batch
from mldebt.collectors.interface import Snapshot
from mldebt.sources.gitsource import checkout
from mldebt.sources.portfolio import single_repository

STDLIB = Path(sysconfig.get_paths()["stdlib"])
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
NAMES = ["argparse.py", "typing.py", "inspect.py", "dataclasses.py", "pathlib.py", "unittest/mock.py"]


def test_the_work_runs_once_at_the_first_wait_and_never_without_one() -> None:
    ran: list[str] = []
    with meanwhile.while_waiting(lambda: ran.append("work")):
        assert ran == []
        meanwhile.waiting()
        meanwhile.waiting()
    meanwhile.waiting()  # outside the block: nothing to run
    assert ran == ["work"]
    with meanwhile.while_waiting(lambda: ran.append("never")):
        pass
    assert ran == ["work"]


@pytest.fixture
def repo(make_repo) -> Path:
    files: dict[str, str | bytes | None] = {
        f"pkg/{name}": (STDLIB / name).read_text(encoding="utf-8") for name in NAMES if (STDLIB / name).is_file()
    }
    files["requirements.txt"] = "numpy==1.26.4\nrequests\n"
    files["dvc.yaml"] = "stages:\n  train:\n    cmd: python train.py\n    deps: [data.csv]\n    outs: [model.pkl]\n"
    files[".github/workflows/ci.yml"] = "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest\n"
    assert sum(len(text) for text in files.values() if isinstance(text, str)) >= code_batch.POOL_MIN_BYTES
    return make_repo("repo", [("2026-01-05T10:00:00+00:00", files)])


def collected(repo: Path) -> list[tuple]:
    project = single_repository(repo).projects[0]
    with checkout(project) as tree:
        snapshot = Snapshot(
            project="p", root=tree.root, commit=tree.commit, git_dir=tree.git_dir, tree=tree.tree, as_of=AS_OF
        )
        return [(f.collector, f.key, repr(f.value), f.error, f.path, f.line) for f in registry.collect(snapshot)]


def test_the_other_collectors_run_while_the_file_workers_parse_and_the_facts_are_the_same(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workers_alive: dict[str, int] = {}
    for name, cls in registry.COLLECTORS.items():
        original = cls.collect

        def watched(self, snapshot, original=original, name=name):  # type: ignore[no-untyped-def]
            workers_alive[name] = len(multiprocessing.active_children())
            yield from original(self, snapshot)

        monkeypatch.setattr(cls, "collect", watched)
    monkeypatch.setattr(code_batch, "workers", lambda: 2)  # the pool, whatever this machine's core count
    monkeypatch.setattr(registry, "workers", lambda: 2)
    monkeypatch.setattr(registry, "ahead", lambda work, worth_it=True: ahead.ahead(work, False))  # as with a thread
    overlapped = collected(repo)
    independent = [name for name in registry.COLLECTORS if name not in ("repo", *registry.NEEDS_REPO)]
    assert all(workers_alive[name] > 0 for name in independent), workers_alive  # the pool's workers were parsing
    assert workers_alive["history"] == 0  # it reads what the repository collector measured: after it

    monkeypatch.setenv("MLDEBT_CACHE", str(tmp_path / "another-cache"))
    monkeypatch.setattr(code_batch, "workers", lambda: 1)  # no pool: one collector after another
    workers_alive.clear()
    one_by_one = collected(repo)
    assert not any(workers_alive.values())
    assert overlapped == one_by_one
    assert [c for c, *_ in overlapped] == sorted(
        [c for c, *_ in overlapped], key=list(registry.COLLECTORS).index
    )  # in the registry's order
