"""layout="auto": which layout the first rows point to; unknown names."""

from __future__ import annotations

import pytest

from causalpref.data import LAYOUTS, PreferenceData, read_preferences, write_preferences
from causalpref.errors import ConfigError, UnknownNameError
from tests.data.layouts.helpers import (
    message,
    relabeled_record,
    transcript,
)


# -- auto detection --------------------------------------------------------------------
def test_auto_detects_each_layout():
    trl = {"prompt": "p", "chosen": "a", "rejected": "b"}
    hh = {"chosen": transcript("Q", "a"), "rejected": transcript("Q", "b")}
    chat = {
        "chosen": [message("user", "q"), message("assistant", "a")],
        "rejected": [message("user", "q"), message("assistant", "b")],
    }
    arena = {"model_a": "x", "model_b": "y", "winner": "tie", "response_a": "a", "response_b": "b"}
    canonical = {"response_a": "a", "response_b": "b", "label": 0.25}
    relabeled = relabeled_record(1, 1, 0, "helpful")
    for record, column, value in [
        (trl, "prompt", "p"),
        (hh, "prompt", "Human: Q"),
        (chat, "prompt", "Human: q"),
        (arena, "label", 0.5),
        (canonical, "label", 0.25),
        (relabeled, "context", "helpful"),
    ]:
        assert read_preferences([record]).column(column).tolist() == [value], record


def test_unknown_layout_and_unfit_rows_are_reported(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown layout 'sharegpt'.*canonical, chat, hh"):
        read_preferences(tmp_path / "never-read.jsonl", layout="sharegpt")
    with pytest.raises(ConfigError, match=r"columns \['a'\] fit none.*relabeled_hh, arena"):
        read_preferences([{"a": 1}])


def test_sniff_order_is_the_registration_order():
    assert LAYOUTS.names() == ["relabeled_hh", "arena", "canonical", "chat", "trl", "hh"]


def test_a_layout_named_explicitly_wins_over_detection():
    record = {"prompt": "ignored", "chosen": transcript("Q", "a"), "rejected": transcript("Q", "b")}
    assert read_preferences([record]).column("prompt").tolist() == ["ignored"]
    assert read_preferences([record], layout="hh").column("prompt").tolist() == ["Human: Q"]


def test_canonical_files_go_through_read_preferences(tmp_path):
    data = PreferenceData.from_columns(
        {"response_a": ["x", "y"], "response_b": ["u", "v"], "label": [0.2, 0.9]}
    )
    path = write_preferences(data, tmp_path / "c.parquet")
    assert read_preferences(path).table.equals(data.table)
    assert read_preferences(path, layout="canonical").table.equals(data.table)
