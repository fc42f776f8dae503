"""`linear_probe`: the linear probe of every fit as a reward model of its own, r(x) = w . x.

Logistic regression without intercept on x_a - x_b (`probe.logistic_weights`, L-BFGS), fitted
along `probe.L2_GRID` and kept at the strength with the lowest validation loss, the rule of the
`probe_` record: a study row beside `bt` that says what a linear read-out of the embeddings gives.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from causalpref.methods.base import RewardModel
from causalpref.methods.probe import L2_GRID, MAX_RISES, logistic_weights
from causalpref.methods.registry import register_method
from causalpref.methods.training import PairTensors, validation_loss
from causalpref.metrics import pairwise_accuracy
from causalpref.models.reward_nets import LinearRewardNet

# The strength used when no validation pair weighs, so none can be chosen (validation_fraction=0,
# or under 20 pairs, too few to hold any out). On three simulated scenarios (dim 64, 5 seeds,
# 2,000 validation pairs) validation loss chose 0.1 in 14 of 15 fits at 1,000 training pairs,
# 0.1 or 1 at 50-200 and 1 at 20: 0.1 is its choice at any size but the tiniest.
DEFAULT_L2 = 0.1


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class LinearProbeReward(RewardModel):
    """Linear reward on the embedding, fitted to its optimum by L-BFGS, its L2 strength chosen
    on validation loss; the mini-batch settings (hidden_dim, epochs, lr, ...) do not apply."""

    name = "linear_probe"
    summary = "linear reward w . x: logistic regression on x_a - x_b, L2 chosen on validation"

    def _build_net(self, input_dim, n_contexts):
        return LinearRewardNet(input_dim)

    def _train(self, net, train, val, settings, selection):
        """The probe's fit along the L2 grid (`l2_path`) copied into `net`: a history row per
        strength tried, the chosen one as the best epoch, its strength as `l2_`."""
        history, epoch, w = l2_path(train, val, settings.verbose)
        self.l2_ = history[epoch - 1]["l2"]
        with torch.no_grad():
            net.linear.weight.copy_(w.unsqueeze(0))
        net.eval()
        return history, epoch


def l2_path(
    train: PairTensors, val: PairTensors | None, verbose: bool = False
) -> tuple[list[dict], int, torch.Tensor]:
    """Fits along `L2_GRID`, each from the last, stopping after `MAX_RISES` rises of the
    validation loss (`DEFAULT_L2` alone when no validation pair weighs): the rows, the 1-based
    index of the lowest validation loss and its weights."""
    x, history, fits = differences(train), [], []
    x_val = differences(val) if val is not None and float(val.weight.sum()) > 0 else None
    w, rises = torch.zeros(x.shape[1]), 0
    for epoch, l2 in enumerate(L2_GRID if x_val is not None else (DEFAULT_L2,), start=1):
        start = time.perf_counter()
        w = logistic_weights(x, train.label, train.weight, l2, start=w)
        row = {"epoch": epoch, "l2": l2, "train_loss": _weighted_loss(x @ w, train)}
        if x_val is not None:
            row.update(_validation_row(x_val @ w, val))
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        fits.append(w)
        if verbose:
            print(_describe(row), file=sys.stderr)
        rises = rises + 1 if len(history) > 1 and _loss(row) > _loss(history[-2]) else 0
        if rises >= MAX_RISES:
            break
    best = min(range(len(history)), key=lambda i: _loss(history[i]))
    return history, best + 1, fits[best]


def _loss(row: dict) -> float:
    return row.get("validation_loss", 0.0)  # without validation the only strength is kept


def differences(pairs: PairTensors) -> torch.Tensor:
    """x_a - x_b of every pair (n, d): the inputs of the logistic regression."""
    return pairs.xa[pairs.rows] - pairs.xb[pairs.rows]


def _weighted_loss(margins: torch.Tensor, pairs: PairTensors) -> float:
    """The weighted Bradley-Terry loss of `margins`, without the penalty (comparable to `bt`)."""
    losses = F.binary_cross_entropy_with_logits(margins, pairs.label, reduction="none")
    return float((losses * pairs.weight).sum() / pairs.weight.sum().clamp_min(1e-12))


def _validation_row(margins: torch.Tensor, val: PairTensors) -> dict[str, float]:
    values = margins.double().numpy()
    return {
        "validation_loss": validation_loss(values, val),
        "validation_accuracy": pairwise_accuracy(values, val.label.numpy()),
    }


def _describe(row: dict) -> str:
    text = f"l2 {row['l2']:g}  loss {row['train_loss']:.4f}"
    if "validation_accuracy" in row:
        text += f"  val loss {row['validation_loss']:.4f}  acc {row['validation_accuracy']:.4f}"
    return text + f"  ({row['seconds']:.1f}s)"
