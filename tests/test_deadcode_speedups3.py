"""A file's dead-code state notes which of its definitions its own uses leave open (``unused_here``), and
deadcode.unused looks at those alone: both held here to their definitions.

The key is derived from the state's ``defined`` and ``used``: file_state gives
it as its definition says, over real code and generated programs, with
vulture's own visit as with the index. unused gives with it what one vulture
of every item lists, on drawn states that have it or not (here), and on real
states, whole or with every other file's uses left out and the key made anew
(tests/test_deadcode_speedups.py). States without it (an unparsed file's, a
test file's, a notebook's) have every row looked at.
"""

from __future__ import annotations

import ast
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mldebt.collectors.code import deadcode as code_deadcode
from mldebt.collectors.code.scan import summarise
from mldebt.collectors.code.tree import index

from .test_deadcode_speedups import (
    _PATHS,
    _STATE,
    HALF_USED,
    PROGRAMS,
    REAL_STATES,
    _as_read_back,
    _lines,
    _unused_through_vulture,
)


def _left_open(state: dict[str, Any]) -> list[int]:
    """``unused_here`` by its definition: where in ``defined`` the rows are that are unreachable code or define a
    name the file does not use."""
    used = set(state["used"])
    return [i for i, (typ, name, *_) in enumerate(state["defined"]) if typ == "unreachable_code" or name not in used]


def _held(state: dict[str, Any]) -> None:
    if state["defined"]:
        assert state["unused_here"] == _left_open(state)
    else:
        assert "unused_here" not in state  # nothing to look at: left out, as an unparsed file's state leaves it


def test_real_files_states_note_the_definitions_their_own_uses_leave_open():
    for _, state in REAL_STATES:
        _held(state)
    rows = sum(len(state["defined"]) for _, state in REAL_STATES)
    open_ = sum(len(state.get("unused_here", ())) for _, state in REAL_STATES)
    assert 0 < open_ < rows / 2  # most definitions are used by their own file: the key leaves most rows out


@settings(max_examples=300, deadline=None)
@given(PROGRAMS)
def test_a_generated_program_s_state_notes_the_definitions_its_own_uses_leave_open(program):
    lines = [line for statement in program for line in _lines(statement, "")]
    # some of what the programs define used by the file itself, in code and in strings; unreachable code's names too
    lines += ["f(C)", "('run', 'return', 'if', 'while', 'try', 'else')"]
    tree = ast.parse("\n".join(lines))
    for rel in ("pkg/m.py", "tests/test_m.py"):
        _held(code_deadcode.file_state(tree, rel, lines, index(tree)))
        _held(code_deadcode.file_state(tree, rel, lines))  # vulture's own recursive visit


def test_unreachable_code_named_as_a_used_name_and_functions_a_command_builder_exposes_are_noted_as_defined():
    """Unreachable code is reported whatever its name (here one a string spells); fire.Fire() makes the
    module's public functions used once the visit is over."""
    text = "import fire\ndef cmd():\n    return 1\n    x = 2\ndef _hidden(): pass\ns = 'return'\nfire.Fire()\n"
    tree = ast.parse(text)
    state = code_deadcode.file_state(tree, "m.py", text, index(tree))
    names = [row[1] for row in state["defined"]]
    assert names == ["cmd", "_hidden", "fire", "return"] and {"cmd", "fire", "return"} <= set(state["used"])
    assert state["unused_here"] == _left_open(state) == [1, 3]
    found = code_deadcode.unused([("m.py", state)], 0)
    assert [(f["type"], f["name"]) for f in found] == [("unreachable_code", "return"), ("function", "_hidden")]


@settings(max_examples=500, deadline=None)
@given(
    st.dictionaries(st.sampled_from(_PATHS), st.tuples(_STATE, st.booleans()), max_size=5),
    st.sampled_from([0, 60, 100]),
)
def test_unused_code_of_drawn_states_with_or_without_the_rows_left_open_is_what_one_vulture_lists(drawn, confidence):
    """Drawn definitions and uses over few names, unreachable code among them named as a used name ("if")."""
    states = []
    for rel, (state, noted) in drawn.items():
        read = _as_read_back(state)
        if noted and read["defined"]:
            read["unused_here"] = _left_open(read)
        states.append((rel, read))
    found = code_deadcode.unused(states, confidence, named=("G",))
    assert found == _unused_through_vulture(states, confidence, named=("G",))


def test_unused_code_of_real_states_is_the_same_with_the_rows_left_open_and_without():
    for states in (REAL_STATES, HALF_USED):
        plain = [(rel, {k: v for k, v in state.items() if k != "unused_here"}) for rel, state in states]
        for confidence in (0, 60):
            assert code_deadcode.unused(states, confidence) == code_deadcode.unused(plain, confidence)


def test_unused_looks_only_at_the_rows_a_state_leaves_open():
    """States made inconsistent on purpose show which rows are read: those unused_here names, or every row."""
    defined = [["function", "a", 1, 2, 60, ""], ["function", "b", 3, 4, 60, ""]]

    def names(**key: Any) -> list[str]:
        return [f["name"] for f in code_deadcode.unused([("m.py", {"defined": defined, "used": [], **key})])]

    assert names() == ["a", "b"]
    assert names(unused_here=[1]) == ["b"]
    assert names(unused_here=[]) == []


def test_states_without_the_rows_left_open_have_every_row_looked_at():
    """A file Python cannot parse, a test file and a notebook define nothing and note no rows: what they use is
    still used, and a module's definitions used nowhere are still reported."""
    module = "def helper(): pass\ndef lonely(): pass\ndef shown(): pass\ndef cell(): pass\n"
    test = "from pkg.m import helper\n\ndef test_helper():\n    helper()\n"
    summaries = {
        "pkg/m.py": summarise("pkg/m.py", module),
        "tests/test_m.py": summarise("tests/test_m.py", test, is_test=True),
        "broken.py": summarise("broken.py", "x = !shown\n"),
        "run.ipynb": summarise("run.ipynb", "cell()\n", notebook=True),
    }
    states = [(rel, summary["dead"]) for rel, summary in summaries.items()]
    assert [sorted(state) for _, state in states[1:]] == [["defined", "used"]] * 3
    assert all(not state["defined"] for _, state in states[1:])
    found = code_deadcode.unused(states)
    assert [f["name"] for f in found] == ["lonely"]
    assert found == _unused_through_vulture(states)
    stripped = [(rel, {k: v for k, v in state.items() if k != "unused_here"}) for rel, state in states]
    assert code_deadcode.unused(stripped) == found
