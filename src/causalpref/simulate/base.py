"""What every scenario returns: seeded splits with their ground truth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from causalpref.data import PreferenceData
from causalpref.metrics import pairwise_accuracy
from causalpref.registry import Registry
from causalpref.simulate.knobs import Knob


@dataclass(frozen=True)
class ScenarioData:
    """Train, validation and named test splits of one simulated data set.

    Every split carries the ground truth (`true_reward.a/.b`, `true_prob`, latent columns) and a
    `split` column (`train`, `validation`, `test_<name>`), so the splits can be written to one
    file and pulled apart again.
    """

    name: str
    seed: int
    train: PreferenceData
    validation: PreferenceData
    test_splits: dict[str, PreferenceData]
    truth: dict[str, Any] = field(default_factory=dict)
    knobs: dict[str, Any] = field(default_factory=dict)

    @property
    def test(self) -> PreferenceData:
        """All test rows, the named splits one after another."""
        return PreferenceData.concat(list(self.test_splits.values()), validate=False)

    def all_rows(self) -> PreferenceData:
        """Train, validation and test rows in one data set (the `split` column tells them apart)."""
        return PreferenceData.concat(
            [self.train, self.validation, *self.test_splits.values()], validate=False
        )

    def oracle_accuracy(self, split: str) -> float:
        """Accuracy of the true reward on the observed labels of test split `split`."""
        return oracle_accuracy(self.test_splits[split])

    def bayes_accuracy(self, split: str) -> float:
        """Expected accuracy of the best possible predictor under the label noise."""
        p = self.test_splits[split].column("true_prob")
        return float(np.mean(np.maximum(p, 1.0 - p)))


def oracle_accuracy(data: PreferenceData) -> float:
    """Accuracy of the true reward difference on `data`'s labels."""
    margin = data.column("true_reward.a") - data.column("true_reward.b")
    return pairwise_accuracy(margin, data.labels)


def pair_columns(
    split: str,
    vec_a: np.ndarray | None,
    vec_b: np.ndarray | None,
    label: np.ndarray,
    prob: np.ndarray,
    reward_a: np.ndarray,
    reward_b: np.ndarray,
    **extra: np.ndarray,
) -> PreferenceData:
    """Assemble a simulated split with the canonical and ground-truth columns (text scenarios
    pass no vectors and their texts in `extra`)."""
    n = len(label)
    vectors = {} if vec_a is None else {"vector.a": vec_a, "vector.b": vec_b}
    cols: dict[str, Any] = {
        "pair_id": [f"{split}-{i}" for i in range(n)],
        **{k: v.astype(np.float32) for k, v in vectors.items()},
        "label": label,
        "true_prob": prob,
        "true_reward.a": reward_a,
        "true_reward.b": reward_b,
        **extra,
        "split": np.full(n, split, dtype=object),
    }
    return PreferenceData.from_columns(cols, validate=False)


@dataclass(frozen=True)
class Scenario:
    """A registered scenario: its simulator and what a study needs to know about it.

    `shift_split` is the test split whose accuracy measures robustness (the shift metric, named
    `shift_name` in tables); `id_split` the in-distribution test split beside it. `clean` holds
    the knob overrides that switch the scenario's problem off (its clean counterpart, the
    reference for the clean-data ceiling); `problem` those that make the problem strong.
    `ranges` declares what each knob accepts (every knob of `simulate` but `seed`), checked
    before the simulator runs.
    """

    simulate: Callable[..., ScenarioData]
    shift_split: str
    shift_name: str
    id_split: str
    clean: dict[str, Any]
    problem: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, Knob] = field(default_factory=dict)


SCENARIOS: Registry[Scenario] = Registry("scenario")
