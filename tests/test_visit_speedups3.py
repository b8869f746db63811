"""The visitor's third round of shortcuts gives what the plain definitions give.

A call's name is written out without ``dotted`` and, for a name's attribute, made only when a check needs it;
a message call (``print``, ``log.warning``) that no other check can match is not handed to ``_named_call``, whose
other checks would find nothing in it. Each is held here to the handler as it reads by definition, on snippets
that take every branch and on the checkout's own files.
"""

from __future__ import annotations

import ast
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code import visit

from .builders import plain_call, plain_if, plain_module_level, plain_switch, snippets_and_sources, visit_summaries

# every message call, as a name, an imported name's attribute, a variable's, a tracker's and a chain's, with
# and without keywords; the names the tables know, reached the same ways
_CALLEES = [
    *sorted(P.QUIET_CALLS),
    *(f"{head}.{last}" for head in ("logging", "log", "self.logger", "wandb", "run", "np") for last in P.QUIET_CALLS),
    "open",
    "np.load",
    "np.random.seed",
    "os.getenv",
    "getenv",
    "os.environ.get",
    "parser.add_argument",
    "argparse.ArgumentParser",
    "ArgumentParser",
    "click.option",
    "importlib.import_module",
    "import_module",
    "pd.read_csv",
    "json.load",
    "Schema",
    "Schema.validate",
    "local.Thing",
    "a.b.c.d",
    "f()",
    "x[0].m",
    "'{}'.format",
    "(a or b).warning",
    "run.log",
]

_HEAD = (
    "import logging\nimport wandb\nimport numpy as np\nimport os\nimport argparse\nimport click\nimport importlib\n"
    "import pandas as pd\nimport json\nfrom os import getenv\nfrom importlib import import_module\n"
    "from argparse import ArgumentParser\nfrom pandera import Schema\n"
    "log = logging.getLogger(__name__)\nrun = wandb.init()\nparser = argparse.ArgumentParser()\n\n\n"
)
# one file for each callee, so that what each one finds is found (a file keeps 40 rows of a kind)
SNIPPETS = [
    f"{_HEAD}def f(self, local, a, b, x):\n"
    f"    {callee}('data/x.csv', 'run.ipynb', seed=1, lr=0.1, default=2)\n    {callee}('m.pkl', f'{{a}}/b.txt')\n"
    for callee in _CALLEES
]
SNIPPETS.append(
    "def g(self):\n    print('a/b.txt', file=self.out)\n    self.Thing.make()\n    Thing.make()\n    Ü.x()\n"
)

CORPUS = snippets_and_sources(SNIPPETS)


def test_a_call_s_name_and_its_checks_are_what_their_definition_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    quick = visit_summaries(CORPUS)
    monkeypatch.setitem(visit._HANDLERS, ast.Call, plain_call)
    assert visit_summaries(CORPUS) == quick
    found = {callee: summary["found"] for callee, summary in zip(_CALLEES, quick[::2])}
    assert "paths" not in found["print"] and "paths" not in found["log.warning"]  # a message's strings are no paths
    assert found["open"]["paths"] and found["run.log"]["tracking"] and found["wandb.log"]["tracking"]
    assert found["Schema"]["library_uses"] and found["np.load"]["raw_reads"]
    assert all(summary["found"]["notebook_refs"] for summary in quick[1 : 2 * len(_CALLEES) : 2])
    assert quick[2 * len(_CALLEES)]["found"] == {} and quick[2 * len(_CALLEES)]["imported_uses"] == []


_BRANCHES = ["{}", "not {}", "{} and x", "x or not {}", "{} == 'on'", "{} < 1", "f({})", "{}.y"]
SWITCHES = [
    # a switch, a constant bound twice, one bound as a parameter, one declared global, each branched on every way
    "A = True\nB = False\nB = True\nC = False\nD = True\n\n\ndef g(C=1):\n    global D\n\n\n"
    + "".join(
        f"if {branch.format(name)}:\n    pass\nwhile {branch.format(name)}:\n    pass\n"
        for name in "ABCD"
        for branch in _BRANCHES
    ),
    "A = True\nB = False\nB = True\nprint(A, B)\n",  # constants no branch names
    "B = False\nB = True\nif B:\n    pass\nA = True\nif A:\n    pass\n",  # the first branch names one that is none
    "import pandas as pd\nX: bool = True\nY = Z = False\nW, V = True, 1\nD = pd.read_csv('a.csv')\nif X or Y or Z:\n    pass\n",
    "import pandas as pd\nD = 1, [pd.read_parquet(q) for q in P]\n",  # a reader below the value's first level
    "import pandas as pd\nD = pd.read_csv('a.csv').values\n",  # below an attribute
]


def test_a_module_s_switches_worked_out_when_a_branch_names_one_are_those_of_the_definition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = [(f"sw{n}.py", text) for n, text in enumerate(SWITCHES)] + CORPUS
    quick = visit_summaries(files)
    monkeypatch.setattr(visit.Visit, "_module_level", plain_module_level)
    assert visit_summaries(files) == quick
    branches = [row[1] for row in quick[0]["found"]["flag_branches"]]
    assert branches == ["A"] * 5  # each "if" on A but the comparison with a number, the call and the attribute
    assert "flag_branches" not in quick[2]["found"] and quick[6]["script"]
    assert [row[1] for row in quick[4]["found"]["flag_branches"]] == ["A"]
    assert [row[1] for row in quick[6]["found"]["flag_branches"]] == ["X"]
    assert quick[8]["script"] and quick[10]["script"] and not quick[4]["script"]


def _plain_function(self: visit.Visit, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    """``_function`` by definition: every parameter, positional then keyword-only."""
    routed = False
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            routed = True
            if self.dotted(decorator.func) in visit._FIXTURES:
                self._fixtures.append((node.lineno, node.end_lineno or node.lineno))
        else:
            name = self.dotted(decorator)
            if name in visit._FIXTURES:
                self._fixtures.append((node.lineno, node.end_lineno or node.lineno))
            elif self._imported(decorator) and (family := P.library_of(name)):
                self._library(node.lineno, family, f"@{name}")
    for arg in [*node.args.args, *node.args.kwonlyargs]:
        if arg.annotation is None:
            continue
        if self._last(arg.annotation) in {"dict", "Dict", "Mapping"}:
            self.counts["dict_annotations"] += 1
        if routed:
            for sub in ast.walk(arg.annotation):
                self._use(sub, node.lineno)


def _plain_class(self: visit.Visit, node: ast.ClassDef) -> None:
    """``_class`` by definition: every base's and every decorator's name, the first base with a library's."""
    resolved = [self.dotted(b) for b in node.bases]
    bases = {name.rsplit(".", 1)[-1] for name in resolved}
    decorators = {self.dotted(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}
    if bases & visit._RECORD_BASES or decorators & visit._RECORD_DECORATORS:
        self.counts["record_types"] += 1
    if bases & P.SETTINGS_BASES:
        self.add("config", node.lineno, "pydantic-settings")
    family = next(
        (found for base, name in zip(node.bases, resolved) if self._imported(base) and (found := P.library_of(name))),
        None,
    )
    if family:
        self._schemas[node.name] = (*family, node.lineno)


def _plain_subscript(self: visit.Visit, node: ast.Subscript) -> None:
    """``_subscript`` by definition."""
    key = visit._str(node.slice)
    if key is None:
        return
    self.counts["string_keys"] += 1
    if P.FLAG_NAME.search(key) and self.dotted(node.value) == "os.environ":
        self.add("flags", node.lineno, key, "environment")


_TESTS = ["x == 'a'", "'a' == x", "x == 1", "x == None", "x == y", "a < 'b' < 'c'", "getenv('USE_A') == 'on'"]
_TESTS += ["os.getenv('USE_B') != '0'", "environ.get('C') == 'x'", "x.get('D') == 'x'", "isinstance(x, int)"]
_TESTS += ["get('E')", "getenv('F')", "env('G')", "os.environ['H'] == '1'", "environ['I']", "x['J'] == 'k'"]
_TESTS += ["__name__ == '__main__'", "__name__ != 'x'", "not getenv('K')", "USE_X == 'y'", "f()() == 'z'"]
MORE = [
    "import os\nfrom os import getenv, environ\nfrom os.environ import get\nUSE_X = True\nenv = os.getenv\n"
    + "".join(f"if {test}:\n    pass\n" for test in _TESTS)
    + "x = os.environ['USE_Y']\ny = environ['FLAG_Z']\nz = d['ENABLE_W']\nw = d[1]\nv = d[k]\n",
    "import pydantic\nimport pandera as pa\nfrom pydantic_settings import BaseSettings\nfrom dataclasses import dataclass\n"
    "import attr\nfrom typing import NamedTuple\n\n\nclass A(NamedTuple):\n    pass\n\n\n@dataclass\nclass B:\n    pass\n\n\n"
    "@attr.s(frozen=True)\nclass C(object):\n    pass\n\n\nclass D(local.Base, pa.DataFrameModel, pydantic.BaseModel):\n"
    "    pass\n\n\nclass E(BaseSettings, pydantic.BaseModel):\n    pass\n\n\nclass F(x.NamedTuple, BaseSettings):\n"
    "    pass\n\n\n@other\n@dataclass()\nclass G(f()):\n    pass\n\n\nx = D(1)\n\n\n"
    "class H(pandera.DataFrameModel, pydantic.BaseModel):  # pandera is not imported by that name\n    pass\n",
    "import fastapi\nimport pytest\nfrom pandera import Schema\napp = fastapi.FastAPI()\n\n\n"
    "@app.post('/p')\ndef a(x: dict, *args: Schema, y: Dict[str, Schema] = None, z: 'Mapping' = 1, **kw: Model) -> Other:\n"
    "    pass\n\n\n@pytest.fixture\ndef b(p: Mapping, /, q: typing.Dict, *, r: Model):\n    pass\n\n\n"
    "@pytest.fixture(scope='module')\nasync def c(s: Schema.Sub, t):\n    pass\n\n\ndef d(u: Thing, v: dict):\n    pass\n",
]


def test_branches_classes_functions_and_subscripts_are_what_their_definitions_give(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = [(f"train/more{n}.py", text) for n, text in enumerate(MORE)] + CORPUS
    quick = visit_summaries(files)
    for kind, plain in [
        (ast.If, plain_if),
        (ast.FunctionDef, _plain_function),
        (ast.AsyncFunctionDef, _plain_function),
        (ast.ClassDef, _plain_class),
        (ast.Subscript, _plain_subscript),
    ]:
        monkeypatch.setitem(visit._HANDLERS, kind, plain)
    monkeypatch.setattr(visit.Visit, "_switch", plain_switch)
    assert visit_summaries(files) == quick
    branches, classes, functions = quick[0], quick[2], quick[4]
    assert [row[1] for row in branches["found"]["flag_branches"]] == [
        "environment USE_A",
        "environment USE_B",
        "environment C",
        "environment E",  # get is imported from os.environ
        "environment F",  # env = os.getenv is a variable's: not read
        "environment H",
        "environment I",
        "environment K",
        "USE_X",
    ]
    assert branches["main_guard"] and branches["counts"]["string_keys"] == 6
    assert [row[1] for row in branches["found"]["flags"]] == ["USE_X", "USE_Y", "FLAG_Z", "USE_A", "USE_B"]
    assert classes["counts"]["record_types"] == 8 and len(classes["found"]["config"]) == 2
    assert [row[3] for row in classes["found"]["library_uses"]] == ["D (pandera class, line 23)"]
    assert [row[2:] for row in classes["found"]["library_classes"]] == [["pydantic", "E"], ["pydantic", "H"]]
    # x, y, q and v: p is positional-only, z's annotation a string
    assert functions["counts"]["dict_annotations"] == 4 and functions["imported_uses"] == ["pandera.Schema"]


# pieces of strings: slashes, the suffixes in either case, a URI's and a registry's start, characters that lower
# to more than one (İ) or to ASCII (the Kelvin sign), spaces and words
_STRING_PIECES = ["/", "\\", ".", ":", "~", " ", "<", "C:", "models:/", "s3://", "http://", "data", "İ", "\u212a"]
_STRING_PIECES += [*P.CONFIG_SUFFIXES, *P.DATA_EXTENSIONS, ".CSV", ".Yaml", ".ipynb", "\n", "/usr/"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_STRING_PIECES), max_size=6).map("".join))
def test_a_string_without_a_slash_or_a_suffix_finds_nothing(text: str) -> None:
    run = visit.Visit("train.py")
    run._string(text, 1)
    if "/" not in text and "\\" not in text and not text.lower().endswith(visit._SUFFIXES):
        assert run.found == {}


STRINGS = [
    "x = ['data/a.csv', 'B.PARQUET', 'conf.YAML', 'C:\\\\Users\\\\me', '~/x/y', 's3://b/k', 'models:/m/1', 'a.b', 'x.pyc']\n"
    "print('data/b.csv', f'{x}/c.csv')\nraise ValueError('d/e.csv')\ny = f'{a}.json' + 'plain' + '.' + 'ünï.CSV'\n"
    "log.warning('e.csv', extra={'f': 'g.csv'})\n",
]


def test_the_strings_looked_at_are_those_that_can_find_something(monkeypatch: pytest.MonkeyPatch) -> None:
    files = [(f"train/s{n}.py", text) for n, text in enumerate(STRINGS)] + CORPUS
    quick = visit_summaries(files)
    monkeypatch.setattr(visit, "_SUFFIXES", ("",))  # every string with a dot ends with "": each one looked at
    assert visit_summaries(files) == quick
    found = quick[0]["found"]  # none of the messages' strings, nor a name with a dot
    assert [row[2] for row in found["paths"]] == [
        "data/a.csv",
        "B.PARQUET",
        "C:\\Users\\me",
        "~/x/y",
        "s3://b/k",
        "ünï.CSV",
        "{}.json",
    ]
    assert [row[1] for row in found["config_refs"]] == ["conf.YAML", "{}.json"] and found["registry"]


def test_a_message_s_span_is_read_from_its_node_s_positions() -> None:
    module = ast.parse("f(a, 'b',\n  c.d)\nraise E(\n  'x')\n")
    nodes: list[ast.AST] = [*module.body[0].value.args, module.body[1].exc]  # type: ignore[attr-defined]
    nodes += [ast.Name(id="x"), ast.Constant(value=1, lineno=3, col_offset=2), ast.Name("y", lineno=4, end_lineno=None)]
    run = visit.Visit("m.py")
    run._hush(nodes)
    plain = []
    for node in nodes:  # by definition: each position the node has, read with getattr
        start = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        plain.append(
            (start, (getattr(node, "end_lineno", None) or start[0], getattr(node, "end_col_offset", None) or 0))
        )
    assert run._quiet == plain
    assert plain[:3] == [((1, 2), (1, 3)), ((1, 5), (1, 8)), ((2, 2), (2, 5))]


def _plain_dict(self: visit.Visit, node: ast.Dict) -> None:
    """``_dict`` by definition: every key looked at."""
    for key, value in zip(node.keys, node.values):
        name = visit._str(key) if key is not None else None
        if name in P.HYPERPARAMETERS and visit._number(value) is not None:
            self.add("hyperparameters", node.lineno, name, visit._number(value))
        elif name in P.SEED_KEYWORDS:
            for lib in ("xgboost", "lightgbm", "catboost"):
                if lib in self.imported_roots or any(v.startswith(lib) for v in self.aliases.values()):
                    self.seeds.setdefault(lib, node.lineno)


DICTS = [
    "import xgboost\nfrom lightgbm import LGBMClassifier\n"
    "p = {'learning_rate': 0.1, 'lr': -2, 'seed': 1, **q, 1: 'lr', b'lr': 0.1, None: 1, 'max_depth': 'x', (1, 2): 3}\n",
]


def test_a_dict_s_keys_are_what_their_definition_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    files = [(f"train/d{n}.py", text) for n, text in enumerate(DICTS)] + CORPUS
    quick = visit_summaries(files)
    monkeypatch.setitem(visit._HANDLERS, ast.Dict, _plain_dict)
    assert visit_summaries(files) == quick
    assert [row[1:] for row in quick[0]["found"]["hyperparameters"]] == [["learning_rate", 0.1], ["lr", -2]]
    assert quick[0]["seeds"] == {"xgboost": 3, "lightgbm": 3}


NOTEBOOKS = [
    "x = 'a.ipynb.bak'\nrun('b.ipy' 'nb', 'c.py')\n",  # the notebook's name is the second string of the file
    "f('x.ipy', 'nb')\ng('y.ipynb2')\nh(b'z.ipynb')\n",  # no string ends with .ipynb, though the texts joined hold it
    "run_notebook(('q.txt', 'r.IPYNB', 'escaped.ipyn\\x62'))\n",
]


def test_a_file_is_walked_again_for_notebooks_exactly_when_a_string_ends_with_ipynb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = [(f"pipeline{n}.py", text) for n, text in enumerate(NOTEBOOKS)] + CORPUS
    quick = visit_summaries(files)
    walked: list[str] = []
    run = visit.Visit.run

    def counted(self: visit.Visit, tree: ast.Module, indexed: Any = None) -> None:
        walked.append(self.rel) if self._notebooks else None
        run(self, tree, indexed)

    monkeypatch.setattr(visit.Visit, "run", counted)
    assert visit_summaries(files) == quick
    pipelines = [rel for rel in walked if rel.startswith("pipeline")]
    assert pipelines == ["pipeline0.py", "pipeline0.py", "pipeline2.py", "pipeline2.py"]  # as code and as a notebook
    assert [[row[1] for row in summary["found"].get("notebook_refs", [])] for summary in quick[:6:2]] == [
        ["b.ipynb"],
        [],
        ["escaped.ipynb"],
    ]
