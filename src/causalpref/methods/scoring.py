"""What the `fit`, `evaluate` and `score` commands compute, as library functions: which rows a
fit trains on (by split name), accuracy per split (None, not NaN, where no pair is decided), and
the rewards of every pair."""

from __future__ import annotations

from typing import Any

import numpy as np

from causalpref.data import PreferenceData
from causalpref.data.degenerate import TIE, shown_rows
from causalpref.data.validate import rows_of
from causalpref.errors import ConfigError, DataValidationError, Problem
from causalpref.metrics import pairwise_accuracy

SPLIT = "split"
MAX_NAMES_SHOWN = 8
TRAIN = "train"
VALIDATION = "validation"
VALIDATION_ALIASES = ("val", "valid", "dev")  # accepted as `validation`, as other tools name it
TEST = "test"
TEST_PREFIX = "test_"  # scenarios write test_<name> (test_id, test_ood, test_reversed, ...)
KNOWN_SPLITS = (TRAIN, VALIDATION, *VALIDATION_ALIASES, TEST, TEST_PREFIX + "<name>")


def is_known_split(name: str) -> bool:
    """Whether `name` is a split `fit` knows: train, validation (or an alias), test, test_<x>."""
    return name in (TRAIN, VALIDATION, *VALIDATION_ALIASES, TEST) or name.startswith(TEST_PREFIX)


def train_validation(
    data: PreferenceData, column: str = SPLIT
) -> tuple[PreferenceData, PreferenceData | None]:
    """Rows whose `column` is 'train', and those whose it is 'validation' (or 'val', 'valid',
    'dev'; for early stopping). Test rows (`test`, `test_<name>`) are left out.

    Without the column every row trains and the validation part is None (the method then holds
    out its own `validation_fraction`). A null, an unknown split name or no 'train' row is one
    DataValidationError listing each problem (a typo such as 'vaildation' would otherwise make
    those rows vanish from the fit).
    """
    roles = split_roles(data, column)
    if roles is None:
        return data, None
    validation = roles == VALIDATION
    return data.filter(roles == TRAIN), (data.filter(validation) if validation.any() else None)


def split_roles(
    data: PreferenceData, column: str = SPLIT, fitting: bool = True
) -> np.ndarray | None:
    """'train', 'validation' (aliases folded in) or 'test' (test and test_<name>) for every row
    by its `column`; None without the column. Problems are raised as in `train_validation`
    (no 'train' row is one only when `fitting`)."""
    if not data.has(column):
        return None
    values = data.column(column)
    missing = np.asarray([v is None for v in values], dtype=bool)
    names = np.asarray(["" if v is None else str(v) for v in values], dtype=object)
    problems = _split_problems(column, names, missing, fitting)
    if problems:
        raise DataValidationError(problems, data.source)
    roles = np.full(len(names), TEST, dtype=object)
    roles[names == TRAIN] = TRAIN
    roles[np.isin(names, (VALIDATION, *VALIDATION_ALIASES))] = VALIDATION
    return roles


def _split_problems(
    column: str, names: np.ndarray, missing: np.ndarray, fitting: bool = True
) -> list[Problem]:
    known = ", ".join(KNOWN_SPLITS)
    problems = []
    if missing.any():
        problems.append(
            Problem(column, f"split is missing (null); expected one of {known}", rows_of(missing))
        )
    unknown = ~missing & ~np.fromiter(map(is_known_split, names), dtype=bool, count=len(names))
    if unknown.any():
        shown = sorted(set(names[unknown]))[:MAX_NAMES_SHOWN]
        problems.append(
            Problem(
                column,
                f"has unknown split name(s) {shown}; fit trains on {TRAIN}, stops early on "
                f"{VALIDATION} (also written {', '.join(VALIDATION_ALIASES)}) and leaves out "
                f"{TEST} and {TEST_PREFIX}<name>: rename them, or drop the column to fit all rows",
                rows_of(unknown),
            )
        )
    if fitting and not (names == TRAIN).any() and not unknown.all():
        problems.append(
            Problem(
                column,
                f"has no '{TRAIN}' rows (values: {sorted(set(names[~missing]))[:MAX_NAMES_SHOWN]})"
                f": fitting uses {column}={TRAIN} (and {column}={VALIDATION} for early stopping); "
                "drop the column to fit all rows",
            )
        )
    return problems


def accuracy_by_split(model: Any, data: PreferenceData, split_by: str = SPLIT) -> dict[str, Any]:
    """Pairwise accuracy overall and per value of column `split_by`; text is encoded once.

    Returns {"accuracy", "n", "n_decided", "splits": {value: accuracy}, "split_sizes": {value:
    {"n", "n_decided"}}, "notes": [...]}. Accuracy counts decided (non-tie) pairs only: with none
    it is None (JSON null), never NaN, and a note says why. `split_by` must name a column of
    `data` (only the default 'split' may be absent); rows with a null there count overall, in
    no split, and a note names them.
    """
    if split_by != SPLIT and not data.has(split_by):
        raise ConfigError(
            f"split_by={split_by!r}: the data has no such column; available columns: "
            f"{data.columns}; name one of them (or leave it out to use '{SPLIT}' when present)"
        )
    data = model.featurize(data)
    margins, labels = model.margins(data), data.labels
    notes: list[str] = []
    overall = _accuracy(margins, labels, "all pairs", notes)
    result: dict[str, Any] = {"accuracy": overall, "n": len(data), "n_decided": _decided(labels)}
    splits, sizes = {}, {}
    if data.has(split_by):
        values = data.column(split_by)
        missing = np.asarray([v is None for v in values], dtype=bool)
        names = np.asarray(["" if v is None else str(v) for v in values], dtype=object)
        for name in sorted(set(names[~missing])):
            rows = names == name
            splits[name] = _accuracy(margins[rows], labels[rows], f"{split_by}={name}", notes)
            sizes[name] = {"n": int(rows.sum()), "n_decided": _decided(labels[rows])}
        if missing.any():
            notes.append(
                f"{int(missing.sum())} row(s) have no value in column '{split_by}' "
                f"({shown_rows(missing)}): they count in the overall accuracy, in no split"
            )
    return {**result, "splits": splits, "split_sizes": sizes, "notes": notes}


def _decided(labels: np.ndarray) -> int:
    return int(np.sum(labels != TIE))


def _accuracy(margins: np.ndarray, labels: np.ndarray, where: str, notes: list[str]):
    """Accuracy on the decided pairs, or None (with a note saying why) when there are none."""
    if _decided(labels):
        return pairwise_accuracy(margins, labels)
    why = "there are no pairs" if not len(labels) else f"all {len(labels)} labels are 0.5 (ties)"
    notes.append(f"accuracy on {where} is n/a: {why}, and a tie has no preferred response")
    return None


def accuracy_lines(result: dict[str, Any], split_by: str = SPLIT) -> list[str]:
    """`accuracy_by_split`'s result as the lines `causalpref evaluate` prints (n/a, not nan)."""
    lines = [f"accuracy {shown_accuracy(result['accuracy'])} on {result['n']} pairs"]
    for name, accuracy in result["splits"].items():
        n = result["split_sizes"][name]["n"]
        lines.append(f"  {split_by}={name}: {shown_accuracy(accuracy)} ({n} pairs)")
    return lines + [f"note: {note}" for note in result["notes"]]


def shown_accuracy(accuracy: float | None) -> str:
    """An accuracy as printed: four decimals, or n/a where no pair was decided."""
    return "n/a" if accuracy is None else f"{accuracy:.4f}"


def pair_rewards(model: Any, data: PreferenceData) -> dict[str, np.ndarray]:
    """pair_id (the row number without that column), reward_a, reward_b and P(a preferred)."""
    data = model.featurize(data)
    reward_a, reward_b = model.rewards(data, "a"), model.rewards(data, "b")
    ids = data.column("pair_id") if data.has("pair_id") else np.arange(len(data))
    prob_a = 1.0 / (1.0 + np.exp(-(reward_a - reward_b)))
    return {"pair_id": ids, "reward_a": reward_a, "reward_b": reward_b, "prob_a": prob_a}


def reward_lines(model: Any, data: PreferenceData) -> list[str]:
    """One strict-JSON line per pair: pair_id, reward_a, reward_b and P(a preferred)."""
    from causalpref._json import dumps

    scores = pair_rewards(model, data)
    return [
        dumps({"pair_id": i, "reward_a": float(a), "reward_b": float(b), "prob_a": float(p)})
        for i, a, b, p in zip(*scores.values(), strict=True)
    ]
