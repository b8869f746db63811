"""Test facts: which files are tests, with what framework, and which tests exercise data or models.

A Python file is a test file when its name makes it collectable (pytest's
``test_*.py`` and ``*_test.py``, the common ``*_tests.py``, unittest's
``test*.py``, or the project's own pytest ``python_files`` setting) *and* it
holds tests that pytest or unittest would collect; the code summary decides
the second part (``scan.summarise``). conftest.py and helper modules are not
test files, nor is a load script or an evaluation script named like one.

A test is a data test when an assertion checks a value made from data (a
project module or name about data, a data loader or reader, a data library:
``len(dm.data_train)`` after ``dm = MNISTDataModule()``), or when it reaches a
data-validation library, itself or through a project module that imports one
(``validate_raw`` from ``credit.schema``, which imports ``pandera``). A test
that only checks its own fixture's synthetic frame is not. A test exercises a
model when it trains, evaluates or predicts, or says it checks overfitting,
sanity or a baseline.
"""

from __future__ import annotations

import configparser
import fnmatch
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code.facts import is_test_support
from mldebt.collectors.interface import Fact
from mldebt.nested import toml_loads

if TYPE_CHECKING:
    from mldebt.collectors.code.scan import FoundTest

DEFAULT_PATTERNS = ("test_*.py", "*_test.py", "*_tests.py", "test*.py")
PYTEST_CONFIGS = ("pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml")
MAX_AT = 20
MAX_PATHS = 200

KEYS = {
    "repo.tests.files": "Python test files: named as tests (test_*.py, *_test.py, *_tests.py, pytest python_files) "
    "and holding tests that pytest or unittest collect",
    "repo.tests.paths": f"the test files' paths (at most {MAX_PATHS})",
    "repo.tests.not_tests": "Python files named like tests that hold no test (load scripts, evaluation scripts)",
    "repo.tests.functions": "test functions and methods in those files",
    "repo.tests.frameworks": "test frameworks the test files import (pytest, unittest, hypothesis, ...)",
    "repo.tests.data": "test functions that assert on data (values made by data modules, loaders or readers) "
    "or call a data-validation library",
    "repo.tests.data.at": f"where: one fact per data test, at its first assertion on data (at most {MAX_AT})",
    "repo.tests.data_libraries": "data-validation libraries the data tests reach",
    "repo.tests.model": "test functions that exercise a model (training, evaluation, prediction, ...)",
    "repo.tests.model.at": f"where: one fact per model test (at most {MAX_AT})",
    "repo.tests.model_kinds": "model tests by kind: training, evaluation, prediction, overfit, sanity, baseline",
    "repo.tests.unparsed": "(error facts) test files that do not parse",
}
_KIND_WORDS = {
    "overfit": {"overfit", "overfitting", "memorize", "memorise"},
    "sanity": {"sanity", "smoke", "invariance", "directional", "reproducible", "reproducibility", "deterministic"},
    "baseline": {"baseline", "chance"},  # not "dummy": dummy_df is made-up data, DummyClassifier is a call
}
_NOT_TRAINING = {"data", "dataset", "dataloader", "loader", "split", "df", "set", "sets", "path", "dir", "file"}
# validators of any input (requests, configuration): reaching one does not make a test a data test
GENERAL_VALIDATORS = {"pydantic", "jsonschema", "cerberus"}
# words of a project module or name that is about data (not "schema": FastAPI's request models live in
# schemas.py; a data schema is found by the validation library its module imports)
DATA_WORDS = {
    "data", "dataset", "datasets", "datamodule", "datamodules", "dataloader", "dataloaders", "loader", "loaders",
    "datasource", "datasources", "etl", "ingest", "ingestion", "preprocess", "preprocessing", "preprocessor", "prep",
    "prepare", "preparation", "feature", "features", "featurize", "featurizer", "transform", "transforms",
    "transformation", "transformations", "clean", "cleaning", "split", "df", "dataframe", "sql",
}  # fmt: skip
_DATA_SUFFIXES = ("data", "dataset", "datasets", "datamodule", "dataloader", "loader")
# libraries that read or hold data sets (what their objects give is data)
DATA_LIBRARIES = (
    "google.cloud.bigquery", "pandas_gbq", "sqlalchemy", "sqlite3", "psycopg2", "pymongo", "duckdb", "pyarrow",
    "datasets", "tensorflow_datasets", "torchvision.datasets", "torchtext.datasets", "torchaudio.datasets",
    "sklearn.datasets", "tensorflow_transform", "tensorflow_data_validation", "feast", "dvc.api",
)  # fmt: skip
DATA_READERS = P.RAW_READERS | {"read_gbq", "load_dataset", "load_from_disk", "fetch_openml", "read_csv_arrow"}


def python_files(paths: list[str], text: Callable[[str], str | None]) -> tuple[str, ...]:
    """The file patterns that make a Python file collectable: the defaults and any pytest ``python_files``."""
    found = list(DEFAULT_PATTERNS)
    for rel in paths:
        parts = rel.split("/")
        if parts[-1] in PYTEST_CONFIGS and len(parts) <= 3:
            content = text(rel)
            if content:
                found.extend(p for p in _configured(parts[-1], content) if p not in found)
    return tuple(found)


def _configured(name: str, content: str) -> list[str]:
    value: Any = None
    if name == "pyproject.toml":
        try:
            value = toml_loads(content).get("tool", {}).get("pytest", {}).get("ini_options", {}).get("python_files")
        except (tomllib.TOMLDecodeError, AttributeError):
            return []
    else:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(content)
        except configparser.Error:
            return []
        section = "tool:pytest" if name == "setup.cfg" else "pytest"
        value = parser.get(section, "python_files", fallback=None)
    items = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    return [p for p in items if isinstance(p, str) and p.endswith(".py")]


def is_candidate(rel: str, patterns: tuple[str, ...] = DEFAULT_PATTERNS) -> bool:
    """Whether a file's name (or path, for patterns with a folder) lets pytest or unittest collect it."""
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel if "/" in p else name, p if "/" not in p else f"*{p}") for p in patterns)


def holds_tests(summary: dict[str, Any]) -> bool:
    """A candidate's summary: it is a test file (or unparsable, so taken at its name)."""
    return bool(summary.get("tests")) or "error" in summary


def facts(summaries: dict[str, dict[str, Any]], candidates: set[str], tests: set[str]) -> Iterator[Fact]:
    functions: list[tuple[str, FoundTest]] = []
    frameworks: set[str] = set()
    for rel in sorted(tests):
        summary = summaries.get(rel, {})
        if "error" in summary:
            error = summary["error"]
            yield Fact.failure("repo.tests.unparsed", error["message"], path=rel, line=error["line"])
            continue
        frameworks |= {P.TEST_FRAMEWORKS[r] for r in summary.get("roots", ()) if r in P.TEST_FRAMEWORKS}
        functions.extend((rel, f) for f in summary.get("tests", ()))
    project = _Project(summaries)
    data_at: list[tuple[str, int, str]] = []
    model_at: list[tuple[str, int, str]] = []
    libs: set[str] = set()
    kinds: Counter[str] = Counter()
    for rel, func in functions:
        hit = {lib for ref in func["refs"] for lib in project.reach(ref)}
        data = project.data_check(rel, func)
        if data:
            data_at.append((rel, data[0], f"{func['name']} asserts on data from {data[1]}"))
        elif hit:
            data_at.append((rel, func["line"], f"{func['name']} calls {', '.join(sorted(hit))}"))
        libs |= hit
        found = _model_kinds(func)
        if found:
            kinds.update(found)
            model_at.append((rel, func["line"], f"{func['name']}: {', '.join(sorted(found))}"))
    yield Fact("repo.tests.files", len(tests))
    yield Fact("repo.tests.paths", sorted(tests)[:MAX_PATHS])
    yield Fact("repo.tests.not_tests", sorted(candidates - tests)[:MAX_PATHS])
    yield Fact("repo.tests.functions", len(functions))
    yield Fact("repo.tests.frameworks", sorted(frameworks))
    yield Fact("repo.tests.data", len(data_at))
    for rel, line, what in sorted(data_at)[:MAX_AT]:
        yield Fact("repo.tests.data.at", what, path=rel, line=line)
    yield Fact("repo.tests.data_libraries", sorted(libs))
    yield Fact("repo.tests.model", len(model_at))
    for rel, line, what in sorted(model_at)[:MAX_AT]:
        yield Fact("repo.tests.model.at", what, path=rel, line=line)
    yield Fact("repo.tests.model_kinds", dict(sorted(kinds.items())))


def _model_kinds(func: FoundTest) -> set[str]:
    # functions and methods; a class (PredictRequest, TrainingConfig) is not an act of training or predicting
    calls = {c.lower() for c in func["calls"] if not c[:1].isupper()} - {"train_test_split"}
    words = set(func["words"])
    kinds = set()
    if calls & P.TRAIN_CALLS or any(
        c.startswith(("train", "fit")) and not set(P.token_tuple(c)) & _NOT_TRAINING for c in calls
    ):  # train_dataloader() and train_data() read data, they do not train
        kinds.add("training")
    if calls & P.EVAL_CALLS or any(c.startswith("evaluat") or c.endswith("_score") for c in calls):
        kinds.add("evaluation")
    if calls & P.PREDICT_CALLS or any(c.startswith("predict") for c in calls):
        kinds.add("prediction")
    touches_model = bool(kinds) or "model" in words
    if any(c.startswith("Dummy") for c in func["calls"]):  # DummyClassifier, DummyRegressor
        kinds.add("baseline")
    for kind, hints in _KIND_WORDS.items():
        if words & hints and (touches_model or kind == "overfit"):
            kinds.add(kind)
    return kinds


class _Project:
    """The project's modules and fixtures, to tell which names lead to data or to a validation library."""

    def __init__(self, summaries: dict[str, dict[str, Any]]) -> None:
        self.summaries = summaries
        self.modules: dict[str, str] = {}
        for rel in summaries:
            if rel.endswith(".py"):
                parts = rel[:-3].split("/")
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                for start in range(len(parts)):
                    self.modules.setdefault(".".join(parts[start:]), rel)
        self.conftests = {
            rel.rsplit("/", 1)[0] if "/" in rel else "": s.get("fixtures", {})
            for rel, s in summaries.items()
            if rel.rsplit("/", 1)[-1] == "conftest.py"
        }
        self._reach: dict[str, set[str]] = {}
        self._data: dict[str, str | None] = {}

    def module_file(self, name: str) -> tuple[str, str] | None:
        """The project file a dotted name refers to, and the rest of the name (``credit.schema.validate_raw`` ->
        (src/credit/schema.py, validate_raw))."""
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            found = self.modules.get(".".join(parts[:end]))
            if found:
                return found, ".".join(parts[end:])
        return None

    def reach(self, ref: str) -> set[str]:
        """The data-validation libraries an imported dotted name leads to (itself, or its project module's imports)."""
        if ref not in self._reach:
            root = ref.split(".", 1)[0]
            if root in P.VALIDATION_LIBRARIES:
                libs = {P.VALIDATION_LIBRARIES[root]}
            else:
                target = self.module_file(ref)
                roots = self.summaries.get(target[0], {}).get("roots", ()) if target else ()
                libs = {P.VALIDATION_LIBRARIES[r] for r in roots if r in P.VALIDATION_LIBRARIES}
            self._reach[ref] = {lib for lib in libs if lib not in GENERAL_VALIDATORS}
        return self._reach[ref]

    def data_check(self, rel: str, func: FoundTest) -> tuple[int, str] | None:
        """(line, origin) of the test's first assertion on a value made from data.

        A check that compares data with a value made by other project code (a model's predictions with the
        number of rows) is about that code, not about the data.
        """
        for line, operands in func.get("checks", ()):
            verdicts = [self._verdict(rel, origins) for origins in operands]
            data = next((origin for kind, origin in verdicts if kind == "data"), None)
            if data and all(kind != "other" for kind, _ in verdicts):
                return line, data
        return None

    def _verdict(self, rel: str, origins: list[str], depth: int = 0) -> tuple[str | None, str]:
        """("data", origin) for a value made from data, ("other", origin) for one made by other project code."""
        other: tuple[str | None, str] = (None, "")
        for origin in origins:
            if origin.startswith("fixture:"):
                found = self._fixture(rel, origin[8:]) if depth <= 3 else None
                kind, what = self._verdict(found[0], found[1], depth + 1) if found else (None, "")
            else:
                target = self.module_file(origin)
                fixtures = self.summaries.get(target[0], {}).get("fixtures", {}) if target else {}
                if target and target[1] in fixtures:  # a fixture imported from a project module
                    kind, what = self._verdict(target[0], fixtures[target[1]], depth + 1) if depth <= 3 else (None, "")
                else:
                    if origin not in self._data:
                        self._data[origin] = self._is_data(origin, target)
                    kind, what = self._data[origin], origin
            if kind == "data":
                return kind, what
            if kind == "other":
                other = (kind, what)
        return other

    def _is_data(self, origin: str, target: tuple[str, str] | None) -> str | None:
        if target is not None:
            path, rest = target
            if is_test_support(path):  # a test helper's made-up data is not the project's data
                return None
            words = set(P.tokens("/".join(path[:-3].split("/")[-2:]))) | set(P.tokens(rest))
            data = bool(words & DATA_WORDS) or any(w.endswith(_DATA_SUFFIXES) and w != "metadata" for w in words)
            return "data" if data else "other"
        last = origin.rsplit(".", 1)[-1]
        data = last in DATA_READERS or any(origin == lib or origin.startswith(lib + ".") for lib in DATA_LIBRARIES)
        return "data" if data else None

    def _fixture(self, rel: str, name: str) -> tuple[str, list[str]] | None:
        """Where the fixture ``name`` seen from ``rel`` is defined, and what it returns: ``rel`` itself, else the
        nearest conftest.py."""
        own = self.summaries.get(rel, {}).get("fixtures", {})
        if name in own:
            return rel, list(own[name])
        folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
        while True:
            fixtures = self.conftests.get(folder, {})
            if name in fixtures:
                return (f"{folder}/conftest.py" if folder else "conftest.py"), list(fixtures[name])
            if not folder:
                return None
            folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
