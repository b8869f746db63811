"""The code gates run in the test command, and each one fails on a deliberate violation.

The gates themselves are scripts/gates.py (ruff's lint and format check, mypy,
and the import-linter layer contract in pyproject.toml). Each violation is made
in a copy of the checkout, never in the checkout itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import gates

from .conftest import ROOT, copy_checkout


@pytest.mark.parametrize("gate", sorted(gates.GATES))
def test_the_checkout_passes_every_gate(gate):
    code, out = gates.GATES[gate](ROOT)
    assert code == 0, out


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files git knows, copied, so a violation can be planted without touching the checkout."""
    return copy_checkout(tmp_path_factory.mktemp("gates") / "checkout", skip=("sample_projects/", "tests/data/"))


VIOLATIONS = {
    # an unused import
    "ruff": ("rubric/engine.py", "import os\n"),
    # a line the formatter would write otherwise
    "format": ("rubric/engine.py", "x  =  [1,2]\n"),
    # a string where the annotation says int
    "mypy": ("rubric/engine.py", "WRONG: int = 'not a number'\n"),
    # the rubric engine reaching up into the command line
    "layers": ("rubric/engine.py", "import mldebt.cli.main  # noqa: E402,F401\n"),
}


@pytest.mark.parametrize("gate", sorted(VIOLATIONS))
def test_a_violation_fails_its_gate(copy, gate):
    rel, line = VIOLATIONS[gate]
    target = copy / rel
    original = target.read_text()
    target.write_text(original + "\n" + line)
    try:
        code, out = gates.GATES[gate](copy)
    finally:
        target.write_text(original)
    assert code != 0, f"{gate} passed with a violation planted in {rel}"
    assert "engine.py" in out or gate == "layers", out
    if gate == "layers":
        assert "mldebt.rubric" in out and "mldebt.cli" in out, out
