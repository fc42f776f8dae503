import math

import numpy as np

from causalpref.metrics import mean_se, pairwise_accuracy


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


def test_worst_group_accuracy_is_the_lowest_group_and_skips_undecided_groups():
    from causalpref.metrics import worst_group_accuracy

    margin = np.array([1.0, 1.0, -1.0, 1.0, 1.0])
    labels = np.array([1.0, 1.0, 1.0, 0.0, 0.5])
    groups = np.array(["x", "x", "y", "y", "z"])  # x: 1.0, y: 0.0, z: only a tie
    assert worst_group_accuracy(margin, labels, groups) == 0.0
    assert worst_group_accuracy(margin[:2], labels[:2], groups[:2]) == 1.0
