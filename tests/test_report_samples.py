"""The quarter rules, on the sample portfolio (built by tests/sample_store.py)."""

from __future__ import annotations

from mldebt.readmodel.quarters import Quarter, Timeline
from mldebt.store.db import open_db


def test_a_quarters_state_is_the_latest_scan_by_its_end(sample_db):
    db = open_db(sample_db)
    scans = list(db.query("select id, as_of, collected_at from scans where project_id = 'reco-service'"))
    timeline = Timeline(scans)
    assert timeline.at(Quarter(2025, 3).end) is None
    assert timeline.at(Quarter(2026, 2).end)["as_of"].startswith("2026-06-30")
    assert timeline.at(Quarter(2026, 4).end)["as_of"].startswith("2026-11-15")
    assert [s["as_of"][:10] for s in timeline.upto(Quarter(2026, 1).end)] == ["2025-12-31", "2026-03-31"]
