"""Work started ahead in a forked process (collectors/ahead.py): the same result as the plain call, whatever happens.

A process forks only while it has one thread, and a test session may hold
threads (servers of other tests' fixtures): each case that needs the fork runs
in a fresh interpreter (``_fresh``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mldebt.collectors import ahead as ahead_module
from mldebt.collectors.ahead import ahead, fed

HERE = os.getpid()
ROOT = Path(__file__).resolve().parent.parent


def _fresh(case: Callable[[], None]) -> None:
    """Run ``case`` (a function of this module) in a new interpreter, with no other thread alive."""
    code = f"import tests.test_ahead as t; t.HERE = __import__('os').getpid(); t.{case.__name__}()"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def case_the_result_comes_from_another_process_and_is_the_plain_one() -> None:
    with ahead(lambda: (os.getpid(), sorted(range(1000), key=lambda n: -n))) as pending:
        assert pending.forked
        pid, value = pending()
    assert pid != HERE
    assert value == list(range(999, -1, -1))


def case_a_result_larger_than_a_pipe_holds() -> None:
    big = [str(n) * 10 for n in range(300_000)]  # ~17 MB pickled: the child blocks until the parent reads
    with ahead(lambda: big) as pending:
        assert pending() == big


def test_not_worth_it_runs_here() -> None:
    with ahead(os.getpid, worth_it=False) as pending:
        assert not pending.forked
        assert pending() == HERE


def test_with_a_thread_alive_it_runs_here() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with ahead(os.getpid) as pending:
            assert not pending.forked
            assert pending() == HERE
    finally:
        stop.set()
        thread.join()


def case_a_child_that_fails_is_done_again_here() -> None:
    def only_here() -> int:
        if os.getpid() != HERE:
            raise RuntimeError("the child fails")
        return 42

    with ahead(only_here) as pending:
        assert pending.forked
        assert pending() == 42


def case_a_child_that_is_killed_is_done_again_here() -> None:
    def slow() -> int:
        if os.getpid() != HERE:
            time.sleep(60)
        return os.getpid()

    with ahead(slow) as pending:
        assert pending._pid is not None
        os.kill(pending._pid, 9)
        assert pending() == HERE


def case_an_error_is_the_plain_calls_own() -> None:
    def broken() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"), ahead(broken) as pending:
        pending()


def case_leaving_without_asking_stops_the_child() -> None:
    with ahead(lambda: time.sleep(60)) as pending:
        pid = pending._pid
        assert pid is not None
    assert _gone(pid)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left behind


def test_no_fork_when_a_pipe_cannot_be_made(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pipe() -> tuple[int, int]:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(ahead_module.os, "pipe", no_pipe)
    with ahead(os.getpid) as pending:
        assert not pending.forked
        assert pending() == HERE


def case_the_other_collectors_run_in_another_process_and_the_facts_are_the_same() -> None:
    import tempfile

    from mldebt.collectors import registry
    from mldebt.collectors.interface import Snapshot
    from mldebt.sources.gitsource import checkout
    from tests import test_facts_unchanged as golden

    ran_in: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        record = tmp / "pids"
        for name, cls in registry.COLLECTORS.items():
            original = cls.collect

            def watched(self, snapshot, original=original, name=name):  # type: ignore[no-untyped-def]
                with record.open("a") as out:  # the child's own memory is not the parent's: a file says where
                    out.write(f"{name} {os.getpid()}\n")
                yield from original(self, snapshot)

            cls.collect = watched  # type: ignore[method-assign]  # this fresh interpreter only
        registry.workers = lambda: 2  # type: ignore[assignment]  # as on two cores, whatever this machine has
        bundle = max(golden.BUNDLES, key=lambda b: b.stat().st_size)
        subprocess.run(["git", "clone", "-q", str(bundle), str(tmp / "repo")], check=True)
        (project,) = golden.single_repository(tmp / "repo", "p").projects

        def collected() -> list[tuple]:
            with checkout(project) as tree:
                snapshot = Snapshot(
                    project="p", root=tree.root, commit=tree.commit, git_dir=tree.git_dir, tree=tree.tree,
                    as_of=golden.AS_OF,
                )  # fmt: skip
                facts = registry.collect(snapshot)
            return [(f.collector, f.key, repr(f.value), f.error, f.path, f.line) for f in facts]

        os.environ["MLDEBT_CACHE"] = str(tmp / "cache")
        beside = collected()
        ran_in = dict(line.split() for line in record.read_text().splitlines())  # type: ignore[misc]
        record.unlink()
        again = collected()  # the same tree, its facts kept: the repository collector is quick, nothing forks
        unchanged = dict(line.split() for line in record.read_text().splitlines())  # type: ignore[misc]
        record.unlink()
        os.environ["MLDEBT_CACHE"] = str(tmp / "another-cache")
        registry.workers = lambda: 1  # type: ignore[assignment]  # no process beside: one collector after another
        one_by_one = collected()
        alone = dict(line.split() for line in record.read_text().splitlines())  # type: ignore[misc]
    here = str(os.getpid())
    independent = [name for name in registry.COLLECTORS if name not in ("repo", *registry.NEEDS_REPO)]
    assert ran_in["repo"] == ran_in["history"] == here
    assert all(ran_in[name] != here for name in independent), ran_in
    assert set(alone.values()) == {here}
    assert set(unchanged.values()) == {here} and set(unchanged) == set(registry.COLLECTORS)
    assert again == beside
    assert beside == one_by_one  # every fact, in the registry's order


def _listed(messages: Iterator[bytes]) -> tuple[int, list[bytes]]:
    return os.getpid(), list(messages)


def case_a_fed_child_reads_every_message_as_it_is_sent_and_gives_back_its_result() -> None:
    sent = [b"", b"one", bytes(range(256)) * 20_000, *(str(n).encode() for n in range(2_000))]  # one of ~5 MB
    child = fed(_listed)
    assert child is not None
    assert all(child.send(message) for message in sent)  # more than a pipe holds: the child reads meanwhile
    got = child.result()
    assert got is not None
    pid, messages = got[0]
    assert pid != HERE and messages == sent


def case_a_fed_child_that_fails_gives_nothing_and_takes_no_more() -> None:
    def failing(messages: Iterator[bytes]) -> None:
        next(messages)
        raise RuntimeError("the child fails")

    child = fed(failing)
    assert child is not None
    child.send(b"first")
    deadline = time.monotonic() + 30
    while child.send(b"x" * 65_536):  # once the child is gone, a send says so instead of blocking
        assert time.monotonic() < deadline
    assert child.result() is None


def case_closing_a_fed_child_stops_it() -> None:
    child = fed(_listed)
    assert child is not None and child._pid is not None
    pid = child._pid
    child.send(b"never finished")
    child.close()
    assert _gone(pid)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left behind
    assert child.result() is None and not child.send(b"late")


def test_with_a_thread_alive_no_fed_child_is_started() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert fed(_listed) is None
    finally:
        stop.set()
        thread.join()


FRESH = [
    case_the_result_comes_from_another_process_and_is_the_plain_one,
    case_a_result_larger_than_a_pipe_holds,
    case_a_child_that_fails_is_done_again_here,
    case_a_child_that_is_killed_is_done_again_here,
    case_an_error_is_the_plain_calls_own,
    case_leaving_without_asking_stops_the_child,
    case_the_other_collectors_run_in_another_process_and_the_facts_are_the_same,
    case_a_fed_child_reads_every_message_as_it_is_sent_and_gives_back_its_result,
    case_a_fed_child_that_fails_gives_nothing_and_takes_no_more,
    case_closing_a_fed_child_stops_it,
]


@pytest.mark.parametrize("case", FRESH, ids=[case.__name__.removeprefix("case_") for case in FRESH])
def test_in_a_fresh_interpreter(case: Callable[[], None]) -> None:
    _fresh(case)
