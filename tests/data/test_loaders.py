"""Loaders for TRL, HH transcripts, chat lists, Arena and relabelled HH; user joins; TRL export."""

from __future__ import annotations

import collections
import gzip
import json
import warnings

import numpy as np
import pyarrow as pa
import pytest

from causalpref.data import PreferenceData, write_preferences
from causalpref.data.loaders import (
    join_users,
    load_arena,
    load_pairs,
    load_relabeled_hh,
    load_trl,
    read_rows,
    to_trl,
    write_trl,
)
from causalpref.errors import ConfigError, DataValidationError
from causalpref.features.text_format import render_chat
from tests.shared_data import HH_HARMLESS, RELABELED_HH, require

HH_FILE, RELABELED_FILE = HH_HARMLESS, RELABELED_HH
SUFFIXES = [".jsonl", ".jsonl.gz", ".json", ".parquet", ".csv"]


def rows_of(error: DataValidationError) -> dict[str, tuple[int, ...]]:
    return {p.message.split(";")[0]: p.rows for p in error.problems}


def transcript(*turns: str) -> str:
    """HH-RLHF style transcript from alternating human / assistant turns."""
    roles = ("Human", "Assistant")
    return "".join(f"\n\n{roles[i % 2]}: {t}" for i, t in enumerate(turns))


def message(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


# -- TRL explicit ---------------------------------------------------------------------------
def test_trl_explicit_maps_chosen_to_a_and_keeps_margin_and_extra_columns():
    data = load_trl(
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
    data = load_trl([{"question": "Q", "chosen": "A", "rejected": "B"}], prompt_column="question")
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
        load_trl(records)
    found = {(p.column, p.rows) for p in info.value.problems}
    assert found == {("chosen", (1, 4)), ("rejected", (2,)), ("margin", (3,))}
    text = str(info.value)
    assert "must be a string; got 3, 7" in text and "'big'" in text


def test_input_column_that_clashes_with_an_output_is_reported():
    with pytest.raises(DataValidationError, match="column 'label': is an input column"):
        load_trl([{"prompt": "p", "chosen": "a", "rejected": "b", "label": 0}])


# -- HH transcripts -------------------------------------------------------------------------
def test_hh_transcripts_split_at_the_last_shared_assistant_turn():
    chosen = transcript("Hi", "Hello, how can I help?", "Tell me a joke", "Why did the chicken...")
    rejected = transcript("Hi", "Hello, how can I help?", "Tell me a joke", "No.")
    data = load_trl([{"chosen": chosen, "rejected": rejected}])
    expected_prompt = "Human: Hi\n\nAssistant: Hello, how can I help?\n\nHuman: Tell me a joke"
    assert data.column("prompt").tolist() == [expected_prompt]
    assert data.column("response_a").tolist() == ["Why did the chicken..."]
    assert data.column("response_b").tolist() == ["No."]
    assert data.labels.tolist() == [1.0]


def test_hh_responses_that_share_a_beginning_keep_it():
    data = load_trl(
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
        load_pairs(records, format="hh")
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
    assert load_pairs([record], format="hh").column("prompt").tolist() == ["Human: Q"]


# -- chat lists -----------------------------------------------------------------------------
def test_render_chat_matches_hh_style():
    messages = [message("system", "Be kind."), message("user", "Hi"), message("assistant", "Hey")]
    assert render_chat(messages) == "System: Be kind.\n\nHuman: Hi\n\nAssistant: Hey"


def test_chat_lists_prompt_is_the_shared_leading_messages():
    shared = [message("user", "Hi"), message("assistant", "Hello"), message("user", "Joke?")]
    data = load_trl(
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
    data = load_pairs([record])
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
        load_pairs([ok, same, broken, ok])
    found = {p.column: p.rows for p in info.value.problems}
    assert found == {None: (1,), "chosen": (2,)}
    assert "{'role': 'user'}" in str(info.value)


# -- Arena ----------------------------------------------------------------------------------
def test_arena_with_response_strings_maps_winners_models_and_judge():
    base = {"prompt": "Q", "response_a": "A", "response_b": "B", "model_a": "m1", "model_b": "m2"}
    winners = ["model_a", "model_b", "tie", "tie (bothbad)"]
    data = load_arena([{**base, "winner": w, "judge": f"j{i}"} for i, w in enumerate(winners)])
    np.testing.assert_array_equal(data.labels, [1.0, 0.0, 0.5, 0.5])
    assert data.column("model.a").tolist() == ["m1"] * 4
    assert data.column("model.b").tolist() == ["m2"] * 4
    assert data.column("annotator_id").tolist() == ["j0", "j1", "j2", "j3"]
    assert {"winner", "judge", "model_a"}.isdisjoint(data.columns)


def test_arena_conversations_give_shared_user_turns_and_last_assistant_answer():
    conversation_a = [
        message("user", "Hi"),
        message("assistant", "Hey"),
        message("user", "Name?"),
        message("assistant", "I am A"),
    ]
    conversation_b = [
        message("user", "Hi"),
        message("assistant", "Hello"),
        message("user", "Name?"),
        message("assistant", "I am B"),
    ]
    record = {
        "model_a": "a",
        "model_b": "b",
        "winner": "model_b",
        "question_id": "q1",
        "conversation_a": conversation_a,
        "conversation_b": conversation_b,
    }
    data = load_pairs([record])
    assert data.column("prompt").tolist() == ["Human: Hi\n\nHuman: Name?"]
    assert data.column("response_a").tolist() == ["I am A"]
    assert data.column("response_b").tolist() == ["I am B"]
    assert data.labels.tolist() == [0.0]
    assert data.column("question_id").tolist() == ["q1"]


def test_arena_unknown_winners_are_reported_with_rows_and_values():
    base = {"model_a": "m1", "model_b": "m2", "response_a": "A", "response_b": "B"}
    records = [{**base, "winner": w} for w in ["model_a", "draw", "tie", None, "draw"]]
    with pytest.raises(DataValidationError) as info:
        load_arena(records)
    (problem,) = info.value.problems
    assert problem.column == "winner" and problem.rows == (1, 3, 4)
    assert "'draw', None" in problem.message and "'tie (bothbad)'" in problem.message


# -- relabelled HH --------------------------------------------------------------------------
def relabeled_record(index: int, label: int, original: int, objective: str) -> dict:
    return {
        "prompt": "Human: Q",
        "responses": ["first", "second"],
        "label": label,
        "objective": objective,
        "data_subset": "harmless",
        "original_label": original,
        "chosen": "Human: Q\n\nAssistant: x",
        "rejected": "Human: Q\n\nAssistant: y",
        "Index": index,
    }


def test_relabeled_hh_mapping():
    data = load_relabeled_hh(
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


def test_relabeled_hh_bad_rows_are_reported():
    records = [
        relabeled_record(1, 0, 0, "helpful"),
        relabeled_record(2, 2, 0, "helpful"),
        {**relabeled_record(3, 0, 0, "helpful"), "responses": ["only one"]},
        relabeled_record(1, 1, 0, "harmless"),
    ]
    with pytest.raises(DataValidationError) as info:
        load_relabeled_hh(records)
    found = {p.column: p.rows for p in info.value.problems}
    assert found == {"label": (1,), "responses": (2,), "pair_id": (0, 3)}


def test_relabeled_hh_real_file_loads_every_row_with_the_documented_counts():
    require(RELABELED_FILE)
    data = load_pairs(RELABELED_FILE)
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


# -- empty responses ------------------------------------------------------------------------
def empty_records() -> list[dict]:
    return [
        {"prompt": "p", "chosen": "a", "rejected": "b"},
        {"prompt": "p", "chosen": "", "rejected": "b"},
        {"prompt": "p", "chosen": "a", "rejected": "  "},
    ]


def test_empty_responses_are_kept_by_default():
    data = load_trl(empty_records())
    assert data.column("response_a").tolist() == ["a", "", "a"]
    assert len(data) == 3


def test_empty_responses_can_be_dropped_with_a_warning_or_refused():
    with pytest.warns(UserWarning, match="dropped 2 rows"):
        dropped = load_trl(empty_records(), empty_responses="drop")
    assert len(dropped) == 1
    with pytest.raises(DataValidationError) as info:
        load_trl(empty_records(), empty_responses="error")
    assert {p.column: p.rows for p in info.value.problems} == {
        "response_a": (1,),
        "response_b": (2,),
    }
    assert "empty_responses='keep'" in str(info.value)
    with pytest.raises(ConfigError, match="empty_responses='never'"):
        load_trl(empty_records(), empty_responses="never")


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
    data = load_pairs(path)
    assert data.column("response_a").tolist() == ["good 0", "good 1", "good 2"]
    assert data.column("prompt").tolist() == ["Human: Q"] * 3
    assert data.source == str(path)


def test_read_rows_keeps_nested_values(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"chosen": [message("user", "q")], "x": 1}) + "\n")
    table = read_rows(path)
    assert table.to_pylist() == [{"chosen": [{"role": "user", "content": "q"}], "x": 1}]


def test_bad_lines_and_bad_rows_are_reported_together_with_file_lines(tmp_path):
    path = tmp_path / "hh.jsonl"
    good = json.dumps({"chosen": transcript("Q", "a"), "rejected": transcript("Q", "b")})
    same = json.dumps({"chosen": transcript("Q", "a"), "rejected": transcript("Q", "a")})
    path.write_text("\n".join([good, "{broken", "", good, same]) + "\n")
    with pytest.raises(DataValidationError) as info:
        load_pairs(path)
    text = str(info.value)
    assert "line 2: invalid JSON" in text
    assert "identical" in text and "file lines 5" in text
    assert str(path) in text


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_trl(tmp_path / "nope.jsonl")


# -- load_pairs dispatch --------------------------------------------------------------------
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
        assert load_pairs([record]).column(column).tolist() == [value], record


def test_unknown_format_and_unknown_layout_are_config_errors():
    with pytest.raises(ConfigError, match="canonical, trl, hh, chat, arena, relabeled_hh"):
        load_pairs([{"a": 1}], format="sharegpt")
    with pytest.raises(ConfigError, match=r"columns \['a'\] fit none"):
        load_pairs([{"a": 1}])


def test_canonical_files_go_through_read_preferences(tmp_path):
    data = PreferenceData.from_columns(
        {"response_a": ["x", "y"], "response_b": ["u", "v"], "label": [0.2, 0.9]}
    )
    path = write_preferences(data, tmp_path / "c.parquet")
    assert load_pairs(path).table.equals(data.table)
    assert load_pairs(path, format="canonical").table.equals(data.table)


# -- users ----------------------------------------------------------------------------------
def user_pairs() -> PreferenceData:
    return load_trl(
        [
            {"prompt": "p", "chosen": f"a{i}", "rejected": "b", "user_id": u}
            for i, u in enumerate(["u1", "u2", "u1", None])
        ]
    )


def test_join_users_adds_prefixed_covariates(tmp_path):
    users = [{"user_id": "u1", "age": 30, "country": "NZ"}, {"user_id": "u2", "age": 41}]
    joined = join_users(user_pairs(), users)
    assert joined.table["user.age"].to_pylist() == [30, 41, 30, None]
    assert joined.table["user.country"].to_pylist() == ["NZ", None, "NZ", None]
    path = tmp_path / "users.csv"
    path.write_text("user_id,age\nu1,30\nu2,41\n")
    from_file = join_users(user_pairs(), path, prefix="u_")
    assert from_file.table["u_age"].to_pylist() == [30, 41, 30, None]


def test_join_users_reports_missing_and_duplicate_users_together():
    users = [{"user_id": "u1", "age": 1}, {"user_id": "u1", "age": 2}, {"age": 3}]
    with pytest.raises(DataValidationError) as info:
        join_users(user_pairs(), users)
    text = str(info.value)
    assert "duplicate user ids in the users table (e.g. 'u1')" in text
    assert "missing in these rows of the users table (rows 2)" in text
    assert "missing from the users table (e.g. 'u2')" in text and "(rows 1)" in text


def test_join_users_needs_the_key_column():
    with pytest.raises(ConfigError, match="no column 'person'"):
        join_users(user_pairs(), [{"person": "u1"}], on="person")


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
    back = load_trl(write_trl(data, tmp_path / f"trl{suffix}"))
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


# -- real HH-RLHF ---------------------------------------------------------------------------
def test_harmless_base_every_row_splits_into_prompt_and_responses():
    require(HH_FILE)
    with gzip.open(HH_FILE, "rt", encoding="utf-8") as lines:
        raw = [json.loads(line) for line in lines]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_pairs(HH_FILE)
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
    hh = load_pairs(HH_FILE, format="hh")
    relabeled = load_relabeled_hh(RELABELED_FILE)
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
