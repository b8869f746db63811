"""Links to a file at a commit on the forge that hosts a repository, or from a URL template.

A repository's remote (``git@github.com:acme/ranker.git``,
``https://gitlab.example.com/ml/search/ranker.git``,
``ssh://git@bitbucket.org/acme/ranker.git``) names its forge and its path
there. GitHub and GitLab (gitlab.com and hosts named for GitLab) and
Bitbucket Cloud each link a file at a commit in their own way; any other
host, or a layout of one's own, is reached with a ``code_url`` template from
the portfolio, such as
``https://git.example.com/{repo}/blob/{commit}/{path}#L{line}``.

The remote of a local repository is read from its configuration file
copied aside, with includes off, as ``gitlocate.shadow`` reads its object
format: nothing else of the scanned repository's configuration is used. A
user name and password in a remote URL are dropped when it is read, and
never reach the store, a link or an export.
"""

from __future__ import annotations

import re
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from mldebt.errors import InputError
from mldebt.redact import without_credentials
from mldebt.sources.gitlocate import MAX_CONFIG_BYTES, locate, read_small
from mldebt.sources.gitrun import GitError, run

PLACEHOLDERS = {
    "repo": "the repository's path on its host, from its remote (acme/ranker)",
    "project": "the project's name in the portfolio",
    "commit": "the scanned commit (its full id)",
    "path": "the file's path from the top of the repository",
    "line": "the line number (the part after # that holds it is left out when there is no line)",
}
REQUIRED = ("commit", "path")
_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[A-Za-z0-9.-]+):(?!//)(?P<path>.+)$")


@dataclass(frozen=True)
class Remote:
    """Where a repository lives on the web: ``https://{host}/{path}``."""

    scheme: str  # https, or http for a remote given over plain http
    host: str  # with its port when a web URL gave one
    path: str  # acme/ranker, group/subgroup/project: no leading or trailing slash, no .git

    @property
    def forge(self) -> str | None:
        """github, gitlab or bitbucket, from the host's name; None for any other host."""
        name = self.host.split(":")[0].lower()
        if name == "github.com" or name.startswith("github."):
            return "github"
        if name == "gitlab.com" or "gitlab" in name.split("."):
            return "gitlab"
        if name == "bitbucket.org":
            return "bitbucket"
        return None

    def file_link(self, commit: str, path: str, line: int | None) -> str | None:
        """The file at the commit on the forge (at the line, when there is one); None for an unknown forge."""
        web, where = f"{self.scheme}://{self.host}/{self.path}", quote(path, safe="/")
        if self.forge == "github":
            return f"{web}/blob/{commit}/{where}" + (f"#L{line}" if line else "")
        if self.forge == "gitlab":
            return f"{web}/-/blob/{commit}/{where}" + (f"#L{line}" if line else "")
        if self.forge == "bitbucket":
            return f"{web}/src/{commit}/{where}" + (f"#lines-{line}" if line else "")
        return None


def parse_remote(url: str) -> Remote | None:
    """The web home of a git remote (https, http, ssh, git or scp-like ``user@host:path``); None for a local
    path, a file:// URL or anything else that names no host."""
    text = without_credentials(url.strip())
    if text.startswith(("https://", "http://", "ssh://", "git://", "git+ssh://", "ssh+git://")):
        parts = urlsplit(text)
        host = parts.hostname or ""
        scheme = parts.scheme if parts.scheme in ("https", "http") else "https"
        if parts.port and scheme == parts.scheme:  # a web URL's port is the web's; an ssh port is not
            host = f"{host}:{parts.port}"
        path = parts.path
    else:
        match = _SCP_LIKE.match(text)
        if match is None or "/" in match["host"]:
            return None
        scheme, host, path = "https", match["host"], match["path"]
    path = path.strip("/")
    path = path[: -len(".git")] if path.endswith(".git") else path
    path = path.strip("/")
    if not host or not path or ".." in path.split("/"):
        return None
    return Remote(scheme, host.lower(), path)


def code_url_problem(template: str) -> str | None:
    """What is wrong with a ``code_url`` template, or None when it can be filled in."""
    if not template.startswith(("https://", "http://")):
        return "must be an https:// (or http://) URL"
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        return f"is not a valid template ({exc}): write placeholders as {{path}}, and a brace as {{{{ or }}}}"
    known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
    for name, spec, conv in fields:
        if name not in PLACEHOLDERS:
            return f"unknown placeholder {{{name}}}: use {known}"
        if spec or conv:
            return f"placeholder {{{name}}} takes no format or conversion: write it as {{{name}}}"
    missing = [f"{{{p}}}" for p in REQUIRED if p not in {name for name, _, _ in fields}]
    if missing:
        return f"must hold {' and '.join(missing)} to point at a file at the scanned commit"
    return None


def fill(template: str, *, repo: str, project: str, commit: str, path: str, line: int | None) -> str:
    """A ``code_url`` template (valid: ``code_url_problem``) filled in; without a line, a fragment that holds
    ``{line}`` is left out (and ``{line}`` anywhere else is left empty)."""
    if line is None and "#" in template and "{line}" in template.split("#", 1)[1]:
        template = template.split("#", 1)[0]
    values = {
        "repo": quote(repo, safe="/"),
        "project": quote(project, safe=""),
        "commit": quote(commit, safe=""),
        "path": quote(path, safe="/"),
        "line": "" if line is None else str(line),
    }
    return template.format(**values)


def origin_url(folder: Path) -> str | None:
    """The ``origin`` remote of the git repository at ``folder``, without credentials; None when there is none
    (no git, no origin, a configuration that cannot be read)."""
    try:
        where = locate(folder)
    except InputError:
        return None
    if where.common_dir is None:
        return None
    data = read_small(where.common_dir / "config", MAX_CONFIG_BYTES)
    if not data:
        return None
    with tempfile.TemporaryDirectory(prefix="mldebt-remote-") as home:
        copy = Path(home) / "scanned-config"
        copy.write_bytes(data)
        try:
            proc = run(["config", "--file", str(copy), "--no-includes", "--get", "remote.origin.url"], cwd=Path(home))
        except GitError:
            return None
    url = proc.stdout.decode(errors="replace").strip()
    return without_credentials(url) if proc.returncode == 0 and url else None
