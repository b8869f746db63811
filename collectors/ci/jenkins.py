"""Declarative Jenkinsfiles as a ``Pipeline``, parsed (never run) with tree-sitter's Groovy grammar.

Each ``stage('name') { steps { ... } }`` with steps becomes a job; nested
``parallel``, ``stages`` and ``matrix`` blocks are followed. Shell steps are
``sh``, ``bat``, ``powershell`` and ``pwsh`` calls with a string argument or a
``script:`` argument; ``returnStatus: true``, an enclosing ``warnError`` and a
``catchError`` whose ``buildResult`` is SUCCESS, UNSTABLE or null mean the step
cannot fail the build (``catchError``'s default result is FAILURE). ``triggers { cron(...) }``
schedules the pipeline; ``when { changeRequest() }`` runs a stage on pull
requests. Jenkins builds on push (SCM webhooks) by default. ``sh`` runs
``sh -xe``; ``bat`` and ``powershell`` stop at no failing command.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from mldebt.collectors.ci.model import Job, Pipeline, PipelineError, Step
from mldebt.collectors.ci.shell import Shell

if TYPE_CHECKING:
    import tree_sitter

CALLS = ("method_invocation", "juxt_function_call")
SHELL_STEPS = {"sh", "bat", "powershell", "pwsh"}
STRINGS = ("string_literal", "character_literal")
MAX_DEPTH = 200
SH = Shell(True, False, "Jenkins' sh -xe")


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    """The Groovy parser, loaded on first use (a missing grammar fails Jenkinsfiles only)."""
    import tree_sitter
    import tree_sitter_groovy

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_groovy.language()))


def parse(text: str, path: str) -> Pipeline:
    source = text.encode("utf-8")
    try:
        parser = _parser()
    except ImportError as exc:
        raise PipelineError(f"cannot parse Groovy: {exc.name} is not installed") from None
    tree = parser.parse(source)
    jenkins = _Reader(source)
    root = tree.root_node
    block = next((body for name, _, body in jenkins.calls(root) if name == "pipeline" and body is not None), None)
    pipeline = Pipeline("jenkins", path, triggers={"push": None})
    if root.has_error:
        bad = _first_error(root)
        pipeline.notes.append(
            (
                "Groovy syntax error: the rest of the file may be read incompletely",
                bad.start_point[0] + 1 if bad else None,
            )
        )
    if block is None:
        if not any(name == "stage" for name, _, _ in jenkins.walk_calls(root)):
            raise PipelineError("not a Jenkins pipeline: no 'pipeline { }' block and no stages", 1)
        block = root  # a scripted pipeline: read its stages all the same
    for name, _, body in jenkins.calls(block):
        if name == "triggers" and body is not None:
            for trigger, tnode, _ in jenkins.calls(body):
                line = tnode.start_point[0] + 1
                if trigger in ("cron", "parameterizedCron"):
                    pipeline.triggers.setdefault("schedule", line)
                    pipeline.schedules += jenkins.strings(tnode)[:1]
                elif trigger == "pollSCM":
                    pipeline.triggers["push"] = line
                else:
                    pipeline.triggers.setdefault(trigger, line)
    for stage_name, node, body in jenkins.stages(block, 0):
        job = Job(name=stage_name, line=node.start_point[0] + 1)
        when = next((b for n, _, b in jenkins.calls(body) if n == "when" and b is not None), None)
        if when is not None:
            conditions = {n for n, _, _ in jenkins.walk_calls(when)}
            job.triggers = set()
            if "changeRequest" in conditions:
                job.triggers.add("pull_request")
            if conditions & {"branch", "environment", "expression", "not", "anyOf", "allOf"}:
                job.triggers.add("push")
            if "tag" in conditions or "buildingTag" in conditions:
                job.triggers.add("tag")
            if "triggeredBy" in conditions:
                job.triggers.add("schedule")
            job.triggers = job.triggers or None
        steps = next((b for n, _, b in jenkins.calls(body) if n == "steps" and b is not None), None)
        if steps is not None:
            jenkins.shell_steps(steps, job, None, 0)
        if job.steps or job.publishes_results:
            pipeline.jobs.append(job)
        for trigger in job.triggers or ():
            pipeline.triggers.setdefault(trigger, job.line)
    post = next((b for n, _, b in jenkins.calls(block) if n == "post" and b is not None), None)
    if post is not None:
        job = Job(name="post", line=post.start_point[0] + 1)
        jenkins.shell_steps(post, job, None, 0)
        if job.steps or job.publishes_results:
            pipeline.jobs.append(job)
    return pipeline


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            return current
        stack.extend(reversed(current.children))
    return None


class _Reader:
    """Walks the Groovy syntax tree for calls, their closures and their string arguments."""

    def __init__(self, source: bytes) -> None:
        self.source = source

    def text(self, node: tree_sitter.Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def calls(self, node: tree_sitter.Node) -> Iterator[tuple[str, tree_sitter.Node, tree_sitter.Node | None]]:
        """Calls directly inside ``node`` (looking through expression statements): (name, call, closure)."""
        for child in node.children:
            if child.type == "expression_statement":
                yield from self.calls(child)
            elif child.type in CALLS:
                name = next((c for c in child.children if c.type == "identifier"), None)
                body = next((c for c in child.children if c.type == "closure"), None)
                if name is not None:
                    yield self.text(name), child, body

    def walk_calls(self, node: tree_sitter.Node) -> Iterator[tuple[str, tree_sitter.Node, tree_sitter.Node | None]]:
        """Every call anywhere below ``node``."""
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type in CALLS:
                name = next((c for c in current.children if c.type == "identifier"), None)
                body = next((c for c in current.children if c.type == "closure"), None)
                if name is not None:
                    yield self.text(name), current, body
            stack.extend(reversed(current.children))

    def strings(self, node: tree_sitter.Node, key: str | None = None) -> list[str]:
        """String literals in a call's arguments (only the ``key:`` argument's when given)."""
        args = next((c for c in node.children if c.type == "argument_list"), None)
        if args is None:
            return []
        found: list[str] = []
        for child in args.children:
            if child.type == "map_item":
                label = next((c for c in child.children if c.type == "identifier"), None)
                if key is not None and label is not None and self.text(label) == key:
                    found += [self._unquote(c) for c in child.children if c.type in STRINGS]
            elif child.type in STRINGS and key is None:
                found.append(self._unquote(child))
        return found

    def flag(self, node: tree_sitter.Node, key: str, value: str = "true") -> bool:
        args = next((c for c in node.children if c.type == "argument_list"), None)
        for child in args.children if args is not None else []:
            if child.type == "map_item" and self.text(child).replace(" ", "").startswith(f"{key}:{value}"):
                return True
        return False

    def _unquote(self, node: tree_sitter.Node) -> str:
        raw = self.text(node)
        for quote in ("'''", '"""', "'", '"'):
            if raw.startswith(quote) and raw.endswith(quote) and len(raw) >= 2 * len(quote):
                return raw[len(quote) : -len(quote)]
        return raw

    def stages(self, node: tree_sitter.Node, depth: int) -> Iterator[tuple[str, tree_sitter.Node, tree_sitter.Node]]:
        """Every stage with a body below ``node``, through stages/parallel/matrix blocks."""
        if depth > MAX_DEPTH:
            return
        for name, call, body in self.calls(node):
            if body is None:
                continue
            if name == "stage":
                label = (self.strings(call) or ["stage"])[0]
                yield label, call, body
                yield from self.stages(body, depth + 1)
            elif name in ("stages", "parallel", "matrix", "script", "node", "timeout", "withEnv", "dir"):
                yield from self.stages(body, depth + 1)

    def _swallows(self, name: str, call: tree_sitter.Node) -> str | None:
        """Why a block's failures cannot fail the build: ``warnError`` (unstable), or a ``catchError``
        whose ``buildResult`` is SUCCESS, UNSTABLE or null (its default, FAILURE, still fails the build)."""
        if name == "warnError":
            return "warnError { }"
        if name != "catchError":
            return None
        result = self.strings(call, "buildResult")
        if result and result[0].upper() in ("SUCCESS", "UNSTABLE"):
            return f"catchError(buildResult: '{result[0]}') {{ }}"
        if self.flag(call, "buildResult", "null"):
            return "catchError(buildResult: null) { }"
        return None

    def shell_steps(self, node: tree_sitter.Node, job: Job, swallowed: str | None, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        for child in node.children:
            if child.type in CALLS:
                name_node = next((c for c in child.children if c.type == "identifier"), None)
                name = self.text(name_node) if name_node is not None else ""
                body = next((c for c in child.children if c.type == "closure"), None)
                if name in SHELL_STEPS:
                    script = "\n".join(self.strings(child) + self.strings(child, "script"))
                    ignored = swallowed or ("returnStatus: true" if self.flag(child, "returnStatus") else None)
                    label = self.strings(child, "label")
                    job.steps.append(
                        Step(
                            line=child.start_point[0] + 1,
                            script=script,
                            ignores_failure=ignored,
                            name=label[0] if label else None,
                            shell=SH if name == "sh" else Shell(False, False, name),
                        )
                    )
                    continue
                if name in ("junit", "xunit"):
                    job.publishes_results = True
                if name == "stage":
                    continue
                if body is not None:
                    self.shell_steps(body, job, swallowed or self._swallows(name, child), depth + 1)
                    continue
            self.shell_steps(child, job, swallowed, depth + 1)
