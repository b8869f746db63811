"""The code gates of the test command: lint, format, types and the layer contract.

    python scripts/gates.py            # all four
    python scripts/gates.py mypy       # one: ruff, format, mypy or layers

ruff reads the source folders as they are. mypy and import-linter need the
package as it installs (``collectors/`` is ``mldebt.collectors``, and so on:
see ``[tool.setuptools.package-dir]``), which no folder of the checkout is, so
they run over a tree of symbolic links laid out that way in a temporary
folder; their messages name the checkout's files again. Settings live in
pyproject.toml (``[tool.ruff]``, ``[tool.mypy]``, ``[tool.importlinter]``).
tests/test_gates.py runs every gate and shows that a violation fails each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LINTED = ["mldebt", "collectors", "rubric", "webapp", "tests", "bench", "scripts"]


def package_dirs(root: Path = ROOT) -> dict[str, str]:
    """``{"mldebt.collectors": "collectors", ...}``: where each part of the package lives in the checkout."""
    settings = tomllib.loads((root / "pyproject.toml").read_text())
    return dict(settings["tool"]["setuptools"]["package-dir"])


def link_tree(dest: Path, root: Path = ROOT) -> Path:
    """``dest/mldebt`` laid out as the package installs, every entry a link into ``root``; returns ``dest``."""
    mapping = package_dirs(root)
    package = dest / "mldebt"
    package.mkdir(parents=True)
    mounted = {name.split(".", 1)[1]: folder for name, folder in mapping.items() if name != "mldebt"}
    for entry in (root / mapping["mldebt"]).iterdir():
        if entry.name not in mounted and entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name, folder in mounted.items():
        (package / name).symlink_to(root / folder)
    return dest


def _unlinked(text: str, tree: Path, root: Path) -> str:
    """Messages about ``mldebt/collectors/x.py`` in the link tree name ``collectors/x.py`` of the checkout."""
    mapping = package_dirs(root)
    for name, folder in sorted(mapping.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(str(tree) + "/", "").replace(name.replace(".", "/") + "/", folder + "/")
    return text


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    return done.returncode, done.stdout + done.stderr


def ruff(root: Path = ROOT) -> tuple[int, str]:
    return _run([str(BIN / "ruff"), "check", "--quiet", *LINTED], root)


def ruff_format(root: Path = ROOT) -> tuple[int, str]:
    return _run([str(BIN / "ruff"), "format", "--check", "--quiet", *LINTED], root)


def mypy(root: Path = ROOT) -> tuple[int, str]:
    with tempfile.TemporaryDirectory(prefix="mldebt-mypy-") as scratch:
        tree = link_tree(Path(scratch) / "tree", root)
        code, out = _run(
            [
                str(BIN / "mypy"),
                "--config-file",
                str(root / "pyproject.toml"),
                "--cache-dir",
                str(Path(scratch) / "cache"),
                "-p",
                "mldebt",
            ],
            tree,
        )
        return code, _unlinked(out, tree, root)


def layers(root: Path = ROOT) -> tuple[int, str]:
    with tempfile.TemporaryDirectory(prefix="mldebt-layers-") as scratch:
        tree = link_tree(Path(scratch) / "tree", root)
        env = dict(os.environ, PYTHONPATH=str(tree))
        code, out = _run([str(BIN / "lint-imports"), str(root / "pyproject.toml"), "--no-cache"], tree, env)
        return code, _unlinked(out, tree, root)


GATES: dict[str, Callable[[Path], tuple[int, str]]] = {
    "ruff": ruff,
    "format": ruff_format,
    "mypy": mypy,
    "layers": layers,
}


def main(argv: list[str]) -> int:
    chosen = argv or list(GATES)
    unknown = [name for name in chosen if name not in GATES]
    if unknown:
        print(f"unknown gate {unknown[0]!r} (gates: {', '.join(GATES)})", file=sys.stderr)
        return 2
    failed = 0
    for name in chosen:
        code, out = GATES[name](ROOT)
        print(f"{name}: {'ok' if code == 0 else 'FAILED'}")
        if code:
            failed += 1
            print(out.rstrip())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
