"""The founding paper's reward models (Kobalczyk & van der Schaar, ICML 2025, section 4).

`bt` ignores context (Table 1's model); `base`, `multihead` and `adversarial` condition on the
labeller's context c, e.g. the objective a labeller was asked to apply (Table 2).
"""

from __future__ import annotations

import torch

from causalpref.methods.base import RewardModel
from causalpref.methods.registry import register_method
from causalpref.methods.training import PairBatch, default_loss
from causalpref.models.precision import resolve_precision
from causalpref.models.reward_nets import (
    AdversarialNet,
    ContextConcatNet,
    MultiheadNet,
    SingleRewardNet,
)


@register_method
class BradleyTerry(RewardModel):
    """Plain Bradley-Terry reward: MLP on the embedding, no context; the naive baseline."""

    name = "bt"
    summary = "Bradley-Terry MLP on the embedding alone (no context)"

    def __init__(self, *, latent_dim: int = 64, **settings):
        super().__init__(**settings)
        self.latent_dim = latent_dim

    def _build_net(self, input_dim, n_contexts):
        return SingleRewardNet(input_dim, hidden_dim=self.hidden_dim, latent_dim=self.latent_dim)


@register_method
class BaseReward(RewardModel):
    """Base: the context is concatenated to the embedding and one MLP scores both."""

    name = "base"
    uses_context = True
    summary = "[embedding; one-hot context] -> MLP (paper's Base)"

    def _build_net(self, input_dim, n_contexts):
        return ContextConcatNet(input_dim, n_contexts, hidden_dim=self.hidden_dim)


@register_method
class MultiheadReward(RewardModel):
    """Multihead: a shared trunk and one reward head per context value."""

    name = "multihead"
    uses_context = True
    summary = "shared trunk, one head per context (paper's Multihead)"

    def _build_net(self, input_dim, n_contexts):
        return MultiheadNet(input_dim, n_contexts, hidden_dim=self.hidden_dim)


@register_method
class AdversarialReward(RewardModel):
    """Adversarial: Multihead whose trunk is trained to hide the context from an adversary.

    `adversary_weight` is the paper's lambda. `adversary_steps` adds that many adversary-only
    updates per batch before the joint step (0: the paper's single simultaneous step), with
    learning rate `adversary_lr` (None: the model's `lr`); see docs/methods/adversarial.md.
    """

    name = "adversarial"
    uses_context = True
    summary = "Multihead + gradient-reversal adversary predicting context (paper's Adversarial)"

    def __init__(
        self,
        *,
        adversary_weight: float = 1.0,
        adversary_steps: int = 10,
        adversary_lr: float | None = None,
        **settings,
    ):
        super().__init__(**settings)
        self.adversary_weight = adversary_weight
        self.adversary_steps = adversary_steps
        self.adversary_lr = adversary_lr

    def _check_params(self):
        problems = super()._check_params()
        if not (isinstance(self.adversary_weight, int | float) and self.adversary_weight >= 0):
            problems.append(f"adversary_weight={self.adversary_weight!r}: expected a number >= 0")
        steps = self.adversary_steps
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
            problems.append(
                f"adversary_steps={steps!r}: expected an integer >= 0 such as 10 "
                f"(extra adversary-only updates per batch; 0 is the paper's single step)"
            )
        lr = self.adversary_lr
        if lr is not None and not (isinstance(lr, int | float) and lr > 0):
            problems.append(
                f"adversary_lr={lr!r}: expected None (use lr) or a positive number such as 1e-3"
            )
        return problems

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
