"""Build the sample ML projects in ``sample_projects/`` as real git repositories.

Each sample project directory holds a ``history.yaml`` listing commits. Every
commit copies its layer (``layers/<layer>/``) over the working tree, deletes the
paths listed under ``remove`` and is committed with fixed author/committer
identities and dates, so every build yields the same commit hashes.

Usage::

    python -m mldebt.samples SOURCE DEST
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

COMMIT_KEYS = {"date", "message", "layer", "remove", "author"}


def _identity(raw: Any, where: str) -> tuple[str, str]:
    if not (isinstance(raw, dict) and set(raw) == {"name", "email"} and isinstance(raw["name"], str)
            and raw["name"].strip() and isinstance(raw["email"], str) and "@" in raw["email"]):
        raise ValueError(f"{where}: author must be a mapping with a 'name' and an 'email' address")
    return raw["name"], raw["email"]


def _timestamp(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _relpath(raw: Any, where: str) -> str:
    path = PurePosixPath(raw) if isinstance(raw, str) and raw else None
    if path is None or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"{where}: {raw!r} is not a relative path inside the project")
    return str(path)


def load_history(project_dir: Path) -> list[dict[str, Any]]:
    """Read and validate ``history.yaml``; return commits with normalised fields."""
    project_dir = Path(project_dir)
    path = project_dir / "history.yaml"
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("commits"), list) or not data["commits"]:
        raise ValueError(f"{path}: expected a mapping with a non-empty 'commits' list")
    default = _identity(data["author"], f"{path}: author") if "author" in data else None
    commits: list[dict[str, Any]] = []
    previous: datetime | None = None
    for number, raw in enumerate(data["commits"], start=1):
        where = f"{path}: commit {number}"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected a mapping")
        if set(raw) - COMMIT_KEYS:
            raise ValueError(f"{where}: unknown keys {sorted(set(raw) - COMMIT_KEYS)}")
        when = _timestamp(raw.get("date"))
        if when is None or when.tzinfo is None:
            raise ValueError(f"{where}: 'date' must be an ISO 8601 timestamp with a UTC offset")
        if previous is not None and when < previous:
            raise ValueError(f"{where}: dates must not go backwards")
        previous = when
        message = raw.get("message")
        if not isinstance(message, str) or not message.strip():
            raise ValueError(f"{where}: 'message' must be a non-empty string")
        layer = None if raw.get("layer") is None else _relpath(raw["layer"], f"{where}: layer")
        if layer is not None and not (project_dir / "layers" / layer).is_dir():
            raise ValueError(f"{where}: layer directory layers/{layer} does not exist")
        remove = raw.get("remove") or []
        if not isinstance(remove, list):
            raise ValueError(f"{where}: 'remove' must be a list of paths")
        remove = [_relpath(item, f"{where}: remove") for item in remove]
        if layer is None and not remove:
            raise ValueError(f"{where}: a commit needs a 'layer' or paths to 'remove'")
        author = _identity(raw["author"], f"{where}: author") if "author" in raw else default
        if author is None:
            raise ValueError(f"{where}: no author given and no default author in the file")
        commits.append({"date": when.isoformat(), "message": message.strip(), "layer": layer,
                        "remove": remove, "author": author})
    return commits


def _git(repo_dir: Path, args: list[str], author: tuple[str, str] = ("mldebt", "mldebt@example.com"),
         date: str | None = None) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME=author[0],
               GIT_AUTHOR_EMAIL=author[1], GIT_COMMITTER_NAME=author[0], GIT_COMMITTER_EMAIL=author[1],
               **({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {}))
    config = ["-c", f"user.name={author[0]}", "-c", f"user.email={author[1]}",
              "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false"]
    subprocess.run(["git", *config, *args], cwd=repo_dir, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def _copy_layer(layer_dir: Path, repo_dir: Path) -> None:
    for source in sorted(p for p in layer_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        target = repo_dir / source.relative_to(layer_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def build_repo(project_dir: Path, repo_dir: Path) -> None:
    """Replay ``project_dir/history.yaml`` into a fresh git repository at ``repo_dir``."""
    project_dir, repo_dir = Path(project_dir), Path(repo_dir)
    commits = load_history(project_dir)
    if repo_dir.exists():
        shutil.rmtree(repo_dir)
    repo_dir.mkdir(parents=True)
    _git(repo_dir, ["init", "--quiet"])
    for number, commit in enumerate(commits, start=1):
        if commit["layer"] is not None:
            _copy_layer(project_dir / "layers" / commit["layer"], repo_dir)
        for rel in commit["remove"]:
            target = repo_dir / rel
            if not target.exists():
                raise ValueError(f"{project_dir / 'history.yaml'}: commit {number}: "
                                 f"cannot remove {rel!r}, it is not in the tree")
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
        _git(repo_dir, ["add", "--all", "--force", "."])
        _git(repo_dir, ["commit", "--quiet", "--no-verify", "-m", commit["message"]],
             author=commit["author"], date=commit["date"])


def build_samples(source: Path, dest: Path) -> Path:
    """Build every sample project under `source` as a git repository in dest/repos/<name>;
    copy portfolio.yaml to dest; return dest/portfolio.yaml."""
    source, dest = Path(source), Path(dest)
    portfolio = source / "portfolio.yaml"
    if not portfolio.is_file():
        raise ValueError(f"{portfolio}: file not found")
    projects = sorted(p for p in source.iterdir() if (p / "history.yaml").is_file())
    if not projects:
        raise ValueError(f"{source}: no project directories with a history.yaml")
    for project_dir in projects:
        build_repo(project_dir, dest / "repos" / project_dir.name)
    return Path(shutil.copyfile(portfolio, dest / "portfolio.yaml"))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m mldebt.samples SOURCE DEST", file=sys.stderr)
        return 2
    try:
        print(build_samples(Path(args[0]), Path(args[1])))
    except (ValueError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
