"""The arena layout: winners, models, judges, conversations."""

from __future__ import annotations

import numpy as np
import pytest

from causalpref.data import read_preferences
from causalpref.errors import DataValidationError
from tests.data.layouts.helpers import (
    message,
    read_arena,
)


# -- Arena ----------------------------------------------------------------------------------
def test_arena_with_response_strings_maps_winners_models_and_judge():
    base = {"prompt": "Q", "response_a": "A", "response_b": "B", "model_a": "m1", "model_b": "m2"}
    winners = ["model_a", "model_b", "tie", "tie (bothbad)"]
    data = read_arena([{**base, "winner": w, "judge": f"j{i}"} for i, w in enumerate(winners)])
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
    data = read_preferences([record])
    assert data.column("prompt").tolist() == ["Human: Hi\n\nHuman: Name?"]
    assert data.column("response_a").tolist() == ["I am A"]
    assert data.column("response_b").tolist() == ["I am B"]
    assert data.labels.tolist() == [0.0]
    assert data.column("question_id").tolist() == ["q1"]


def test_arena_unknown_winners_are_reported_with_rows_and_values():
    base = {"model_a": "m1", "model_b": "m2", "response_a": "A", "response_b": "B"}
    records = [{**base, "winner": w} for w in ["model_a", "draw", "tie", None, "draw"]]
    with pytest.raises(DataValidationError) as info:
        read_arena(records)
    (problem,) = info.value.problems
    assert problem.column == "winner" and problem.rows == (1, 3, 4)
    assert "'draw', None" in problem.message and "'tie (bothbad)'" in problem.message
