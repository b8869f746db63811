"""Repositories, portfolios and rubrics the tests build, and what they read back from a store."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import sqlite_utils

from mldebt.collectors.code import patterns
from mldebt.collectors.code import tree as tree_module
from mldebt.collectors.code import visit as visit_module

from .conftest import ROOT, git, write_files

SCALE_RUBRIC = Path(__file__).parent / "data" / "rubric-scale.yaml"
REPORT_RUBRIC = Path(__file__).parent / "data" / "rubric-report.yaml"


def build_portfolio(tmp_path: Path, projects: int, modules: int = 30, broken: set[int] = frozenset()) -> Path:
    """``projects`` real repositories with one commit each; a ``broken`` one names a sub-path absent from its commit."""
    lines = ["portfolio: parallel test", "teams:", "  - name: Team A", "    id: a", "    projects:"]
    for i in range(projects):
        repo = tmp_path / f"repo{i}"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        write_files(
            repo, {f"pkg/mod{j}.py": f"def f{j}_{i}(x):\n    return x + {j}  # TODO {i}\n" * 10 for j in range(modules)}
        )
        write_files(repo, {"tests/test_a.py": "def test_a():\n    pass\n", "requirements.txt": "numpy==1.26.4\n"})
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "c", date="2026-01-01T00:00:00+00:00")
        lines += [f"      - name: p{i}", f"        repo: repo{i}"]
        if i in broken:
            (repo / "uncommitted").mkdir()
            lines.append("        subpath: uncommitted")
    path = tmp_path / "portfolio.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def scan_counts(db_path: Path) -> dict[str, int]:
    db = sqlite_utils.Database(db_path)
    try:
        return {r["project_id"]: r["n"] for r in db.query("select project_id, count(*) as n from scans group by 1")}
    finally:
        db.close()


def evidence(db_path: Path) -> dict[str, set[tuple]]:
    """Each project's facts, without ids: what a pool and a single process must agree on."""
    db = sqlite_utils.Database(db_path)
    found: dict[str, set[tuple]] = {}
    for r in db.query(
        "select s.project_id, e.key, e.value, e.collector, e.path, e.line, e.url, e.error "
        "from evidence e join scans s on s.id = e.scan_id"
    ):
        found.setdefault(r.pop("project_id"), set()).add(tuple(r.values()))
    db.close()
    return found


def assert_consistent(db_path: Path, checks: int) -> int:
    db = sqlite_utils.Database(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    scans = list(db.query("select id, fact_count from scans"))
    for scan in scans:
        evidence = db.execute("select count(*) from evidence where scan_id = ?", [scan["id"]]).fetchone()[0]
        results = db.execute("select count(*) from results where scan_id = ?", [scan["id"]]).fetchone()[0]
        scores = db.execute("select count(*) from scores where scan_id = ?", [scan["id"]]).fetchone()[0]
        assert evidence == scan["fact_count"] and results == checks and scores > 0, scan
    for table in ("evidence", "results", "scores"):
        orphans = db.execute(f"select count(*) from {table} where scan_id not in (select id from scans)").fetchone()[0]
        assert orphans == 0, table
    db.close()
    return len(scans)


def small_portfolio(tmp_path: Path, index: int, projects: int = 2) -> Path:
    """A portfolio of its own for collector ``index``: ``projects`` small repositories."""
    lines = ["portfolio: concurrency", "teams:", f"  - name: T{index}", "    projects:"]
    for j in range(projects):
        repo = tmp_path / f"repo{index}-{j}"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        write_files(repo, {f"pkg/m{k}.py": f"def f{k}(x):\n    return x + {k}\n" for k in range(20)})
        write_files(
            repo, {"tests/test_m.py": "def test_m():\n    assert True\n", "requirements.txt": "numpy==1.26.4\n"}
        )
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "c", date="2026-01-01T00:00:00+00:00")
        lines += [f"      - name: c{index}-{j}", f"        repo: {repo}"]
    path = tmp_path / f"portfolio{index}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


SMALL_PROJECT = {
    "README.md": "# small\n",
    "train.py": "import pandas as pd\n\n\ndef train(df):\n    return df.mean()  # TODO: a real model\n",
    "tests/test_train.py": "def test_train():\n    assert True\n\n\nclass TestMore:\n    def test_x(self):\n        pass\n",
    "requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\n",
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
}


SARIF_RUBRIC = f"""\
rubric: sarif-tests
version: "1"
extends: {ROOT / "tests" / "data" / "rubric-report.yaml"}
checks:
  - id: debt-markers
    title: Few debt markers are left in the code
    category: anti-patterns
    weight: 1
    effort_hours: 2
    automated: repo.debt_markers.count == 0
    manual: repo.debt_markers.count < 5
    why: TODO and FIXME markers are debt someone noticed and left.
    fix: Turn each marker into a tracked item or resolve it.
"""


def python_sources(*folders: str) -> list[tuple[str, str]]:
    """The checkout's own Python files under ``folders`` that parse, as (path from the checkout, text), sorted:
    real code of every kind for a shortcut to be held to its plain definition."""
    files = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text(errors="replace")
            try:
                ast.parse(text)
            except SyntaxError:  # a file being edited: what it finds is not what these tests are about
                continue
            files.append((str(path.relative_to(ROOT)), text))
    return files


def snippets_and_sources(snippets: list[str]) -> list[tuple[str, str]]:
    """Hand-written ``snippets`` (as snippet<n>.py) and the checkout's own Python files: the corpus the index's and
    the visitor's shortcuts are held to their definitions on."""
    files = [(f"snippet{n}.py", text) for n, text in enumerate(snippets)]
    return files + python_sources("sample_projects", "collectors", "mldebt", "tests")


def visit_summaries(files: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Our visitor's summary of each (path, text), the file read as code and as a notebook's cells."""
    from mldebt.collectors.code import visit  # the analyser: loaded by the tests that hold it to its definitions

    found = []
    for rel, text in files:
        tree = ast.parse(text)
        for notebook in (False, True):
            run = visit.Visit(rel, notebook=notebook)
            run.run(tree)
            found.append(run.summary())
    return found


def plain_module_level(self: Any, tree: ast.Module) -> None:
    """``Visit._module_level`` by definition: every statement and every value walked, the switches worked out here
    (the visitor's shortcut tests hold the visitor to it)."""
    for node in tree.body:
        if (
            isinstance(node, (ast.Expr, ast.For, ast.While, ast.With))
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ) or (
            isinstance(node, (ast.Assign, ast.AnnAssign))
            and node.value is not None
            and any(
                isinstance(sub, ast.Call) and self._last(sub.func) in patterns.RAW_READERS
                for sub in ast.walk(node.value)
            )
        ):
            self.top_level_work = True
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value.value if isinstance(node.value, ast.Constant) else None
            for name in [t.id for t in targets if isinstance(t, ast.Name)]:
                if isinstance(value, float):
                    self._float_consts[name] = value
                elif isinstance(value, bool) and not self.notebook:
                    self._bool_consts.add(name)
                if patterns.SETTING_NAME.match(name):
                    self.counts["settings"] = self.counts.get("settings", 0) + 1
    consts, bound = self._bool_consts, dict.fromkeys(self._bool_consts, 0)
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Name) and sub.id in consts and isinstance(sub.ctx, ast.Store):
            bound[sub.id] += 1
        elif isinstance(sub, ast.arg) and sub.arg in consts:
            bound[sub.arg] += 2
        elif isinstance(sub, ast.Global):
            for name in sub.names:
                if name in consts:
                    bound[name] += 2
    self._bool_consts = {name for name in consts if bound[name] == 1}
    self._switched = True


def plain_call(self: Any, node: ast.Call) -> None:
    """``Visit._call`` by definition: the callee's name from ``dotted``, every call that a table knows by its name, its
    root or its last part handed to ``_named_call``, its capitalised name from ``_use``."""
    name = self.dotted(node.func)
    last, root = name.rpartition(".")[2], name.partition(".")[0]
    if name in visit_module._CALL_NAMES or root in visit_module._CALL_ROOTS or last in visit_module._CALL_LASTS:
        self._named_call(node, name, last, root)
        return
    if node.keywords:
        self._keywords(node, name, last, root, node.lineno)
    self._use(node.func, node.lineno)
    notebook = visit_module._notebook(node.args) if self._notebooks else None
    if notebook:
        self.add("notebook_refs", node.lineno, notebook, "runs")


def plain_if(self: Any, node: ast.If) -> None:
    """``Visit._if`` by definition: the main guard, else what ``_switch`` says of any test."""
    test = node.test
    if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__":
        self.main_guard = True
        return
    switch = self._switch(test)
    if switch:
        self.add("flag_branches", node.lineno, switch)


def plain_switch(self: Any, test: ast.AST) -> str | None:
    """``Visit._switch`` by definition, with ``isinstance`` and ``dotted`` of every callee."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.BoolOp):
        return next((found for value in test.values if (found := self._switch(value))), None)
    if isinstance(test, ast.Compare):
        if len(test.comparators) != 1 or visit_module._str(test.comparators[0]) is None:
            return None
        test = test.left
    if isinstance(test, ast.Constant) and isinstance(test.value, (bool, int)):
        return f"constant {test.value!r}"
    if isinstance(test, ast.Name) and test.id in self._bool_consts and self._switch_named(test.id):
        return test.id
    if isinstance(test, ast.Call) and test.args and self.dotted(test.func) in visit_module._ENV_GET:
        return f"environment {visit_module._str(test.args[0]) or '?'}"
    if isinstance(test, ast.Subscript) and self.dotted(test.value) == "os.environ":
        return f"environment {visit_module._str(test.slice) or '?'}"
    return None


def below(run: Any, node: ast.AST, parent: int, before: int) -> list[ast.AST]:
    """``walk(node)`` (in another order), read from ``run``'s index: ``node`` is the child of ``run.nodes[parent]``
    with ``before`` children ahead of it; ``walk(node)`` where the index holds it elsewhere. What
    ``Visit._calls_below`` is held to."""
    at = run._at(node, parent, before)
    if at is None or run.tree is None:
        return tree_module.walk(node)
    return [sub for start, end in tree_module.levels(run.tree, at) for sub in run.nodes[start:end]]
