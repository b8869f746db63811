"""Packaging: one import package, a complete lock file, and the set-up scripts."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from .conftest import ROOT, copy_checkout


def test_no_generic_top_level_names_are_importable(tmp_path):
    code = (
        "import importlib.util as u, sys; "
        "sys.exit(any(u.find_spec(n) for n in ('collectors', 'rubric', 'webapp', 'templates')))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=tmp_path).returncode == 0
    import mldebt.collectors
    import mldebt.rubric

    assert Path(mldebt.collectors.__file__).parent == ROOT / "collectors"
    assert Path(mldebt.rubric.__file__).parent == ROOT / "rubric"


def test_the_wheel_holds_only_the_mldebt_package(tmp_path):
    # built from a copy of the files git knows, so a stale build/ folder of the checkout cannot add modules
    source = copy_checkout(tmp_path / "source")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("mldebt-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"mldebt", "mldebt-0.1.0.dist-info"}
    assert "mldebt/rubric/default.yaml" in names
    assert "mldebt/collectors/repo/collector.py" in names
    packages = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    on_disk = {
        "mldebt/" + str(p.parent.relative_to(ROOT)).replace("mldebt/", "", 1)
        if p.parts[len(ROOT.parts)] != "mldebt"
        else str(p.parent.relative_to(ROOT))
        for folder in ("mldebt", "collectors", "rubric", "webapp")
        for p in (ROOT / folder).rglob("__init__.py")
    }
    assert on_disk <= packages  # every package of the source tree is listed in pyproject.toml
    # development tools stay out of the wheel: the sample builder and the report benchmark's generator
    assert not [n for n in names if n.endswith(("/samples.py", "/report_portfolio.py", "/report_bench.py"))]


def _lock() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    pins = {}
    for block in re.split(r"\n(?=[a-z0-9])", text):
        head = block.split()[0] if block.strip() and not block.startswith("#") else ""
        if "==" in head:
            name, version = head.split("==")
            assert "--hash=sha256:" in block, f"{name} has no hash in requirements.lock"
            pins[re.sub(r"[-_.]+", "-", name.lower())] = version
    return pins


def test_the_lock_file_pins_every_dependency_with_hashes():
    pins = _lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    for requirement in wanted:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~ \[;]", requirement)[0].lower())
        assert name in pins, f"{name} is in pyproject.toml but not in requirements.lock"


def test_setup_scripts_are_what_the_readme_and_ci_run():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/demo.sh" in readme and "bash scripts/test.sh" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
    for script in ("demo.sh", "test.sh", "bootstrap.sh"):
        assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / script)]).returncode == 0
