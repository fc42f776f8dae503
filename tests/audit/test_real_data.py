"""The audit on real data in ../shared/data (skipped with the reason when it is absent).

Encoder: hashing (offline, no weights, fast); docs/audit.md also lists the MiniLM numbers.
"""

import numpy as np
import pytest

from causalpref.audit import run_audit
from causalpref.data import read_preferences
from causalpref.evaluate.sources import objective_mix
from tests.shared_data import HH_HARMLESS, RELABELED_HH, require


def test_hh_harmless_chosen_responses_are_shorter_in_most_pairs():
    data = read_preferences(require(HH_HARMLESS))
    report = run_audit(data, attributes=["length_chars", "length_words"], progress=False)
    found = {f.code: f for f in report.findings}
    length = found["spurious.length_chars"]
    assert length.evidence["direction"] == "less"
    assert length.evidence["share_preferred_lower"] > 0.5
    assert length.evidence["ruler_low"] > 0.5
    assert "shorter in" in length.message


@pytest.fixture(scope="module")
def relabeled():
    return read_preferences(require(RELABELED_HH), layout="relabeled_hh")


def labeller_result(data):
    report = run_audit(data, context="context", attributes=[], encoder="hashing", progress=False)
    return next(c for c in report.checks if c.name == "labeller")


def test_objective_predictable_from_prompt_at_rho_09(relabeled):
    train = objective_mix(
        relabeled, seed=0, rho=0.9, n_train=1000, n_validation=200, test_fraction=0.4
    )["train"]
    result = labeller_result(train)
    assert [f.code for f in result.findings] == ["labeller.context_predictable"]
    assert result.stats["auc_low"] > 0.6


def test_whole_split_is_not_flagged(relabeled):
    same = np.mean(relabeled.column("prompt_type") == relabeled.column("context"))
    assert 0.45 < same < 0.6  # prompt type and objective close to independent
    result = labeller_result(relabeled)
    assert result.findings == []
    assert result.stats["auc_low"] < 0.55
