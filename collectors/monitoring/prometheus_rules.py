"""Prometheus alerting and recording rules, from rule files and from a live server.

Rule files come in three shapes: a plain rule file (``groups:`` at the top),
a Kubernetes ``PrometheusRule`` resource (``spec.groups``), or a ConfigMap
whose data values are rule files. Files may hold several YAML documents.
Helm and Go templates (``{{ .Namespace }}``) are not YAML; such a file is
reported as not loadable, and its rules are still read from a copy with the
template actions quoted or commented out, line for line, marked ``templated``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mldebt.collectors.repo.configfiles import ConfigError, line_of, load_yaml, load_yaml_all, scalar, scalars

TEMPLATE_VALUE = re.compile(r"^(\s*(?:-\s+)?[^\s#:][^:#]*:\s+|\s*-\s+)(\{\{.*)$")
TEMPLATE_LINE = re.compile(r"^\s*\{\{.*\}\}\s*$")


@dataclass
class Rule:
    kind: str  # "alert" or "record"
    name: str
    expr: str
    group: str
    line: int | None = None
    duration: str | None = None  # the alert's ``for``
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    health: str | None = None  # from a live server: "ok", "err", "unknown"
    state: str | None = None  # from a live server: "inactive", "pending", "firing"

    def text(self) -> tuple[str, ...]:
        """The words that say what the rule watches (descriptions are advice, not subject)."""
        return (
            self.name,
            self.expr,
            self.annotations.get("summary", ""),
            self.annotations.get("SUMMARY", ""),
            self.annotations.get("message", "") if "summary" not in self.annotations else "",
        )


@dataclass
class RuleFile:
    rules: list[Rule]
    templated: bool = False  # read from a copy with template actions neutralised
    problem: ConfigError | None = None  # why the file as written is not loadable YAML


def looks_like_rules(text: str) -> bool:
    """A cheap test before parsing: does this YAML text seem to hold Prometheus rules?"""
    return ("groups:" in text and ("alert:" in text or "record:" in text)) or "kind: PrometheusRule" in text


def detemplate(text: str) -> str:
    """``text`` with Go template actions made harmless for a YAML parser, keeping every line in place."""
    out = []
    for line in text.split("\n"):
        if TEMPLATE_LINE.match(line):
            out.append("#" + line)
            continue
        match = TEMPLATE_VALUE.match(line)
        if match:
            value = match.group(2).replace("'", "''")
            line = f"{match.group(1)}'{value}'"
        out.append(line)
    return "\n".join(out)


def parse_rule_file(text: str) -> RuleFile:
    """Every rule in a rule file's text; raises ConfigError when nothing can be read."""
    try:
        return RuleFile(_rules(load_yaml_all(text)))
    except ConfigError as problem:
        if "{{" not in text:
            raise
        try:
            docs = load_yaml_all(detemplate(text))
        except ConfigError:
            raise problem from None
        return RuleFile(_rules(docs), templated=True, problem=problem)


def _rules(docs: list[Any]) -> list[Rule]:
    rules: list[Rule] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        groups = doc.get("groups")
        if groups is None and isinstance(doc.get("spec"), dict):
            groups = doc["spec"].get("groups")
        if groups is None and doc.get("kind") == "ConfigMap" and isinstance(doc.get("data"), dict):
            for key, value in doc["data"].items():
                if isinstance(value, str) and looks_like_rules(value):
                    try:
                        nested = load_yaml(value)
                    except ConfigError:
                        continue
                    for rule in _rules([nested]):
                        rule.line = line_of(doc["data"], key)
                        rules.append(rule)
            continue
        for group in groups if isinstance(groups, list) else []:
            if isinstance(group, dict):
                rules += group_rules(group, line_of)
    return rules


def group_rules(group: dict[Any, Any], where: Callable[[Any], int | None]) -> list[Rule]:
    """The rules of one group (a file's or a live server's), with their lines when ``where`` knows them."""
    found: list[Rule] = []
    items = group.get("rules")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if "alert" in item or item.get("type") == "alerting":
            kind, name = "alert", item.get("alert", item.get("name"))
        elif "record" in item or item.get("type") == "recording":
            kind, name = "record", item.get("record", item.get("name"))
        else:
            continue
        duration = scalar(item.get("for", item.get("duration")))
        found.append(
            Rule(
                kind=kind,
                name=scalar(name) or "",
                expr=scalar(item.get("expr", item.get("query"))) or "",
                group=scalar(group.get("name")) or "",
                line=where(item),
                duration=duration if duration not in (None, "0") else None,
                labels=scalars(item.get("labels")),
                annotations=scalars(item.get("annotations")),
                health=scalar(item.get("health")),
                state=scalar(item.get("state")),
            )
        )
    return found
