"""The numbers on the cards of rrm_augment and counterfactual_augment, rerun from scratch.

Paired accuracy gain over `bt` on spurious_text's `reversed` split (5 seeds, the tests' sizes):
fixed 10-epoch budget with the planted attribute spurious and, as the negative control, truly
mattering; early stopping on the method's own objective; the marker and formatting variants.
Also the wall-clock time of one fit of each method against `bt`.

    PYTHONPATH=. python scripts/augmentation_evidence.py
"""

from __future__ import annotations

import time

from causalpref import simulate
from causalpref.methods import make_method
from tests.methods.paired import SIZES, describe, reversed_gaps

SHARED = {"hidden_dim": 128, "epochs": 10, "lr": 1e-3}
FIXED = {**SHARED, "validation_fraction": 0.0}
METHODS = ("rrm_augment", "counterfactual_augment")
CONDITIONS = {
    "attribute spurious, fixed budget": (FIXED, False, {}),
    "negative control (attribute_effect=1), fixed budget": (
        FIXED,
        False,
        {"attribute_effect": 1.0},
    ),
    "attribute spurious, early stopping": (SHARED, True, {}),
    "attribute marker, fixed budget": (FIXED, False, {"attribute": "marker"}),
    "attribute formatting, fixed budget": (FIXED, False, {"attribute": "formatting"}),
}


def fit_seconds(method: str) -> float:
    """Wall-clock seconds of one fixed-budget fit on seed 0's training split."""
    data = simulate.make("spurious_text", seed=0, **SIZES)
    start = time.perf_counter()
    make_method(method, seed=0, **FIXED).fit(data.train)
    return time.perf_counter() - start


def main() -> None:
    for method in METHODS:
        for name, (shared, early, knobs) in CONDITIONS.items():
            gaps = reversed_gaps(
                method, shared, {}, scenario="spurious_text", early_stopping=early, **knobs
            )
            print(f"{method:24s} {name:52s} {describe(gaps)}", flush=True)
    for method in ("bt", *METHODS):
        print(f"{method:24s} one fit: {fit_seconds(method):.1f} s", flush=True)


if __name__ == "__main__":
    main()
