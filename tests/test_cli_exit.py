"""How the `mldebt` command leaves: its status and output as ``sys.exit`` gives them, without the teardown.

Each case runs in a fresh interpreter (the command ends its process).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def run(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


PRELUDE = textwrap.dedent(
    """
    import atexit, sys
    from pathlib import Path

    class Torn:
        def __del__(self):  # runs only if the interpreter frees its modules' objects
            Path("torn").write_text("yes")

    kept = Torn()
    atexit.register(lambda: Path("handler").write_text("ran"))
    from mldebt.cli.main import main
    """
)


def test_a_finished_command_runs_the_exit_handlers_and_skips_the_teardown(tmp_path: Path) -> None:
    done = run(PRELUDE + "sys.argv = ['mldebt', '--version']\nprint('before', end=' ')\nmain()\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("before mldebt, version")  # both writes flushed, in order
    assert (tmp_path / "handler").read_text() == "ran"
    assert not (tmp_path / "torn").exists()


@pytest.mark.parametrize(
    ("argv", "status", "stderr"),
    [
        (["mldebt", "show", "--db", "missing/none.db", "x"], 2, "mldebt: error:"),  # bad input: 2, one line
        (["mldebt", "no-such-command"], 2, "No such command"),  # click's usage error
        (["mldebt", "--help"], 0, ""),
    ],
)
def test_the_status_and_messages_are_those_of_a_normal_exit(
    tmp_path: Path, argv: list[str], status: int, stderr: str
) -> None:
    done = run(PRELUDE + f"sys.argv = {argv!r}\nmain()\n", tmp_path)
    assert done.returncode == status, done.stderr
    assert stderr in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "torn").exists()


def test_a_message_given_to_sys_exit_is_printed_with_status_1(tmp_path: Path) -> None:
    script = PRELUDE + "sys.modules['mldebt.cli.main'].cli = lambda **kw: sys.exit('stopped: why')\nmain()\n"
    done = run(script, tmp_path)
    assert (done.returncode, done.stderr.strip()) == (1, "stopped: why")
    assert (tmp_path / "handler").read_text() == "ran"


def test_with_another_thread_alive_the_normal_exit_waits_for_it(tmp_path: Path) -> None:
    script = PRELUDE + textwrap.dedent(
        """
        import threading, time

        def late():
            time.sleep(0.3)
            Path("thread").write_text("finished")

        threading.Thread(target=late).start()
        sys.argv = ['mldebt', '--version']
        main()
        """
    )
    done = run(script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "thread").read_text() == "finished"
    assert (tmp_path / "torn").read_text() == "yes"  # the normal exit: the interpreter tore down
