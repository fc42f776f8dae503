"""Hyperparameter selection on validation data only (`select = "validation"` in a study spec).

For each method, seed and data point (the grid without its `settings.` keys) a study fits every
candidate setting; selection keeps the candidate with the best validation score. The rule reads
one score column and nothing else, so test rows can never sway the choice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from causalpref.errors import ConfigError

SETTING_PREFIX = "settings."
VALIDATION_SCORE = "validation_score"
CHOSEN = "chosen"
SELECTED = "selected"
# rule name -> the row column it maximises
SELECT_RULES = {
    "validation": VALIDATION_SCORE,  # the method's own early-stopping score
    "validation_accuracy": "validation_accuracy",
}


def own_validation_score(model: Any, fallback: float | None) -> float | None:
    """The score the model's early stopping maximised at its best epoch (minus the group-balanced
    or augmented-pair loss, ... or plain validation accuracy), else `fallback` (validation
    accuracy scored after the fit: a fit without early stopping has no score of its own)."""
    best = getattr(model, "best_epoch_", None)
    entry = next((h for h in getattr(model, "history_", []) if h.get("epoch") == best), {})
    score = entry.get(VALIDATION_SCORE, entry.get("validation_accuracy"))
    return fallback if score is None or math.isnan(score) else float(score)


def settings_of(row: dict[str, Any]) -> dict[str, Any]:
    """The candidate settings of a result row (its `settings.<name>` keys, prefix removed)."""
    return {
        k.removeprefix(SETTING_PREFIX): v for k, v in row.items() if k.startswith(SETTING_PREFIX)
    }


def describe_settings(settings: dict[str, Any]) -> str:
    """`name=value, ...` (empty when there is nothing to choose)."""
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def select_rows(
    rows: Sequence[dict], rule: str, data_keys: Sequence[str]
) -> tuple[list[dict], list[dict]]:
    """(selected rows, every row marked `selected`): for each method, seed and value of
    `data_keys`, the candidate with the highest score of `rule` (the first in run order on a
    tie), with its settings named in `chosen`. A group whose candidates were all skipped keeps
    its first row."""
    if rule not in SELECT_RULES:
        raise ConfigError(f"select = {rule!r}: expected one of {list(SELECT_RULES)}")
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        key = (row["method"], row["seed"], *(repr(row.get(k)) for k in data_keys))
        groups.setdefault(key, []).append(i)
    picked = {_best(rows, members, SELECT_RULES[rule]) for members in groups.values()}
    chosen = [{**rows[i], CHOSEN: describe_settings(settings_of(rows[i]))} for i in sorted(picked)]
    marked = [{**row, SELECTED: i in picked} for i, row in enumerate(rows)]
    return chosen, marked


def _best(rows: Sequence[dict], members: list[int], score: str) -> int:
    fitted = [i for i in members if "skipped" not in rows[i]]
    if not fitted:
        return members[0]
    missing = [i for i in fitted if not _finite(rows[i].get(score))]
    if missing:
        row = rows[missing[0]]
        raise ConfigError(
            f"select: method '{row['method']}' (seed {row['seed']}) has no {score}: selection "
            "needs a validation split (a scenario's n_validation > 0, or validation rows in the "
            "file)"
        )
    return max(fitted, key=lambda i: rows[i][score])


def chosen_summary(rows: Sequence[dict]) -> str:
    """How often each setting was chosen over the seeds, e.g. `penalty=1 (3/5), penalty=3 (2/5)`."""
    counts = Counter(r.get(CHOSEN, "") for r in rows)
    if set(counts) <= {""}:
        return ""
    return ", ".join(f"{c or '-'} ({n}/{len(rows)})" for c, n in counts.most_common())


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
