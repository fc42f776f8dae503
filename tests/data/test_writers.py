"""TRL export: the preferred side first, ties refused or dropped, round trips."""

from __future__ import annotations

import pytest

from causalpref.data import PreferenceData
from causalpref.data.writers import to_trl, write_trl
from causalpref.errors import ConfigError
from tests.data.layouts.helpers import (
    read_trl,
)

SUFFIXES = [".jsonl", ".jsonl.gz", ".json", ".parquet", ".csv"]


# -- TRL export -----------------------------------------------------------------------------
def decided_data() -> PreferenceData:
    return PreferenceData.from_columns(
        {
            "prompt": ["p0", "p1", "p2"],
            "response_a": ["a0", "a1", ""],
            "response_b": ["b0", "b1", "b2"],
            "label": [1.0, 0.0, 0.8],
            "margin": [1.5, 2.0, 0.1],
            "pair_id": ["x", "y", "z"],
            "attr.len.a": [1, 2, 3],
            "attr.len.b": [4, 5, 6],
        },
        validate=False,
    )


def test_to_trl_puts_the_preferred_side_first_and_keeps_row_columns():
    assert to_trl(decided_data()) == [
        {"prompt": "p0", "chosen": "a0", "rejected": "b0", "margin": 1.5, "pair_id": "x"},
        {"prompt": "p1", "chosen": "b1", "rejected": "a1", "margin": -2.0, "pair_id": "y"},
        {"prompt": "p2", "chosen": "", "rejected": "b2", "margin": 0.1, "pair_id": "z"},
    ]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_trl_round_trip(tmp_path, suffix):
    data = decided_data().drop(["attr.len.a", "attr.len.b"])
    back = read_trl(write_trl(data, tmp_path / f"trl{suffix}"))
    oriented = data.take([0, 2]).table.to_pylist() + data.take([1]).swap().table.to_pylist()
    expected = sorted(({**r, "label": 1.0} for r in oriented), key=lambda r: r["pair_id"])
    assert back.table.to_pylist() == expected
    assert not list(tmp_path.glob(".*tmp"))


def test_ties_need_an_explicit_choice():
    data = PreferenceData.from_columns(
        {"response_a": ["a", "c"], "response_b": ["b", "d"], "label": [0.5, 1.0]}
    )
    with pytest.raises(ConfigError, match=r"1 rows have label 0.5 \(a tie; rows 0\).*ties='drop'"):
        to_trl(data)
    with pytest.warns(UserWarning, match="dropped 1 tied rows"):
        rows = to_trl(data, ties="drop")
    assert rows == [{"prompt": "", "chosen": "c", "rejected": "d"}]
