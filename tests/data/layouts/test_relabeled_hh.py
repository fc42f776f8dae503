"""The relabeled_hh layout: index labels, objectives, and the real relabelled split."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from causalpref.data import read_preferences
from causalpref.errors import DataValidationError
from tests.data.layouts.helpers import (
    read_relabeled,
    relabeled_record,
)
from tests.shared_data import RELABELED_HH, require

RELABELED_FILE = RELABELED_HH


# -- relabelled HH --------------------------------------------------------------------------
def test_relabeled_hh_mapping():
    data = read_relabeled(
        [relabeled_record(7, 0, 1, "helpful"), relabeled_record(9, 1, 1, "harmless")]
    )
    assert data.column("response_a").tolist() == ["first", "first"]
    assert data.column("response_b").tolist() == ["second", "second"]
    np.testing.assert_array_equal(data.labels, [1.0, 0.0])
    np.testing.assert_array_equal(data.column("original_label"), [0.0, 0.0])
    assert data.column("context").tolist() == ["helpful", "harmless"]
    assert data.column("prompt_type").tolist() == ["harmless", "harmless"]
    assert data.column("pair_id").tolist() == ["7", "9"]
    assert {"chosen", "rejected", "responses", "Index"}.isdisjoint(data.columns)
    assert data.column("objective").tolist() == data.column("context").tolist()
    assert data.column("data_subset").tolist() == data.column("prompt_type").tolist()
    assert data.column("consistency").tolist() == ["inconsistent", "consistent"]


def test_relabeled_hh_bad_rows_are_reported():
    records = [
        relabeled_record(1, 0, 0, "helpful"),
        relabeled_record(2, 2, 0, "helpful"),
        {**relabeled_record(3, 0, 0, "helpful"), "responses": ["only one"]},
        relabeled_record(1, 1, 0, "harmless"),
    ]
    with pytest.raises(DataValidationError) as info:
        read_relabeled(records)
    found = {p.column: p.rows for p in info.value.problems}
    assert found == {"label": (1,), "responses": (2,), "pair_id": (0, 3)}


def test_relabeled_hh_real_file_loads_every_row_with_the_documented_counts():
    require(RELABELED_FILE)
    data = read_preferences(RELABELED_FILE)
    assert len(data) == 4043
    counts = collections.Counter(
        zip(data.column("prompt_type"), data.column("context"), strict=True)
    )
    assert counts == {
        ("helpful", "helpful"): 1105,
        ("harmless", "harmless"): 1004,
        ("harmless", "helpful"): 1052,
        ("helpful", "harmless"): 882,
    }
    assert set(data.labels) == {0.0, 1.0} and set(data.column("original_label")) == {0.0, 1.0}
    assert data.column("pair_id")[0] == "0"


def test_the_real_split_has_the_papers_consistent_and_inconsistent_counts():
    """README of the shared data: consistent 1,105 helpful + 1,004 harmless; inconsistent
    1,052 + 882."""
    data = read_preferences(require(RELABELED_FILE))
    counts = collections.Counter(
        zip(data.column("consistency"), data.column("objective"), strict=True)
    )
    assert counts == {
        ("consistent", "helpful"): 1105,
        ("consistent", "harmless"): 1004,
        ("inconsistent", "helpful"): 1052,
        ("inconsistent", "harmless"): 882,
    }
