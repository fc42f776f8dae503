"""Warnings when a fit did not train, and none when it did."""

import warnings

import numpy as np
import pytest

from causalpref.data import PreferenceData
from causalpref.methods import make_method
from causalpref.methods.fit_report import CHANCE_LOSS, training_findings


def _history(losses, accuracies):
    return [
        {"epoch": i + 1, "train_loss": loss, "validation_accuracy": acc}
        for i, (loss, acc) in enumerate(zip(losses, accuracies, strict=True))
    ]


GOOD = _history([0.69, 0.62, 0.55, 0.50], [0.60, 0.66, 0.70, 0.69])
PROBE = {"validation_accuracy": 0.70, "l2": 1e-3, "n": 400}


def test_a_history_that_trained_has_no_findings():
    assert training_findings(GOOD, 3, 400, PROBE) == []


def test_a_loss_that_stayed_at_ln2_is_found():
    flat = _history([CHANCE_LOSS, 0.6900, 0.6880], [0.60, 0.58, 0.59])
    (finding,) = [f for f in training_findings(flat, 1, 400) if "ln 2" in f]
    assert "barely moved" in finding and "0.6880" in finding


def test_a_loss_with_penalties_or_ties_is_not_compared_with_ln2():
    penalised = _history([1.03, 1.02, 1.01], [0.60, 0.66, 0.70])  # odin: BT plus its penalty
    assert training_findings(penalised, 3, 400, plain_loss=False) == []
    assert training_findings(penalised, 3, 400, plain_loss=True) != []  # negative control


def test_validation_at_chance_is_found_with_its_threshold():
    # 2 s.e. of an accuracy of 1/2 on 400 pairs is 0.05: 0.549 is at chance, 0.551 is not.
    assert any("not above chance" in f for f in training_findings(_history([0.5], [0.549]), 1, 400))
    assert training_findings(_history([0.5], [0.551]), 1, 400) == []


def test_falling_clearly_below_the_probe_is_found():
    # 2 s.e. of the gap between 0.70 and 0.63 on 400 pairs each is 0.066; between 0.70 and 0.64,
    # 0.066 too: 0.07 below is clearly below, 0.06 is not.
    below = _history([0.6, 0.5], [0.60, 0.63])
    (finding,) = training_findings(below, 2, 400, PROBE)
    assert "below the linear probe" in finding and "0.070" in finding
    near = _history([0.6, 0.5], [0.60, 0.64])
    assert training_findings(near, 2, 400, PROBE) == []


def test_a_first_best_epoch_is_a_hint_beside_another_finding_only():
    fast = _history([0.69, 0.6, 0.5], [0.70, 0.68, 0.67])  # fitted in one epoch, then overfit
    assert training_findings(fast, 1, 400, PROBE) == []
    stuck = _history([0.693, 0.692, 0.692], [0.52, 0.50, 0.51])
    found = training_findings(stuck, 1, 400)
    assert any("first of 3" in f for f in found) and len(found) == 3


def test_group_selection_at_chance_names_the_better_epoch():
    history = _history([0.6, 0.5, 0.45], [0.66, 0.70, 0.52])
    (finding,) = training_findings(history, 3, 400, selects_by_groups=True)
    assert "own score" in finding and "epoch by accuracy was 2 (0.700)" in finding


def _learnable(n: int, seed: int, shuffle_labels: bool = False) -> PreferenceData:
    rng = np.random.default_rng(seed)
    w = np.linspace(-1, 1, 16)
    xa, xb = rng.normal(size=(n, 16)), rng.normal(size=(n, 16))
    labels = ((xa - xb) @ w + 0.5 * rng.normal(size=n) > 0).astype(float)
    if shuffle_labels:
        labels = rng.permutation(labels)
    return PreferenceData.from_columns({"vector.a": xa, "vector.b": xb, "label": labels})


def _fit_warnings(seed: int = 0, shuffle_labels: bool = False, **settings) -> list[str]:
    train = _learnable(1000, 2 * seed, shuffle_labels)
    validation = _learnable(400, 2 * seed + 1, shuffle_labels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_method("bt", hidden_dim=32, seed=seed, **settings).fit(train, validation)
    return [str(w.message) for w in caught if str(w.message).startswith("method 'bt'")]


@pytest.mark.parametrize("seed", range(3))
def test_default_fit_on_learnable_pairs_does_not_warn(seed):
    assert _fit_warnings(seed) == []


def test_a_fit_whose_lr_is_too_small_to_move_warns():
    found = _fit_warnings(lr=1e-7, epochs=5)
    assert any("barely moved" in message for message in found)
    assert any("below the linear probe" in message for message in found)


def test_fits_on_random_labels_mostly_warn_at_chance():
    # The check is a 2-s.e. test of an accuracy that early stopping chose on the same pairs, so
    # a fit on pure noise slips under it now and then (at least 2.5% of the time); demand 4 of 5.
    warned = [
        any("not above chance" in m for m in _fit_warnings(seed, shuffle_labels=True))
        for seed in range(5)
    ]
    print(f"random labels: {sum(warned)} of 5 fits warned at chance")
    assert sum(warned) >= 4
