"""`linear_probe`: the linear probe of every fit as a reward model of its own, r(x) = w . x.

Logistic regression without intercept on x_a - x_b (`probe.logistic_weights`, L-BFGS), fitted
along `probe.L2_GRID` and kept at the strength with the lowest validation loss, the rule of the
`probe_` record: a study row beside `bt` that says what a linear read-out of the embeddings gives.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import torch

from causalpref.methods.base import RewardModel
from causalpref.methods.probe import l2_path, pair_differences
from causalpref.methods.registry import register_method
from causalpref.models.reward_nets import LinearRewardNet


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
        validation = None if val is None else (pair_differences(val), val.label, val.weight)
        history, epoch, w = l2_path(pair_differences(train), train.label, train.weight, validation)
        if settings.verbose:
            for row in history:
                print(_describe(row), file=sys.stderr)
        self.l2_ = history[epoch - 1]["l2"]
        with torch.no_grad():
            net.linear.weight.copy_(w.unsqueeze(0))
        net.eval()
        return history, epoch


def _describe(row: dict) -> str:
    text = f"l2 {row['l2']:g}  loss {row['train_loss']:.4f}"
    if "validation_accuracy" in row:
        text += f"  val loss {row['validation_loss']:.4f}  acc {row['validation_accuracy']:.4f}"
    return text + f"  ({row['seconds']:.1f}s)"
