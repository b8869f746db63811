"""Project-level code facts (``code.*``) from the per-file summaries.

Each fact is a count or a list over the whole project; where a finding has a
place, up to MAX_AT ``<key>.at`` facts carry its file and line. Test files
are left out of the smells (a literal in a test is a fixture, not a decision).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mldebt.collectors.code import patterns as P
from mldebt.collectors.code import shapes
from mldebt.collectors.interface import Fact

MAX_AT = 20

KEYS = {
    "code.libraries.ml": "ML and data libraries the code imports",
    "code.seeds.in_use": "libraries with random state that the code uses",
    "code.seeds.set": "libraries whose seed the code sets",
    "code.seeds.missing": "libraries in use whose seed is never set",
    "code.tracking.calls": "experiment-tracking calls (MLflow, W&B, TensorBoard, Neptune, Comet, ClearML, Aim, "
    "DVCLive, Vertex AI Experiments; framework loggers and callbacks that write to them)",
    "code.tracking.libraries": "experiment trackers the code calls",
    "code.registry.calls": "model-registry calls or models:/ URIs (MLflow, Vertex AI Model.upload, SageMaker model "
    "packages, W&B model artifacts and links, ClearML models, Hugging Face push_to_hub)",
    "code.config.readers": "ways the code reads central configuration (hydra, omegaconf, yaml, ...)",
    "code.config.cli_defaults": "argparse/click options with literal defaults",
    "code.config.hyperparameter_literals": "hyperparameters written as literals in code",
    "code.flags.feature_flags": "feature flags: flag libraries, flag constants, flag environment variables",
    "code.flags.libraries": "feature-flag libraries imported",
    "code.smells.thresholds": "decision thresholds hard-coded in comparisons with model outputs",
    "code.smells.data_paths": "hard-coded machine or bucket data paths (absolute paths, s3://, gs:// and the like)",
    "code.smells.relative_data_paths": "data files named by a literal relative path in code",
    "code.smells.data_urls": "hard-coded http(s) URLs",
    "code.smells.experimental_files": "files that are edited copies of another file: most of their code (by size, "
    "literal values aside) is also in that one other module or notebook; of the two, the one whose path sorts later",
    "code.smells.experimental_functions": "functions that are variants of another function: their bodies differ "
    "in exactly one statement (changed, added or removed), literal values aside",
    "code.smells.duplicate_functions": "copy-paste: functions whose body is another function's, literal values aside",
    "code.smells.flag_branches": "branches that code fixes one way: on a literal (if False:), a module-level "
    "True/False constant, or an environment variable",
    "code.smells.dead_code": "unused functions, classes, methods, imports and unreachable code (vulture)",
    "code.smells.dead_code_by_type": "dead code by vulture's type",
    "code.smells.train_serve_duplicates": "feature code duplicated between training and serving files: function "
    "bodies (literal values aside) and feature statements",
    "code.pipeline.entry_scripts": "entry scripts (a __main__ guard, a command-line parser, "
    "or work done at module level)",
    "code.pipeline.raw_data_entry_scripts": "entry scripts that read raw data themselves",
    "code.pipeline.repeated_preprocessing": "feature statements repeated in several files",
    "code.plain_old_data": "record types defined vs dict-typed parameters and string-key lookups",
}
LOCATED = [
    "code.tracking.calls",
    "code.registry.calls",
    "code.config.cli_defaults",
    "code.config.hyperparameter_literals",
    "code.flags.feature_flags",
    "code.smells.thresholds",
    "code.smells.data_paths",
    "code.smells.data_urls",
    "code.smells.relative_data_paths",
    "code.smells.experimental_files",
    "code.smells.experimental_functions",
    "code.smells.duplicate_functions",
    "code.smells.flag_branches",
    "code.smells.dead_code",
    "code.smells.train_serve_duplicates",
    "code.pipeline.repeated_preprocessing",
    "code.seeds.set",
]
KEYS.update({f"{key}.at": f"where: one fact per place (at most {MAX_AT})" for key in LOCATED})


def located(key: str, places: Iterable[tuple[str, int | None, Any]]) -> Iterator[Fact]:
    for path, line, value in sorted(places, key=lambda p: (p[0], p[1] or 0))[:MAX_AT]:
        yield Fact(f"{key}.at", value, path=path, line=line)


def is_test_support(rel: str) -> bool:
    """conftest.py and anything in a tests folder: test code, whatever its name."""
    parts = rel.split("/")
    return parts[-1] == "conftest.py" or any(p in ("tests", "test", "testing") for p in parts[:-1])


def facts(
    summaries: dict[str, dict[str, Any]],
    tests: set[str],
    notebooks: set[str],
    named: Iterable[str] = (),
    unused: Callable[[], list[dict[str, Any]]] | None = None,
) -> Iterator[Fact]:
    """``named``: names of code that configuration and launch files spell (``deadcode.named_in_files``).

    ``unused``: the project's dead code found already (``batch.DeadCode.found``,
    in a process beside this one, from states the summaries then leave out);
    without it the dead code is found here, from the summaries' states. A
    process forked here, after the summaries are in, cost more than it saved
    (the two processes copied the pages of the summaries each touched).
    """
    named = list(named)
    found = unused or (lambda: _unused(summaries, named))
    yield from _facts(summaries, tests, notebooks, lambda: list(_dead_code(found())))


def _facts(
    summaries: dict[str, dict[str, Any]], tests: set[str], notebooks: set[str], dead: Callable[[], list[Fact]]
) -> Iterator[Fact]:
    """The code facts of ``summaries``, the dead code's from ``dead`` in their place."""
    code = {
        rel: s for rel, s in summaries.items() if rel not in tests and not is_test_support(rel) and "error" not in s
    }

    def line(rel: str, n: int | None) -> int | None:
        """A notebook's lines are those of its joined code cells: no place to point at."""
        return None if rel in notebooks else n

    def rows(kind: str) -> Iterator[tuple[str, list[Any]]]:
        for rel, summary in code.items():
            for row in summary.get("found", {}).get(kind, ()):
                yield rel, row

    def count(kind: str) -> int:
        return sum(s.get("counts", {}).get(kind, 0) for s in code.values())

    roots = {r for s in code.values() for r in s.get("roots", ())}
    yield Fact("code.libraries.ml", sorted(roots & P.ML_LIBRARIES))
    in_use = sorted({lib for s in code.values() for lib in s.get("random_use", ())})
    seeded: dict[str, tuple[str, int]] = {}
    for rel, s in sorted(code.items()):
        for lib, at in s.get("seeds", {}).items():
            seeded.setdefault(lib, (rel, at))
    yield Fact("code.seeds.in_use", in_use)
    yield Fact("code.seeds.set", sorted(seeded))
    yield Fact("code.seeds.missing", [lib for lib in in_use if lib not in seeded])
    yield from located("code.seeds.set", ((rel, line(rel, at), lib) for lib, (rel, at) in seeded.items()))

    tracking = list(rows("tracking"))
    yield Fact("code.tracking.calls", count("tracking"))
    yield Fact("code.tracking.libraries", sorted({row[1] for _, row in tracking}))
    yield from located("code.tracking.calls", ((rel, line(rel, r[0]), r[2]) for rel, r in tracking))
    yield Fact("code.registry.calls", count("registry"))
    yield from located("code.registry.calls", ((rel, line(rel, r[0]), r[1]) for rel, r in rows("registry")))

    yield Fact("code.config.readers", sorted({row[1] for _, row in rows("config")}))
    for key, kind, show in (
        ("code.config.cli_defaults", "cli_defaults", lambda r: r[1]),
        ("code.config.hyperparameter_literals", "hyperparameters", lambda r: f"{r[1]}={r[2]}"),
        ("code.smells.thresholds", "thresholds", lambda r: f"{r[2]} vs {r[1]}"),
        ("code.smells.flag_branches", "flag_branches", lambda r: r[1]),
    ):
        yield Fact(key, count(kind))
        yield from located(key, ((rel, line(rel, r[0]), show(r)) for rel, r in rows(kind)))

    flag_libs = sorted({P.FLAG_LIBRARIES[r] for r in roots if r in P.FLAG_LIBRARIES})
    yield Fact("code.flags.libraries", flag_libs)
    yield Fact("code.flags.feature_flags", count("flags") + len(flag_libs))
    yield from located(
        "code.flags.feature_flags", ((rel, line(rel, r[0]), f"{r[1]} ({r[2]})") for rel, r in rows("flags"))
    )

    for key, kinds in (
        ("code.smells.data_paths", {"absolute", "uri"}),
        ("code.smells.data_urls", {"url"}),
        ("code.smells.relative_data_paths", {"relative"}),
    ):
        found = [(rel, r) for rel, r in rows("paths") if r[1] in kinds]
        yield Fact(key, len(found))
        yield from located(key, ((rel, line(rel, r[0]), r[2]) for rel, r in found))

    yield from _copies(code, line)
    yield from dead()
    yield from _duplication(code, line)
    entry = sorted(
        rel
        for rel, s in code.items()
        if (s.get("main_guard") or s.get("cli") or s.get("script")) and rel not in notebooks
    )
    yield Fact("code.pipeline.entry_scripts", entry)
    yield Fact(
        "code.pipeline.raw_data_entry_scripts", [rel for rel in entry if code[rel].get("counts", {}).get("raw_reads")]
    )
    yield Fact(
        "code.plain_old_data",
        {
            "record_types": count("record_types"),
            "dict_annotations": count("dict_annotations"),
            "string_key_lookups": count("string_keys"),
        },
    )


def _copies(code: dict[str, dict[str, Any]], line: Callable[[str, int | None], int | None]) -> Iterator[Fact]:
    """Copied and edited code, by structure (shapes.py): files, variant functions, duplicate functions."""
    files = shapes.variant_files(code)
    yield Fact("code.smells.experimental_files", [copy for copy, _, _ in files])
    yield from located(
        "code.smells.experimental_files",
        ((copy, None, f"{round(100 * share)}% of its code is also in {original}") for copy, original, share in files),
    )
    duplicates, variants = shapes.functions(code)
    for key, pairs, how in (
        ("code.smells.experimental_functions", variants, "one statement away from"),
        ("code.smells.duplicate_functions", duplicates, "same body as"),
    ):
        yield Fact(key, len(pairs))
        yield from located(key, ((rel, line(rel, at), text) for rel, at, text in shapes.describe(pairs, how)))


def _unused(summaries: dict[str, dict[str, Any]], named: list[str]) -> list[dict[str, Any]]:
    from mldebt.collectors.code.deadcode import unused  # vulture: loaded when a scan summarises its files

    return unused([(rel, s["dead"]) for rel, s in sorted(summaries.items()) if "dead" in s], named=named)


def _dead_code(found: list[dict[str, Any]]) -> Iterator[Fact]:
    yield Fact("code.smells.dead_code", len(found))
    yield Fact("code.smells.dead_code_by_type", dict(sorted(Counter(f["type"] for f in found).items())))
    yield from located("code.smells.dead_code", ((f["path"], f["line"], f["message"]) for f in found))


def _duplication(code: dict[str, dict[str, Any]], line: Callable[[str, int | None], int | None]) -> Iterator[Fact]:
    """Feature code found in both a training and a serving file, and statements repeated across files."""
    by_print: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for rel, s in code.items():
        found = s.get("found", {})
        if P.path_role(rel) is not None:  # a training or serving file: its functions' shapes (shapes.py)
            for at, name, body in s.get("shapes", {}).get("functions", ()):
                by_print[f"f:{hash(tuple(shape for shape, _ in body))}"].append((rel, at, f"function {name}"))
        for at, print_ in found.get("feature_statements", ()):
            by_print[f"s:{print_}"].append((rel, at, "feature statement"))
    duplicates: list[tuple[str, int, str]] = []
    repeated: list[tuple[str, int, str]] = []
    for print_, places in by_print.items():
        files = {rel for rel, _, _ in places}
        roles = {P.path_role(rel) for rel in files}
        if {"train", "serve"} <= roles:
            duplicates.extend(p for p in places if P.path_role(p[0]) == "serve")
        if print_.startswith("s:") and len(files) >= 2:
            repeated.append(sorted(places)[0])
    yield Fact("code.smells.train_serve_duplicates", len(duplicates))
    yield from located("code.smells.train_serve_duplicates", ((r, line(r, a), what) for r, a, what in duplicates))
    yield Fact("code.pipeline.repeated_preprocessing", len(repeated))
    yield from located("code.pipeline.repeated_preprocessing", ((r, line(r, a), what) for r, a, what in repeated))
