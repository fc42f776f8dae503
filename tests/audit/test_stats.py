"""The audit's statistics against direct computations and scikit-learn (a dev dependency)."""

import math

import numpy as np
import pytest

from causalpref.audit import stats


def test_wilson_interval_covers_and_shrinks():
    lo, hi = stats.wilson_interval(55, 100)
    assert lo < 0.55 < hi
    lo2, hi2 = stats.wilson_interval(5500, 10000)
    assert hi2 - lo2 < (hi - lo) / 5
    assert all(math.isnan(v) for v in stats.wilson_interval(0, 0))


def test_wilson_coverage_is_near_nominal():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        k = rng.binomial(200, 0.6)
        lo, hi = stats.wilson_interval(k, 200)
        hits += lo <= 0.6 <= hi
    assert 0.93 <= hits / 2000 <= 0.97


def test_kfold_partitions_rows():
    folds = stats.kfold(23, 5, seed=1)
    tests = np.concatenate([t for _, t in folds])
    assert sorted(tests.tolist()) == list(range(23))
    for train, test in folds:
        assert not set(train) & set(test)
    with pytest.raises(ValueError):
        stats.kfold(3, 5, seed=0)


def test_auc_matches_pairwise_definition_with_ties():
    rng = np.random.default_rng(2)
    scores = rng.integers(0, 5, size=60).astype(float)
    pos = rng.random(60) < 0.4
    p, n = scores[pos], scores[~pos]
    direct = np.mean((p[:, None] > n[None]) + 0.5 * (p[:, None] == n[None]))
    assert stats.auc(scores, pos) == pytest.approx(direct)


def test_delong_se_matches_sklearn_auc_and_bootstrap():
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    y = rng.random(800) < 0.5
    scores = y * 0.8 + rng.normal(size=800)
    value, se = stats.delong_auc(scores, y)
    assert value == pytest.approx(sklearn.roc_auc_score(y, scores))
    boot = [stats.auc(scores[i], y[i]) for i in rng.integers(0, 800, size=(400, 800))]
    assert se == pytest.approx(np.std(boot), rel=0.2)


def test_ridge_matches_sklearn_and_constraint_holds():
    linear = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 8))
    y = x @ rng.normal(size=8) + rng.normal(size=300)
    eig = stats.GramEigen.of(x.T @ x, 300)
    beta = eig.solve(x.T @ y, 5.0)
    ref = linear.Ridge(alpha=5.0, fit_intercept=False).fit(x, y).coef_
    np.testing.assert_allclose(beta, ref, rtol=1e-8, atol=1e-10)
    w = rng.normal(size=8)
    constrained = eig.solve(x.T @ y, 5.0, avoid=w)
    assert abs(w @ constrained) < 1e-8
    # Same as ridge on features with w projected out.
    proj = np.eye(8) - np.outer(w, w) / (w @ w)
    ref2 = linear.Ridge(alpha=5.0, fit_intercept=False).fit(x @ proj, y).coef_
    np.testing.assert_allclose(x @ constrained, x @ proj @ ref2, rtol=1e-7, atol=1e-8)


def test_gcv_prefers_small_penalty_with_signal_and_large_without():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(500, 20))
    y_signal = x @ rng.normal(size=20)
    y_noise = rng.normal(size=500)
    eig = stats.GramEigen.of(x.T @ x, 500)
    small = eig.gcv_penalty(x.T @ y_signal, float(y_signal @ y_signal))
    large = eig.gcv_penalty(x.T @ y_noise, float(y_noise @ y_noise))
    assert small < large


def test_fold_grams_equal_direct_training_statistics():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(50, 4)), rng.normal(size=(50, 2))
    folds = stats.kfold(50, 5, seed=0)
    grams = stats.FoldGrams.of(x, y, folds)
    eig, xty, yty = grams.training(2)
    train = folds[2][0]
    np.testing.assert_allclose(xty, x[train].T @ y[train])
    np.testing.assert_allclose(
        eig.vectors @ np.diag(eig.values) @ eig.vectors.T, x[train].T @ x[train], atol=1e-9
    )


def test_logistic_matches_sklearn():
    linear = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 5))
    y = (rng.random(400) < stats.sigmoid(x @ np.array([1.0, -2, 0, 0.5, 0]) + 0.3)).astype(float)
    beta = stats.logistic_l2(x, y, penalty=2.0)
    ref = linear.LogisticRegression(C=1 / 2.0, tol=1e-10, max_iter=1000).fit(x, y)
    np.testing.assert_allclose(beta[1:], ref.coef_[0], rtol=1e-4, atol=1e-5)
    assert beta[0] == pytest.approx(ref.intercept_[0], abs=1e-4)


def test_principal_components_are_unit_variance():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(200, 30)) @ rng.normal(size=(30, 30))
    pcs = stats.principal_components(x, 5)
    assert pcs.shape == (200, 5)
    np.testing.assert_allclose(pcs.std(0), 1.0)
    assert math.isclose(float(np.abs(np.corrcoef(pcs.T) - np.eye(5)).max()), 0.0, abs_tol=1e-8)
