"""Prompt-grouped hold-out: deterministic, grouped, near its shares, and a fingerprint that
recognises the same rows."""

import numpy as np
import pytest

from causalpref.data import PreferenceData
from causalpref.data.splits import PromptSplit, fingerprint, group_keys
from causalpref.errors import ConfigError


def pairs(n=3000, prompts=None, seed=0):
    rng = np.random.default_rng(seed)
    return PreferenceData.from_columns(
        {
            "prompt": prompts if prompts is not None else [f"question {i}" for i in range(n)],
            "response_a": [f"a {i} {rng.integers(9)}" for i in range(n)],
            "response_b": [f"b {i}" for i in range(n)],
            "label": np.ones(n),
        }
    )


def test_shares_are_met_within_three_standard_errors():
    data = pairs()
    roles = PromptSplit(validation=0.1, test=0.2, seed=3).assign(data)
    for role, share in (("validation", 0.1), ("test", 0.2), ("train", 0.7)):
        se = np.sqrt(share * (1 - share) / len(data))
        assert abs(np.mean(roles == role) - share) < 3 * se, role


def test_every_row_of_a_prompt_gets_the_same_role():
    prompts = [f"q{i % 500}" for i in range(3000)]  # six rows per prompt
    roles = PromptSplit(seed=1).assign(pairs(prompts=prompts))
    by_prompt = {}
    for prompt, role in zip(prompts, roles, strict=True):
        by_prompt.setdefault(prompt, set()).add(role)
    assert all(len(r) == 1 for r in by_prompt.values())
    assert {"train", "validation", "test"} == set(roles)


def test_the_rule_is_a_function_of_the_prompts_and_the_seed():
    data = pairs()
    first = PromptSplit(seed=5).assign(data)
    np.testing.assert_array_equal(first, PromptSplit(seed=5).assign(data.take(np.arange(3000))))
    shuffled = np.random.default_rng(0).permutation(3000)
    np.testing.assert_array_equal(first[shuffled], PromptSplit(seed=5).assign(data.take(shuffled)))
    assert np.mean(first != PromptSplit(seed=6).assign(data)) > 0.2  # another seed, other rows


def test_round_trip_through_the_record():
    split = PromptSplit(validation=0.05, test=0.15, seed=9)
    record = split.record(pairs(10))
    assert PromptSplit.from_record(record) == split and record["rule"] == "prompt-hash"


@pytest.mark.parametrize("shares", [(-0.1, 0.1), (0.5, 0.5), (0.1, 1.0)])
def test_shares_that_leave_nothing_to_train_are_refused(shares):
    with pytest.raises(ConfigError, match="together below 1"):
        PromptSplit(validation=shares[0], test=shares[1])


def test_fingerprint_recognises_the_same_rows_and_no_others():
    data = pairs(50)
    assert fingerprint(data) == fingerprint(pairs(50))
    assert fingerprint(data) != fingerprint(data.take(np.arange(49)))
    assert fingerprint(data) != fingerprint(pairs(50, seed=1))  # one response differs


def test_rows_without_prompts_group_by_pair_id_then_row():
    data = PreferenceData.from_columns(
        {"vector.a": np.eye(3), "vector.b": np.zeros((3, 3)), "label": np.ones(3)}
    )
    assert group_keys(data) == ["row 0", "row 1", "row 2"]
