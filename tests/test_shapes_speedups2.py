"""Statement shapes (shapes.node_shapes) looked up and hashed as the plain definition says: each key's token is found
in one pass over the file's keys (a key new to the process gets its token when first looked up), and the nodes are
hashed children first, going backwards over where each node's children start."""

from __future__ import annotations

import ast
import random
import uuid
import zlib
from collections import Counter
from typing import Any

import pytest

from mldebt.collectors.code import shapes
from mldebt.collectors.code.tree import index

from .test_shapes_speedups import SNIPPETS
from .test_shapes_speedups import _shape as defined_shape
from .test_shapes_variants import _defined as defined_functions
from .test_shapes_variants import edit


def _new_names(count: int) -> list[str]:
    """Names no file of any test has used: keys this process has not looked up before."""
    return [f"n_{uuid.uuid4().hex}" for _ in range(count)]


def test_keys_new_to_the_process_get_the_tokens_of_the_definition() -> None:
    a, b, c, d = _new_names(4)
    text = f"def {a}({b}):\n    {c} = {b}.{d}({a}, {d}={c})\n    return {c}.{d}\n"
    assert not {a, b, c, d} & set(shapes._TOKENS)
    indexed = index(ast.parse(text))
    assert shapes.node_shapes(indexed) == [defined_shape(node) for node in indexed.nodes]
    for name in (a, b, c, d):
        assert shapes._TOKENS[name] == zlib.crc32(name.encode())
    # looked up again, now known, the same shapes
    assert shapes.node_shapes(index(ast.parse(text))) == [defined_shape(node) for node in indexed.nodes]


def test_a_file_s_new_keys_used_many_times_get_one_token_each() -> None:
    names = _new_names(3)
    text = "\n".join(f"{x} = {y}({z}, {x})" for x in names for y in names for z in names)
    indexed = index(ast.parse(text))
    assert shapes.node_shapes(indexed) == [defined_shape(node) for node in indexed.nodes]
    assert [shapes._TOKENS[name] for name in names] == [zlib.crc32(name.encode()) for name in names]


def _wide_and_deep() -> list[str]:
    """Nodes of one to nine children, chains of single children, and deep nesting, which the backwards pass must
    take children first whatever the count."""
    texts = []
    for n in range(10):
        args = ", ".join(f"a{k}" for k in range(n))
        texts.append(f"f({args})")
        texts.append(f"[{args}]")
        texts.append(f"x = ({args},)" if n else "x = ()")
    texts.append("a" + ".b" * 40)
    texts.append("f(" * 30 + "x" + ")" * 30)
    texts.append("[" * 30 + "1, 2" + "]" * 30)
    texts.append("if a:\n" + "".join("    " * k + f"if b{k}:\n" for k in range(1, 20)) + "    " * 20 + "pass\n")
    return texts


@pytest.mark.parametrize("text", [*SNIPPETS, *_wide_and_deep(), "", "x"])
def test_every_node_s_shape_is_the_definition_s(text: str) -> None:
    indexed = index(ast.parse(text))
    assert shapes.node_shapes(indexed) == [defined_shape(node) for node in indexed.nodes]


def _drawn_with_unique(seed: int) -> dict[str, dict[str, Any]]:
    """Functions over a few shapes and over shapes found once in the project, many made from an earlier body by
    one change, addition or removal (often to a shape found nowhere else) or by several."""
    rng = random.Random(seed)
    few = rng.choice([2, 4, 30])
    new = iter(range(10**6, 2 * 10**6))

    def shape() -> int:
        return next(new) if rng.random() < rng.choice([0.05, 0.3, 0.7]) else rng.randrange(few)

    made: list[list[list[int]]] = []
    summaries = {}
    for f in range(rng.randint(1, 5)):
        functions = []
        for j in range(rng.randint(0, 12)):
            rows = [[shape(), rng.randint(1, 4)] for _ in range(rng.choice([2, 3, 4, 6, 10, 39, 40, 41]))]
            if made and rng.random() < 0.7:
                rows = [list(row) for row in rng.choice(made)]
                for _ in range(rng.choice([1, 1, 1, 2, 3])):
                    edit(rows, rng, shape)
            made.append(rows)
            functions.append([rng.randint(1, 99), f"f{j}", rows])
        summaries[f"m{f}.py"] = {"shapes": {"functions": functions, "statements": []}}
    return summaries


def test_variants_of_bodies_with_statements_found_once_are_the_definition_s() -> None:
    """shapes.functions leaves out the bodies with two statements found in no other body: drawn bodies often
    hold one such statement (changed or added in a copy: a variant) or two (no variant)."""
    variants = one = two = 0
    for seed in range(600):
        summaries = _drawn_with_unique(seed)
        expected = defined_functions(summaries)
        assert shapes.functions(summaries) == expected, seed
        variants += len(expected[1])
        bodies = {tuple(s for s, _ in body) for f in summaries.values() for _, _, body in f["shapes"]["functions"]}
        held = Counter(s for body in bodies for s in body)
        found_once = [[held[s] for s in body].count(1) for body in bodies if 3 <= len(body) <= 40]
        one += found_once.count(1)
        two += len(found_once) - found_once.count(0) - found_once.count(1)
    assert variants > 1000 and one > 300 and two > 300
