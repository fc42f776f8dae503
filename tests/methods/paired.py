"""The paired comparison every method's statistical test uses: method minus bt, per seed, run by
the study engine (`causalpref.evaluate.Study`) on a scenario's `reversed` split."""

from __future__ import annotations

import numpy as np

from causalpref.evaluate import MethodSpec, ScenarioSource, Study, mean_se

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
    study = Study(
        name=f"{method} vs bt",
        source=ScenarioSource(scenario, {**SIZES, **knobs}, shift_split="reversed"),
        methods=(MethodSpec("bt", "bt"), MethodSpec(method, method, settings)),
        seeds=tuple(SEEDS),
        baseline="bt",
        settings=shared,
        early_stopping=early_stopping,
    )
    return study.run(progress=lambda msg: None).paired_gains(method)


def describe(gaps: list[float]) -> str:
    """'gap +0.1790 +- 0.0230 (s.e.) per seed [...]' for assertion messages."""
    mean, se = mean_se(gaps)
    return f"gap {mean:+.4f} +- {se:.4f} (s.e.) per seed {np.round(gaps, 4).tolist()}"
