"""What a Python file (or a notebook's code) does for monitoring, read with ``ast``, never imported or run.

Three things, in one walk of the tree:

- the monitoring and validation libraries it imports (``configs.LIBRARIES``),
  and how it uses each: at run time, only in type hints (annotations, imports
  under ``if TYPE_CHECKING:``), or only inside pytest fixtures. A pandera
  ``DataFrame[Schema]`` annotation validates nothing unless something runs the
  check; ``@pa.check_types`` or ``Schema.validate(df)`` do;
- the Prometheus metrics it creates (``Counter``, ``Gauge``, ``Histogram``,
  ``Summary``, ``Info``, ``Enum`` of ``prometheus_client``; the HTTP metrics of
  an instrumentation middleware) and whether it exposes them (``generate_latest``,
  ``make_asgi_app``, ``start_http_server``, a push to a gateway, ``.expose(app)``);
- the managed model-monitoring jobs it creates (a Vertex AI
  ``ModelDeploymentMonitoringJob``, a SageMaker monitoring schedule, an Azure
  ML ``MonitorSchedule``).

The outcome depends only on the text, so the collector caches it by blob id;
whether the file is a test is decided from its path, outside the cache.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from mldebt.collectors.monitoring.configs import LIBRARIES

# exporter module -> (what creates metrics, what exposes them); "expose" names a method call
EXPORTERS: dict[str, tuple[set[str], set[str]]] = {
    "prometheus_client": (
        {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"},
        {
            "generate_latest",
            "make_asgi_app",
            "make_wsgi_app",
            "start_http_server",
            "start_wsgi_server",
            "push_to_gateway",
            "pushadd_to_gateway",
            "write_to_textfile",
        },
    ),
    "prometheus_fastapi_instrumentator": ({"Instrumentator"}, {"expose"}),
    "starlette_exporter": ({"PrometheusMiddleware"}, {"handle_metrics"}),
    "prometheus_flask_exporter": ({"PrometheusMetrics"}, {"PrometheusMetrics"}),  # serves /metrics itself
}
# the call that creates a managed monitoring job -> (tool, concerns it watches)
MANAGED: dict[str, tuple[str, list[str]]] = {
    "ModelDeploymentMonitoringJob": ("vertex-ai", ["training_serving_skew"]),
    "create_monitoring_schedule": ("sagemaker", ["training_serving_skew", "data_invariants"]),
    "MonitorSchedule": ("azure-ml", ["training_serving_skew"]),
}
NAMES = (*LIBRARIES, *EXPORTERS, *MANAGED)
RUNTIME, HINTS, FIXTURES = "runtime", "type hints", "fixtures"
TEST_NAME = re.compile(r"^(test_.*|.*_tests?|conftest|fixtures?|.*_fixtures?)\.(py|ipynb)$")
TEST_FOLDERS = {"tests", "test", "testing", "fixtures", "__tests__"}


def in_tests(rel: str) -> bool:
    """Test code, whatever it holds: test modules, conftest.py, fixtures, anything in a tests folder."""
    parts = rel.split("/")
    return bool(TEST_NAME.match(parts[-1])) or any(p in TEST_FOLDERS for p in parts[:-1])


def might_monitor(text: str) -> bool:
    """A cheap test before parsing: the text names a library, an exporter or a managed job, as a whole word."""
    return any(_as_word(text, name) for name in NAMES)


def mentioned(text: str) -> list[str]:
    """The monitoring libraries ``text`` names as whole words (test code is not parsed, only looked over)."""
    return [name for name in LIBRARIES if _as_word(text, name)]


def _as_word(text: str, name: str) -> bool:
    """``name`` occurs in ``text`` between non-word characters.

    Substring searches with a look at each hit's neighbours: much faster than
    one regular expression of alternatives over a large file.
    """
    at = text.find(name)
    while at != -1:
        end = at + len(name)
        if (at == 0 or not _word(text[at - 1])) and (end == len(text) or not _word(text[end])):
            return True
        at = text.find(name, end)
    return False


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def read_python(text: str) -> dict[str, Any]:
    """What ``text`` does for monitoring, JSON-able (empty when it does not parse).

    ``uses``: {library: runtime | type hints | fixtures}; ``metrics``: [[exporter, kind, name, line]];
    ``exposed``: the line exposing them, or None; ``jobs``: [[tool, call, line]].
    """
    empty: dict[str, Any] = {"uses": {}, "metrics": [], "exposed": None, "jobs": []}
    if not might_monitor(text):
        return empty
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return empty
    return _Reader(tree).outcome()


class _Reader:
    def __init__(self, tree: ast.Module) -> None:
        self.nodes = list(ast.walk(tree))
        self.hints: set[int] = set()  # ids of nodes inside annotations or TYPE_CHECKING blocks
        self.fixtures: set[int] = set()  # ids of nodes inside pytest fixtures
        self.bound: dict[str, tuple[str, str]] = {}  # local name -> (monitoring library, where it was imported)
        self.star: dict[str, str] = {}  # library imported with * -> where
        self.exporters: dict[str, tuple[str, str | None]] = {}  # local name -> (exporter module, member or None)

    def outcome(self) -> dict[str, Any]:
        """How each library is used: the strongest use of any name bound to it.

        A name never used counts where it was imported (an import in running
        code is the library in that code); one used only in annotations counts
        as type hints, even when imported at run time.
        """
        self._regions()
        self._imports()
        used: dict[str, str] = {}
        for node in self.nodes:
            if isinstance(node, ast.Name) and node.id in self.bound:
                used[node.id] = _stronger(used.get(node.id, HINTS), self._where(node))
        uses = dict(self.star)
        for local, (library, imported) in self.bound.items():
            uses[library] = _stronger(uses.get(library, HINTS), used.get(local, imported))
        metrics, exposed, jobs = self._calls()
        return {"uses": dict(sorted(uses.items())), "metrics": metrics, "exposed": exposed, "jobs": jobs}

    def _where(self, node: ast.AST) -> str:
        return FIXTURES if id(node) in self.fixtures else HINTS if id(node) in self.hints else RUNTIME

    def _mark(self, root: ast.AST | None, into: set[int]) -> None:
        if root is not None:
            into.update(id(n) for n in ast.walk(root))

    def _regions(self) -> None:
        for node in self.nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._mark(node.returns, self.hints)
                arguments = node.args
                for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                    self._mark(arg.annotation, self.hints)
                for extra in (arguments.vararg, arguments.kwarg):
                    self._mark(extra.annotation if extra else None, self.hints)
                if any(_is_fixture(d) for d in node.decorator_list):
                    self._mark(node, self.fixtures)
            elif isinstance(node, ast.AnnAssign):
                self._mark(node.annotation, self.hints)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                for statement in node.body:
                    self._mark(statement, self.hints)

    def _imports(self) -> None:
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self._bind(alias.name, alias.asname or alias.name.split(".")[0], None, node)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self._bind(node.module, alias.asname or alias.name, alias.name, node)

    def _bind(self, module: str, local: str, member: str | None, node: ast.AST) -> None:
        root = module.split(".")[0]
        where = self._where(node)
        if root in LIBRARIES:
            if member == "*":
                self.star[root] = _stronger(self.star.get(root, HINTS), where)
            else:
                previous = self.bound.get(local)
                self.bound[local] = (root, _stronger(previous[1], where) if previous else where)
        if root in EXPORTERS and member != "*" and where == RUNTIME:
            self.exporters[local] = (root, member)

    def _calls(self) -> tuple[list[list[Any]], int | None, list[list[Any]]]:
        metrics: list[list[Any]] = []
        exposed: int | None = None
        jobs: list[list[Any]] = []
        for node in self.nodes:
            if not isinstance(node, ast.Call) or self._where(node) != RUNTIME:
                continue
            name = _last_name(node.func)
            if name in MANAGED:
                jobs.append([MANAGED[name][0], name, node.lineno])
            origin = self._exporter(node.func)
            if origin is None:
                if name == "expose" and any(
                    m == "prometheus_fastapi_instrumentator" for m, _ in self.exporters.values()
                ):
                    exposed = exposed or node.lineno
                continue
            module, member = origin
            makes, exposes = EXPORTERS[module]
            if member in makes:
                metrics.append([module, member, _metric_name(node), node.lineno])
            if member in exposes:
                exposed = exposed or node.lineno
        return sorted(metrics, key=lambda m: m[3]), exposed, sorted(jobs, key=lambda j: j[2])

    def _exporter(self, func: ast.expr) -> tuple[str, str] | None:
        """(exporter module, member) a call's function resolves to through the file's imports."""
        if isinstance(func, ast.Name) and func.id in self.exporters:
            module, member = self.exporters[func.id]
            return (module, member) if member else None
        if isinstance(func, ast.Attribute):
            parts = []
            current: ast.expr = func
            while isinstance(current, ast.Attribute):
                parts.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name) and current.id in self.exporters:
                module, member = self.exporters[current.id]
                return (module, parts[0]) if member is None else None
        return None


def _stronger(first: str, second: str) -> str:
    order = (HINTS, FIXTURES, RUNTIME)
    return max(first, second, key=order.index)


def _last_name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return _last_name(target) in ("fixture", "yield_fixture")


def _is_type_checking(test: ast.expr) -> bool:
    return _last_name(test) == "TYPE_CHECKING"


def _metric_name(call: ast.Call) -> str | None:
    value = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "name"), None)
    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
