"""Which rows of the data a fit trains on, kept as row numbers so their vectors are not copied.

Taking the training side of a hold-out (90% of the rows) copied every vector, and the training
tensors copied them again. Here the held-out side is taken (it is small), the training side
stays row numbers into the data, and the training tensors share the data's own vectors.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from causalpref.data import PreferenceData
from causalpref.data.schema import VECTOR_PAIR
from causalpref.methods.fit_checks import holdout

ROW = "row"


def holdout_rows(
    data: PreferenceData,
    fraction: float,
    seed: int,
    groups: np.ndarray | None = None,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray | None, PreferenceData | None]:
    """`fit_checks.holdout` by row number, over `data`'s `rows` (all when None; `groups` has one
    value per such row): the rows that train (None: as given) and the held-out rows as data of
    their own (None: nothing held out)."""
    numbers = np.arange(len(data)) if rows is None else np.asarray(rows)
    numbered = PreferenceData(pa.table({ROW: numbers}), validate=False)
    train, held = holdout(numbered, fraction, seed, groups)
    if held is None:
        return rows, None
    return train.column(ROW), data.take(held.column(ROW))


def without_vectors(data: PreferenceData, rows: np.ndarray | None) -> PreferenceData:
    """`data`'s `rows` (all when None) with every column but the vectors, which are not copied."""
    if rows is None:
        return data
    return data.drop([name for name in VECTOR_PAIR if data.has(name)]).take(rows)
