"""Fuzzing Python sources and notebooks through the repository collector (parsed with ast, never run)."""

from __future__ import annotations

from hypothesis import given

from .fuzz_strategies import FUZZ, json_documents, lines, run_collector, seeds

PYTHON = [
    "import numpy as np",
    "import pandas as pd",
    "from sklearn.model_selection import train_test_split",
    "import random",
    "random.seed(0)",
    "np.random.seed(42)",
    "torch.manual_seed(1)",
    "def train(df, lr=0.1):",
    "    return df",
    "class Model:",
    "    def fit(self, X):",
    "        pass",
    "if __name__ == '__main__':",
    "    main()",
    "df = pd.read_csv('data/raw.csv')",
    "THRESHOLD = 0.5",
    "# TODO: fix",
    "# HACK",
    "try:",
    "except Exception:",
    "    pass",
    "with open('x') as f:",
    "async def f():",
    "    await g()",
    "lambda x: x",
    "x = [i for i in range(10) if i]",
    "global X",
    "@decorator",
    "def f(*args, **kwargs):",
    "    yield from g()",
    "match x:",
    "    case {'a': 1}:",
    "print(f'{x!r:>{w}}')",
    "x: int = 1",
    "del x",
    "assert x, 'msg'",
    "from . import y",
    "from .. import z",
    "import os; os.system('x')",
    "exec('1')",
    "eval(x)",
    "\\",
    "'''",
    '"""',
    "def f(:",
    "    ",
    "\x0c",
    "if x:\n  pass\n else:",
    "x = 1 +",
    "(((((((((",
    "]" * 3,
    "def " + "f" * 300 + "(): pass",
    "x = " + "(" * 120 + ")" * 120,
    "pickle.load(open('m.pkl', 'rb'))",
    "joblib.dump(model, 'model_v2_final.pkl')",
    "model.fit(X_train, y_train)",
    "def test_x():\n    assert 1",
]
NOTEBOOK_KEYS = [
    "cells",
    "cell_type",
    "source",
    "outputs",
    "metadata",
    "nbformat",
    "nbformat_minor",
    "execution_count",
    "kernelspec",
    "language_info",
    "name",
    "output_type",
    "text",
    "data",
    "id",
]
NOTEBOOK_WORDS = [
    "code",
    "markdown",
    "raw",
    "import pandas as pd\n",
    "df = pd.read_csv('x.csv')\n",
    "%matplotlib inline",
    "!pip install x",
    "python3",
    "stream",
    "execute_result",
    "display_data",
    "4",
    "5",
]
SOURCES = seeds(
    "sample_projects/*/layers/*/src/*/*.py", "sample_projects/*/layers/*/*.py", "sample_projects/*/layers/*/tests/*.py"
)


@FUZZ
@given(lines(PYTHON, SOURCES))
def test_python_sources_give_facts_or_error_facts(data):
    facts = run_collector("repo", {"src/pkg/model.py": data, "tests/test_model.py": data})
    assert any(f.key.startswith("repo.") and not f.is_error for f in facts)


@FUZZ
@given(json_documents(NOTEBOOK_KEYS, NOTEBOOK_WORDS, seeds("sample_projects/*/layers/*/notebooks/*.ipynb")))
def test_notebooks_give_facts_or_error_facts(data):
    facts = run_collector("repo", {"notebooks/analysis.ipynb": data})
    assert any(f.key.startswith("repo.") and not f.is_error for f in facts)
