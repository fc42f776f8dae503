"""ODIN's two-head reward net (Chen et al., ICML 2024): shared features, quality and length heads.

Both heads are linear on the same features h. Training fits labels with r_Q + r_L while pushing
the attribute (e.g. length) into r_L and out of r_Q; afterwards only r_Q is the reward, so
`forward` returns r_Q and scoring, saving and loading never see the attribute head's output.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from causalpref.models.heads import mlp
from causalpref.models.reward_nets import RewardNet


class TwoHeadRewardNet(RewardNet):
    """Embedding -> MLP -> features h; r_Q = w_Q h (the reward) and r_L = w_L h (the attribute)."""

    def __init__(self, in_dim: int, *, hidden_dim: int = 512, latent_dim: int = 64):
        super().__init__()
        self.body = mlp(in_dim, hidden_dim, latent_dim, hidden_layers=2)
        self.quality_head = nn.Linear(latent_dim, 1)
        self.attribute_head = nn.Linear(latent_dim, 1)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The quality reward r_Q (n,) and the shared features h (n, latent_dim)."""
        h = F.gelu(self.body(x))
        return self.quality_head(h).squeeze(-1), h

    def attribute_reward(self, h: torch.Tensor) -> torch.Tensor:
        """r_L (n,) from the features `h` that `forward` returned: the attribute's share."""
        return self.attribute_head(h).squeeze(-1)

    def head_cosine(self) -> torch.Tensor:
        """<w_Q, w_L> / (|w_Q| |w_L|): zero when the heads read orthogonal feature directions."""
        w_q, w_l = self.quality_head.weight.squeeze(0), self.attribute_head.weight.squeeze(0)
        return F.cosine_similarity(w_q, w_l, dim=0, eps=1e-12)
