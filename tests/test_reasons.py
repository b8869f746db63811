"""Every result carries one plain sentence made from its evidence (issue 17, item 2).

Walks every check of every scan of the sample portfolio: a reason may not be
empty, generic, or hold condition syntax (rule codes and conditions stay on the
check's own page, in ``detail``).
"""

from __future__ import annotations

import re
import sqlite3

CONDITION_SYNTAX = re.compile(
    r"\b(count|len|present|absent|holds)\(|\w\s*(==|!=|>=|<=)\s*\w|\b[a-z_]+\.[a-z_]+\.[a-z_0-9]+\b(?![/.:])"
)
GENERIC = {"no condition holds", "not met.", "met.", "unknown.", "n/a", ""}


def results(*stores):
    found = []
    for store in stores:
        with sqlite3.connect(store) as db:
            found += db.execute("select scan_id, check_id, status, reason, detail from results").fetchall()
    return found


def test_every_result_of_every_sample_scan_has_a_plain_reason(samples_db, sample_store):
    rows = results(samples_db, sample_store)
    assert len(rows) > 500
    bad = []
    for _scan, check_id, status, reason, _detail in rows:
        text = (reason or "").strip()
        if text.lower() in GENERIC or len(text) < 20:
            bad.append((check_id, status, "generic", text))
        elif CONDITION_SYNTAX.search(text):
            bad.append((check_id, status, "condition syntax", text))
        elif not text.endswith("."):
            bad.append((check_id, status, "not a sentence", text))
    assert not bad, "\n".join(map(str, bad[:20]))


def test_reasons_cover_every_status_and_say_where(sample_store):
    with sqlite3.connect(sample_store) as db:
        by_status = dict(
            db.execute("select status, count(*) from results where reason is not null and reason != '' group by status")
        )
        located = db.execute("select count(*) from results where reason like '%(at %:%'").fetchone()[0]
    assert {"automated", "manual", "fail", "unknown", "n/a"} <= set(by_status), by_status
    assert located > 0  # file:line of the evidence, where the evidence has one


def test_a_reason_names_each_fact_in_words_with_where_it_was_seen():
    from pathlib import Path

    from mldebt.rubric.engine import score
    from mldebt.rubric.reasons import Evidence
    from mldebt.rubric.schema import load_rubric

    rubric = load_rubric(Path(__file__).parent / "data" / "rubric-starter.yaml")
    facts = {
        "repo.tests.functions": 3,
        "repo.ci.configs": [],
        "repo.notebooks.count": 2,
        "repo.notebooks.with_outputs": 1,
    }
    describe = {
        "repo.tests.functions": "test functions",
        "repo.ci.configs": "CI configuration files",
        "repo.notebooks.count": "Jupyter notebooks",
        "repo.notebooks.with_outputs": "notebooks committed with outputs",
    }
    where = {"repo.tests.functions": ["tests/test_a.py:4"], "repo.notebooks.with_outputs": ["eda.ipynb"]}
    card = score(rubric, facts, evidence=Evidence(facts, describe, where))
    said = {r.check_id: r.reason for r in card.results}
    assert said["infra-2-unit-tests"] == (
        "Half met: test functions: 3 (at tests/test_a.py:4). The full point also needs CI configuration files: none."
    )
    assert said["notebooks-out-of-production"] == (
        "Not met: Jupyter notebooks: 2; notebooks committed with outputs: 1 (at eda.ipynb)."
    )
    assert said["deps-pinned"].startswith("Unknown: no evidence was recorded for ")
