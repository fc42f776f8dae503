"""Honest splits: `fit_with_holdout` keeps prompts on one side and records its rule, and
`rows_to_score` finds the held-out rows of the same file, and only of that file."""

import numpy as np
import pytest

from causalpref.data import PreferenceData
from causalpref.data.splits import PromptSplit
from causalpref.errors import ConfigError
from causalpref.methods import make_method
from causalpref.methods.holdout import fit_splits, fit_with_holdout, rows_to_score

FAST = {"hidden_dim": 8, "epochs": 2, "lr": 1e-2}


def vector_pairs(n=400, split=None, context=None, seed=0):
    rng = np.random.default_rng(seed)
    cols = {
        "prompt": [f"q{i // 2}" for i in range(n)],  # two rows per prompt
        "vector.a": rng.normal(size=(n, 4)),
        "vector.b": rng.normal(size=(n, 4)),
        "label": np.tile([1.0, 0.0], n)[:n],
    }
    if split is not None:
        cols["split"] = split
    if context is not None:
        cols["context"] = np.asarray(context, dtype=object)
    return PreferenceData.from_columns(cols)


def test_fit_holds_out_prompts_and_trains_on_the_training_rows_only():
    data = vector_pairs()
    model = make_method("bt", **FAST)
    splits = fit_with_holdout(model, data)
    sizes = splits.sizes()
    assert sizes["validation"] > 0 and sizes["test"] > 0
    assert model.reward_stats_["n"] == 2 * sizes["train"]  # both responses of each train pair
    prompts = np.asarray(data.column("prompt"), dtype=object)
    for role in ("validation", "test"):
        assert not set(prompts[splits.rows(role)]) & set(prompts[splits.rows("train")])
    assert model.split_["rule"] == "prompt-hash" and model.split_["rows"] == sizes


def test_evaluate_finds_the_held_out_rows_of_the_same_file_only():
    data = vector_pairs()
    model = make_method("bt", **FAST)
    splits = fit_with_holdout(model, data)
    scored, which = rows_to_score(model, data)
    assert len(scored) == splits.sizes()["test"] and "held out" in which
    other = vector_pairs(seed=1)
    scored, which = rows_to_score(model, other)
    assert len(scored) == len(other) and "not the file the model was fitted on" in which
    scored, which = rows_to_score(model, data, "all")
    assert len(scored) == len(data)


def test_a_split_column_decides_and_evaluate_scores_its_test_rows():
    data = vector_pairs(split=["train"] * 300 + ["validation"] * 50 + ["test_ood"] * 50)
    model = make_method("bt", **FAST)
    splits = fit_with_holdout(model, data)
    assert splits.sizes() == {"train": 300, "validation": 50, "test": 50}
    scored, which = rows_to_score(model, data)
    assert len(scored) == 50 and "test_ood" in which
    with pytest.raises(ConfigError, match="drop the hold-out options"):
        fit_splits(model, data, PromptSplit(test=0.2))


def test_a_file_without_test_rows_asks_for_rows_all():
    data = vector_pairs(split=["train"] * 350 + ["validation"] * 50)
    model = make_method("bt", **FAST).fit(data.take(np.arange(350)))
    with pytest.raises(ConfigError, match="--rows all"):
        rows_to_score(model, data)


def test_a_model_without_a_record_scores_all_rows_and_says_why():
    data = vector_pairs()
    model = make_method("bt", **FAST).fit(data)
    scored, which = rows_to_score(model, data)
    assert len(scored) == len(data) and "records no hold-out" in which


def test_a_context_that_falls_wholly_into_the_hold_out_trains_instead():
    contexts = ["common"] * 398 + ["rare", "rare"]  # one prompt: both rows on one side
    data = vector_pairs(context=contexts)
    for seed in range(40):  # find a seed that holds the rare prompt out
        splits = fit_splits(make_method("multihead", seed=seed, **FAST), data)
        if splits.notes:
            break
    assert splits.notes and "'rare'" in splits.notes[0]
    assert set(splits.rows("train")) >= {398, 399}
