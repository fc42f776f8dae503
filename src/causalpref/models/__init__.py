"""Torch modules that map a response embedding (and a context) to a scalar reward."""

from causalpref.models.heads import mlp
from causalpref.models.reward_nets import (
    AdversarialNet,
    ContextConcatNet,
    MultiheadNet,
    RewardNet,
    SingleRewardNet,
)

__all__ = [
    "AdversarialNet",
    "ContextConcatNet",
    "MultiheadNet",
    "RewardNet",
    "SingleRewardNet",
    "mlp",
]
