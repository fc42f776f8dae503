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


def bradley_terry_nll(margin: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-pair Bradley-Terry loss -[y log s(m) + (1 - y) log s(-m)]; soft labels and ties
    (0.5) count, so a confident margin on a tie costs what it should."""
    margin = np.asarray(margin, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    return np.logaddexp(0.0, -margin) * labels + np.logaddexp(0.0, margin) * (1.0 - labels)


def group_balanced_loss(
    margin: np.ndarray, labels: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Mean over groups of each group's weighted Bradley-Terry loss: the risk on a mix in which
    every group weighs the same (groups without weight are left out; NaN when none has any).

    Robust methods choose their epoch and settings by it. Unlike the worst group's accuracy it
    does not reward a model at chance for being equally poor everywhere, and a group of 10 pairs
    moves it smoothly rather than in steps of 10%.
    """
    nll = bradley_terry_nll(margin, labels)
    weights = np.ones_like(nll) if weights is None else np.asarray(weights, dtype=np.float64)
    groups = np.asarray(groups)
    losses = []
    for g in np.unique(groups):
        member = groups == g
        mass = weights[member].sum()
        if mass > 0:
            losses.append(float((nll[member] * weights[member]).sum() / mass))
    return float(np.mean(losses)) if losses else float("nan")


def mean_se(values: Iterable[float]) -> tuple[float, float]:
    """Mean and standard error (sample s.d. / sqrt(n)) over seeds; s.e. is NaN for one value."""
    arr = np.asarray(list(values), dtype=np.float64)
    if arr.size == 0:
        return float("nan"), float("nan")
    se = float(arr.std(ddof=1) / math.sqrt(arr.size)) if arr.size > 1 else float("nan")
    return float(arr.mean()), se
