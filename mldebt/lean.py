"""Keep pandas and numpy out of processes that never use them.

sqlite-utils imports pandas and numpy whenever they are installed, only to
map their value types (``numpy.int64``, ``pandas.Timestamp``) to column types
when such values are inserted. mldebt never inserts them, and pandas is
installed beside it for the notebook interface (``mldebt.frames``), so every
command that opens the store would load pandas, numpy and pyarrow for nothing:
about a third of a second at each start.

``keep_dataframes_out_of_sqlite_utils`` (called when ``mldebt`` is imported)
puts a finder in front of the import system that, the first time
``sqlite_utils.db`` is imported, hides pandas and numpy while it runs, so its
``import_module`` calls see them missing, as if they were not installed.
A process that imported pandas or numpy before (a notebook, ``mldebt.frames``)
is left as it is: only what is not yet imported is hidden, and only for the
moment sqlite-utils' module runs.
"""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import Loader

HIDDEN = ("pandas", "numpy")
MODULE = "sqlite_utils.db"


class _Hiding:
    """Runs the real loader with the modules in HIDDEN that are not imported yet marked missing.

    A loader by the import system's protocol (create_module, exec_module), not
    a subclass of importlib.abc.Loader, whose module is one more start-up import.
    """

    def __init__(self, real: Loader) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        hidden = [name for name in HIDDEN if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # None in sys.modules: import raises ImportError
        try:
            self.real.exec_module(module)
        finally:
            for name in hidden:
                if sys.modules.get(name, ...) is None:
                    del sys.modules[name]


class _Finder:
    """Finds ``sqlite_utils.db`` as the path finder does, with its loader wrapped; steps aside after once."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Hiding(spec.loader)  # type: ignore[assignment]  # a loader by protocol, delegating to the real one
        return spec


def keep_dataframes_out_of_sqlite_utils() -> None:
    """Arrange for sqlite-utils to load without pandas and numpy, unless it is loaded already."""
    if MODULE in sys.modules or any(isinstance(finder, _Finder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())
