"""A store mldebt may not write is reported as read-only, never as damaged, and left as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mldebt.store.db import open_db

MLDEBT = str(Path(sys.executable).with_name("mldebt"))


def _store(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "mldebt.db"
    db = open_db(path)
    db["teams"].insert({"id": "t", "name": "T", "owner": "o"})
    db.close()  # the last connection: the WAL is checkpointed into the file and removed
    return path


def _run_read_only(folder: Path, mount_point: Path, *args: str) -> subprocess.CompletedProcess:
    """Run mldebt where ``folder`` cannot be written: a read-only bind mount as root, file modes otherwise."""
    if os.geteuid() == 0:  # root ignores file modes: make the file system itself read-only, in a mount namespace
        mount_point.mkdir()
        script = f"mount --bind '{folder}' '{mount_point}' && mount -o remount,ro,bind '{mount_point}' && exec \"$@\""
        command = ["unshare", "-m", "sh", "-c", script, "sh", MLDEBT, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)
    for entry in [folder, *folder.iterdir()]:
        entry.chmod(entry.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        return subprocess.run(
            [MLDEBT, *[a.replace(str(mount_point), str(folder)) for a in args]],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        for entry in [folder, *folder.iterdir()]:
            entry.chmod(entry.stat().st_mode | stat.S_IWUSR)


@pytest.mark.parametrize("command", [["show"], ["score"], ["token", "list"]])
def test_a_read_only_store_is_named_read_only_and_left_untouched(tmp_path, command):
    assert shutil.which("unshare") or os.geteuid() != 0
    folder = tmp_path / "store"
    path = _store(folder)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    mount_point = tmp_path / "ro"
    done = _run_read_only(folder, mount_point, *command, "--db", str(mount_point / "mldebt.db"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "read-only" in done.stderr, done.stderr
    assert "damaged" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in folder.iterdir()) == ["mldebt.db"]
