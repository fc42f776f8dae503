"""The trl, hh and chat layouts: explicit prompts, HH transcripts, chat lists; empty responses."""

from __future__ import annotations

import gzip
import json
import warnings

import numpy as np
import pyarrow as pa
import pytest

from causalpref.data import PreferenceData, read_preferences, write_preferences
from causalpref.errors import ConfigError, DataValidationError
from tests.data.layouts.helpers import (
    message,
    read_relabeled,
    read_trl,
    rows_of,
    transcript,
)
from tests.shared_data import HH_HARMLESS, RELABELED_HH, require

HH_FILE = HH_HARMLESS
RELABELED_FILE = RELABELED_HH
SUFFIXES = [".jsonl", ".jsonl.gz", ".json", ".parquet", ".csv"]


# -- TRL explicit ---------------------------------------------------------------------------
def test_trl_explicit_maps_chosen_to_a_and_keeps_margin_and_extra_columns():
    data = read_trl(
        [
            {
                "prompt": "Hi?",
                "chosen": "Hello!",
                "rejected": "Go away.",
                "margin": 2,
                "split": "x",
            },
            {"prompt": "2+2?", "chosen": "4", "rejected": "5", "margin": -0.5, "split": "y"},
        ]
    )
    assert data.column("response_a").tolist() == ["Hello!", "4"]
    assert data.column("response_b").tolist() == ["Go away.", "5"]
    assert data.column("prompt").tolist() == ["Hi?", "2+2?"]
    np.testing.assert_array_equal(data.labels, [1.0, 1.0])
    np.testing.assert_array_equal(data.column("margin"), [2.0, -0.5])
    assert data.column("split").tolist() == ["x", "y"]
    assert "chosen" not in data.columns


def test_trl_custom_prompt_column():
    data = read_trl([{"question": "Q", "chosen": "A", "rejected": "B"}], prompt_column="question")
    assert data.column("prompt").tolist() == ["Q"]
    assert "question" not in data.columns


def test_trl_problems_are_reported_together_and_nothing_loads():
    records = [
        {"prompt": "p", "chosen": "a", "rejected": "b"},
        {"prompt": "p", "chosen": 3, "rejected": "b"},
        {"prompt": "p", "chosen": "a", "rejected": None},
        {"prompt": "p", "chosen": "a", "rejected": "b", "margin": "big"},
        {"prompt": "p", "chosen": 7, "rejected": "b"},
    ]
    with pytest.raises(DataValidationError) as info:
        read_trl(records)
    found = {(p.column, p.rows) for p in info.value.problems}
    assert found == {("chosen", (1, 4)), ("rejected", (2,)), ("margin", (3,))}
    text = str(info.value)
    assert "must be a string; got 3, 7" in text and "'big'" in text


def test_input_column_that_clashes_with_an_output_is_reported():
    with pytest.raises(DataValidationError, match="column 'label': is an input column"):
        read_trl([{"prompt": "p", "chosen": "a", "rejected": "b", "label": 0}])


# -- HH transcripts -------------------------------------------------------------------------
def test_hh_transcripts_split_at_the_last_shared_assistant_turn():
    chosen = transcript("Hi", "Hello, how can I help?", "Tell me a joke", "Why did the chicken...")
    rejected = transcript("Hi", "Hello, how can I help?", "Tell me a joke", "No.")
    data = read_trl([{"chosen": chosen, "rejected": rejected}])
    expected_prompt = "Human: Hi\n\nAssistant: Hello, how can I help?\n\nHuman: Tell me a joke"
    assert data.column("prompt").tolist() == [expected_prompt]
    assert data.column("response_a").tolist() == ["Why did the chicken..."]
    assert data.column("response_b").tolist() == ["No."]
    assert data.labels.tolist() == [1.0]


def test_hh_responses_that_share_a_beginning_keep_it():
    data = read_trl(
        [{"chosen": transcript("Q", "I do not know"), "rejected": transcript("Q", "I do")}]
    )
    assert data.column("response_a").tolist() == ["I do not know"]
    assert data.column("response_b").tolist() == ["I do"]
    assert data.column("prompt").tolist() == ["Human: Q"]


def test_hh_rows_that_cannot_be_split_are_reported_with_rows():
    good = {"chosen": transcript("Q", "yes"), "rejected": transcript("Q", "no")}
    records = [
        good,
        {"chosen": transcript("Q", "same"), "rejected": transcript("Q", "same")},
        {"chosen": "Human: Q Assistant: a", "rejected": "Human: Q Assistant: b"},
        good,
        {"chosen": transcript("Q", "x"), "rejected": "something else entirely"},
    ]
    with pytest.raises(DataValidationError) as info:
        read_preferences(records, layout="hh")
    assert len(info.value.problems) == 2
    by_message = rows_of(info.value)
    assert by_message[
        "chosen and rejected transcripts are identical: there is nothing to compare"
    ] == (1,)
    no_turn = [
        rows for msg, rows in by_message.items() if msg.startswith("chosen and rejected share no")
    ]
    assert no_turn == [(2, 4)]


def test_hh_format_ignores_a_prompt_column():
    record = {"prompt": "ignored", "chosen": transcript("Q", "a"), "rejected": transcript("Q", "b")}
    assert read_preferences([record], layout="hh").column("prompt").tolist() == ["Human: Q"]


# -- chat lists -----------------------------------------------------------------------------
def test_chat_lists_prompt_is_the_shared_leading_messages():
    shared = [message("user", "Hi"), message("assistant", "Hello"), message("user", "Joke?")]
    data = read_trl(
        [
            {
                "chosen": [*shared, message("assistant", "Knock knock.")],
                "rejected": [*shared, message("assistant", "No.")],
            }
        ]
    )
    assert data.column("prompt").tolist() == ["Human: Hi\n\nAssistant: Hello\n\nHuman: Joke?"]
    assert data.column("response_a").tolist() == ["Knock knock."]
    assert data.column("response_b").tolist() == ["No."]


def test_chat_lists_with_explicit_prompt_list_and_content_parts():
    record = {
        "prompt": [message("system", "Terse."), message("user", "Capital of France?")],
        "chosen": [{"role": "assistant", "content": [{"type": "text", "text": "Paris"}]}],
        "rejected": [message("assistant", "Lyon")],
    }
    data = read_preferences([record])
    assert data.column("prompt").tolist() == ["System: Terse.\n\nHuman: Capital of France?"]
    assert data.column("response_a").tolist() == ["Paris"]
    assert data.column("response_b").tolist() == ["Lyon"]


def test_chat_lists_that_are_identical_or_malformed_are_reported():
    ok = {
        "chosen": [message("user", "q"), message("assistant", "a")],
        "rejected": [message("user", "q"), message("assistant", "b")],
    }
    same = {
        "chosen": [message("user", "q"), message("assistant", "a")],
        "rejected": [message("user", "q"), message("assistant", "a")],
    }
    broken = {"chosen": [{"role": "user"}], "rejected": [message("assistant", "b")]}
    with pytest.raises(DataValidationError) as info:
        read_preferences([ok, same, broken, ok])
    found = {p.column: p.rows for p in info.value.problems}
    assert found == {None: (1,), "chosen": (2,)}
    assert "{'role': 'user'}" in str(info.value)


# -- empty responses ------------------------------------------------------------------------
def empty_records() -> list[dict]:
    return [
        {"prompt": "p", "chosen": "a", "rejected": "b"},
        {"prompt": "p", "chosen": "", "rejected": "b"},
        {"prompt": "p", "chosen": "a", "rejected": "  "},
    ]


def test_empty_responses_are_kept_by_default():
    data = read_trl(empty_records())
    assert data.column("response_a").tolist() == ["a", "", "a"]
    assert len(data) == 3


def test_empty_responses_can_be_dropped_with_a_warning_or_refused():
    with pytest.warns(UserWarning, match="dropped 2 rows"):
        dropped = read_trl(empty_records(), empty_responses="drop")
    assert len(dropped) == 1
    with pytest.raises(DataValidationError) as info:
        read_trl(empty_records(), empty_responses="error")
    assert {p.column: p.rows for p in info.value.problems} == {
        "response_a": (1,),
        "response_b": (2,),
    }
    assert "empty_responses='keep'" in str(info.value)
    with pytest.raises(ConfigError, match="empty_responses='never'"):
        read_trl(empty_records(), empty_responses="never")


# -- files ----------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_chat_lists_load_from_every_file_format(tmp_path, suffix):
    records = [
        {
            "chosen": [message("user", "Q"), message("assistant", f"good {i}")],
            "rejected": [message("user", "Q"), message("assistant", f"bad {i}")],
        }
        for i in range(3)
    ]
    table = pa.Table.from_pylist(records)
    path = write_preferences(PreferenceData(table, validate=False), tmp_path / f"chat{suffix}")
    data = read_preferences(path)
    assert data.column("response_a").tolist() == ["good 0", "good 1", "good 2"]
    assert data.column("prompt").tolist() == ["Human: Q"] * 3
    assert data.source == str(path)


def test_bad_lines_and_bad_rows_are_reported_together_with_file_lines(tmp_path):
    path = tmp_path / "hh.jsonl"
    good = json.dumps({"chosen": transcript("Q", "a"), "rejected": transcript("Q", "b")})
    same = json.dumps({"chosen": transcript("Q", "a"), "rejected": transcript("Q", "a")})
    path.write_text("\n".join([good, "{broken", "", good, same]) + "\n")
    with pytest.raises(DataValidationError) as info:
        read_preferences(path)
    text = str(info.value)
    assert "line 2: invalid JSON" in text
    assert "identical" in text and "file lines 5" in text
    assert str(path) in text


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        read_trl(tmp_path / "nope.jsonl")


# -- real HH-RLHF ---------------------------------------------------------------------------
def test_harmless_base_every_row_splits_into_prompt_and_responses():
    require(HH_FILE)
    with gzip.open(HH_FILE, "rt", encoding="utf-8") as lines:
        raw = [json.loads(line) for line in lines]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = read_preferences(HH_FILE)
    assert len(data) == len(raw) == 2312
    prompts, a, b = (data.column(c) for c in ("prompt", "response_a", "response_b"))
    assert all(p.strip() for p in prompts)
    assert all(r.strip() for r in b)
    empty = [i for i, r in enumerate(a) if not r.strip()]
    # The source itself has 4 chosen transcripts whose final assistant turn is empty.
    assert empty == [i for i, r in enumerate(raw) if r["chosen"].rstrip().endswith("Assistant:")]
    print(f"\nharmless_base: {len(data)} rows split; {len(empty)} have an empty chosen response")
    assert len(empty) == 4
    for row, p, ra, rb in zip(raw, prompts, a, b, strict=True):
        for text, response in ((row["chosen"], ra), (row["rejected"], rb)):
            head = f"\n\n{p}\n\nAssistant:"
            assert text in (f"{head} {response}", f"{head}{response}")


def test_harmless_base_agrees_with_the_relabeled_split():
    require(HH_FILE)
    require(RELABELED_FILE)
    hh = read_preferences(HH_FILE, layout="hh")
    relabeled = read_relabeled(RELABELED_FILE)
    harmless = relabeled.filter(relabeled.column("prompt_type") == "harmless")
    hh_rows = list(
        zip(*(hh.column(c) for c in ("prompt", "response_a", "response_b")), strict=True)
    )
    same = 0
    for index, prompt, a, b in zip(
        *(harmless.column(c) for c in ("pair_id", "prompt", "response_a", "response_b")),
        strict=True,
    ):
        same += hh_rows[int(index)] in ((prompt, a, b), (prompt, b, a))
    assert same / len(harmless) > 0.99, (same, len(harmless))
