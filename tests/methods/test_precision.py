"""bf16 training (`precision="bf16"`): faster arithmetic, the same loss curve as fp32.

Tolerances come from what the loss curve is sensitive to: a different seed moves it by about
5e-3 per epoch (the negative control below), bf16 by about 3e-5 (measured over 3 scenarios).
"""

import numpy as np
import pytest

from causalpref import simulate
from causalpref.errors import ConfigError
from causalpref.methods import load_model, make_method
from causalpref.models.precision import resolve_precision

CURVE_TOLERANCE = 1e-3
EQUIVALENCE_MARGIN = 0.005


def fit(data, precision, seed=0):
    return make_method("bt", epochs=4, lr=1e-3, precision=precision, seed=seed).fit(
        data.train, validation=data.validation
    )


def curve(model):
    return np.array([row["train_loss"] for row in model.history_])


@pytest.fixture(scope="module")
def data():
    return simulate.make("latent_overlap", seed=0, n_train=4000, n_validation=500, n_test=2000)


@pytest.fixture(scope="module")
def fits(data):
    return {key: fit(data, *key) for key in [("fp32", 0), ("bf16", 0), ("fp32", 1)]}


def test_bf16_changes_the_arithmetic(fits, data):
    fp32, bf16 = fits["fp32", 0], fits["bf16", 0]
    assert not np.array_equal(fp32.margins(data.test), bf16.margins(data.test))


def test_bf16_keeps_the_fp32_loss_curve(fits):
    gap = np.abs(curve(fits["fp32", 0]) - curve(fits["bf16", 0])).max()
    assert gap < CURVE_TOLERANCE


def test_negative_control_another_seed_moves_the_curve_beyond_the_tolerance(fits):
    gap = np.abs(curve(fits["fp32", 0]) - curve(fits["fp32", 1])).max()
    assert gap > CURVE_TOLERANCE


def equivalence_bound(gaps):
    """|mean| + 3 s.e. of paired accuracy gaps: the largest gap the data leave plausible."""
    gaps = np.asarray(gaps)
    return abs(gaps.mean()) + 3 * gaps.std(ddof=1) / np.sqrt(len(gaps))


def test_bf16_reaches_the_fp32_accuracy_over_seeds():
    """Equivalence over 4 paired seeds: bf16's accuracy is within half a point of fp32's (smaller
    than any effect our docs report), while a real deficit - fitting on 50 of the 3,000 training
    pairs - is not, so the test can fail."""
    gaps, control = [], []
    for seed in range(4):
        data = simulate.make("latent_overlap", seed=seed, n_train=3000, n_validation=500)
        full = fit(data, "fp32", seed).score(data.test)
        gaps.append(fit(data, "bf16", seed).score(data.test) - full)
        less_data = make_method("bt", epochs=4, lr=1e-3, seed=seed).fit(
            data.train.head(50), validation=data.validation
        )
        control.append(less_data.score(data.test) - full)
    assert equivalence_bound(gaps) < EQUIVALENCE_MARGIN
    assert equivalence_bound(control) > EQUIVALENCE_MARGIN


def test_unknown_precision_is_a_clear_error(data):
    expected = r"'precision' parameter .* among \{'auto', 'fp32'.* Got 'fp16'"
    with pytest.raises(ConfigError, match=expected):
        make_method("bt", precision="fp16").fit(data.train)


def test_auto_is_resolved_at_fit_and_the_precision_used_is_saved(data, tmp_path):
    model = make_method("adversarial", epochs=1, hidden_dim=8, precision="auto")
    context = np.resize(np.array(["x", "y"], dtype=object), len(data.train))
    model.fit(data.train.with_columns({"context": context}))
    assert model.precision_ == resolve_precision("auto")
    assert model.net_.precision == model.precision_  # the adversary follows it too
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.precision == "auto" and loaded.precision_ == model.precision_
