"""Data that validates but cannot teach anything is found all at once: refused (Problems) or
warned about (survivable), with clean data finding nothing (the negative control)."""

import numpy as np

from causalpref.data import PreferenceData
from causalpref.data.degenerate import blank_mask, identical_mask, trainable_findings


def texts(n=6, label=None, a=None, b=None, weight=None):
    cols = {
        "prompt": [f"q{i}" for i in range(n)],
        "response_a": a if a is not None else [f"good answer {i}" for i in range(n)],
        "response_b": b if b is not None else [f"bad {i}" for i in range(n)],
        "label": np.ones(n) if label is None else np.asarray(label, dtype=float),
    }
    if weight is not None:
        cols["weight"] = np.asarray(weight, dtype=float)
    return PreferenceData.from_columns(cols)


def vectors(n=6, same_rows=()):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    b[list(same_rows)] = a[list(same_rows)]
    return PreferenceData.from_columns({"vector.a": a, "vector.b": b, "label": np.ones(n)})


def messages(found):
    return " | ".join(p.describe() for p in found.problems)


def test_clean_data_has_no_problems_and_no_warnings():
    found = trainable_findings(texts())
    assert found.problems == [] and found.warnings == []
    assert trainable_findings(vectors()).warnings == []


def test_every_label_a_tie_is_refused():
    found = trainable_findings(texts(label=[0.5] * 6))
    assert "every label in training data is 0.5" in messages(found)
    assert found.problems[0].column == "label"


def test_identical_responses_in_every_row_are_refused():
    same = [f"x{i}" for i in range(6)]
    assert "equals response b in every row" in messages(trainable_findings(texts(a=same, b=same)))
    assert "every row" in messages(trainable_findings(vectors(same_rows=range(6))))


def test_identical_responses_in_some_rows_are_a_warning_with_the_count():
    a = [f"x{i}" for i in range(6)]
    b = ["x0", "x1", "other", "other", "other", "other"]
    found = trainable_findings(texts(a=a, b=b))
    assert found.problems == []
    assert len(found.warnings) == 1 and "in 2 of 6 rows (rows 0, 1)" in found.warnings[0]
    assert "in 1 of 6 rows" in trainable_findings(vectors(same_rows=[3])).warnings[0]


def test_every_response_empty_is_refused_once():
    blank = ["", " ", "\n", "", "\t", ""]
    found = trainable_findings(texts(a=blank, b=["  "] * 6))
    assert len(found.problems) == 1 and "every response" in messages(found)


def test_empty_responses_with_vectors_are_not_refused():
    data = vectors().with_columns({"response_a": [""] * 6, "response_b": [""] * 6})
    assert trainable_findings(data).problems == []


def test_zero_total_weight_is_refused():
    found = trainable_findings(texts(weight=[0] * 6))
    assert found.problems[0].column == "weight" and "every row" in messages(found)


def test_weight_only_on_ties_is_refused():
    found = trainable_findings(texts(label=[1, 0, 0.5, 0.5, 1, 0], weight=[0, 0, 1, 1, 0, 0]))
    assert "every decided (non-tie) row" in messages(found)


def test_no_informative_pair_when_each_row_fails_another_way():
    same = ["s0", "s1", "s2", "x", "y", "z"]
    other = ["s0", "s1", "s2", "p", "q", "r"]
    found = trainable_findings(texts(a=same, b=other, label=[1, 0, 1, 0.5, 0.5, 0.5]))
    assert "no informative pair" in messages(found)


def test_no_rows_is_refused():
    empty = texts().filter(np.zeros(6, dtype=bool))
    assert "has no rows" in messages(trainable_findings(empty))


def test_blank_and_identical_masks():
    data = texts(a=["", " x", "same", "\t ", "a", "b"], b=["y", "x", "same", "z", "a", ""])
    assert blank_mask(data.table["response_a"]).tolist() == [1, 0, 0, 1, 0, 0]
    assert identical_mask(data).tolist() == [0, 0, 1, 0, 1, 0]
