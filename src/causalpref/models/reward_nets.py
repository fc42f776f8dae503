"""The founding paper's reward architectures (section 4) and plain Bradley-Terry.

Every net maps a batch of response embeddings `x` (n, d) and context indices `c` (n,) to a reward
(n,) and a representation (n, k). Trainers stack both responses of a pair into one batch, so a
pair costs one forward pass; `auxiliary_loss` receives the representations of both sides.
"""

from __future__ import annotations

import abc

import torch
from torch import nn
from torch.nn import functional as F

from causalpref.models.heads import mlp, reverse_gradient
from causalpref.models.precision import autocast


class RewardNet(nn.Module, abc.ABC):
    """Interface: `forward(x, c) -> (reward, representation)`; optional auxiliary loss."""

    @abc.abstractmethod
    def forward(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reward (n,) and representation (n, k) of responses `x` (n, d) under contexts `c` (n,)."""

    def auxiliary_loss(
        self, rep_a: torch.Tensor, rep_b: torch.Tensor, c: torch.Tensor, weight: torch.Tensor
    ) -> torch.Tensor | None:
        """Extra training loss on the pair's representations; None when the net has none."""
        return None


class SingleRewardNet(RewardNet):
    """Context-free reward: embedding -> MLP -> latent -> linear -> scalar (paper, Table 1)."""

    def __init__(self, in_dim: int, *, hidden_dim: int = 512, latent_dim: int = 64):
        super().__init__()
        self.body = mlp(in_dim, hidden_dim, latent_dim, hidden_layers=2)
        self.out = nn.Linear(latent_dim, 1)

    def forward(self, x, c):
        z = self.body(x)
        return self.out(F.gelu(z)).squeeze(-1), z


class LinearRewardNet(RewardNet):
    """Context-free linear reward r(x) = w . x, no bias (only differences are identified); its
    representation is the embedding itself."""

    def __init__(self, in_dim: int):
        super().__init__()
        self.linear = nn.Linear(in_dim, 1, bias=False)

    def forward(self, x, c):
        return self.linear(x).squeeze(-1), x


class ContextConcatNet(RewardNet):
    """Base: [embedding; one-hot context] -> 3-layer MLP -> scalar (paper, section 4)."""

    def __init__(self, in_dim: int, n_contexts: int, *, hidden_dim: int = 512):
        super().__init__()
        self.n_contexts = n_contexts
        self.body = mlp(in_dim + n_contexts, hidden_dim, hidden_dim, hidden_layers=2)
        self.out = nn.Linear(hidden_dim, 1)

    def forward(self, x, c):
        h = self.body(torch.cat([x, F.one_hot(c, self.n_contexts).to(x.dtype)], dim=-1))
        return self.out(F.gelu(h)).squeeze(-1), h


class MultiheadNet(RewardNet):
    """Multihead: shared trunk g(e) -> z, one 1-hidden-layer head f_c(z) per context."""

    def __init__(self, in_dim: int, n_contexts: int, *, hidden_dim: int = 512):
        super().__init__()
        self.n_contexts = n_contexts
        self.trunk = mlp(in_dim, hidden_dim, hidden_dim, hidden_layers=2)
        self.heads = nn.ModuleList(
            mlp(hidden_dim, hidden_dim, 1, hidden_layers=1) for _ in range(n_contexts)
        )

    def forward(self, x, c):
        z = self.trunk(x)
        hz = F.gelu(z)
        # Every head scores every row, then each row keeps its own context's score: batched, no
        # data-dependent control flow, and identical to routing rows to their head.
        all_scores = torch.cat([head(hz) for head in self.heads], dim=-1)
        return all_scores.gather(1, c.unsqueeze(-1)).squeeze(-1), z


class AdversarialNet(MultiheadNet):
    """Multihead plus an adversary that predicts the context from (z, z') through gradient reversal.

    Training minimises L_BT + L_adv where the adversary descends L_adv and the trunk, behind the
    reversal layer, ascends `adversary_weight * L_adv`: the paper's
    min_{g,f} max_h L_BT - lambda L_adv. With one simultaneous step the adversary only tracks the
    trunk; `adversary_steps` extra adversary-only steps per batch (`train_adversary`) bring it
    closer to its max over h before the trunk moves (measured effect: docs/methods/adversarial.md).
    """

    def __init__(
        self,
        in_dim: int,
        n_contexts: int,
        *,
        hidden_dim: int = 512,
        adversary_weight: float = 1.0,
        adversary_steps: int = 0,
        adversary_lr: float = 1e-4,
        precision: str = "fp32",
    ):
        super().__init__(in_dim, n_contexts, hidden_dim=hidden_dim)
        self.adversary_weight = adversary_weight
        self.adversary_steps = adversary_steps
        self.adversary_lr = adversary_lr
        self.precision = precision
        self.adversary = mlp(2 * hidden_dim, hidden_dim, n_contexts, hidden_layers=1)
        self._adversary_optimizer: torch.optim.Optimizer | None = None

    def adversary_loss(self, pair: torch.Tensor, c: torch.Tensor, weight: torch.Tensor):
        """Weighted cross-entropy of the adversary's context prediction from [z; z']."""
        return self._context_loss(F.gelu(pair), c, weight)

    def _context_loss(self, activated_pair, c, weight):
        """The adversary's loss from GELU([z; z']). Its products run at the training precision,
        like the trunk's; the logits are cast back so the cross-entropy is fp32."""
        with autocast(self.precision):
            logits = self.adversary(activated_pair)
        per_row = F.cross_entropy(logits.float(), c, reduction="none")
        return (per_row * weight).sum() / weight.sum()

    def auxiliary_loss(self, rep_a, rep_b, c, weight):
        pair = reverse_gradient(torch.cat([rep_a, rep_b], dim=-1), self.adversary_weight)
        return self.adversary_loss(pair, c, weight)

    def train_adversary(self, rep_a, rep_b, c, weight) -> None:
        """`adversary_steps` Adam steps of the adversary alone on the batch's detached (z, z').

        The inner max over h of the objective, approximated before the joint step: only the
        adversary's weights move (its own optimizer, learning rate `adversary_lr`).
        """
        if self.adversary_steps == 0:
            return
        if self._adversary_optimizer is None:
            self._adversary_optimizer = torch.optim.Adam(
                self.adversary.parameters(), lr=self.adversary_lr
            )
        activated = F.gelu(torch.cat([rep_a, rep_b], dim=-1).detach())  # fixed for the k steps
        for _ in range(self.adversary_steps):
            loss = self._context_loss(activated, c, weight)
            self._adversary_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self._adversary_optimizer.step()
