"""Did the fit train? The checks `RewardModel.fit` runs on its own history at the end.

Each finding is a sentence for a UserWarning (the CLI prints it as 'warning: ...'): the training
loss barely left ln 2, validation accuracy is not above chance, it is clearly below the linear
probe on the same pairs, or a robust method's early stopping on its own score chose a model
at chance; and, beside any of those, that the best epoch was the first of several.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from causalpref.methods.scoring import accuracy_by_split, shown_accuracy

# The loss of a Bradley-Terry model that predicts 1/2 for every pair.
CHANCE_LOSS = math.log(2)
# A training loss that never falls this far below ln 2 means predictions no more confident than a
# calibrated 57% on the model's own training pairs (the entropy of 0.57 is ln 2 - 0.01): the net
# barely moved from its start (learning rate too low, or too few steps).
MIN_LOSS_DROP = 0.01
# The first epoch being the best of this many is a hint, not a failure on its own: a net can fit
# in one epoch and overfit after (measured: hashing features of 1,409 HH pairs, best epoch 1 at
# validation 0.604 beside the probe's 0.610). It is added to the findings when another holds.
MIN_EPOCHS_FOR_FIRST_BEST = 3
# Standard errors by which validation accuracy must clear 1/2, and by which it may trail the
# linear probe before that is called a failure: one-sided tests that a model truly at either line
# passes 2.5% of the time (more, as early stopping chose the epoch on the same pairs: 1 of 5 fits
# on random labels did). The s.e. of the gap to the probe treats the two accuracies as
# independent, which overstates it for accuracies on the same pairs: a model warned about is
# clearly below.
STANDARD_ERRORS = 2.0
CHANCE = 0.5


def training_findings(
    history: Sequence[dict[str, Any]],
    best_epoch: int,
    n_validation: int,
    probe: dict[str, Any] | None = None,
    selects_by_groups: bool = False,
    plain_loss: bool = True,
) -> list[str]:
    """Why the fit that produced `history` (best epoch `best_epoch`, scored on `n_validation`
    decided pairs) did not train, one sentence each; empty when it did. The training loss is
    compared with ln 2 only when it is the `plain_loss` (Bradley-Terry on decided pairs, no
    penalty), whose value at a coin flip that is."""
    if not history:
        return []
    found = _loss_findings(history) if plain_loss else []
    accuracy = history[best_epoch - 1].get("validation_accuracy")
    if accuracy is not None and math.isfinite(accuracy) and n_validation >= 1:
        margin = STANDARD_ERRORS * binomial_se(CHANCE, n_validation)
        if accuracy <= CHANCE + margin:
            found.append(_at_chance(accuracy, n_validation, margin, history, selects_by_groups))
        if probe is not None:
            found.extend(_probe_findings(accuracy, probe))
    return found + _first_epoch_findings(history, best_epoch) if found else []


def warn_if_untrained(
    model: Any, n_validation: int, selects_by_groups: bool, plain_loss: bool
) -> None:
    """Warn (UserWarning) with every finding of `training_findings` for a fitted `model`."""
    for finding in training_findings(
        model.history_, model.best_epoch_, n_validation, model.probe_, selects_by_groups, plain_loss
    ):
        warnings.warn(f"method '{model.name}': {finding}", UserWarning, stacklevel=3)


def binomial_se(p: float, n: int) -> float:
    """Standard error of an accuracy near `p` measured on `n` pairs."""
    return math.sqrt(p * (1 - p) / max(n, 1))


def _loss_findings(history: Sequence[dict[str, Any]]) -> list[str]:
    losses = [row["train_loss"] for row in history if math.isfinite(row["train_loss"])]
    if not losses or min(losses) > CHANCE_LOSS - MIN_LOSS_DROP:
        lowest = f"{min(losses):.4f}" if losses else "NaN"
        return [
            f"the training loss never fell {MIN_LOSS_DROP} below ln 2 = {CHANCE_LOSS:.4f} "
            f"(lowest {lowest} in {len(history)} epoch(s)): the model barely moved from its "
            "random start; raise lr or epochs"
        ]
    return []


def _first_epoch_findings(history: Sequence[dict[str, Any]], best_epoch: int) -> list[str]:
    if best_epoch != 1 or len(history) < MIN_EPOCHS_FOR_FIRST_BEST:
        return []
    if "validation_accuracy" not in history[0]:
        return []
    return [
        f"the best validation epoch was the first of {len(history)}: no later epoch improved "
        "on it, so training did not help (lr too low to move, or so high it overshoots)"
    ]


def _at_chance(
    accuracy: float,
    n: int,
    margin: float,
    history: Sequence[dict[str, Any]],
    selects_by_groups: bool,
) -> str:
    text = (
        f"validation accuracy {accuracy:.3f} on {n} pairs is not above chance by "
        f"{STANDARD_ERRORS:g} standard errors ({CHANCE + margin:.3f})"
    )
    if not selects_by_groups:
        return text + ": the model learned nothing the validation pairs can see"
    top = max(history, key=lambda row: row.get("validation_accuracy", -math.inf))
    return text + (
        ": early stopping by the method's own score (group-balanced or augmented-pair loss) "
        f"chose this epoch; the best epoch by accuracy was {top['epoch']} "
        f"({top['validation_accuracy']:.3f}); weaken the method's penalty or augment_weight, "
        "or check its groups"
    )


def _probe_findings(accuracy: float, probe: dict[str, Any]) -> list[str]:
    gap = probe["validation_accuracy"] - accuracy
    n = probe["n"]
    se = math.hypot(binomial_se(probe["validation_accuracy"], n), binomial_se(accuracy, n))
    margin = STANDARD_ERRORS * se
    if gap <= margin:
        return []
    return [
        f"validation accuracy {accuracy:.3f} is {gap:.3f} below the linear probe's "
        f"{probe['validation_accuracy']:.3f} on the same {probe['n']} pairs (more than "
        f"{STANDARD_ERRORS:g} standard errors, {margin:.3f}): a linear read-out of the same "
        "embeddings does better; train longer or with a higher lr"
    ]


def fit_summary(model: Any, test: Any | None) -> list[str]:
    """What `fit` prints after training: the probe line and, when rows were held out for
    test, the model's accuracy on them."""
    lines = [probe_summary(model)]
    if test is not None:
        accuracy = shown_accuracy(accuracy_by_split(model, test)["accuracy"])
        lines.append(f"test accuracy {accuracy} on {len(test)} held-out pairs")
    return lines


def saved_summary(model: Any, out: Any) -> str:
    """'saved to OUT (best epoch N, validation accuracy A)': the line `fit` ends with."""
    val = model.history_[model.best_epoch_ - 1].get("validation_accuracy")
    tail = f", validation accuracy {val:.4f})" if val is not None else ")"
    return f"saved to {out} (best epoch {model.best_epoch_}" + tail


def probe_summary(model: Any) -> str:
    """One line comparing a fitted model with its linear probe on the validation pairs, or
    saying why there is no probe."""
    probe = getattr(model, "probe_", None)
    if probe is None:
        why = (
            "the method conditions on a context, which a probe on x_a - x_b cannot see"
            if model.uses_context
            else "there were no validation pairs to choose its penalty on"
        )
        return f"no linear probe: {why}"
    accuracy = model.history_[model.best_epoch_ - 1].get("validation_accuracy", math.nan)
    return (
        f"linear probe {probe['validation_accuracy']:.3f} vs model {accuracy:.3f} on "
        f"{probe['n']} validation pairs"
    )
