"""Monitoring collector: alert and recording rules, dashboards, alert routing, data and model monitors.

Reads, from the project tree: Prometheus rule files (plain or PrometheusRule
resources), Grafana dashboards, Alertmanager configurations, data/model
monitoring configs (Great Expectations, Evidently, whylogs, NannyML),
Prometheus scrape configs, and from the Python code (``pycode``) the
monitoring libraries that run in the pipeline or serving code (not in tests,
fixtures or type hints only), the Prometheus metrics it exports, and the
managed monitoring jobs it, or a notebook, creates; and, when the portfolio names them,
a live Prometheus (``monitoring.prometheus_url``) and Alertmanager
(``monitoring.alertmanager_url``). Each item about a model is mapped to the ML
Test Score's monitoring concerns (``monitoring_concerns``); one
``monitoring.coverage`` fact per item and concern says where it is. A concern
is *alerted* when an alert covers it and *watched* when anything does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mldebt.collectors.http import DEFAULT_TIMEOUT, ApiClient, ApiError
from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.collectors.monitoring import search
from mldebt.collectors.monitoring.alertmanager import (
    AlertmanagerConfig,
    describe,
    looks_like_alertmanager,
    parse_alertmanager,
)
from mldebt.collectors.monitoring.cache import NOTHING, FileMemo
from mldebt.collectors.monitoring.concerns import CONCERNS, concerns_of, is_ml
from mldebt.collectors.monitoring.configs import LIBRARIES, MonitorConfig, looks_like_config, read_config
from mldebt.collectors.monitoring.grafana import looks_like_dashboard, parse_dashboard
from mldebt.collectors.monitoring.prometheus_api import read_alertmanager, read_prometheus
from mldebt.collectors.monitoring.prometheus_rules import Rule, looks_like_rules, parse_rule_file
from mldebt.collectors.monitoring.pycode import MANAGED, RUNTIME, in_tests, mentioned, might_monitor, read_python
from mldebt.collectors.monitoring.scrape import looks_like_scrape_config, read_scrape_configs
from mldebt.collectors.monitoring.search import CODE_SUFFIXES
from mldebt.collectors.repo import notebooks
from mldebt.collectors.repo.configfiles import ConfigError, read_text, walk

YAML_SUFFIXES = (".yml", ".yaml", ".yml.example", ".yaml.example", ".rules", ".yml.tmpl", ".yaml.tmpl")
ALERT_KINDS = {"alert", "live alert"}
MAX_METRIC_FACTS = 50
MAX_NOTEBOOK_BYTES = 8 * 1024 * 1024


@dataclass
class Item:
    kind: str  # alert, record, panel, config, library, live alert, live record
    name: str
    concerns: list[str]
    ml: bool
    path: str | None = None
    line: int | None = None
    url: str | None = None
    labels: dict[str, str] | None = None


def _keys() -> dict[str, str]:
    keys = {
        "monitoring.rules": "one per rule file: alerts, recording rules, groups, and whether it was templated",
        "monitoring.alerts.count": "alerting rules in the project's rule files",
        "monitoring.alerts.ml_count": "of those, alerts about a model, its inputs or its outputs",
        "monitoring.alerts.with_runbook": "alerting rules with a runbook_url annotation",
        "monitoring.alerts.severities": "alerting rules per severity label",
        "monitoring.recording_rules.count": "recording rules in the project's rule files",
        "monitoring.dashboards": "one per Grafana dashboard: title, panels, queries, datasources",
        "monitoring.dashboards.count": "Grafana dashboards in the project",
        "monitoring.dashboards.panels": "panels over every dashboard",
        "monitoring.alertmanager": "one per Alertmanager configuration: receivers, routes, inhibit rules",
        "monitoring.alertmanager.ml_alerts": "one per alert about a model: the receivers it is routed to",
        "monitoring.alerts_reach_receiver": "every alert about a model is routed to a receiver that reaches someone",
        "monitoring.configs": "one per monitoring config: data or model monitors (GE suite or checkpoint, Evidently, "
        "...), Prometheus scrape configs (prometheus.yml scrape_configs, ServiceMonitor, PodMonitor), and managed "
        "model-monitoring jobs created in code or a notebook (Vertex AI, SageMaker, Azure ML; set_up_in says which)",
        "monitoring.libraries": "monitoring and validation libraries that run in the project's pipeline or serving "
        "code, with the files: not those imported only by tests, fixtures or conftest, or used only in type hints",
        "monitoring.libraries.set_aside": "monitoring and validation libraries imported where they do not count, "
        "per file with why: tests, fixtures, type hints, notebook",
        "monitoring.exported_metrics": f"one per Prometheus metric the project's non-test code creates (at most "
        f"{MAX_METRIC_FACTS}): exporter, kind (Counter, Gauge, Histogram, ...), name when written literally",
        "monitoring.exported_metrics.count": "Prometheus metrics the project's non-test code creates",
        "monitoring.exported_metrics.exposed": "non-test code exposes its metrics (generate_latest, make_asgi_app, "
        "start_http_server, a push gateway, an instrumentator's expose), at the first place it does",
        "monitoring.live.rules": "the live Prometheus: rule groups, alerting and recording rules, rules that fail",
        "monitoring.live.alerts": "alerts pending or firing on the live Prometheus",
        "monitoring.coverage": "one per item and concern: which alert, rule, panel or config covers which concern",
        "monitoring.concerns.alerted": "concerns some alert about a model covers",
        "monitoring.concerns.watched": "concerns some alert, rule, panel or monitor about a model covers",
        "monitoring.unparsed": "(error facts) monitoring files that could not be read",
        "monitoring.live.error": "(error facts) a live Prometheus or Alertmanager could not be read",
    }
    for name, spec in CONCERNS.items():
        keys[f"monitoring.alerted.{name}"] = f"an alert covers: {spec['title']}"
        keys[f"monitoring.watched.{name}"] = f"an alert, rule, panel or monitor covers: {spec['title']}"
    return keys


class MonitoringCollector(Collector):
    name = "monitoring"
    keys = _keys()

    def __init__(self, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        source = snapshot.sources.get("monitoring") or {}
        listed_rules = {p.lstrip("./") for p in source.get("rules") or [] if isinstance(p, str)}
        listed_dashboards = {p.lstrip("./") for p in source.get("dashboards") or [] if isinstance(p, str)}
        items: list[Item] = []
        rules: list[tuple[str, Rule]] = []
        managers: list[AlertmanagerConfig] = []
        libraries: dict[str, list[str]] = {}
        self.set_aside: dict[str, dict[str, str]] = {}
        self.metrics: list[tuple[str, list[Any]]] = []
        self.exposed: tuple[str, int] | None = None
        self.dashboards = self.panels = 0
        self.failed = 0
        listed_files = listed_rules | listed_dashboards
        candidates = [
            rel
            for rel, _ in walk(snapshot.root)
            if rel in listed_files or rel.lower().endswith(YAML_SUFFIXES + (".json", *CODE_SUFFIXES))
        ]
        memo = FileMemo(snapshot, (rel for rel in candidates if rel not in listed_files))
        try:
            code = [rel for rel in candidates if rel not in listed_files and rel.lower().endswith(CODE_SUFFIXES)]
            silent = search.silent(snapshot, code, [rel for rel in code if memo.known(rel) is None])
            yield from self._files(
                snapshot.root,
                candidates,
                memo,
                silent,
                listed_rules,
                listed_dashboards,
                items,
                rules,
                managers,
                libraries,
            )
        finally:
            memo.close()
        for missing in sorted(listed_files - set(candidates)):
            yield self._failure("no such file in the project (listed in the portfolio's monitoring block)", missing)
        items += [
            Item("library", name, list(LIBRARIES[_module(name)][1]), True, files[0])
            for name, files in sorted(libraries.items())
        ]
        yield from self._live(source, items, managers)
        yield from _rule_summary([r for _, r in rules])
        yield Fact("monitoring.dashboards.count", self.dashboards)
        yield Fact("monitoring.dashboards.panels", self.panels)
        yield Fact("monitoring.libraries", {name: sorted(files) for name, files in sorted(libraries.items())})
        yield Fact(
            "monitoring.libraries.set_aside",
            {name: dict(sorted(f.items())) for name, f in sorted(self.set_aside.items())},
        )
        yield from self._exported()
        yield from _routing(items, managers)
        yield from _coverage(items, complete=self.failed == 0)

    def _files(
        self,
        root: Path,
        candidates: list[str],
        memo: FileMemo,
        silent: set[str],
        listed_rules: set[str],
        listed_dashboards: set[str],
        items: list[Item],
        rules: list[tuple[str, Rule]],
        managers: list[AlertmanagerConfig],
        libraries: dict[str, list[str]],
    ) -> Iterator[Fact]:
        """Each candidate file's facts; what a file held (or that it held nothing) is remembered in ``memo``.

        ``silent`` code files name no monitoring library, exporter or job (``search``): they hold nothing, unread.
        """
        for rel in candidates:
            lowered = rel.lower()
            listed = rel in listed_rules or rel in listed_dashboards
            known = None if listed else memo.known(rel)
            if known is None and rel in silent:
                known = NOTHING
                memo.learn(rel, NOTHING)
            if known == NOTHING:
                continue
            if known is not None and lowered.endswith(CODE_SUFFIXES):
                yield from self._python(rel, known, libraries, items)
                continue
            try:
                text = read_text(root, rel, MAX_NOTEBOOK_BYTES) if lowered.endswith(".ipynb") else read_text(root, rel)
            except ConfigError as exc:
                if listed:
                    yield self._failure(f"{exc}", rel, exc.line)
                else:
                    memo.learn(rel, NOTHING)
                continue
            if lowered.endswith(CODE_SUFFIXES):
                outcome = _read_code(rel, text)
                memo.learn(rel, outcome)
                yield from self._python(rel, outcome, libraries, items)
                continue
            if not listed and not _may_hold_evidence(rel, lowered, text):
                memo.learn(rel, NOTHING)
                continue
            try:
                if rel in listed_rules or (lowered.endswith(YAML_SUFFIXES) and looks_like_rules(text)):
                    yield from self._rule_file(rel, text, items, rules)
                elif rel in listed_dashboards or (lowered.endswith(".json") and looks_like_dashboard(text)):
                    dashboard = parse_dashboard(text)
                    self.dashboards += 1
                    self.panels += len(dashboard.panels)
                    yield Fact("monitoring.dashboards", dashboard.summary(), path=rel)
                    context = is_ml(dashboard.title, *(p.title for p in dashboard.panels))
                    items += [
                        Item(
                            "panel",
                            p.title or f"panel at line {p.line}",
                            concerns_of(*_subject(p.text())),
                            context or is_ml(*p.text()),
                            rel,
                            p.line,
                        )
                        for p in dashboard.panels
                    ]
                if lowered.endswith(YAML_SUFFIXES) and looks_like_alertmanager(text):
                    manager = parse_alertmanager(text)
                    managers.append(manager)
                    yield Fact("monitoring.alertmanager", describe(manager), path=rel)
                if lowered.endswith(YAML_SUFFIXES) and looks_like_scrape_config(text):
                    for scrape in read_scrape_configs(rel, text):
                        yield Fact("monitoring.configs", scrape.fact(), path=rel, line=scrape.line)
                if looks_like_config(rel, text):
                    config = read_config(rel, text)
                    if config is not None:
                        yield Fact("monitoring.configs", config.fact(), path=rel, line=config.line)
                        items.append(
                            Item(
                                "config",
                                f"{config.tool} {config.kind} {config.name}",
                                config.concerns,
                                True,
                                rel,
                                config.line,
                            )
                        )
            except ConfigError as exc:
                yield self._failure(str(exc), rel, exc.line)

    def _python(
        self, rel: str, outcome: dict[str, Any], libraries: dict[str, list[str]], items: list[Item]
    ) -> Iterator[Fact]:
        """Fold what one code file does into the project's libraries, metrics and jobs (tests set aside)."""
        notebook = rel.lower().endswith(".ipynb")
        test = in_tests(rel)
        for library, use in (outcome.get("uses") or {}).items():
            if library not in LIBRARIES:
                continue
            if use == RUNTIME and not test and not notebook:
                libraries.setdefault(LIBRARIES[library][0], []).append(rel)
            else:
                why = "tests" if test else "notebook" if notebook else use
                self.set_aside.setdefault(LIBRARIES[library][0], {})[rel] = why
        if test:
            return
        self.metrics += [(rel, m) for m in outcome.get("metrics") or []]
        if outcome.get("exposed") and self.exposed is None:
            self.exposed = (rel, int(outcome["exposed"]))
        for tool, call, line in outcome.get("jobs") or []:
            concerns = MANAGED[call][1] if call in MANAGED else []
            job = MonitorConfig(
                tool,
                "model monitoring job",
                call,
                None if notebook else line,
                concerns,
                {"set_up_in": "notebook" if notebook else "code"},
            )
            yield Fact("monitoring.configs", job.fact(), path=rel, line=job.line)
            if not notebook:  # a job made by hand from a notebook is shown, not counted as watching
                items.append(Item("config", f"{tool} {call}", concerns, True, rel, line))

    def _exported(self) -> Iterator[Fact]:
        for rel, (exporter, kind, name, line) in self.metrics[:MAX_METRIC_FACTS]:
            yield Fact(
                "monitoring.exported_metrics", {"exporter": exporter, "kind": kind, "name": name}, path=rel, line=line
            )
        yield Fact("monitoring.exported_metrics.count", len(self.metrics))
        path, line = self.exposed or (None, None)
        yield Fact("monitoring.exported_metrics.exposed", self.exposed is not None, path=path, line=line)

    def _failure(self, message: str, path: str, line: int | None = None) -> Fact:
        self.failed += 1
        return Fact.failure("monitoring.unparsed", message, path=path, line=line)

    def _rule_file(self, rel: str, text: str, items: list[Item], rules: list[tuple[str, Rule]]) -> Iterator[Fact]:
        parsed = parse_rule_file(text)
        if parsed.problem is not None:
            yield self._failure(
                f"not loadable as written ({parsed.problem}); rules read with its template actions neutralised",
                rel,
                parsed.problem.line,
            )
        alerts = [r for r in parsed.rules if r.kind == "alert"]
        yield Fact(
            "monitoring.rules",
            {
                "alerts": len(alerts),
                "records": len(parsed.rules) - len(alerts),
                "groups": len({r.group for r in parsed.rules}),
                "templated": parsed.templated,
                "ml_alerts": sum(_rule_is_ml(r) for r in alerts),
            },
            path=rel,
        )
        for rule in parsed.rules:
            rules.append((rel, rule))
            items.append(
                Item(
                    rule.kind,
                    rule.name,
                    concerns_of(*_subject(rule.text())),
                    _rule_is_ml(rule),
                    rel,
                    rule.line,
                    labels={**rule.labels, "alertname": rule.name},
                )
            )

    def _live(self, source: dict[str, Any], items: list[Item], managers: list[AlertmanagerConfig]) -> Iterator[Fact]:
        for key, reader in (("prometheus_url", read_prometheus), ("alertmanager_url", read_alertmanager)):
            url = source.get(key)
            if not url:
                continue
            client = None
            try:
                client = ApiClient(str(url), timeout=self.timeout)
                state = reader(client)
            except ApiError as exc:
                self.failed += 1
                yield Fact.failure("monitoring.live.error", str(exc), url=str(url))
                continue
            except Exception as exc:
                self.failed += 1
                yield Fact.failure("monitoring.live.error", f"unexpected reply: {type(exc).__name__}", url=str(url))
                continue
            finally:
                if client is not None:
                    client.session.close()
            if isinstance(state, AlertmanagerConfig):
                managers.append(state)
                yield Fact("monitoring.alertmanager", describe(state), url=str(url))
                continue
            alerts = [r for r in state.rules if r.kind == "alert"]
            yield Fact(
                "monitoring.live.rules",
                {
                    "groups": state.groups,
                    "alerts": len(alerts),
                    "records": len(state.rules) - len(alerts),
                    "unhealthy": sorted({r.name for r in state.rules if r.health == "err"}),
                },
                url=str(url),
            )
            yield Fact("monitoring.live.alerts", state.alerts, url=str(url))
            rules_url = f"{str(url).rstrip('/')}/api/v1/rules"
            items += [
                Item(
                    f"live {r.kind}",
                    r.name,
                    concerns_of(*_subject(r.text())),
                    _rule_is_ml(r),
                    url=rules_url,
                    labels={**r.labels, "alertname": r.name},
                )
                for r in state.rules
            ]


def _read_code(rel: str, text: str) -> dict[str, Any]:
    """What a Python file, or a notebook's code cells, does for monitoring (``pycode``)."""
    if in_tests(rel):  # only which libraries it names matters: set aside, whatever it does with them
        return {**read_python(""), "uses": {library: "tests" for library in mentioned(text)}}
    if not rel.lower().endswith(".ipynb"):
        return read_python(text)
    if not might_monitor(text):
        return read_python("")
    notebook = notebooks.read(rel, text, len(text))
    if isinstance(notebook, Fact):  # not a notebook we can read: the repository collector says so
        return read_python("")
    from mldebt.collectors.code.scan import notebook_code  # the code analyser: loaded when a notebook is read

    uses: dict[str, str] = {}
    jobs = []  # cell by cell: one cell IPython alone can read (x = !cmd) does not hide the others
    for cell in notebook.code:
        if might_monitor(cell):
            outcome = read_python(notebook_code([cell]))
            uses.update({library: use for library, use in outcome["uses"].items() if uses.get(library) != RUNTIME})
            jobs += outcome["jobs"]
    return {**read_python(""), "uses": uses, "jobs": jobs}  # metrics made in a notebook are no service's


def _may_hold_evidence(rel: str, lowered: str, text: str) -> bool:
    """Whether any reader below would look at this YAML or JSON file (the same cheap tests, in one place)."""
    yaml_file = lowered.endswith(YAML_SUFFIXES)
    return (
        (yaml_file and (looks_like_rules(text) or looks_like_alertmanager(text)))
        or (lowered.endswith(".json") and looks_like_dashboard(text))
        or looks_like_config(rel, text)
        or (yaml_file and looks_like_scrape_config(text))
    )


def _module(tool: str) -> str:
    return next(module for module, (name, _) in LIBRARIES.items() if name == tool)


def _subject(parts: tuple[str, ...]) -> tuple[str, ...]:
    """PromQL without its label matchers: ``{model_version="$v"}`` selects, it is not the subject."""
    return tuple(re.sub(r"\{[^{}]*\}", " ", p) for p in parts)


def _rule_is_ml(rule: Rule) -> bool:
    return is_ml(*rule.text()) or is_ml(rule.group)


def _rule_summary(rules: list[Rule]) -> Iterator[Fact]:
    alerts = [r for r in rules if r.kind == "alert"]
    severities: dict[str, int] = {}
    for rule in alerts:
        severity = rule.labels.get("severity", "(none)")
        severities[severity] = severities.get(severity, 0) + 1
    yield Fact("monitoring.alerts.count", len(alerts))
    yield Fact("monitoring.alerts.ml_count", sum(_rule_is_ml(r) for r in alerts))
    yield Fact("monitoring.alerts.with_runbook", sum("runbook_url" in r.annotations for r in alerts))
    yield Fact("monitoring.alerts.severities", dict(sorted(severities.items())))
    yield Fact("monitoring.recording_rules.count", len(rules) - len(alerts))


def _routing(items: list[Item], managers: list[AlertmanagerConfig]) -> Iterator[Fact]:
    ml_alerts = [i for i in items if i.kind in ALERT_KINDS and i.ml]
    if not managers or not ml_alerts:
        return
    reached = True
    for alert in ml_alerts:
        labels = alert.labels or {"alertname": alert.name}
        receivers = sorted({name for m in managers for name in m.route_alert(labels)})
        reaches = any(m.reaches(labels) for m in managers)
        reached = reached and reaches
        yield Fact(
            "monitoring.alertmanager.ml_alerts",
            {"alert": alert.name, "receivers": receivers, "reaches_someone": reaches},
            path=alert.path,
            line=alert.line,
            url=alert.url,
        )
    yield Fact("monitoring.alerts_reach_receiver", reached)


def _coverage(items: list[Item], complete: bool) -> Iterator[Fact]:
    alerted: set[str] = set()
    watched: set[str] = set()
    for item in items:
        if not item.ml:
            continue
        for concern in item.concerns:
            watched.add(concern)
            if item.kind in ALERT_KINDS:
                alerted.add(concern)
            yield Fact(
                "monitoring.coverage",
                {"concern": concern, "kind": item.kind, "name": item.name},
                path=item.path,
                line=item.line,
                url=item.url,
            )
    yield Fact("monitoring.concerns.alerted", sorted(alerted))
    yield Fact("monitoring.concerns.watched", sorted(watched))
    for name in CONCERNS:
        for prefix, found in (("alerted", alerted), ("watched", watched)):
            if name in found or complete:
                yield Fact(f"monitoring.{prefix}.{name}", name in found)
