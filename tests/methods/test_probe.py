"""The linear probe: scikit-learn's logistic regression reproduced in torch, fitted beside a fit."""

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from causalpref.data import PreferenceData
from causalpref.methods import load_model, make_method
from causalpref.methods.probe import L2_GRID, fit_linear_probe

DIM = 20


def _pairs(n: int, rng: np.random.Generator, w: np.ndarray):
    """Embedding pairs whose label is a Bradley-Terry draw from a linear reward."""
    xa, xb = rng.normal(size=(n, DIM)), rng.normal(size=(n, DIM))
    p = 1 / (1 + np.exp(-(xa - xb) @ w))
    return xa, xb, (rng.random(n) < p).astype(np.float64)


def _accuracy(margins: np.ndarray, labels: np.ndarray) -> float:
    return float(((margins > 0) == (labels > 0.5)).mean())


def test_probe_matches_sklearn_logistic_regression():
    rng = np.random.default_rng(0)
    w = rng.normal(size=DIM) * 0.4
    (ta, tb, ty), (va, vb, vy), (sa, sb, sy) = (_pairs(n, rng, w) for n in (600, 400, 5000))
    probe = fit_linear_probe(ta - tb, ty, va - vb, vy)
    # scikit-learn minimises C * sum(loss) + |w|^2 / 2, i.e. mean(loss) + |w|^2 / (2 C n).
    sk = LogisticRegression(C=1 / (probe.l2 * len(ty)), fit_intercept=False, tol=1e-8)
    sk.fit(ta - tb, ty)
    ours, theirs = _accuracy(probe.margins(sa, sb), sy), sk.score(sa - sb, sy)
    se = math.sqrt(ours * (1 - ours) / len(sy))
    print(f"probe {ours:.4f} vs sklearn {theirs:.4f} (s.e. {se:.4f}), l2 {probe.l2:g}")
    assert abs(ours - theirs) < se
    cosine = probe.weights @ sk.coef_[0] / np.linalg.norm(probe.weights) / np.linalg.norm(sk.coef_)
    assert cosine > 0.999
    assert np.allclose(probe.weights, sk.coef_[0], rtol=0.02, atol=0.02)


def test_probe_chooses_a_strong_penalty_when_training_pairs_are_few():
    rng = np.random.default_rng(1)
    w = rng.normal(size=DIM) * 0.4
    (ta, tb, ty), (va, vb, vy) = _pairs(30, rng, w), _pairs(2000, rng, w)
    few = fit_linear_probe(ta - tb, ty, va - vb, vy)
    (ta, tb, ty) = _pairs(5000, rng, w)
    many = fit_linear_probe(ta - tb, ty, va - vb, vy)
    assert few.l2 > many.l2
    assert few.l2 in L2_GRID and many.n_validation == 2000


def _vector_data(n: int, seed: int, context: bool = False) -> PreferenceData:
    rng = np.random.default_rng(seed)
    w = np.linspace(-1, 1, 16)
    xa, xb = rng.normal(size=(n, 16)), rng.normal(size=(n, 16))
    labels = ((xa - xb) @ w + rng.normal(size=n) > 0).astype(float)
    columns = {"vector.a": xa, "vector.b": xb, "label": labels}
    if context:
        columns["context"] = np.array(["x", "y"] * (n // 2))
    return PreferenceData.from_columns(columns)


def test_fit_records_the_probe_and_saves_it(tmp_path):
    model = make_method("bt", hidden_dim=16, epochs=3).fit(
        _vector_data(400, 0), _vector_data(200, 1)
    )
    assert model.probe_["n"] == 200 and model.probe_["l2"] in L2_GRID
    assert model.probe_["validation_accuracy"] > 0.8  # a linear reward, little noise
    model.save(tmp_path / "m")
    assert load_model(tmp_path / "m").probe_ == model.probe_


@pytest.mark.parametrize(
    ("method", "settings", "validation"),
    [("base", {}, True), ("bt", {"validation_fraction": 0.0}, False)],
)
def test_probe_is_skipped_for_context_or_without_validation(method, settings, validation):
    data = _vector_data(400, 0, context=True)
    held = _vector_data(200, 1, context=True) if validation else None
    model = make_method(method, hidden_dim=16, epochs=2, **settings).fit(data, held)
    assert model.probe_ is None
