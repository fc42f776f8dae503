"""Small statistics the audit checks share, in numpy only (no scikit-learn at run time).

Intervals (Wilson, normal), rank AUC with DeLong's variance and a bootstrap for macro AUC,
K-fold splits, ridge regression through the eigenbasis of the Gram matrix (the penalty chosen
by generalised cross-validation, optionally constrained to ignore one direction), and L2
logistic regression by Newton's method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054  # two-sided 95% normal quantile
RIDGE_GRID = np.logspace(-4, 4, 33)  # penalties, relative to the mean eigenvalue of X'X


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion successes / n (half-successes allowed)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def normal_interval(estimate: float, se: float, z: float = Z95) -> tuple[float, float]:
    """estimate +- z * se."""
    return (estimate - z * se, estimate + z * se)


def kfold(n: int, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """K (train, test) index pairs over a seeded permutation of range(n); folds differ by <= 1."""
    if k < 2 or n < k:
        raise ValueError(f"kfold needs 2 <= k <= n, got k={k}, n={n}")
    order = np.random.default_rng(seed).permutation(n)
    folds = np.array_split(order, k)
    return [
        (np.sort(np.concatenate(folds[:i] + folds[i + 1 :])), np.sort(fold))
        for i, fold in enumerate(folds)
    ]


def stratified_kfold(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """K folds that keep each class's share of `y` (integer codes) about equal in every fold."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(y), dtype=np.int64)
    for value in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == value))
        fold_of[rows] = (np.arange(len(rows)) + rng.integers(k)) % k
    return [(np.flatnonzero(fold_of != i), np.flatnonzero(fold_of == i)) for i in range(k)]


# -- AUC ------------------------------------------------------------------------------------------
def _midranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their mean rank."""
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    ranks = np.empty(len(x), dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], len(x)]
    mean_rank = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """P(score of a random positive > a random negative), ties counting half."""
    positive = np.asarray(positive, dtype=bool)
    m, n = int(positive.sum()), int((~positive).sum())
    if m == 0 or n == 0:
        return math.nan
    ranks = _midranks(np.asarray(scores, dtype=np.float64))
    return float((ranks[positive].sum() - m * (m + 1) / 2) / (m * n))


def delong_auc(scores: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """AUC and its standard error by DeLong's method (structural components via midranks)."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    pos, neg = scores[positive], scores[~positive]
    m, n = len(pos), len(neg)
    if m < 2 or n < 2:
        return auc(scores, positive), math.nan
    all_ranks = _midranks(np.r_[pos, neg])
    v10 = (all_ranks[:m] - _midranks(pos)) / n  # per positive: share of negatives below it
    v01 = 1.0 - (all_ranks[m:] - _midranks(neg)) / m  # per negative: share of positives above
    value = float(v10.mean())
    se = math.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n)
    return value, se


def macro_auc(scores: np.ndarray, codes: np.ndarray) -> float:
    """Mean one-vs-rest AUC over classes; `scores` is (n, k), `codes` integer classes 0..k-1."""
    k = scores.shape[1]
    return float(np.nanmean([auc(scores[:, c], codes == c) for c in range(k)]))


def bootstrap_interval(
    statistic, n: int, *, reps: int = 200, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of statistic(rows) over `reps` resamples of range(n) (seeded)."""
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, n, size=n)) for _ in range(reps)])
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return (math.nan, math.nan)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


# -- ridge --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GramEigen:
    """Eigendecomposition of X'X for ridge fits on one training set (no intercept)."""

    values: np.ndarray  # (d,), ascending, clipped at 0
    vectors: np.ndarray  # (d, d)
    n: int

    @classmethod
    def of(cls, gram: np.ndarray, n: int) -> GramEigen:
        """Decompose a symmetric Gram matrix computed from n rows."""
        values, vectors = np.linalg.eigh(gram)
        return cls(np.clip(values, 0.0, None), vectors, n)

    def penalties(self) -> np.ndarray:
        """The penalty grid scaled to this Gram matrix's mean eigenvalue."""
        scale = float(self.values.mean()) or 1.0
        return RIDGE_GRID * scale

    def gcv_penalty(self, xty: np.ndarray, yty: float) -> float:
        """The grid penalty minimising generalised cross-validation error for target y."""
        proj = self.vectors.T @ xty
        lam = self.penalties()[:, None]
        s = self.values[None, :]
        shrink = 1.0 / (s + lam)
        rss = yty - 2 * (proj**2 * shrink).sum(1) + (s * proj**2 * shrink**2).sum(1)
        df = (s * shrink).sum(1)
        gcv = np.maximum(rss, 0.0) / (self.n * np.maximum(1 - df / self.n, 1e-3) ** 2)
        return float(self.penalties()[int(np.argmin(gcv))])

    def solve(self, xty: np.ndarray, lam: float, avoid: np.ndarray | None = None) -> np.ndarray:
        """Ridge coefficients; with `avoid` = w they are constrained to w'beta = 0.

        The constraint equals fitting on features with direction w projected out: the fit
        then cannot use that one linear direction of X.
        """
        shrink = 1.0 / (self.values + lam)
        solve_m = lambda v: self.vectors @ (shrink * (self.vectors.T @ v))  # noqa: E731
        beta = solve_m(xty)
        if avoid is None or not np.any(avoid):
            return beta
        m_w = solve_m(avoid)
        return beta - m_w * (avoid @ beta) / (avoid @ m_w)


@dataclass(frozen=True)
class FoldGrams:
    """Per-fold X'X and X'Y so every fold's training statistics are the total minus the fold."""

    folds: list[tuple[np.ndarray, np.ndarray]]
    grams: list[np.ndarray]
    xtys: list[np.ndarray]
    ytys: list[np.ndarray]

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]):
        """Statistics of features x (n, d) and targets y (n, t) per test fold."""
        x = np.asarray(x, dtype=np.float64)
        grams, xtys, ytys = [], [], []
        for _, test in folds:
            xf, yf = x[test], y[test]
            grams.append(xf.T @ xf)
            xtys.append(xf.T @ yf)
            ytys.append((yf**2).sum(0))
        return cls(folds, grams, xtys, ytys)

    def training(self, i: int) -> tuple[GramEigen, np.ndarray, np.ndarray]:
        """(eigen of training X'X, training X'Y, training Y'Y) for fold i."""
        n_train = len(self.folds[i][0])
        gram = sum(self.grams) - self.grams[i]
        return (
            GramEigen.of(gram, n_train),
            sum(self.xtys) - self.xtys[i],
            sum(self.ytys) - self.ytys[i],
        )


# -- logistic ------------------------------------------------------------------------------------
def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def logistic_l2(
    x: np.ndarray, y: np.ndarray, *, penalty: float = 1.0, max_iter: int = 50, tol: float = 1e-6
) -> np.ndarray:
    """Coefficients [intercept, w] of L2-penalised logistic regression (intercept unpenalised).

    Newton's method; the objective is convex so it converges from zero.
    """
    xi = np.hstack([np.ones((len(x), 1)), np.asarray(x, dtype=np.float64)])
    reg = np.full(xi.shape[1], float(penalty))
    reg[0] = 0.0
    beta = np.zeros(xi.shape[1])
    for _ in range(max_iter):
        p = sigmoid(xi @ beta)
        grad = xi.T @ (p - y) + reg * beta
        hess = (xi * (p * (1 - p))[:, None]).T @ xi + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def logistic_predict(beta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(y = 1) for coefficients from logistic_l2."""
    return sigmoid(beta[0] + np.asarray(x, dtype=np.float64) @ beta[1:])


def principal_components(x: np.ndarray, k: int) -> np.ndarray:
    """x centred and projected on its top-k principal directions, each scaled to unit variance.

    Unsupervised (no labels), so using every row does not leak a target into cross-fitting.
    """
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean(0)
    if x.shape[1] <= k:
        basis = np.eye(x.shape[1])
    else:
        values, vectors = np.linalg.eigh(centred.T @ centred)
        basis = vectors[:, ::-1][:, :k]
    scores = centred @ basis
    sd = scores.std(0)
    keep = sd > 1e-9 * max(float(sd.max(initial=0.0)), 1e-300)
    return scores[:, keep] / sd[keep]
