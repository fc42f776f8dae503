"""Counterfactual-invariant reward (CRM, Wang et al. arXiv 2501.09620): `invariant_mmd`.

A known spurious attribute Z (length, sycophancy, ...) is recorded per response as
`attr.<attribute>.a/.b`. Training adds to Bradley-Terry a penalty that makes the reward's
representation phi look the same whatever Z is: penalty * sum over quantile bins b of Z of
MMD^2(P(phi | Z in b), P(phi)), estimated per mini-batch with an RBF kernel whose bandwidth is
the median heuristic. The attribute is needed to fit, never to score; when the data lacks its
columns it is computed from the response texts (attribute="length_words", the default,
"regex:<pattern>", ...). The attribute setting, its columns and checks are `AttributeReward`'s
(methods/attribute_reward.py), shared with `odin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

from causalpref.methods.attribute_reward import ATTRIBUTE_KEY, AttributeReward
from causalpref.methods.registry import register_method
from causalpref.methods.settings import BOOL, Interval, setting
from causalpref.methods.training import PairBatch, PairTensors, bradley_terry_loss
from causalpref.models.reward_nets import RewardNet


# -- MMD ----------------------------------------------------------------------------------------
def rbf_kernel(x: torch.Tensor, use: torch.Tensor | None = None) -> torch.Tensor:
    """exp(-||x_i - x_j||^2 / m) over the rows of `x`; m is the median squared distance between
    distinct rows flagged by `use` (all rows by default), detached (the median heuristic)."""
    sq = (x * x).sum(dim=1)
    d2 = (sq[:, None] + sq[None, :] - 2.0 * x @ x.T).clamp_min(0.0)
    rows = torch.arange(x.shape[0], device=x.device) if use is None else use.nonzero().squeeze(1)
    upper = torch.triu_indices(len(rows), len(rows), offset=1, device=x.device)
    distinct = d2.detach()[rows[upper[0]], rows[upper[1]]]
    bandwidth = distinct.median().clamp_min(1e-12) if distinct.numel() else 1.0
    return torch.exp(-d2 / bandwidth)


def weighted_mmd2(kernel: torch.Tensor, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """MMD^2 between two weightings p, q (each summing to 1) of the same samples: (p-q)'K(p-q)."""
    diff = p - q
    return (diff @ kernel @ diff).clamp_min(0.0)


def mmd2(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """MMD^2 between samples `x` and `y` (V-statistic, RBF kernel, median heuristic on both)."""
    n, m = x.shape[0], y.shape[0]
    p = torch.cat([x.new_full((n,), 1.0 / n), x.new_zeros(m)])
    q = torch.cat([x.new_zeros(n), x.new_full((m,), 1.0 / m)])
    return weighted_mmd2(rbf_kernel(torch.cat([x, y])), p, q)


def binned_mmd_penalty(
    kernel: torch.Tensor, bins: torch.Tensor, weight: torch.Tensor, n_bins: int
) -> torch.Tensor:
    """sum_b MMD^2(samples in bin b, all samples) under sample weights `weight`.

    Bins with fewer than 2 samples of positive weight are skipped (their MMD is pure noise).
    """
    total = kernel.new_zeros(())
    mass = weight.sum()
    if mass <= 0:
        return total
    everyone = weight / mass
    for b in range(n_bins):
        member = (bins == b) & (weight > 0)
        if int(member.sum()) < 2:
            continue
        in_bin = torch.where(member, weight, 0.0)
        total = total + weighted_mmd2(kernel, in_bin / in_bin.sum(), everyone)
    return total


def attribute_bin_edges(values: np.ndarray, n_bins: int) -> list[float]:
    """Inner quantile edges splitting `values` into `n_bins` bins (repeated edges merged)."""
    inner = np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    return [float(e) for e in np.unique(inner)]


# -- the method ----------------------------------------------------------------------------------
@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class InvariantMMD(AttributeReward):
    """BT plus `penalty` * sum over attribute bins of MMD^2(phi | bin, phi): a reward blind to Z."""

    name = "invariant_mmd"
    summary = "BT + MMD penalty making the representation invariant to an attribute (CRM)"

    penalty: float = setting(
        3.0, Interval(Real, 0, None), hint="the weight of the MMD penalty; 0 gives plain BT"
    )
    n_bins: int = setting(
        4,
        Interval(Integral, 2, None),
        hint="quantile bins of the attribute; one bin cannot express a dependence",
    )
    conditional: bool = setting(False, BOOL)
    batch_size: int = 512

    def _start_training(self, train: PairTensors) -> None:
        """Quantile bin edges of the training attribute (both responses), kept as `bin_edges_`."""
        values = train.extras[ATTRIBUTE_KEY].numpy().reshape(-1)
        self.bin_edges_ = attribute_bin_edges(values, self.n_bins)
        self._edges = torch.tensor(self.bin_edges_, dtype=torch.float32)

    def _loss(self, net: RewardNet, batch: PairBatch) -> torch.Tensor:
        """Bradley-Terry plus `penalty` times the binned MMD^2 of the representations."""
        loss = bradley_terry_loss(batch)
        if self.penalty == 0:
            return loss
        return loss + self.penalty * self._invariance_penalty(batch)

    def _invariance_penalty(self, batch: PairBatch) -> torch.Tensor:
        """sum_bins MMD^2 over the batch's responses; per label group if `conditional`.

        Each response is one sample (rep_a and rep_b stacked) with its pair's weight. In the
        conditional variant a response belongs to the preferred group with weight label * w and
        to the non-preferred group with weight (1 - label) * w: a tie counts half in each, a soft
        label in proportion.
        """
        rep = torch.cat([batch.rep_a, batch.rep_b])
        attribute = batch.extras[ATTRIBUTE_KEY]
        bins = torch.bucketize(torch.cat([attribute[:, 0], attribute[:, 1]]), self._edges)
        weight = torch.cat([batch.weight, batch.weight])
        kernel = rbf_kernel(rep, use=weight > 0)
        n_bins = len(self.bin_edges_) + 1
        if not self.conditional:
            return binned_mmd_penalty(kernel, bins, weight, n_bins)
        preferred = torch.cat([batch.label, 1.0 - batch.label]) * weight
        return binned_mmd_penalty(kernel, bins, preferred, n_bins) + binned_mmd_penalty(
            kernel, bins, weight - preferred, n_bins
        )
