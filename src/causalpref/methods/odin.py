"""ODIN, disentangled reward against length hacking (Chen et al., ICML 2024): `odin`.

Two linear heads on shared features: r_Q (quality) and r_L (the attribute; by default
length_words, the word count, computed from the texts when the data lacks attr.<name>.a/.b).
Training fits the labels with Bradley-Terry on r_Q + r_L and adds
length_penalty * [(1 - corr(r_L, Z)) + |corr(r_Q, Z)|] + orthogonality_penalty * |cos(w_Q, w_L)|,
the correlations taken over the batch's responses (both sides). Afterwards only r_Q is the reward:
the attribute's share of the labels is absorbed by r_L and thrown away.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from numbers import Real

import torch

from causalpref.methods.attribute_reward import ATTRIBUTE_KEY, AttributeReward
from causalpref.methods.registry import register_method
from causalpref.methods.settings import Interval, setting
from causalpref.methods.training import PairBatch, bradley_terry_loss
from causalpref.models.two_head import TwoHeadRewardNet


def weighted_corr(x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of `x` and `y` under sample weights; 0 when either is constant."""
    w = weight / weight.sum().clamp_min(1e-12)
    dx, dy = x - (w * x).sum(), y - (w * y).sum()
    cov = (w * dx * dy).sum()
    var = (w * dx * dx).sum() * (w * dy * dy).sum()
    return cov / var.clamp_min(1e-12).sqrt()


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class ODIN(AttributeReward):
    """Quality and attribute heads trained jointly; the quality head alone is the reward."""

    name = "odin"
    summary = "two heads r_Q + r_L, r_Q decorrelated from an attribute; scores r_Q (ODIN)"

    length_penalty: float = setting(0.3, Interval(Real, 0, None))
    orthogonality_penalty: float = setting(1.0, Interval(Real, 0, None))

    def _build_net(self, input_dim: int, n_contexts: int) -> TwoHeadRewardNet:
        return TwoHeadRewardNet(input_dim, hidden_dim=self.hidden_dim, latent_dim=self.latent_dim)

    def _loss(self, net: TwoHeadRewardNet, batch: PairBatch) -> torch.Tensor:
        """BT on r_Q + r_L, the correlation terms on the batch's responses, head orthogonality."""
        r_l_a, r_l_b = net.attribute_reward(batch.rep_a), net.attribute_reward(batch.rep_b)
        joint = dataclasses.replace(
            batch, reward_a=batch.reward_a + r_l_a, reward_b=batch.reward_b + r_l_b
        )
        loss = bradley_terry_loss(joint)
        attribute = batch.extras[ATTRIBUTE_KEY]
        z = torch.cat([attribute[:, 0], attribute[:, 1]])
        weight = torch.cat([batch.weight, batch.weight])
        r_q = torch.cat([batch.reward_a, batch.reward_b])
        r_l = torch.cat([r_l_a, r_l_b])
        disentangle = (1.0 - weighted_corr(r_l, z, weight)) + weighted_corr(r_q, z, weight).abs()
        orthogonality = net.head_cosine().abs()
        return loss + self.length_penalty * disentangle + self.orthogonality_penalty * orthogonality
