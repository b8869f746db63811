"""Statement shapes (shapes.node_shapes) looked up and hashed as the plain definition says: each key's token is found
in one pass over the file's keys (a key new to the process gets its token when first looked up), and the nodes are
hashed children first, going backwards over where each node's children start."""

from __future__ import annotations

import ast
import uuid
import zlib

import pytest

from mldebt.collectors.code import shapes
from mldebt.collectors.code.tree import index

from .test_shapes_speedups import SNIPPETS
from .test_shapes_speedups import _shape as defined_shape


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
