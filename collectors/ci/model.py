"""One shape for every CI provider's pipeline: triggers, jobs and their steps.

Each provider module (``ci_github``, ``ci_gitlab``, ``ci_circleci``,
``ci_azure``, ``ci_jenkins``, ``ci_bitbucket``, ``ci_buildkite``,
``ci_cloudbuild``) turns its file into a ``Pipeline``; the collector in
``ci_config`` only ever reads this shape. A step keeps the shell text it runs,
the shell's options, the action or task it uses, its name and, when its
failure is ignored, why; ``Job.matches`` says what kinds of work the job does
(following make targets, tox envs and scripts when given a ``Follow``), each
match with the line of its command and why its failure cannot fail the build.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from mldebt.collectors.ci.commands import (
    NAME_KINDS,
    Follow,
    Match,
    classify_script,
    coverage_gate,
    kinds_of_name,
    writes_junit,
)
from mldebt.collectors.ci.shell import BASH_E, Shell, commands
from mldebt.collectors.repo.configfiles import line_of

TRIGGERS = ("push", "pull_request", "schedule", "manual", "tag")
# failures ignored by the provider's design rather than by a setting someone chose: reported for checks
# (tests in them cannot fail the build), not as a silenced step of other work
AFTER_SCRIPT = "after_script (its failure does not fail the job)"
AFTER_SCRIPT_BITBUCKET = "after-script (its result never fails the build)"
MANUAL_DEFAULT = "when: manual (allow_failure defaults to true)"
BY_DESIGN = {AFTER_SCRIPT, AFTER_SCRIPT_BITBUCKET, MANUAL_DEFAULT}


@dataclass
class Step:
    line: int | None
    script: str = ""  # shell text the step runs
    action: str | None = None  # action, task or orb command it uses
    action_kinds: frozenset[str] = frozenset()  # what the action does, decided by the provider module
    name: str | None = None
    ignores_failure: str | None = None  # e.g. "continue-on-error: true"
    shell: Shell = BASH_E  # the options the script starts with
    script_line: int | None = None  # the file's line of the script's first line (None: ``line``)
    cwd: str = ""  # working directory, relative to the repository

    def matches(self, follow: Follow | None = None) -> list[Match]:
        """What the step does; each match's ``line`` is the file's line of the command (or of the step)."""
        base = self.script_line if self.script_line is not None else self.line
        found = [
            replace(
                m,
                ignored=self.ignores_failure or m.ignored,
                line=base + m.line if base is not None and m.line is not None else self.line,
            )
            for m in (classify_script(self.script, self.shell, follow=follow, cwd=self.cwd) if self.script else [])
        ]
        found += [
            Match(kind, "action", self.action or "", self.ignores_failure, self.line)
            for kind in sorted(self.action_kinds)
        ]
        if self.name:
            seen = {m.kind for m in found}
            found += [
                Match(kind, "name", self.name, self.ignores_failure, self.line)
                for kind in sorted(kinds_of_name(self.name) & NAME_KINDS - seen)
            ]
        return found

    def commands_run(self) -> list[str]:
        """The step's commands whose failure can fail it."""
        return [c.text for c in commands(self.script, self.shell, self.cwd) if not c.ignored] if self.script else []


@dataclass
class Job:
    name: str
    line: int | None
    steps: list[Step] = field(default_factory=list)
    triggers: set[str] | None = None  # None: the pipeline's triggers
    ignores_failure: str | None = None  # job-level allow_failure / continue-on-error
    needs: list[str] = field(default_factory=list)
    manual: bool = False
    publishes_results: bool = False
    canary: bool = False  # a deployment strategy the provider declares as canary
    allowed_exit_codes: frozenset[int] = frozenset()  # exit statuses that do not fail the job
    allowed_by: str = "allow_failure: exit_codes"  # the setting that allows them, for reasons

    def matches(self, follow: Follow | None = None) -> list[Match]:
        found: list[Match] = []
        for step in self.steps:
            found += [
                replace(m, ignored=self.ignores_failure or m.ignored or self._allowed(m)) for m in step.matches(follow)
            ]
        seen = {m.kind for m in found}
        found += [
            Match(kind, "name", self.name, self.ignores_failure, self.line)
            for kind in sorted(kinds_of_name(self.name) & NAME_KINDS - seen)
        ]
        if self.canary and "canary" not in seen:
            found.append(Match("canary", "action", "deployment strategy: canary", self.ignores_failure, self.line))
        return found

    def _allowed(self, match: Match) -> str | None:
        if match.exit_code in self.allowed_exit_codes:
            codes = ", ".join(str(c) for c in sorted(self.allowed_exit_codes))
            return f"{self.allowed_by} [{codes}] allows exit status {match.exit_code}, which a failure here returns"
        return None

    def script(self) -> str:
        return "\n".join(s.script for s in self.steps if s.script)

    def writes_junit(self) -> bool:
        named = any("junit" in f"{s.name or ''} {s.action or ''}".lower() for s in self.steps)
        return self.publishes_results or named or writes_junit(self.script())

    def silent_steps(self, follow: Follow | None = None) -> list[Step]:
        """Steps whose failure is ignored although they do no recognised kind of work."""
        return [
            s
            for s in self.steps
            if (s.ignores_failure or self.ignores_failure)
            and (s.ignores_failure or self.ignores_failure) not in BY_DESIGN
            and not s.matches(follow)
        ]

    def coverage_gate(self, follow: Follow | None = None) -> float | None:
        """The lowest --cov-fail-under among commands whose failure fails the job (reached ones included)."""
        if self.ignores_failure:
            return None
        texts = [t for s in self.steps if not s.ignores_failure for t in s.commands_run()]
        texts += [m.chain[-1][0] for m in self.matches(follow) if m.chain and not m.ignored]
        return coverage_gate(texts)


@dataclass
class Pipeline:
    provider: str
    path: str
    triggers: dict[str, int | None] = field(default_factory=dict)  # trigger -> line (None: implicit)
    schedules: list[str] = field(default_factory=list)  # cron expressions
    jobs: list[Job] = field(default_factory=list)
    notes: list[tuple[str, int | None]] = field(default_factory=list)  # parts not followed (includes, templates)
    triggers_known: bool = True  # False: what starts the pipeline is set outside the file (Cloud Build triggers)

    def job_triggers(self, job: Job) -> set[str]:
        return set(self.triggers) if job.triggers is None else job.triggers


class PipelineError(Exception):
    """The file is not a pipeline of the provider it was read as; ``line`` when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


Parser = Callable[[str, str], Pipeline]  # (text, path) -> Pipeline; raises ConfigError or PipelineError


def text_of(value: Any, budget: int = 2000) -> str:
    """A script value (string or list of strings, possibly nested) as shell text.

    At most ``budget`` strings are read, so YAML aliases nesting lists in lists
    (a "billion laughs") cannot make this explode.
    """
    parts: list[str] = []
    stack = [value]
    while stack and len(parts) < budget:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, list):
            stack.extend(reversed(item[:budget]))
            budget -= 1
    return "\n".join(parts)


LITERAL = re.compile(r"^\$\{\{\s*(.*?)\s*\}\}$", re.S)


def _literal(value: Any) -> str | None:
    """A setting's text, with a GitHub expression made only of a literal (``${{ true }}``) read as that literal."""
    if isinstance(value, bool):
        return str(value).lower()
    if not isinstance(value, str):
        return None
    text = value.strip()
    expression = LITERAL.match(text)
    if expression:
        text = expression.group(1).strip().strip("'\"")
    return text.lower()


def is_true(value: Any) -> bool:
    """``true``, ``"true"`` or an expression that is literally true (``${{ true }}``, ``${{ 'true' }}``)."""
    return _literal(value) == "true"


def is_false(value: Any) -> bool:
    """``false`` or an expression that is literally false: a condition that never holds."""
    return _literal(value) == "false"


def script_line(entry: Any, key: str, script: str) -> int | None:
    """The file's line of a script's first line: the key's own line, or the next one for a block (``run: |``)."""
    value = entry.get(key) if isinstance(entry, dict) else None
    if isinstance(value, list):
        return line_of(value) or line_of(entry, key)  # a list's items start where its first item is
    line = line_of(entry, key)
    return None if line is None else line + (1 if "\n" in script.strip("\n") or script.endswith("\n") else 0)


def folder_of(path: str | None) -> str:
    """A working-directory setting as a repository-relative folder ("" for the root or anything not in the tree)."""
    path = (path or "").strip().removeprefix("./").rstrip("/")
    return "" if path in (".", "") or path.startswith(("$", "/", "~")) else path
