"""The founding paper's reward models (Kobalczyk & van der Schaar, ICML 2025, section 4).

`bt` ignores context (Table 1's model); `base`, `multihead` and `adversarial` condition on the
labeller's context c, e.g. the objective a labeller was asked to apply (Table 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import torch

from causalpref.methods.base import RewardModel
from causalpref.methods.registry import register_method
from causalpref.methods.settings import WIDTH, Interval, NoneValue, setting
from causalpref.methods.training import PairBatch, default_loss
from causalpref.models.precision import resolve_precision
from causalpref.models.reward_nets import (
    AdversarialNet,
    ContextConcatNet,
    MultiheadNet,
    SingleRewardNet,
)


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class BradleyTerry(RewardModel):
    """Plain Bradley-Terry reward: MLP on the embedding, no context; the naive baseline."""

    name = "bt"
    summary = "Bradley-Terry MLP on the embedding alone (no context)"

    latent_dim: int = setting(64, WIDTH)

    def _build_net(self, input_dim, n_contexts):
        return SingleRewardNet(input_dim, hidden_dim=self.hidden_dim, latent_dim=self.latent_dim)


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class BaseReward(RewardModel):
    """Base: the context is concatenated to the embedding and one MLP scores both."""

    name = "base"
    uses_context = True
    summary = "[embedding; one-hot context] -> MLP (paper's Base)"

    def _build_net(self, input_dim, n_contexts):
        return ContextConcatNet(input_dim, n_contexts, hidden_dim=self.hidden_dim)


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class MultiheadReward(RewardModel):
    """Multihead: a shared trunk and one reward head per context value."""

    name = "multihead"
    uses_context = True
    summary = "shared trunk, one head per context (paper's Multihead)"

    def _build_net(self, input_dim, n_contexts):
        return MultiheadNet(input_dim, n_contexts, hidden_dim=self.hidden_dim)


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class AdversarialReward(RewardModel):
    """Adversarial: Multihead whose trunk is trained to hide the context from an adversary.

    `adversary_weight` is the paper's lambda. `adversary_steps` adds that many adversary-only
    updates per batch before the joint step (0: the paper's single simultaneous step), with
    learning rate `adversary_lr` (None: the model's `lr`); see docs/methods/adversarial.md.
    """

    name = "adversarial"
    uses_context = True
    summary = "Multihead + gradient-reversal adversary predicting context (paper's Adversarial)"

    adversary_weight: float = setting(1.0, Interval(Real, 0, None))
    adversary_steps: int = setting(
        10,
        Interval(Integral, 0, None),
        hint="extra adversary-only updates per batch; 0 is the paper's single step",
    )
    adversary_lr: float | None = setting(
        None, NoneValue(), Interval(Real, 0, None, closed="neither"), hint="None uses lr"
    )

    def _build_net(self, input_dim, n_contexts):
        return AdversarialNet(
            input_dim,
            n_contexts,
            hidden_dim=self.hidden_dim,
            adversary_weight=self.adversary_weight,
            adversary_steps=self.adversary_steps,
            adversary_lr=self.lr if self.adversary_lr is None else self.adversary_lr,
            precision=resolve_precision(self.precision),
        )

    def _loss(self, net: AdversarialNet, batch: PairBatch) -> torch.Tensor:
        """The adversary's inner steps on this batch (if any), then L_BT + the reversed L_adv."""
        net.train_adversary(batch.rep_a, batch.rep_b, batch.c, batch.weight)
        return default_loss(net, batch)
