"""Build the sample ML projects in ``sample_projects/`` as real git repositories.

Each sample project directory holds a ``history.yaml`` listing commits. Every
commit copies its layer (``layers/<layer>/``) over the working tree, deletes the
paths listed under ``remove`` and is committed with fixed author/committer
identities and dates, so every build yields the same commit hashes.

Usage::

    python scripts/samples.py SOURCE DEST
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import AwareDatetime, Field

from mldebt.errors import InputError
from mldebt.validation import Strict, validate
from mldebt.yamlfile import load


class Author(Strict):
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class CommitSpec(Strict):
    date: AwareDatetime
    message: str = Field(min_length=1)
    layer: str | None = None
    remove: list[str] = []
    author: Author | None = None


class HistorySpec(Strict):
    author: Author | None = None
    commits: list[CommitSpec] = Field(min_length=1)


def load_history(project_dir: Path) -> list[dict[str, Any]]:
    """Read and validate ``history.yaml``; return its commits in order, fields normalised."""
    project_dir = Path(project_dir)
    doc = load(project_dir / "history.yaml", what="sample history")
    spec = validate(HistorySpec, doc, what="the sample history")
    problems: list[str] = []
    commits: list[dict[str, Any]] = []
    for index, commit in enumerate(spec.commits):
        loc = ("commits", index)
        if index and commit.date < spec.commits[index - 1].date:
            problems.append(doc.message(loc + ("date",), "dates must not go backwards"))
        paths = ([("layer", commit.layer)] if commit.layer else []) + [
            (("remove", i), p) for i, p in enumerate(commit.remove)
        ]
        for key, rel in paths:
            part = PurePosixPath(rel)
            if not rel or part.is_absolute() or ".." in part.parts:
                problems.append(
                    doc.message(
                        loc + (key if isinstance(key, tuple) else (key,)),
                        f"{rel!r} is not a relative path inside the project",
                    )
                )
        if commit.layer and not (project_dir / "layers" / commit.layer).is_dir():
            problems.append(doc.message(loc + ("layer",), f"layer directory layers/{commit.layer} does not exist"))
        if commit.layer is None and not commit.remove:
            problems.append(doc.message(loc, "a commit needs a 'layer' or paths to 'remove'"))
        author = commit.author or spec.author
        if author is None:
            problems.append(doc.message(loc, "no author given and no default author in the file"))
            continue
        commits.append(
            {
                "date": commit.date.isoformat(),
                "message": commit.message.strip(),
                "layer": commit.layer,
                "remove": list(commit.remove),
                "author": (author.name, author.email),
            }
        )
    if problems:
        raise InputError.of_file(doc.path, "the sample history", problems)
    return commits


def _git(
    repo_dir: Path, args: list[str], author: tuple[str, str] = ("mldebt", "mldebt@example.com"), date: str | None = None
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME=author[0],
        GIT_AUTHOR_EMAIL=author[1],
        GIT_COMMITTER_NAME=author[0],
        GIT_COMMITTER_EMAIL=author[1],
        **({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {}),
    )
    config = [
        "-c",
        f"user.name={author[0]}",
        "-c",
        f"user.email={author[1]}",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "init.defaultBranch=main",
        "-c",
        "core.autocrlf=false",
    ]
    subprocess.run(["git", *config, *args], cwd=repo_dir, env=env, check=True, stdout=subprocess.DEVNULL)


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
                raise InputError(
                    f"{project_dir / 'history.yaml'}: commit {number}: cannot remove {rel!r}, it is not in the tree"
                )
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
        _git(repo_dir, ["add", "--all", "--force", "."])
        _git(
            repo_dir,
            ["commit", "--quiet", "--no-verify", "-m", commit["message"]],
            author=commit["author"],
            date=commit["date"],
        )


def build_samples(source: Path, dest: Path) -> Path:
    """Build every sample project under `source` as a git repository in dest/repos/<name>;
    copy portfolio.yaml to dest; return dest/portfolio.yaml."""
    source, dest = Path(source), Path(dest)
    portfolio = source / "portfolio.yaml"
    if not portfolio.is_file():
        raise InputError(f"{portfolio}: file not found")
    projects = sorted(p for p in source.iterdir() if (p / "history.yaml").is_file())
    if not projects:
        raise InputError(f"{source}: no project directories with a history.yaml")
    for project_dir in projects:
        build_repo(project_dir, dest / "repos" / project_dir.name)
    return Path(shutil.copyfile(portfolio, dest / "portfolio.yaml"))


# The ends of the quarters the sample histories cover: the demo, the golden expectations and the tests scan the
# samples as they were at each (scripts/demo.sh writes the same days).
QUARTER_ENDS = ("2025-12-31", "2026-03-31", "2026-06-30", "2026-09-30")


def quarter_end_moments() -> list[datetime]:
    """The last second of each of QUARTER_ENDS, in UTC."""
    return [datetime.fromisoformat(day).replace(hour=23, minute=59, second=59, tzinfo=UTC) for day in QUARTER_ENDS]


def collect_at(db: Any, portfolio: Any, rubric: Any, moment: datetime) -> None:
    """Collect and score every project of ``portfolio`` into ``db`` as it was at ``moment``."""
    from mldebt.scanning.scans import collect_project  # the scanner loads only when samples are scanned

    for project in portfolio.projects:
        collect_project(db, project, rubric, moment)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python scripts/samples.py SOURCE DEST", file=sys.stderr)
        return 2
    try:
        print(build_samples(Path(args[0]), Path(args[1])))
    except InputError as exc:
        print("\n".join(f"error: {p}" for p in exc.problems), file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
