"""Grafana dashboards (JSON): their panels, the queries behind each panel, and panel alerts.

Handles today's layout (``panels``, with ``row`` panels holding more panels),
the legacy one (``rows[].panels``, schemaVersion < 16) and the API export that
wraps the dashboard in ``{"dashboard": ...}``. A query is PromQL when it sits in
``expr``, SQL in ``rawSql``/``rawQuery``, and otherwise whatever the datasource
speaks (``query``, ``target``); every panel keeps the line it starts on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mldebt.collectors.repo.configfiles import ConfigError, line_of, load_json, mapping, sequence

QUERY_FIELDS = (("expr", "promql"), ("rawSql", "sql"), ("rawQuery", "sql"), ("query", "other"), ("target", "other"))


@dataclass
class Panel:
    title: str
    type: str
    line: int | None
    queries: list[tuple[str, str]] = field(default_factory=list)  # (language, query)
    description: str = ""
    has_alert: bool = False
    datasource: str | None = None

    def text(self) -> tuple[str, ...]:
        return (self.title, self.description, *(q for _, q in self.queries))


@dataclass
class Dashboard:
    title: str
    schema_version: int | None
    panels: list[Panel]
    variables: list[str]
    rows: int = 0  # row panels (and legacy rows) that only group other panels

    def summary(self) -> dict[str, Any]:
        queries = [q for p in self.panels for q in p.queries]
        return {
            "title": self.title,
            "schema_version": self.schema_version,
            "panels": len(self.panels),
            "rows": self.rows,
            "queries": len(queries),
            "promql": sum(lang == "promql" for lang, _ in queries),
            "datasources": sorted({p.datasource for p in self.panels if p.datasource}),
            "alerts": sum(p.has_alert for p in self.panels),
            "variables": self.variables,
        }


def looks_like_dashboard(text: str) -> bool:
    return ('"panels"' in text or '"rows"' in text) and ('"schemaVersion"' in text or '"title"' in text)


def parse_dashboard(text: str) -> Dashboard:
    """The dashboard in ``text``; raises ConfigError when it is not JSON or not a dashboard."""
    data = load_json(text)
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    if not isinstance(data, dict) or not isinstance(data.get("panels", data.get("rows")), list):
        raise ConfigError("not a Grafana dashboard: no 'panels' or 'rows' list", line_of(data, default=1))
    panels: list[Panel] = []
    rows = [0]
    for row in sequence(data.get("rows")):
        if isinstance(row, dict):
            rows[0] += 1
            _panels(row.get("panels"), panels, 0, rows)
    _panels(data.get("panels"), panels, 0, rows)
    listed = sequence(mapping(data.get("templating")).get("list"))
    variables = [str(v.get("name")) for v in listed if isinstance(v, dict) and v.get("name")]
    version = data.get("schemaVersion")
    return Dashboard(
        title=str(data.get("title") or ""),
        schema_version=version if isinstance(version, int) else None,
        panels=panels,
        variables=variables,
        rows=rows[0],
    )


def _datasource(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("type") or value.get("uid")
    return str(value) if value else None


def _panels(items: Any, out: list[Panel], depth: int, rows: list[int]) -> None:
    if not isinstance(items, list) or depth > 5:
        return
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "row" or "panels" in item:
            _panels(item.get("panels"), out, depth + 1, rows)
            if item.get("type") == "row":
                rows[0] += 1
                continue
        panel = Panel(
            title=str(item.get("title") or ""),
            type=str(item.get("type") or ""),
            line=line_of(item),
            description=str(item.get("description") or ""),
            has_alert=isinstance(item.get("alert"), dict),
            datasource=_datasource(item.get("datasource")),
        )
        targets = item.get("targets")
        for target in targets if isinstance(targets, list) else []:
            if not isinstance(target, dict) or target.get("hide") is True:
                continue
            for key, language in QUERY_FIELDS:
                if isinstance(target.get(key), str) and target[key].strip():
                    panel.queries.append((language, target[key]))
                    break
            panel.datasource = panel.datasource or _datasource(target.get("datasource"))
        out.append(panel)
