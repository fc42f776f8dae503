"""What `fit` refuses or warns about before any encoding or training, all at once, and the random
hold-out that keeps every context on the training side.

Refused (one DataValidationError): training data that cannot teach anything (see
`causalpref.data.degenerate`), validation data with no decided pair (early stopping would score
nothing), null contexts and validation contexts the training data lacks (for context-aware
methods). Warned: rows with identical responses, too few rows for the requested hold-out, and
contexts too small to hold any of their rows out.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from causalpref.data import PreferenceData
from causalpref.data.degenerate import (
    Findings,
    decided_mask,
    informative_mask,
    trainable_findings,
)
from causalpref.errors import DataValidationError, Problem

# The random hold-out needs this many rows: 10% of 20 is 2 pairs to score early stopping on, and
# fewer than 2 makes the "best epoch" a coin flip on one pair.
MIN_HOLDOUT_ROWS = 20
# Fewer informative training pairs than this and the fitted reward is decided by the random
# initialisation and by any single label (each pair is over a tenth of the evidence), while the
# net has hundreds of weights per pair to memorise them with: such a fit is refused, not saved.
MIN_TRAINING_PAIRS = 10
MAX_NAMES_SHOWN = 8


def check_fit_data(
    model: Any,
    data: PreferenceData,
    validation: PreferenceData | None,
    rows: np.ndarray | None = None,
) -> None:
    """Raise one DataValidationError listing every reason `model` cannot fit `data` (its `rows`
    only, when given; early stopping on `validation`), and warn about what the fit survives."""
    keep = slice(None) if rows is None else np.asarray(rows)
    n = len(data) if rows is None else len(keep)
    found = trainable_findings(data, "training data", rows)
    if not found.problems:
        found.extend(_too_few_pairs(data, keep, n))
    if validation is not None:
        found.extend(_validation_findings(validation))
    elif model.validation_fraction > 0 and n < MIN_HOLDOUT_ROWS:
        found.warnings.append(_small_holdout(n, model.validation_fraction))
    if model.uses_context and data.has(model.context):  # a missing column: _check_columns
        contexts = np.asarray(data.column(model.context), dtype=object)[keep]
        found.extend(_context_findings(model.context, contexts, validation))
    if found.problems:
        raise DataValidationError(found.problems, "the data passed to fit", "nothing was trained")
    for message in found.warnings:
        warnings.warn(message, UserWarning, stacklevel=3)


def _too_few_pairs(data: PreferenceData, keep: slice | np.ndarray, rows: int) -> Findings:
    found = Findings()
    n = int(informative_mask(data)[keep].sum())
    if n < MIN_TRAINING_PAIRS:
        found.problems.append(
            Problem(
                None,
                f"training data has {n} informative pair(s) (decided, weighted, with different "
                f"responses) in {rows} row(s); fit needs at least {MIN_TRAINING_PAIRS}, "
                "as fewer cannot teach a reward beyond the random start; add pairs (with a "
                "split column, label more rows 'train')",
            )
        )
    return found


def _validation_findings(validation: PreferenceData) -> Findings:
    found = Findings()
    if len(validation) and not decided_mask(validation).any():
        found.problems.append(
            Problem(
                "label",
                f"every label in the validation data is 0.5 (a tie), {len(validation)} row(s): "
                "early stopping would score no pair; add decided pairs to it, or fit without "
                "validation data",
            )
        )
    return found


def _small_holdout(n: int, fraction: float) -> str:
    return (
        f"training data has {n} row(s), too few to hold out validation_fraction={fraction:g} "
        f"for early stopping (that needs at least {MIN_HOLDOUT_ROWS} rows, so the hold-out "
        "has 2 or more pairs to score): every row trains for every epoch; pass validation "
        "data, add rows, or set validation_fraction=0 to silence this warning"
    )


def context_problems(column: str, values: Any, what: str) -> list[Problem]:
    """Problems naming the rows whose context is null, or a list or mapping rather than one
    value (its text would silently become a context of its own)."""
    problems = []
    missing = np.asarray([v is None for v in values], dtype=bool)
    if missing.any():
        problems.append(
            Problem(
                column,
                f"context is missing (null) in {int(missing.sum())} row(s) of {what}; a "
                "context-aware method needs the context of every pair: fill it in (e.g. "
                "'unknown') or drop those rows",
                tuple(np.flatnonzero(missing).tolist()),
            )
        )
    nested = np.asarray(
        [isinstance(v, list | tuple | dict | np.ndarray) for v in values], dtype=bool
    )
    if nested.any():
        problems.append(
            Problem(
                column,
                f"context is a list or mapping in {int(nested.sum())} row(s) of {what}; a "
                "context is one value per pair (a string or number): join or pick one value",
                tuple(np.flatnonzero(nested).tolist()),
            )
        )
    return problems


def _context_findings(
    column: str, train_values: np.ndarray, validation: PreferenceData | None
) -> Findings:
    found = Findings()
    found.problems += context_problems(column, train_values, "training data")
    if validation is not None and validation.has(column):
        found.problems += context_problems(column, validation.column(column), "validation data")
    if validation is not None and validation.has(column):
        known = {str(v) for v in train_values if v is not None}
        unseen = sorted({str(v) for v in validation.column(column) if v is not None} - known)
        if unseen:
            found.problems.append(
                Problem(
                    column,
                    f"validation data has context value(s) {unseen[:MAX_NAMES_SHOWN]} that the "
                    f"training data lacks (it has {sorted(known)[:MAX_NAMES_SHOWN]}); a model "
                    "cannot score a context it never saw: move some of those rows to training",
                )
            )
    return found


def holdout(
    data: PreferenceData, fraction: float, seed: int, groups: np.ndarray | None = None
) -> tuple[PreferenceData, PreferenceData | None]:
    """Split off `fraction` of the rows (seeded) for early stopping.

    With `groups` (a context per row) the hold-out is stratified: each group gives its share,
    and a group too small to give a row keeps all of them in training (said in a warning), so
    every group the hold-out holds is also trained on, whatever the seed.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        n_val = max(1, int(round(fraction * len(data))))
        order = rng.permutation(len(data))
        return data.take(np.sort(order[n_val:])), data.take(np.sort(order[:n_val]))
    held, whole = [], []
    names = np.asarray([str(g) for g in groups], dtype=object)
    for name in sorted(set(names)):
        rows = rng.permutation(np.flatnonzero(names == name))
        k = min(int(round(fraction * len(rows))), len(rows) - 1)
        if k < 1:
            whole.append(name)
        held.append(rows[: max(k, 0)])
    if whole:
        warnings.warn(_kept_whole(whole, fraction), UserWarning, stacklevel=3)
    val = np.sort(np.concatenate(held)) if held else np.array([], dtype=np.int64)
    if not len(val):
        return data, None
    train = np.setdiff1d(np.arange(len(data)), val)
    return data.take(train), data.take(val)


def _kept_whole(names: list[str], fraction: float) -> str:
    shown = ", ".join(repr(n) for n in names[:MAX_NAMES_SHOWN])
    more = f" and {len(names) - MAX_NAMES_SHOWN} more" if len(names) > MAX_NAMES_SHOWN else ""
    return (
        f"context(s) {shown}{more} have too few rows to hold out validation_fraction="
        f"{fraction:g} of them, so all their rows train and early stopping does not see them; "
        "pass validation data with those contexts to have them scored"
    )


__all__ = [
    "MIN_HOLDOUT_ROWS",
    "MIN_TRAINING_PAIRS",
    "check_fit_data",
    "context_problems",
    "holdout",
]
