"""What the CI template tests share: a small ML repository, and a real `mldebt serve` on loopback with a fresh
store that knows the project and a push token bound to it (made with `mldebt token create`)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from .conftest import GIT_ENV, git, write_files
from .servers import free_port, invoke, wait_until_serving

BIN = Path(sys.executable).parent  # where the test's own mldebt lives

PROJECT = {
    "src/ranker/train.py": (
        "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n\n"
        "def train(df: pd.DataFrame) -> LogisticRegression:\n"
        "    # TODO: hold out a validation set\n"
        "    return LogisticRegression().fit(df.drop(columns='y'), df['y'])\n"
    ),
    "tests/test_train.py": "def test_train():\n    assert True\n",
    "requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\n",
    "README.md": "# ranker\n\nRanks search results.\n",
}

PORTFOLIO = """\
portfolio: ci
teams:
  - name: Search
    id: search
    projects:
      - {name: ranker, repo: "https://github.com/acme/ranker", tier: production}
"""


@dataclass
class Site:
    url: str
    db_path: Path
    token: str
    process: subprocess.Popen

    def scans(self) -> list[tuple[str, str]]:
        """The project's scans in the server's store: (id, commit), oldest first."""
        with sqlite3.connect(self.db_path) as db:
            query = "select id, commit_sha from scans where project_id = 'ranker' order by as_of, collected_at"
            return [(row[0], row[1]) for row in db.execute(query)]


def ml_repo(root: Path) -> Path:
    """A git repository with one commit of a small ML project."""
    repo = root / "ranker"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write_files(repo, PROJECT)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first", date="2026-05-04T10:00:00+00:00")
    return repo


def commit(repo: Path, files: dict[str, str | bytes | None], message: str) -> str:
    write_files(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date="2026-05-05T10:00:00+00:00")
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """`mldebt serve` with the built-in rubric over a fresh store holding the project and a token bound to it."""
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "portfolio.yaml").write_text(PORTFOLIO)
    db_path = tmp_path / "server" / "server.db"
    made = invoke(
        db_path,
        "token",
        "create",
        "ci-ranker",
        "--scope",
        "push",
        "--project",
        "ranker",
        "--portfolio",
        str(tmp_path / "server" / "portfolio.yaml"),
    )
    assert made.exit_code == 0, made.output
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLDEBT_")}
    process = subprocess.Popen(
        [str(BIN / "mldebt"), "serve", "--port", str(port), "--db", str(db_path)],
        env={**env, **GIT_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process)
        yield Site(url, db_path, made.stdout.strip(), process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def scan_of_server(site: Site, scan_id: str) -> dict:
    """The scan as the server's API gives it (its scans list), to show it is stored and scored there."""
    answer = requests.get(f"{site.url}/api/v1/projects/ranker/scans", timeout=30)
    assert answer.status_code == 200, answer.text
    return next(s for s in answer.json()["scans"] if s["id"] == scan_id)
