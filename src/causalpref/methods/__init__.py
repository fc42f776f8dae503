"""Training methods (estimators) registered by name; importing this package registers them all."""

# Importing a module registers its methods.
from causalpref.methods import (  # noqa: F401
    augmentation,  # rrm_augment, counterfactual_augment
    environments,  # group_dro, vrex
    invariance,  # invariant_mmd
    linear_probe,  # linear_probe
    odin,  # odin
    paper_models,  # bt, base, multihead, adversarial
)
from causalpref.methods.base import RewardModel
from causalpref.methods.persistence import load_model, save_model
from causalpref.methods.registry import (
    METHODS,
    available_methods,
    get_method,
    make_method,
    register_method,
)
from causalpref.methods.scoring import accuracy_by_split, pair_rewards, train_validation

__all__ = [
    "METHODS",
    "RewardModel",
    "accuracy_by_split",
    "available_methods",
    "get_method",
    "load_model",
    "make_method",
    "pair_rewards",
    "register_method",
    "save_model",
    "train_validation",
]
