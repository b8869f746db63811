"""Classes.hooks gives what its plain definition gives: every class's hooks spread along every pair of classes.

The plain definition lists, for each class, every project class its bases name (all the codecs'
``StreamWriter`` classes for each codec's ``codecs.StreamWriter``) and spreads hooks over each of those
pairs. Classes.hooks puts each such list between its classes and its members once. Here both are held
equal on real code (the standard library, where the codecs make those lists long, and the checkout's
own files) and on generated hierarchies: diamonds, loops through names, bases named like a project's
folders or modules, bases no class answers to, and classes that name themselves.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mldebt.collectors.code.callbacks import FOUND, Classes, Key, hooks_of
from mldebt.collectors.code.scan import summarise

from .builders import python_sources

# The standard library's folders whose classes derive from one another the most, as the stdlib corpus holds them.
STDLIB_FOLDERS = ("encodings", "email", "asyncio", "unittest", "tkinter", "xml", "importlib", "multiprocessing")


def _plain_spread(start: dict[Key, set[str]], towards: dict[Key, list[Key]]) -> dict[Key, set[str]]:
    """Each key's set of ``start`` with, added, the sets of every key that reaches it through ``towards``."""
    reached = {key: set(found) for key, found in start.items()}
    todo = [key for key, found in reached.items() if found]
    while todo:
        key = todo.pop()
        found = reached[key]
        for target in towards.get(key, ()):
            theirs = reached.setdefault(target, set())
            if not found <= theirs:
                theirs |= found
                todo.append(target)
    return reached


def _plain_hooks(classes: Classes) -> tuple[dict[Key, set[str]], set[Key]]:
    """Classes.hooks as it was first written: each class to each project class its bases name, one pair at a time."""
    own: dict[Key, set[str]] = {}
    parents: dict[Key, list[Key]] = {}
    for key, bases in classes.bases.items():
        own[key], parents[key] = set(), []
        for origin in bases:
            project = classes._project(key[0], origin)
            if project:
                parents[key].extend(k for k in project if k != key)
            else:
                own[key].update(hooks_of(origin) or ())
    children: dict[Key, list[Key]] = {}
    for key, above in parents.items():
        for parent in above:
            children.setdefault(parent, []).append(key)
    inherited = _plain_spread(own, children)
    effective = _plain_spread(inherited, parents)
    return effective, {key for key, found in inherited.items() if FOUND in found}


def _classes(states: list[tuple[str, dict[str, Any]]]) -> Classes:
    """The project's classes as deadcode.unused gathers them from the files' states."""
    classes = Classes()
    for rel, state in states:
        parts = rel.split("/")
        classes.roots.update(parts[:-1])
        classes.roots.add(parts[-1].rsplit(".", 1)[0])
        for row in state.get("classes", ()):
            classes.add(rel, row)
    return classes


def _check(classes: Classes) -> tuple[dict[Key, set[str]], set[Key]]:
    hooks, found = classes.hooks()
    plain_hooks, plain_found = _plain_hooks(classes)
    assert hooks == plain_hooks
    assert list(hooks) == list(plain_hooks)  # in the same order too
    assert found == plain_found
    return hooks, found


def _states(files: list[tuple[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    states = []
    for rel, text in files:
        summary = summarise(rel, text)
        if "dead" in summary:
            states.append((rel, summary["dead"]))
    return states


def test_the_standard_library() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(root.glob("*.py"))
    for folder in STDLIB_FOLDERS:
        paths.extend(sorted((root / folder).rglob("*.py")))
    files = [(f"pkg/{path.relative_to(root).as_posix()}", path.read_text(errors="replace")) for path in paths]
    hooks, found = _check(_classes(_states(files)))
    # what makes the lists long is there: codecs whose bases name every codec's class of that name
    writers = [key for key in hooks if key[0].startswith("pkg/encodings/")]
    assert len(writers) > 100 and any(hooks[key] for key in writers) and found


def test_the_checkouts_own_files() -> None:
    hooks, _ = _check(_classes(_states(python_sources("mldebt", "collectors", "tests", "scripts", "bench"))))
    assert any(hooks.values())


PATHS = ["pkg/m.py", "pkg/n.py", "b.py", "pkg/sub/m.py"]  # roots: pkg, sub, m, n, b
NAMES = ["A", "B", "C", "Module", "StreamWriter"]
ORIGINS = [
    *(f"?{name}" for name in NAMES),  # a class of this file, or any of that name
    *NAMES,
    "pkg.m.A",
    "m.B",  # named like a module of the project
    "b.C",
    "pkg.sub.m.StreamWriter",
    "pkg.Zed",  # no class has that name
    "?Zed",
    "?x.C",  # an unresolved dotted name
    "codecs.StreamWriter",  # outside the project though a class has its name
    "torch.nn.Module",
    "lightning.LightningModule",
    "sklearn.base.BaseEstimator",
    "django.db.models.Model",
    "logging.Handler",
    "object",
    "Exception",
    "enum.Enum",
]
_rows = st.lists(
    st.tuples(
        st.sampled_from(PATHS),
        st.sampled_from(NAMES),
        st.integers(1, 12),  # lines may meet: one class given twice
        st.lists(st.sampled_from(ORIGINS), max_size=4),
    ),
    max_size=25,
)


@settings(max_examples=400, deadline=None)
@given(_rows)
def test_generated_hierarchies(rows: list[tuple[str, str, int, list[str]]]) -> None:
    classes = Classes()
    for path in PATHS:
        parts = path.split("/")
        classes.roots.update(parts[:-1])
        classes.roots.add(parts[-1].rsplit(".", 1)[0])
    for path, name, line, bases in rows:
        classes.add(path, [name, line, bases, [["member", line + 1]]])
    _check(classes)


def test_a_loop_and_a_diamond() -> None:
    """A hook reaches through a loop of names and down both sides of a diamond, and back up to every base."""
    classes = Classes(roots={"pkg", "m"})
    classes.add("pkg/m.py", ["A", 1, ["?B"], []])  # A and B name each other
    classes.add("pkg/m.py", ["B", 2, ["?A", "torch.nn.Module"], []])
    classes.add("pkg/m.py", ["Left", 3, ["pkg.m.A"], []])
    classes.add("pkg/m.py", ["Right", 4, ["?A"], []])
    classes.add("pkg/m.py", ["Bottom", 5, ["?Left", "?Right", "?locust.HttpUser"], []])
    classes.add("pkg/m.py", ["Apart", 6, ["object"], []])
    hooks, found = _check(classes)
    torch = set(hooks_of("torch.nn.Module") or ())
    assert all(hooks[("pkg/m.py", line)] >= torch for line in range(1, 6))
    assert FOUND in hooks[("pkg/m.py", 1)]  # from Bottom, up through Left to A
    assert found == {("pkg/m.py", 5)} and hooks[("pkg/m.py", 6)] == set()
