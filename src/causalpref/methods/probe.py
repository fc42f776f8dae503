"""The linear probe fitted beside every context-free reward model: a capacity ruler.

Logistic regression without intercept on embedding differences x_a - x_b (the reward-difference
model whose reward is linear in the embedding), its L2 strength chosen on the validation pairs.
A model that falls clearly below it on the same validation pairs has not learned what a linear
read-out of the same embeddings already gives (see `fit_report`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from causalpref.methods.training import PairTensors
from causalpref.metrics import pairwise_accuracy

# Strengths of the penalty l2/2 * |w|^2 added to the mean logistic loss, strongest first; in
# scikit-learn's terms C = 1 / (l2 * n). From 1 (a nearly constant margin) to 1e-6 (no penalty
# that matters for unit-scale embeddings at 100,000 pairs) in decades.
L2_GRID = tuple(10.0**k for k in range(0, -7, -1))
# L-BFGS iterations per strength; each warm-starts from the previous (stronger) solution, so the
# weaker penalties need few. Enough to reach scikit-learn's solution within its tolerance.
MAX_ITERATIONS = 100
# Training pairs the probe fits on at most (a seeded sample beyond): on 100,000 simulated pairs of
# 384 dimensions a 20,000-pair probe scored within 0.1 point of the full one in half the time.
MAX_PROBE_PAIRS = 20_000
# The validation loss along the grid falls, then rises once the penalty is too weak; after this
# many rises in a row the weaker strengths are not tried (they cost the most iterations).
MAX_RISES = 2
# The strength used when no validation pair weighs, so none can be chosen (validation_fraction=0,
# or under 20 pairs, too few to hold any out). On three simulated scenarios (dim 64, 5 seeds,
# 2,000 validation pairs) validation loss chose 0.1 in 14 of 15 fits at 1,000 training pairs,
# 0.1 or 1 at 50-200 and 1 at 20: 0.1 is its choice at any size but the tiniest.
DEFAULT_L2 = 0.1


@dataclass(frozen=True)
class LinearProbe:
    """Fitted probe: weights on x_a - x_b, the chosen L2 strength and its validation accuracy on
    `n_validation` decided pairs."""

    weights: np.ndarray
    l2: float
    validation_accuracy: float
    n_validation: int

    def margins(self, xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
        """w . (x_a - x_b) for every pair: the probe's r(a) - r(b)."""
        diff = np.asarray(xa, dtype=np.float64) - np.asarray(xb, dtype=np.float64)
        return diff @ self.weights

    def record(self) -> dict[str, Any]:
        """What a model stores as `probe_`: validation accuracy, chosen L2 and pairs scored."""
        return {
            "validation_accuracy": self.validation_accuracy,
            "l2": self.l2,
            "n": self.n_validation,
        }


def fit_linear_probe(
    train_diff: np.ndarray | torch.Tensor,
    train_labels: np.ndarray | torch.Tensor,
    validation_diff: np.ndarray | torch.Tensor,
    validation_labels: np.ndarray | torch.Tensor,
    train_weights: np.ndarray | torch.Tensor | None = None,
) -> LinearProbe:
    """Fit the probe on training differences (labels may be soft; 0.5 is a tie) along
    `L2_GRID` and keep the strength with the lowest validation log-loss (smoother than accuracy,
    which a few hundred pairs make noisy)."""
    x, y = _tensor(train_diff), _tensor(train_labels)
    weight = torch.ones_like(y) if train_weights is None else _tensor(train_weights)
    x_val, y_val = _tensor(validation_diff), _tensor(validation_labels)
    history, best, w = l2_path(x, y, weight, (x_val, y_val, torch.ones_like(y_val)))
    labels = y_val.double().numpy()
    return LinearProbe(
        weights=w.double().numpy(),
        l2=history[best - 1]["l2"],
        validation_accuracy=history[best - 1]["validation_accuracy"],
        n_validation=int((labels != 0.5).sum()),
    )


def l2_path(
    x: torch.Tensor,
    y: torch.Tensor,
    weight: torch.Tensor,
    validation: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> tuple[list[dict], int, torch.Tensor]:
    """Fits along `L2_GRID`, each warm-started from the last, stopping after `MAX_RISES` rises
    of the validation loss (`DEFAULT_L2` alone when no validation pair weighs). `validation`
    is (differences, labels, weights). Returns a row per strength tried (epoch, l2, train_loss,
    validation_loss / _accuracy, seconds), the 1-based index of the lowest validation loss and
    its weights."""
    if validation is not None and float(validation[2].sum()) <= 0:
        validation = None
    w, rises, history, fits = torch.zeros(x.shape[1]), 0, [], []
    for epoch, l2 in enumerate(L2_GRID if validation is not None else (DEFAULT_L2,), start=1):
        start = time.perf_counter()
        w = logistic_weights(x, y, weight, l2, start=w)
        row = {"epoch": epoch, "l2": l2, "train_loss": weighted_log_loss(x @ w, y, weight)}
        if validation is not None:
            x_val, y_val, w_val = validation
            margins = x_val @ w
            row["validation_loss"] = weighted_log_loss(margins, y_val, w_val)
            row["validation_accuracy"] = pairwise_accuracy(
                margins.double().numpy(), y_val.double().numpy()
            )
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        fits.append(w)
        rises = rises + 1 if len(history) > 1 and _loss(row) > _loss(history[-2]) else 0
        if rises >= MAX_RISES:
            break
    best = min(range(len(history)), key=lambda i: _loss(history[i]))
    return history, best + 1, fits[best]


def _loss(row: dict) -> float:
    return row.get("validation_loss", 0.0)  # without validation the only strength is kept


def weighted_log_loss(margins: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor) -> float:
    """The weighted mean logistic (Bradley-Terry) loss of `margins`, without any penalty."""
    losses = F.binary_cross_entropy_with_logits(margins, labels, reduction="none")
    return float((losses * weight).sum() / weight.sum().clamp_min(1e-12))


def logistic_weights(
    x: torch.Tensor,
    y: torch.Tensor,
    weight: torch.Tensor,
    l2: float,
    start: torch.Tensor | None = None,
) -> torch.Tensor:
    """Weights minimising the weighted mean logistic loss of x @ w against `y` plus
    l2/2 * |w|^2, by L-BFGS with a strong-Wolfe line search (from `start`, else zero)."""
    w = (torch.zeros(x.shape[1]) if start is None else start.clone()).requires_grad_(True)
    optimizer = torch.optim.LBFGS(
        [w],
        lr=1.0,
        max_iter=MAX_ITERATIONS,
        tolerance_grad=1e-5,
        tolerance_change=1e-9,
        history_size=20,
        line_search_fn="strong_wolfe",
    )
    total = weight.sum().clamp_min(1e-12)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        losses = F.binary_cross_entropy_with_logits(x @ w, y, reduction="none")
        loss = (losses * weight).sum() / total + 0.5 * l2 * (w @ w)
        loss.backward()
        return loss

    optimizer.step(closure)
    return w.detach()


def _tensor(values: np.ndarray | torch.Tensor) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        return values.detach().float()
    return torch.from_numpy(np.asarray(values, dtype=np.float32))


def probe_beside(
    train: PairTensors, validation: PairTensors, seed: int = 0
) -> dict[str, Any] | None:
    """The `probe_` record of a fit: the probe fitted on the model's training pairs (a seeded
    sample of `MAX_PROBE_PAIRS` when there are more) and scored on its validation pairs (None
    when no validation pair is decided)."""
    if decided_pairs(validation) == 0:
        return None
    if len(train) > MAX_PROBE_PAIRS:
        generator = torch.Generator().manual_seed(seed)
        train = train.take(torch.randperm(len(train), generator=generator)[:MAX_PROBE_PAIRS])
    probe = fit_linear_probe(
        pair_differences(train),
        train.label,
        pair_differences(validation),
        validation.label.numpy(),
        train.weight,
    )
    return probe.record()


def decided_pairs(pairs: PairTensors | None) -> int:
    """How many of `pairs` have a label other than 0.5 (a tie scores no accuracy)."""
    return 0 if pairs is None else int((pairs.label != 0.5).sum())


def pair_differences(pairs: PairTensors) -> torch.Tensor:
    """x_a - x_b of every pair (n, d): the inputs of the logistic regression."""
    return pairs.xa[pairs.rows] - pairs.xb[pairs.rows]
