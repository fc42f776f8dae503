"""What the `fit`, `evaluate` and `score` commands compute, as library functions: which rows a
fit trains on, accuracy per split, and the rewards of every pair."""

from __future__ import annotations

from typing import Any

import numpy as np

from causalpref.data import PreferenceData
from causalpref.errors import ConfigError

SPLIT = "split"


def train_validation(
    data: PreferenceData, column: str = SPLIT
) -> tuple[PreferenceData, PreferenceData | None]:
    """Rows whose `column` is 'train', and those whose it is 'validation' (early stopping).

    Without the column every row trains and the validation part is None (the method then holds
    out its own `validation_fraction`).
    """
    if not data.has(column):
        return data, None
    parts = data.by(column)
    if "train" not in parts:
        raise ConfigError(
            f"column '{column}' has values {sorted(parts)} but no 'train' rows: fitting uses "
            f"{column}=train (and {column}=validation for early stopping); drop the column to "
            f"fit all rows"
        )
    return parts["train"], parts.get("validation")


def accuracy_by_split(model: Any, data: PreferenceData, split_by: str = SPLIT) -> dict[str, Any]:
    """{"accuracy", "n", "splits": {value: accuracy}}; text is encoded once, by the model."""
    data = model.featurize(data)
    splits = {}
    if data.has(split_by):
        splits = {name: model.score(part) for name, part in data.by(split_by).items()}
    return {"accuracy": model.score(data), "n": len(data), "splits": splits}


def pair_rewards(model: Any, data: PreferenceData) -> dict[str, np.ndarray]:
    """pair_id (the row number without that column), reward_a, reward_b and P(a preferred)."""
    data = model.featurize(data)
    reward_a, reward_b = model.rewards(data, "a"), model.rewards(data, "b")
    ids = data.column("pair_id") if data.has("pair_id") else np.arange(len(data))
    prob_a = 1.0 / (1.0 + np.exp(-(reward_a - reward_b)))
    return {"pair_id": ids, "reward_a": reward_a, "reward_b": reward_b, "prob_a": prob_a}
