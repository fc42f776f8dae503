"""The founding paper's reward models (Kobalczyk & van der Schaar, ICML 2025, section 4).

`bt` ignores context (Table 1's model); `base`, `multihead` and `adversarial` condition on the
labeller's context c, e.g. the objective a labeller was asked to apply (Table 2).
"""

from __future__ import annotations

from causalpref.methods.base import RewardModel
from causalpref.methods.registry import register_method
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
    """Adversarial: Multihead whose trunk is trained to hide the context from an adversary."""

    name = "adversarial"
    uses_context = True
    summary = "Multihead + gradient-reversal adversary predicting context (paper's Adversarial)"

    def __init__(self, *, adversary_weight: float = 1.0, **settings):
        super().__init__(**settings)
        self.adversary_weight = adversary_weight

    def _check_params(self):
        problems = super()._check_params()
        if not (isinstance(self.adversary_weight, int | float) and self.adversary_weight >= 0):
            problems.append(f"adversary_weight={self.adversary_weight!r}: expected a number >= 0")
        return problems

    def _build_net(self, input_dim, n_contexts):
        return AdversarialNet(
            input_dim,
            n_contexts,
            hidden_dim=self.hidden_dim,
            adversary_weight=self.adversary_weight,
        )
