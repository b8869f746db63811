"""Which families of supporting libraries a repository's code really uses.

The rubric asks about practices that show up as libraries: systematic
hyperparameter search, fairness and interpretability toolkits, data
validation and model serving. A library counts where the project's own code
(not its tests, fixtures or test helpers) calls it (``pa.DataFrameSchema(...)``,
``tfdv.validate_statistics(...)``, ``FastAPI()``), decorates with it
(``@pa.check_types``) or builds a class on it that the code then uses: calls
(``Schema.validate(df)``) or names as a parameter type of a route
(``@app.post(...)``), where the framework validates it. An import alone, a
type annotation alone (``DataFrame[Schema]`` on an undecorated function) or a
use inside a pytest fixture does not count. The families are
``patterns.LIBRARY_FAMILIES``; each per-file summary already lists the uses,
so nothing is parsed again here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code.facts import is_test_support, located
from mldebt.collectors.interface import Fact

FAMILIES = P.LIBRARY_FAMILIES

KEYS = {
    **{
        f"code.libraries.{family}": f"{family} libraries the non-test code uses (calls, decorators, classes it uses)"
        for family in FAMILIES
    },
    **{f"code.libraries.{family}.at": "where: the first use of each library" for family in FAMILIES},
}
_TEST_IMPORTS = ("pytest", "hypothesis", "unittest.mock")


def matches(imports: set[str], names: set[str]) -> list[str]:
    """The names of ``names`` that some import is, or starts with (``ray.tune`` matches ``ray.tune.schedulers``)."""
    return sorted(name for name in names if any(imp == name or imp.startswith(name + ".") for imp in imports))


def is_test_helper(summary: dict[str, Any]) -> bool:
    """A module outside the tests folders that imports pytest or hypothesis helps tests: it is no use of a library."""
    return any(imp == t or imp.startswith(t + ".") for imp in summary.get("imports", ()) for t in _TEST_IMPORTS)


def facts(summaries: dict[str, dict[str, Any]], tests: set[str]) -> Iterator[Fact]:
    code = {
        rel: s
        for rel, s in summaries.items()
        if rel not in tests and not is_test_support(rel) and "error" not in s and not is_test_helper(s)
    }
    uses: dict[tuple[str, str], tuple[str, int, str]] = {}  # (family, library) -> first place
    for rel, summary in sorted(code.items()):
        for line, family, lib, how in summary.get("found", {}).get("library_uses", ()):
            _first(uses, (family, lib), (rel, line, how))
    for place, family, lib in _classes_used_elsewhere(code):
        _first(uses, (family, lib), place)
    for family in FAMILIES:
        found = sorted(lib for fam, lib in uses if fam == family)
        yield Fact(f"code.libraries.{family}", found)
        places = [uses[(family, lib)] for lib in found]
        yield from located(
            f"code.libraries.{family}",
            (
                (rel, None if rel.endswith(".ipynb") else line, f"{lib}: {how}")
                for (rel, line, how), lib in zip(places, found)
            ),
        )


Place = tuple[str, int, str]  # path, line, how


def _first(uses: dict[tuple[str, str], Place], key: tuple[str, str], place: Place) -> None:
    if key not in uses or place[:2] < uses[key][:2]:
        uses[key] = place


def _classes_used_elsewhere(code: dict[str, dict[str, Any]]) -> Iterator[tuple[tuple[str, int, str], str, str]]:
    """Classes built on a library's class in one module and used (called, or typing a route) in another."""
    wanted: dict[str, list[tuple[str, int, str, str, str]]] = {}  # "stem.Class" -> where defined
    for rel, summary in code.items():
        stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        for line, family, lib, name in summary.get("found", {}).get("library_classes", ()):
            wanted.setdefault(f"{stem}.{name}", []).append((rel, line, family, lib, name))
    if not wanted:
        return
    for rel, summary in sorted(code.items()):
        for origin in summary.get("imported_uses", ()):
            key = ".".join(origin.rsplit(".", 2)[-2:])
            for defined, line, family, lib, name in wanted.get(key, ()):
                if defined != rel:
                    yield (defined, line, f"{name} ({lib} class, used in {rel})"), family, lib
