"""Data that validates but cannot teach a reward model anything: every label a tie, the same
response on both sides, empty texts, zero weight, null contexts.

`trainable_findings` lists all of it at once, as Problems (refuse) and warnings (train, but say
so), so `fit` can stop before any encoding or training, and the audit can say the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import RESPONSE_A, RESPONSE_B, VECTOR_A, VECTOR_B, WEIGHT
from causalpref.errors import Problem

TIE = 0.5
MAX_ROWS_SHOWN = 10


@dataclass
class Findings:
    """Problems that make data unusable, and warnings about what it can survive."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def extend(self, other: Findings) -> None:
        """Add `other`'s problems and warnings to these."""
        self.problems += other.problems
        self.warnings += other.warnings


def decided_mask(data: PreferenceData) -> np.ndarray:
    """True where the label says which response is preferred (not a 0.5 tie)."""
    return data.labels != TIE


def blank_mask(column: pa.ChunkedArray) -> np.ndarray:
    """True where a text cell is empty or whitespace only (False where it is null, and in a
    column that does not hold text)."""
    if not pa.types.is_string(column.type):
        return np.zeros(len(column), dtype=bool)
    trimmed = pc.utf8_trim_whitespace(column)
    return pc.fill_null(pc.equal(pc.utf8_length(trimmed), 0), False).to_numpy(zero_copy_only=False)


def identical_mask(data: PreferenceData) -> np.ndarray | None:
    """True where both sides are the same: equal vectors when the data has them (what training
    reads), else equal texts; None when the data has neither pair."""
    if data.has(VECTOR_A) and data.has(VECTOR_B) and data.vector_dim is not None:
        return np.all(data.vectors("a") == data.vectors("b"), axis=1)
    if data.has(RESPONSE_A) and data.has(RESPONSE_B):
        same = pc.equal(data.table[RESPONSE_A], data.table[RESPONSE_B])
        return pc.fill_null(same, False).to_numpy(zero_copy_only=False)
    return None


def informative_mask(data: PreferenceData, same: np.ndarray | None = None) -> np.ndarray:
    """True for the pairs training learns from: decided, weighted, and different on both sides
    (`same`: `identical_mask(data)`, when already computed)."""
    same = identical_mask(data) if same is None else same
    different = ~same if same is not None else True
    return decided_mask(data) & (data.weights > 0) & different


def shown_rows(mask: np.ndarray) -> str:
    """'rows 0, 4, 9 and 12 more' for the true entries of `mask` (0-based)."""
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
    more = f" and {len(rows) - MAX_ROWS_SHOWN} more" if len(rows) > MAX_ROWS_SHOWN else ""
    return f"rows {shown}{more}"


def trainable_findings(
    data: PreferenceData, what: str = "training data", rows: np.ndarray | None = None
) -> Findings:
    """Everything that stops `data` (its `rows` only, when given) from teaching a reward model.

    Refused: no rows; every label a tie; both sides identical in every row; every response
    empty (text data without vectors); zero total weight on the decided pairs; or, when each of
    those alone leaves some rows, no row that is decided, different on both sides and weighted.
    Warned: some rows with identical sides (their margin is always 0).
    """
    keep = slice(None) if rows is None else np.asarray(rows)
    found = Findings()
    n = len(data) if rows is None else len(keep)
    if n == 0:
        found.problems.append(Problem(None, f"{what} has no rows; there is nothing to train on"))
        return found
    decided = decided_mask(data)[keep]
    if not decided.any():
        found.problems.append(_all_ties(n, what))
    empty = _all_empty(data, what, keep)
    found.problems += empty
    same = identical_mask(data)
    same = None if same is None else same[keep]
    if same is not None and not empty:
        found.extend(_identical(same, what))
    weights = data.weights[keep]
    if decided.any() and not (weights[decided] > 0).any():
        found.problems.append(_zero_weight(weights, what))
    informative = decided & (weights > 0) & (~same if same is not None else True)
    if not found.problems and not informative.any():
        found.problems.append(
            Problem(
                None,
                f"{what} has no informative pair: every row is a tie, has the same response on "
                "both sides, or has weight 0; add pairs with a preferred response that differs "
                "from the other",
            )
        )
    return found


def _all_ties(n: int, what: str) -> Problem:
    return Problem(
        "label",
        f"every label in {what} is 0.5 (a tie), {n} row(s): no pair says which response is "
        "preferred, so there is nothing to learn; label pairs 1 (a preferred), 0 (b "
        "preferred) or a probability other than 0.5",
    )


def _all_empty(data: PreferenceData, what: str, keep: slice | np.ndarray) -> list[Problem]:
    if data.vector_dim is not None or not (data.has(RESPONSE_A) and data.has(RESPONSE_B)):
        return []
    blank = (blank_mask(data.table[RESPONSE_A]) & blank_mask(data.table[RESPONSE_B]))[keep]
    if not blank.all():
        return []
    return [
        Problem(
            None,
            f"every response in {what} is empty or whitespace ({len(blank)} row(s)): there is no "
            "text to learn from; check that the response columns were read (layout=...)",
        )
    ]


def _identical(same: np.ndarray, what: str) -> Findings:
    found = Findings()
    if same.all():
        found.problems.append(
            Problem(
                None,
                f"response a equals response b in every row of {what} ({len(same)} row(s)): the "
                "reward difference of such a pair is always 0, so nothing can be learned; check "
                "that the two response columns are not the same column",
            )
        )
    elif same.any():
        found.warnings.append(
            f"{what}: response a equals response b in {int(same.sum())} of {len(same)} rows "
            f"({shown_rows(same)}); these pairs carry no information about the responses (their "
            "reward difference is always 0); drop them to silence this warning"
        )
    return found


def _zero_weight(weights: np.ndarray, what: str) -> Problem:
    everywhere = not (weights > 0).any()
    where = "every row" if everywhere else "every decided (non-tie) row"
    return Problem(
        WEIGHT,
        f"is 0 in {where} of {what} (total weight 0): training would ignore every pair; "
        "give the pairs to learn from a positive weight, or drop the weight column",
    )
