"""Honest splits: which rows `fit` trains and stops early on, which it holds out for test, and
which rows `evaluate` scores.

With a split column the file says (train / validation / test names, see `scoring`). Without one,
`fit_with_holdout` holds out validation and test rows grouped by prompt (`PromptSplit`), moves back
to training the rows of any context that would otherwise never be trained on, and records the
rule in the model (`split_`), so that `evaluate` on the same file scores only the rows the model
never saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from causalpref.data import PreferenceData
from causalpref.data.splits import TEST, TRAIN, VALIDATION, PromptSplit, fingerprint
from causalpref.errors import ConfigError
from causalpref.methods.scoring import SPLIT, split_roles

ROWS = ("test", "all")  # what `evaluate` scores
SPLIT_COLUMN_RULE = "split-column"


@dataclass(frozen=True)
class FitSplits:
    """The role of every row of one data set in a fit ('train', 'validation' or 'test'), how
    the roles were chosen (`record`, stored in the model), and what to tell the user."""

    data: PreferenceData
    roles: np.ndarray
    record: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def rows(self, role: str) -> np.ndarray:
        """Row numbers of `role`."""
        return np.flatnonzero(self.roles == role)

    def part(self, role: str) -> PreferenceData | None:
        """The rows of `role` as data of their own (a copy); None when there are none."""
        rows = self.rows(role)
        return self.data.take(rows) if len(rows) else None

    def sizes(self) -> dict[str, int]:
        """Rows per role."""
        return {role: len(self.rows(role)) for role in (TRAIN, VALIDATION, TEST)}

    def describe(self) -> str:
        """'1409 pairs train, 328 validate (early stopping), 575 test (held out by prompt ...)'."""
        n = self.sizes()
        how = (
            f"column '{self.record['column']}'"
            if self.record["rule"] == SPLIT_COLUMN_RULE
            else f"held out by prompt, seed {self.record['seed']}"
        )
        stop = (
            f"{n[VALIDATION]} validate (early stopping)"
            if n[VALIDATION]
            else "none validate (the method holds out its own share for early stopping)"
        )
        return f"{n[TRAIN]} pairs train, {stop}, {n[TEST]} test ({how})"


def fit_splits(model: Any, data: PreferenceData, holdout: PromptSplit | None = None) -> FitSplits:
    """The roles of `data`'s rows for `model`: by its split column when it has one, else by
    `holdout` (default: 10% + 10% of the prompts); `holdout` with a split column is an error,
    as the file already says which rows are which."""
    roles = split_roles(data)
    if roles is not None:
        if holdout is not None:
            raise ConfigError(
                f"the data has a '{SPLIT}' column, which says which rows train, validate and "
                "test; drop the hold-out options, or drop the column to hold out by prompt"
            )
        record = {"rule": SPLIT_COLUMN_RULE, "column": SPLIT, "fingerprint": fingerprint(data)}
        return FitSplits(data, roles, record)
    holdout = holdout or PromptSplit(seed=int(model.seed))
    roles = holdout.assign(data)
    notes = _keep_contexts_trained(model, data, roles)
    splits = FitSplits(data, roles, holdout.record(data), notes)
    splits.record["rows"] = splits.sizes()
    return splits


def requested_holdout(
    validation_share: float | None, test_share: float | None, seed: int
) -> PromptSplit | None:
    """The prompt hold-out that options ask for (a missing share takes its default); None when
    neither is given, so a file's split column or the default hold-out applies."""
    if validation_share is None and test_share is None:
        return None
    defaults = PromptSplit()
    return PromptSplit(
        validation=defaults.validation if validation_share is None else validation_share,
        test=defaults.test if test_share is None else test_share,
        seed=seed,
    )


def fit_with_holdout(
    model: Any, data: PreferenceData, holdout: PromptSplit | None = None
) -> FitSplits:
    """Fit `model` on the training rows of `data` (early stopping on its validation rows) and
    record how the rows were chosen in `model.split_`, saved with the model. Vector data trains
    on its rows in place; text data on a copy of them, so that only they are encoded."""
    splits = fit_splits(model, data, holdout)
    fit_on(model, splits)
    return splits


def fit_on(model: Any, splits: FitSplits) -> Any:
    """`fit_with_holdout` once the roles are chosen (the CLI says what they are in between)."""
    validation = splits.part(VALIDATION)
    if splits.data.vector_dim is not None:
        model.fit(splits.data, validation=validation, rows=splits.rows(TRAIN))
    else:
        model.fit(splits.part(TRAIN), validation=validation)
    model.split_ = splits.record
    return model


def rows_to_score(
    model: Any, data: PreferenceData, rows: str = "test"
) -> tuple[PreferenceData, str]:
    """The rows `evaluate` scores and a sentence saying which: with rows='test', the file's test
    rows (split column), or the rows the model's own fit held out of this same file; all rows
    (and why) when neither applies."""
    if rows not in ROWS:
        raise ConfigError(f"rows={rows!r}: expected one of {list(ROWS)}")
    n = len(data)
    if rows == "all":
        return data, f"all {n} rows, as asked (rows that trained the model inflate the accuracy)"
    roles = split_roles(data, fitting=False)
    if roles is not None:
        mask = roles == TEST
        if not mask.any():
            raise ConfigError(
                f"column '{SPLIT}' names no test rows (values "
                f"{sorted(set(map(str, data.column(SPLIT))))[:8]}); score all rows with "
                "--rows all, or name test rows 'test' or 'test_<name>'"
            )
        test = data.filter(mask)
        shown = ", ".join(sorted({str(v) for v in test.column(SPLIT)}))
        return test, f"{len(test)} test rows of {n} ({SPLIT}: {shown})"
    record = getattr(model, "split_", None)
    if record is None or record.get("rule") == SPLIT_COLUMN_RULE:
        return data, (
            f"all {n} rows: the file has no '{SPLIT}' column and the model records no hold-out "
            "of its own, so causalpref cannot tell which rows, if any, trained it"
        )
    if record.get("fingerprint") != fingerprint(data):
        return data, (
            f"all {n} rows: this is not the file the model was fitted on (its rows differ), "
            "so its held-out rows do not apply"
        )
    split = PromptSplit.from_record(record)
    test = data.filter(split.assign(data) == TEST)
    if not len(test):
        raise ConfigError(
            "the model's fit held out no test rows of this file (test share "
            f"{split.test:g}); score all rows with --rows all"
        )
    return test, (
        f"{len(test)} of {n} rows, the test rows the model's fit held out (prompt groups, "
        f"test share {split.test:g}, seed {split.seed})"
    )


def _keep_contexts_trained(model: Any, data: PreferenceData, names: np.ndarray) -> list[str]:
    """Move to training (in `names`, in place) the held-out rows of contexts with no training
    row, as a context-aware model cannot score a context it never saw; say which moved."""
    if not getattr(model, "uses_context", False) or not data.has(model.context):
        return []
    contexts = np.asarray([str(v) for v in data.column(model.context)], dtype=object)
    trained = set(contexts[names == TRAIN])
    lonely = sorted(set(contexts) - trained)
    if not lonely:
        return []
    moved = np.isin(contexts, lonely)
    names[moved] = TRAIN
    return [
        f"context(s) {lonely[:8]} fell wholly into the hold-out, so their {int(moved.sum())} "
        "row(s) train instead (a model cannot score a context it never saw)"
    ]
