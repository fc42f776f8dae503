"""The paired comparison every method's statistical test uses: method minus bt, per seed."""

from __future__ import annotations

import numpy as np

from causalpref import simulate
from causalpref.evaluate import mean_se
from causalpref.methods import make_method

SEEDS = range(5)
SIZES = {"n_train": 4000, "n_validation": 1000, "n_test": 3000}


def reversed_gaps(
    method: str,
    shared: dict,
    settings: dict,
    *,
    early_stopping: bool = True,
    scenario: str = "spurious_attribute",
    **knobs,
) -> list[float]:
    """Per seed: `method` accuracy minus `bt` accuracy on `scenario`'s `reversed` split, both
    fitted with the same `shared` settings on the same data (validation early stopping unless
    `early_stopping=False`)."""
    gaps = []
    for seed in SEEDS:
        data = simulate.make(scenario, seed=seed, **SIZES, **knobs)
        validation = data.validation if early_stopping else None
        test = data.test_splits["reversed"]
        bt = make_method("bt", seed=seed, **shared).fit(data.train, validation)
        model = make_method(method, seed=seed, **shared, **settings).fit(data.train, validation)
        gaps.append(model.score(test) - bt.score(test))
    return gaps


def describe(gaps: list[float]) -> str:
    """'gap +0.1790 +- 0.0230 (s.e.) per seed [...]' for assertion messages."""
    mean, se = mean_se(gaps)
    return f"gap {mean:+.4f} +- {se:.4f} (s.e.) per seed {np.round(gaps, 4).tolist()}"
