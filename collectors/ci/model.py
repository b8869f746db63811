"""One shape for every CI provider's pipeline: triggers, jobs and their steps.

Each provider module (``ci_github``, ``ci_gitlab``, ``ci_circleci``,
``ci_azure``, ``ci_jenkins``) turns its file into a ``Pipeline``; the
collector in ``ci_config`` only ever reads this shape. A step keeps the shell
text it runs, the action or task it uses, its name and, when its failure is
ignored, why; ``Job.matches`` says what kinds of work the job does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mldebt.collectors.ci.commands import NAME_KINDS, Match, classify_script, coverage_gate, kinds_of_name, writes_junit

TRIGGERS = ("push", "pull_request", "schedule", "manual", "tag")


@dataclass
class Step:
    line: int | None
    script: str = ""  # shell text the step runs
    action: str | None = None  # action, task or orb command it uses
    action_kinds: frozenset[str] = frozenset()  # what the action does, decided by the provider module
    name: str | None = None
    ignores_failure: str | None = None  # e.g. "continue-on-error: true"

    def matches(self) -> list[Match]:
        found = (
            [Match(m.kind, m.via, m.text, self.ignores_failure or m.ignored) for m in classify_script(self.script)]
            if self.script
            else []
        )
        found += [Match(kind, "action", self.action or "", self.ignores_failure) for kind in sorted(self.action_kinds)]
        if self.name:
            seen = {m.kind for m in found}
            found += [
                Match(kind, "name", self.name, self.ignores_failure)
                for kind in sorted(kinds_of_name(self.name) & NAME_KINDS - seen)
            ]
        return found


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

    def matches(self) -> list[Match]:
        found: list[Match] = []
        for step in self.steps:
            found += [Match(m.kind, m.via, m.text, self.ignores_failure or m.ignored) for m in step.matches()]
        seen = {m.kind for m in found}
        found += [
            Match(kind, "name", self.name, self.ignores_failure)
            for kind in sorted(kinds_of_name(self.name) & NAME_KINDS - seen)
        ]
        if self.canary and "canary" not in seen:
            found.append(Match("canary", "action", "deployment strategy: canary", self.ignores_failure))
        return found

    def script(self) -> str:
        return "\n".join(s.script for s in self.steps if s.script)

    def writes_junit(self) -> bool:
        named = any("junit" in f"{s.name or ''} {s.action or ''}".lower() for s in self.steps)
        return self.publishes_results or named or writes_junit(self.script())

    def silent_steps(self) -> list[Step]:
        """Steps whose failure is ignored although they do no recognised kind of work."""
        return [s for s in self.steps if (s.ignores_failure or self.ignores_failure) and not s.matches()]

    def coverage_gate(self) -> float | None:
        return coverage_gate(self.script())


@dataclass
class Pipeline:
    provider: str
    path: str
    triggers: dict[str, int | None] = field(default_factory=dict)  # trigger -> line (None: implicit)
    schedules: list[str] = field(default_factory=list)  # cron expressions
    jobs: list[Job] = field(default_factory=list)
    notes: list[tuple[str, int | None]] = field(default_factory=list)  # parts not followed (includes, templates)

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


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")
