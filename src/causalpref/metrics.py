"""Pairwise metrics and seed summaries."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def pairwise_accuracy(margin: np.ndarray, labels: np.ndarray) -> float:
    """Share of decided pairs (label != 0.5) where the sign of `margin` = r_a - r_b agrees.

    Soft labels count by their side of 0.5; ties carry no direction and are left out. A margin of
    exactly zero scores half, as a coin flip would. NaN when no pair is decided.
    """
    margin = np.asarray(margin, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    decided = labels != 0.5
    if not decided.any():
        return float("nan")
    m, y = margin[decided], labels[decided] > 0.5
    score = np.where(m == 0, 0.5, ((m > 0) == y).astype(np.float64))
    return float(score.mean())


def worst_group_accuracy(margin: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> float:
    """The lowest pairwise accuracy over groups (groups with no decided pair are left out).

    Used to choose robust models on validation data whose groups (environments, or pairs where
    an attribute agrees or disagrees with the label) differ in how a shortcut pays off.
    """
    groups = np.asarray(groups)
    scores = [
        pairwise_accuracy(margin[groups == g], labels[groups == g]) for g in np.unique(groups)
    ]
    scores = [x for x in scores if not math.isnan(x)]
    return min(scores) if scores else float("nan")


def mean_se(values: Iterable[float]) -> tuple[float, float]:
    """Mean and standard error (sample s.d. / sqrt(n)) over seeds; s.e. is NaN for one value."""
    arr = np.asarray(list(values), dtype=np.float64)
    if arr.size == 0:
        return float("nan"), float("nan")
    se = float(arr.std(ddof=1) / math.sqrt(arr.size)) if arr.size > 1 else float("nan")
    return float(arr.mean()), se
