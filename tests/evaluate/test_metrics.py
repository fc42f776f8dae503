import math

import numpy as np

from causalpref.evaluate.metrics import mean_se, pairwise_accuracy


def test_accuracy_skips_ties_and_reads_soft_labels_by_side():
    margin = np.array([1.0, -1.0, 2.0, 0.5, -0.3])
    labels = np.array([1.0, 1.0, 0.5, 0.8, 0.1])
    # row 2 is a tie (left out); rows 0, 3, 4 right, row 1 wrong
    assert pairwise_accuracy(margin, labels) == 0.75


def test_zero_margin_counts_half_and_all_ties_is_nan():
    assert pairwise_accuracy(np.array([0.0, 1.0]), np.array([1.0, 1.0])) == 0.75
    assert math.isnan(pairwise_accuracy(np.array([1.0]), np.array([0.5])))


def test_mean_se_matches_textbook_formula():
    mean, se = mean_se([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert math.isclose(se, np.std([1, 2, 3, 4], ddof=1) / 2)
    assert math.isnan(mean_se([1.0])[1])
