"""Training methods (estimators) registered by name; importing this package registers them all."""

# Importing a module registers its methods.
from causalpref.methods import (  # noqa: F401
    augmentation,  # rrm_augment, counterfactual_augment
    environments,  # group_dro, vrex
    invariance,  # invariant_mmd
    odin,  # odin
    paper_models,  # bt, base, multihead, adversarial
)
from causalpref.methods.base import RewardModel
from causalpref.methods.persistence import load_model, save_model
from causalpref.methods.registry import available_methods, get_method, make_method, register_method

__all__ = [
    "RewardModel",
    "available_methods",
    "get_method",
    "load_model",
    "make_method",
    "register_method",
    "save_model",
]
