"""`fit` refuses degenerate data before any encoding or training (one DataValidationError with
every problem), warns about what it survives, and its random hold-out keeps every context on the
training side whatever the seed."""

import warnings

import numpy as np
import pytest

from causalpref.data import PreferenceData
from causalpref.errors import DataValidationError
from causalpref.features.featurizer import Featurizer
from causalpref.methods import make_method
from causalpref.methods.fit_checks import MIN_HOLDOUT_ROWS, MIN_TRAINING_PAIRS, holdout

FAST = {"epochs": 1, "hidden_dim": 4}


def pairs(n=40, label=None, same_rows=(), context=None, weight=None, seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, 4)), rng.normal(size=(n, 4))
    b[list(same_rows)] = a[list(same_rows)]
    cols = {
        "vector.a": a,
        "vector.b": b,
        "label": np.tile([1.0, 0.0], n)[:n] if label is None else np.asarray(label, float),
    }
    if context is not None:
        cols["context"] = np.asarray(context, dtype=object)
    if weight is not None:
        cols["weight"] = np.asarray(weight, dtype=float)
    return PreferenceData.from_columns(cols)


def text_pairs(n=30, a=None, b=None):
    return PreferenceData.from_columns(
        {
            "prompt": [f"q{i}" for i in range(n)],
            "response_a": a or [f"a long careful answer {i}" for i in range(n)],
            "response_b": b or [f"no {i}" for i in range(n)],
            "label": np.tile([1.0, 0.0], n)[:n],
        }
    )


def fit_quietly(model, data, validation=None):
    """Fit and return the warnings it emitted about the data (a one-epoch fit of 40 pairs does
    not train, which `fit_report` says in warnings of its own, tested in test_fit_report.py)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(data, validation=validation)
    return [str(w.message) for w in caught if not str(w.message).startswith("method '")]


def test_clean_data_fits_without_warnings():
    assert fit_quietly(make_method("bt", **FAST), pairs()) == []
    ctx = ["x", "y"] * 20
    assert fit_quietly(make_method("multihead", **FAST), pairs(context=ctx)) == []


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"label": [0.5] * 40}, "every label in training data is 0.5"),
        ({"same_rows": range(40)}, "equals response b in every row"),
        ({"weight": [0.0] * 40}, "total weight 0"),
    ],
)
def test_degenerate_training_data_is_refused(kwargs, expected):
    with pytest.raises(DataValidationError, match=expected):
        make_method("bt", **FAST).fit(pairs(**kwargs))


def test_every_problem_is_listed_at_once():
    data = pairs(label=[0.5] * 40, weight=[0.0] * 40, same_rows=range(40))
    with pytest.raises(DataValidationError) as err:
        make_method("bt", **FAST).fit(data)
    assert len(err.value.problems) == 2  # ties and identical sides (weight: no decided rows)


def test_refusal_comes_before_any_encoding(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("encoded degenerate data")

    monkeypatch.setattr(Featurizer, "transform", never)
    monkeypatch.setattr(Featurizer, "encode", never)
    empty = [" "] * 30
    with pytest.raises(DataValidationError, match="every response in training data is empty"):
        make_method("bt", encoder="hashing", **FAST).fit(text_pairs(a=empty, b=empty))


def test_validation_data_of_ties_only_is_refused():
    with pytest.raises(DataValidationError, match="every label in the validation data is 0.5"):
        make_method("bt", **FAST).fit(pairs(), validation=pairs(10, label=[0.5] * 10))


def test_some_identical_rows_are_a_warning():
    found = fit_quietly(make_method("bt", **FAST), pairs(same_rows=[2, 5]))
    assert any("in 2 of 40 rows (rows 2, 5)" in w for w in found)


@pytest.mark.parametrize("n", [1, 2, MIN_TRAINING_PAIRS - 1])
def test_fewer_informative_pairs_than_the_minimum_are_refused(n):
    with pytest.raises(DataValidationError, match=rf"has {n} informative pair.*at least 10"):
        make_method("bt", validation_fraction=0.0, **FAST).fit(pairs(n))


def test_the_minimum_counts_informative_pairs_not_rows():
    labels = np.r_[np.ones(MIN_TRAINING_PAIRS - 1), np.full(30, 0.5)]
    with pytest.raises(DataValidationError, match=r"9 informative pair\(s\).* in 39 row"):
        make_method("bt", **FAST).fit(pairs(len(labels), label=labels))


@pytest.mark.parametrize("n", [MIN_TRAINING_PAIRS, MIN_HOLDOUT_ROWS - 1])
def test_too_few_rows_for_the_hold_out_warn_and_say_how_many(n):
    found = fit_quietly(make_method("bt", **FAST), pairs(n))
    assert any(f"has {n} row(s)" in w and f"at least {MIN_HOLDOUT_ROWS} rows" in w for w in found)
    assert fit_quietly(make_method("bt", validation_fraction=0.0, **FAST), pairs(n)) == []


def test_null_contexts_are_refused_with_their_rows():
    ctx = ["x", "y"] * 19 + [None, None]
    with pytest.raises(DataValidationError, match=r"missing \(null\) in 2 row.*rows 38, 39"):
        make_method("multihead", **FAST).fit(pairs(context=ctx))


def test_null_contexts_are_ignored_by_methods_without_context():
    ctx = ["x", "y"] * 19 + [None, None]
    assert fit_quietly(make_method("bt", **FAST), pairs(context=ctx)) == []


def test_a_validation_context_unseen_in_training_is_refused():
    with pytest.raises(DataValidationError, match=r"context value\(s\) \['z'\]"):
        make_method("multihead", **FAST).fit(
            pairs(context=["x", "y"] * 20), validation=pairs(4, context=["x", "z"] * 2)
        )


def test_scoring_null_contexts_names_the_rows():
    model = make_method("multihead", **FAST).fit(pairs(context=["x", "y"] * 20))
    with pytest.raises(DataValidationError, match=r"rows 1"):
        model.rewards(vectors=np.zeros((2, 4), np.float32), context=["x", None])


@pytest.mark.parametrize("seed", range(20))
def test_a_rare_context_never_lands_only_in_the_hold_out(seed):
    ctx = ["big"] * 38 + ["rare", "rare"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make_method("multihead", seed=seed, **FAST).fit(pairs(context=ctx, seed=seed))
    assert model.contexts_ == ["big", "rare"]
    assert any("'rare' have too few rows to hold out" in str(w.message) for w in caught)


def test_stratified_hold_out_gives_each_context_its_share():
    data = pairs(100, context=["x"] * 50 + ["y"] * 50)
    train, val = holdout(data, 0.2, seed=0, groups=data.column("context"))
    assert sorted(val.column("context").tolist()) == ["x"] * 10 + ["y"] * 10
    assert len(train) == 80 and set(train.column("context")) == {"x", "y"}


def test_plain_hold_out_is_unchanged_without_groups():
    data = pairs(40)
    train, val = holdout(data, 0.1, seed=3)
    order = np.random.default_rng(3).permutation(40)
    assert sorted(val.column("vector.a")[:, 0]) == sorted(data.column("vector.a")[order[:4], 0])
    assert len(train) == 36
