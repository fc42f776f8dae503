"""Environment-robust reward models: Group DRO (Sagawa et al. 2020) and V-REx (Krueger et al. 2021).

Both read an environment (or group) id per training pair, e.g. the data source, collection round
or annotator pool, and change only the loss: Group DRO minimises the worst environment's
Bradley-Terry risk, V-REx the mean risk plus `penalty` times the variance of the per-environment
risks. The net is `bt`'s; scoring needs only the vectors, never the environment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

from causalpref.data import PreferenceData
from causalpref.methods.base import RewardModel
from causalpref.methods.registry import register_method
from causalpref.methods.settings import WIDTH, Interval, NonEmptyString, setting
from causalpref.methods.training import PairBatch, PairTensors, bradley_terry_loss
from causalpref.metrics import group_balanced_loss
from causalpref.models.reward_nets import RewardNet, SingleRewardNet

ENV_KEY = "env"


def group_risks(batch: PairBatch, n_groups: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted mean BT loss per group (n_groups,) and which groups have weight in the batch."""
    per_pair = bradley_terry_loss(batch, per_pair=True) * batch.weight
    group = batch.extras[ENV_KEY]
    total = per_pair.new_zeros(n_groups).index_add(0, group, per_pair)
    mass = per_pair.new_zeros(n_groups).index_add(0, group, batch.weight)
    present = mass > 0
    return total / mass.clamp_min(1e-12), present


def exponentiated_gradient_step(
    q: torch.Tensor, risks: torch.Tensor, present: torch.Tensor, step_size: float
) -> torch.Tensor:
    """Group DRO's weight update q_g <- q_g exp(eta risk_g), renormalised; absent groups stay."""
    logits = torch.log(q) + step_size * torch.where(present, risks.detach(), 0.0)
    return torch.softmax(logits, dim=0)


def risk_variance(risks: torch.Tensor) -> torch.Tensor:
    """V-REx penalty: the (population) variance of the per-environment risks; 0 for one env."""
    if risks.numel() < 2:
        return risks.sum() * 0.0
    return risks.var(unbiased=False)


@dataclass(kw_only=True, eq=False, repr=False)
class _EnvironmentReward(RewardModel):
    """Shared parts: `bt`'s net, the environment column and its vocabulary."""

    env: str = setting("env", NonEmptyString(), hint="the name of the environment column")
    latent_dim: int = setting(64, WIDTH)

    def _build_net(self, input_dim: int, n_contexts: int) -> RewardNet:
        return SingleRewardNet(input_dim, hidden_dim=self.hidden_dim, latent_dim=self.latent_dim)

    def training_columns(self) -> list[str]:
        """The environment column is needed to fit, never to score."""
        return [self.env]

    def _pair_extras(self, data: PreferenceData) -> dict[str, np.ndarray]:
        """Each pair's environment index; the vocabulary (sorted names) becomes `envs_`."""
        values = np.asarray([str(v) for v in data.column(self.env)], dtype=object)
        self.envs_ = sorted(set(values))
        lookup = {name: i for i, name in enumerate(self.envs_)}
        index = np.fromiter((lookup[v] for v in values), dtype=np.int64, count=len(values))
        return {ENV_KEY: index}

    def _selects_by_groups(self, validation: PreferenceData) -> bool:
        """Early stopping scores the environment-balanced loss when validation names them."""
        return validation.has(self.env)

    def _selection_score(self, margins: np.ndarray, validation: PreferenceData) -> float:
        """Minus the environment-balanced validation loss (Sagawa et al. chose by the worst
        environment's accuracy, which favours models at chance on small real-text groups)."""
        envs = np.asarray([str(v) for v in validation.column(self.env)], dtype=object)
        return -group_balanced_loss(margins, validation.labels, envs, validation.weights)

    def _batches_per_epoch(self, train: PairTensors) -> int:
        """Batches the shared loop draws per epoch (for counters kept across batches)."""
        return max(1, math.ceil(len(train) / self.batch_size))


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class GroupDRO(_EnvironmentReward):
    """Group DRO: minimise the worst environment's BT risk via exponentiated-gradient weights."""

    name = "group_dro"
    summary = "worst-environment BT risk via adaptive group weights (Sagawa et al. 2020)"

    step_size: float = setting(
        0.1,
        Interval(Real, 0, None, closed="neither"),
        hint="the exponentiated-gradient rate of the group weights",
    )

    def fit(self, data: PreferenceData, validation: PreferenceData | None = None) -> GroupDRO:
        """Train as every method does, then record the final group weights in `group_weights_`."""
        super().fit(data, validation)
        self.group_weights_ = [float(w) for w in self._q]
        return self

    def _start_training(self, train: PairTensors) -> None:
        """Uniform group weights over the training environments."""
        self._q = torch.full((len(self.envs_),), 1.0 / len(self.envs_))

    def _loss(self, net: RewardNet, batch: PairBatch) -> torch.Tensor:
        """Update q with this batch's group risks, then return sum_g q_g risk_g."""
        risks, present = group_risks(batch, len(self.envs_))
        self._q = exponentiated_gradient_step(self._q, risks, present, self.step_size)
        return (self._q * torch.where(present, risks, 0.0)).sum()


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class VREx(_EnvironmentReward):
    """V-REx: mean environment risk plus `penalty` times the variance of environment risks."""

    name = "vrex"
    summary = "BT + penalty * variance of per-environment risks (Krueger et al. 2021)"

    penalty: float = setting(
        10.0, Interval(Real, 0, None), hint="0 gives plain BT averaged over environments"
    )
    warmup_epochs: int = setting(
        1, Interval(Integral, 0, None), hint="epochs of plain BT before the penalty starts"
    )

    def _start_training(self, train: PairTensors) -> None:
        """Count batches so the penalty starts after `warmup_epochs` epochs."""
        self._step = 0
        self._warmup_steps = self.warmup_epochs * self._batches_per_epoch(train)

    def _loss(self, net: RewardNet, batch: PairBatch) -> torch.Tensor:
        """mean_e R_e + beta Var_e R_e over the batch's environments; / (1 + beta) after warm-up."""
        risks, present = group_risks(batch, len(self.envs_))
        risks = risks[present]
        if risks.numel() == 0:  # every pair of the batch has weight 0
            return batch.margin.sum() * 0.0
        penalised = self._step >= self._warmup_steps
        self._step += 1
        if not penalised:
            return risks.mean()
        return (risks.mean() + self.penalty * risk_variance(risks)) / (1.0 + self.penalty)
