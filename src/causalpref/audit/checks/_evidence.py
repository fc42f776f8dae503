"""Small helpers the hygiene, heterogeneity and selection checks share for their evidence."""

from __future__ import annotations

import numpy as np

MAX_ROWS_SHOWN = 10  # evidence lists the first few row numbers; audit.json is not a row dump


def first_rows(mask_or_rows: np.ndarray, limit: int = MAX_ROWS_SHOWN) -> list[int]:
    """The first `limit` 0-based row numbers of a boolean mask or an index array."""
    arr = np.asarray(mask_or_rows)
    rows = np.flatnonzero(arr) if arr.dtype == bool else np.sort(arr.astype(np.int64))
    return [int(r) for r in rows[:limit]]


def share(count: float, n: int) -> float | None:
    """count / n rounded for evidence, or None when n is 0 (audit.json has no NaN)."""
    return rounded(float(count) / n) if n else None


def rounded(x: float | None, digits: int = 4) -> float | None:
    """`x` rounded for evidence; None for missing or non-finite values (valid JSON)."""
    if x is None or not np.isfinite(x):
        return None
    return float(round(float(x), digits))
