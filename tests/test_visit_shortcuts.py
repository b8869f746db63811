"""The code visitor's shortcuts change nothing it finds: a call whose name no table can match is not checked
against them, strings that cannot name a path are not looked at, a module-level value's nodes are read from
the shared index, and the statements' shapes are the recursive definition's, computed bottom-up."""

from __future__ import annotations

import ast
import re
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code import shapes, visit
from mldebt.collectors.code.tree import index, walk

from .builders import below, python_sources, visit_summaries

# every name the tables know, called with a seed, a registry keyword, a hyperparameter, a notebook and a string
NAMES = sorted(
    {
        *P.SEED_CALLS,
        *P.FORMAT_PARSERS,
        *P.CONFIG_CALLS,
        *P.TRACKING_LIBRARIES,
        *(f"{prefix}.{verb}" for prefix in P.TRACKING_LIBRARIES for verb in ("log", "init", "x")),
        *P.LOGGER_CLASSES,
        *(f"mlflow.{method}" for method in P.REGISTRY_METHODS),
        "google.cloud.aiplatform.Model.upload",
        "sagemaker.model.ModelPackage",
        "clearml.OutputModel",
        *(f"pandas.{reader}" for reader in P.RAW_READERS),
        *(lib for names in P.LIBRARY_FAMILIES.values() for lib in names),
        *visit._CLI,
        *visit._ENV_GET,
        "importlib.import_module",
        "click.option",
        "numpy.load",
        "numpy.random.rand",
        "open",
        "print",
        "logger.warning",
        "parser.add_argument",
        "Schema",
        "local.thing",
    }
)


def _snippet(name: str) -> str:
    root = name.split(".", 1)[0]
    return (
        f"import {root}\n"
        f"v = {name}('run.ipynb', random_state=1, lr=0.1, registered_model_name='m', default=2)\n"
        f"r = {name}(['a.ipynb'], report_to=['wandb'], type='model', seed=None)\n"
        f"if {name}('USE_X'):\n    pass\n"
        f"w = {root}.init()\nw.log('data/x.csv')\n"
    )


def _corpus() -> list[tuple[str, str]]:
    files = [(f"train/t{n}.py", _snippet(name)) for n, name in enumerate(NAMES)]  # one file each: found once each
    return files + python_sources("sample_projects", "collectors", "mldebt")


CORPUS = _corpus()


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


def test_calls_no_table_can_match_by_name_find_what_the_full_checks_find(monkeypatch: pytest.MonkeyPatch) -> None:
    quick = visit_summaries(CORPUS)
    for name in ("_CALL_NAMES", "_CALL_ROOTS", "_CALL_LASTS", "_ENV_LASTS"):
        monkeypatch.setattr(visit, name, _Everything())
    full = visit_summaries(CORPUS)
    assert quick == full
    assert any(summary["found"].get("tracking") for summary in quick)  # the tables were exercised
    assert any(summary["found"].get("registry") for summary in quick)


def test_registry_calls_start_with_their_roots() -> None:
    pattern = P.REGISTRY_CALLS.pattern
    assert pattern.startswith("^(") and pattern.endswith(")")
    alternatives, depth, start = [], 0, 2
    for at, char in enumerate(pattern[2:-1], 2):
        depth += {"(": 1, ")": -1}.get(char, 0) if pattern[at - 1] != "\\" else 0
        if char == "|" and depth == 0:
            alternatives.append(pattern[start:at])
            start = at + 1
    alternatives.append(pattern[start:-1])
    assert len(alternatives) == 5
    for alternative in alternatives:
        assert any(alternative.startswith(re.escape(root) + r"\.") for root in P.REGISTRY_CALL_ROOTS), alternative


@given(st.text().filter(lambda text: "." not in text and "/" not in text and "\\" not in text))
def test_strings_without_a_dot_or_a_slash_find_nothing(text: str) -> None:
    run = visit.Visit("train.py")
    run._string(text, 1)
    assert run.found == {}


def test_module_level_values_are_read_from_the_index() -> None:
    checked = 0
    for rel, text in CORPUS:
        tree = ast.parse(text)
        run = visit.Visit(rel)
        run.tree = index(tree)
        run.nodes = run.tree.nodes
        first = run.tree.starts[0]
        for k, node in enumerate(tree.body):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                before = len(node.targets) if isinstance(node, ast.Assign) else 2
                listed = below(run, node.value, first + k, before)
                assert sorted(map(id, listed)) == sorted(map(id, walk(node.value)))
                checked += 1
    assert checked > 100


def _reference(node: ast.AST) -> int:
    """A node's shape as defined: its token, then its children's shapes in field order (leaves left out)."""
    kind = type(node)
    key = node.id if kind is ast.Name else node.attr if kind is ast.Attribute else None  # type: ignore[attr-defined]
    if kind is ast.keyword:
        key = node.arg or "**"  # type: ignore[attr-defined]
    text = key if key is not None else kind.__name__
    token = zlib.crc32(text.encode("utf-8", "replace"))
    leaves = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
    children = [_reference(child) for child in ast.iter_child_nodes(node) if not isinstance(child, leaves)]
    return hash((token, *children)) if children else token


@pytest.mark.parametrize("rel", ["train/t0.py", "collectors/code/visit.py", "collectors/code/shapes.py"])
def test_node_shapes_are_the_recursive_definition(rel: str) -> None:
    text = next(text for name, text in CORPUS if name == rel)
    tree = index(ast.parse(text))
    assert shapes.node_shapes(tree) == [_reference(node) for node in tree.nodes]


def test_file_shapes_are_kept_for_each_statement_of_a_body() -> None:
    text = '''"""Doc."""
import os

__all__ = ["a", "b"]


def long_one(x):
    """Doc."""
    y = x + 1
    if y:
        z = [1, 2]
    else:
        z = x
    return y, z


class Holder:
    def method(self):
        return 1


if __name__ == "__main__":
    long_one(2)
'''
    found = shapes.rows(index(ast.parse(text)), every_function=True)
    assert [(line, name, [lines for _, lines in body]) for line, name, body in found["functions"]] == [
        (7, "long_one", [1, 4, 1])
    ]
    assert [lines for _, lines in found["statements"]] == [1, 1]  # Holder.method's return, the guard's call
