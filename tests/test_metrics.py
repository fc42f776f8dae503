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


def test_group_balanced_loss_weighs_every_group_alike_and_skips_weightless_groups():
    from causalpref.metrics import bradley_terry_nll, group_balanced_loss

    margin = np.array([2.0, 2.0, 2.0, -1.0, 5.0])
    labels = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    groups = np.array(["big", "big", "big", "small", "gone"])
    weights = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    nll = bradley_terry_nll(margin, labels)
    expected = (nll[:3].mean() + nll[3]) / 2  # not the pooled mean, which the big group rules
    assert math.isclose(group_balanced_loss(margin, labels, groups, weights), expected)
    assert not math.isclose(expected, nll[:4].mean())
    assert math.isnan(group_balanced_loss(margin, labels, groups, np.zeros(5)))


def test_group_balanced_loss_prefers_a_weak_signal_over_chance_where_worst_accuracy_does_not():
    from causalpref.metrics import group_balanced_loss, worst_group_accuracy

    # A weak model gets 75 of 100 big-group pairs and 4 of 10 small-group pairs right (balanced
    # loss 0.683); a model at chance (margin 0) scores 0.5 everywhere and ln 2 = 0.693.
    labels = np.ones(110)
    groups = np.array(["big"] * 100 + ["small"] * 10)
    weak = np.r_[np.full(75, 0.4), np.full(25, -0.4), np.full(4, 0.4), np.full(6, -0.4)]
    chance = np.zeros(110)
    assert worst_group_accuracy(chance, labels, groups) > worst_group_accuracy(weak, labels, groups)
    assert group_balanced_loss(weak, labels, groups) < group_balanced_loss(chance, labels, groups)
    assert math.isclose(group_balanced_loss(chance, labels, groups), math.log(2))
