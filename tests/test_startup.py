"""Start-up stays light: the command line loads a command's libraries only when that command runs.

Measured in a fresh interpreter each time (a test process has loaded everything
already). The figures themselves are bench/bench_speed.py's; here only what is
imported, which does not depend on the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ["pandas", "numpy", "flask", "weasyprint", "mlflow", "radon", "vulture"]
ALSO_LATER = ["requests", "rich", "pydantic", "werkzeug", "jinja2", "pyarrow", "packaging", "tree_sitter", "simpleeval"]

PROBE = """
import json, sys
{code}
print(json.dumps(sorted(name for name in {names} if name in sys.modules)))
"""


def loaded(code: str, names: list[str]) -> list[str]:
    """Which of ``names`` a fresh interpreter has imported after running ``code``."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, names=names)], capture_output=True, text=True, check=True
    ).stdout
    return list(json.loads(out.strip().splitlines()[-1]))


def test_importing_the_command_line_loads_none_of_the_heavy_libraries() -> None:
    assert loaded("import mldebt.cli", HEAVY + ALSO_LATER) == []


def test_importing_the_command_line_leaves_the_store_unloaded() -> None:
    """sqlite-utils costs ~45 ms: `mldebt collect` forks its prefetch before it opens the store, so not at import."""
    assert loaded("import mldebt.cli", ["sqlite_utils", "mldebt.access", "mldebt.store.db"]) == []


def test_the_list_of_collectors_loads_no_pipeline_parser() -> None:
    """A scan imports every collector before its file pool; the CI parsers load where the CI collector reads a file."""
    parsers = ["mldebt.collectors.ci.github", "mldebt.collectors.ci.model"]
    assert loaded("import mldebt.collectors.registry", [*parsers, "mldebt.collectors.ci.hops"]) == []
    workflow = "on: push\\njobs:\\n  test:\\n    runs-on: ubuntu-latest\\n    steps:\\n      - run: pytest\\n"
    code = f"from mldebt.collectors.ci.config import read_pipeline\nread_pipeline('{workflow}', 'ci.yml', 'github')"
    assert loaded(code, parsers) == parsers


def test_the_list_of_collectors_loads_packaging_only_when_a_manifest_or_a_version_is_read() -> None:
    """An unchanged commit's scan reads no manifest (its facts are kept): packaging (~12 ms) is not loaded for it."""
    assert loaded("import mldebt.collectors.registry", ["packaging"]) == []
    code = "from mldebt.collectors.repo.manifests import parse\nparse('requirements', 'numpy==1.26\\n')"
    assert loaded(code, ["packaging"]) == ["packaging"]


def test_help_loads_none_of_them_either() -> None:
    code = (
        "from mldebt.cli.main import cli\ntry:\n    cli(['--help'], prog_name='mldebt')\nexcept SystemExit:\n    pass"
    )
    assert loaded(code, HEAVY + ALSO_LATER) == []


@pytest.mark.parametrize("command", ["collect", "show", "compare", "report", "export", "check", "serve", "portfolio"])
def test_each_commands_help_loads_no_heavy_library(command: str) -> None:
    code = f"from mldebt.cli.main import cli\ntry:\n    cli(['{command}', '--help'], prog_name='mldebt')\nexcept SystemExit:\n    pass"
    assert loaded(code, HEAVY) == []


def test_the_probe_sees_a_library_that_is_imported() -> None:
    """The probe can fail: the notebook interface imports pandas, and so does sqlite-utils once pandas is loaded."""
    assert loaded("import mldebt.frames", ["pandas", "numpy"]) == ["numpy", "pandas"]


def test_the_store_opens_without_pandas(tmp_path) -> None:
    """sqlite-utils would import pandas and numpy whenever installed (mldebt.lean keeps them out)."""
    code = f"from mldebt.store.db import open_db\nopen_db({str(tmp_path / 'x.db')!r}).close()"
    assert loaded(code, ["pandas", "numpy", "pyarrow"]) == []


def test_the_store_opens_without_looking_for_sqlite_utils_plugins(tmp_path) -> None:
    """Finding plugins reads every installed package's metadata (importlib.metadata): ~15 ms per open."""
    code = f"from mldebt.store.db import open_db\nopen_db({str(tmp_path / 'x.db')!r}).close()"
    assert loaded(code, ["importlib.metadata"]) == []
