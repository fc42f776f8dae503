"""`linear_probe`: the probe of `methods/probe.py` as a registered reward model."""

import numpy as np
import pytest

from causalpref import simulate
from causalpref.methods import load_model, make_method
from causalpref.methods.probe import DEFAULT_L2, L2_GRID, fit_linear_probe
from causalpref.metrics import pairwise_accuracy


@pytest.fixture(scope="module")
def data():
    return simulate.make("latent_overlap", seed=0, n_train=600, n_validation=200, n_test=400)


def diff(part):
    return part.vectors("a") - part.vectors("b")


def probe_margins(probe, part):
    return probe.margins(part.vectors("a"), part.vectors("b"))


def test_it_is_the_probe_of_fit_linear_probe(data):
    model = make_method("linear_probe").fit(data.train, validation=data.validation)
    probe = fit_linear_probe(
        diff(data.train), data.train.labels, diff(data.validation), data.validation.labels
    )
    test = data.test
    assert model.l2_ == probe.l2
    np.testing.assert_allclose(model.margins(test), probe_margins(probe, test), atol=1e-5)
    accuracy = pairwise_accuracy(probe_margins(probe, test), test.labels)
    assert abs(model.score(test) - accuracy) < 1e-6 and accuracy > 0.6


def test_history_has_a_row_per_strength_and_the_best_is_the_lowest_loss(data):
    model = make_method("linear_probe").fit(data.train, validation=data.validation)
    history = model.history_
    assert [row["l2"] for row in history] == list(L2_GRID[: len(history)])
    assert [row["epoch"] for row in history] == list(range(1, len(history) + 1))
    losses = [row["validation_loss"] for row in history]
    assert model.best_epoch_ == int(np.argmin(losses)) + 1
    assert history[model.best_epoch_ - 1]["l2"] == model.l2_
    assert {"train_loss", "validation_accuracy"} <= set(history[0])


def test_without_validation_it_uses_the_default_strength(data):
    model = make_method("linear_probe", validation_fraction=0.0).fit(data.train)
    assert model.l2_ == DEFAULT_L2 and len(model.history_) == 1 and model.best_epoch_ == 1
    assert "validation_loss" not in model.history_[0]


def test_weights_and_strength_survive_save_and_load(data, tmp_path):
    model = make_method("linear_probe").fit(data.train, validation=data.validation)
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.l2_ == model.l2_
    np.testing.assert_array_equal(
        loaded.net_.linear.weight.detach().numpy(), model.net_.linear.weight.detach().numpy()
    )
    np.testing.assert_array_equal(loaded.margins(data.test), model.margins(data.test))


def test_weights_count_and_ties_pull_margins_to_zero(data):
    train = data.train
    zero_half = np.where(np.arange(len(train)) % 2 == 0, 1.0, 0.0)
    weighted = make_method("linear_probe").fit(
        train.with_columns({"weight": zero_half}), validation=data.validation
    )
    probe = fit_linear_probe(
        diff(train)[::2], train.labels[::2], diff(data.validation), data.validation.labels
    )
    subset = probe_margins(probe, data.test)
    np.testing.assert_allclose(weighted.margins(data.test), subset, atol=1e-2)
    plain = make_method("linear_probe").fit(train, validation=data.validation)
    assert np.abs(plain.margins(data.test) - subset).max() > 1e-1  # the weights mattered
    decided = np.arange(len(train)) % 4 == 0
    ties = train.with_columns({"label": np.where(decided, train.labels, 0.5)})
    tied = make_method("linear_probe").fit(ties, validation=data.validation)
    alone = make_method("linear_probe").fit(
        train.with_columns({"weight": decided.astype(float)}), validation=data.validation
    )
    assert np.abs(tied.margins(data.test)).mean() < 0.7 * np.abs(alone.margins(data.test)).mean()


def test_shuffled_labels_score_near_chance(data):
    rng = np.random.default_rng(0)
    shuffled = data.train.with_columns({"label": rng.permutation(data.train.labels)})
    with pytest.warns(UserWarning, match="not above chance"):
        model = make_method("linear_probe").fit(shuffled, validation=data.validation)
    assert abs(model.score(data.test) - 0.5) < 0.08  # 3 s.e. of 400 pairs at chance is 0.075
