"""The bundled sample projects: each one's expected facts and check results hold,
and the demo's quarterly history shows debt both paid down and added."""

from __future__ import annotations

import itertools

import pytest
import yaml

from mldebt.readmodel.queries import scan_history
from mldebt.scanning.scans import facts_of, readable
from scripts.expected import observed, scan_all
from scripts.samples import QUARTER_ENDS

from .conftest import ROOT

SAMPLES = ROOT / "sample_projects"
NAMES = sorted(p.name for p in SAMPLES.iterdir() if (p / "expected.yaml").exists())
# QUARTER_ENDS and the "head" scan (HEAD_AS_OF: after every sample's last commit, on a fixed day, so that the
# attestations' expiry and the git history windows give the same answer every year) are scripts/expected.py's.


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """Every sample built, collected at each quarter end and at HEAD, into one database (scripts/expected.py)."""
    dest = tmp_path_factory.mktemp("samples")
    with pytest.MonkeyPatch.context() as patch:  # module scope: the autouse cache isolation is not active yet
        patch.setenv("MLDEBT_CACHE", str(dest / "cache"))
        db = scan_all(dest)
    yield db
    db.close()


def test_there_are_four_distinct_profiles():
    assert NAMES == ["churn-notebooks", "credit-risk-prod", "fraud-kaggle", "reco-service"]


@pytest.mark.parametrize("name", NAMES)
def test_expected_facts_at_head(scanned, name):
    expected = yaml.safe_load((SAMPLES / name / "expected.yaml").read_text())
    head = scan_history(scanned, name)[-1]
    facts = readable(facts_of(scanned, head["id"]))
    got = {key: facts.get(key, "<absent>") for key in expected["facts"]}
    assert got == expected["facts"]


@pytest.mark.parametrize("name", NAMES)
def test_expected_check_results_at_head(scanned, name):
    expected = yaml.safe_load((SAMPLES / name / "expected.yaml").read_text())
    head = scan_history(scanned, name)[-1]
    got = {
        r["check_id"]: r["status"]
        for r in scanned.query("select check_id, status from results where scan_id = ?", [head["id"]])
    }
    assert got == expected["checks"]


@pytest.mark.parametrize("name", NAMES)
def test_expected_scores_at_head(scanned, name):
    expected = yaml.safe_load((SAMPLES / name / "expected.yaml").read_text())["scores"]
    got = observed(scanned, name, [])["scores"]
    assert got == expected
    assert got["ml_test_score"] == min(v for v in got["sections"].values() if v is not None)


def test_profiles_rank_as_intended(scanned):
    overall = {name: scan_history(scanned, name)[-1]["overall"] for name in NAMES}
    assert overall["churn-notebooks"] < overall["reco-service"] < overall["credit-risk-prod"]
    assert overall["fraud-kaggle"] < overall["reco-service"]
    assert overall["credit-risk-prod"] > 70.0


def test_history_has_a_scan_per_quarter_and_moves_both_ways(scanned):
    moves = set()
    for name in NAMES:
        history = scan_history(scanned, name)
        assert len(history) == len(QUARTER_ENDS) + 1
        assert len({h["commit_sha"] for h in history}) >= 4, f"{name}: too few distinct commits"
        values = [h["overall"] for h in history]
        moves |= {"up" for a, b in itertools.pairwise(values) if b > a}
        moves |= {"down" for a, b in itertools.pairwise(values) if b < a}
    assert moves == {"up", "down"}, "the sample history should pay debt down and add some"
