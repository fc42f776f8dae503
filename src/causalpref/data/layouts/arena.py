"""Chatbot Arena rows: model_a, model_b, winner, with response strings or two conversations."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from causalpref.data.chat import render_chat
from causalpref.data.files import Rows
from causalpref.data.layouts.base import LAYOUTS, Layout, Mapped, ReadOptions
from causalpref.data.layouts.rows import RowFault, map_records, messages, optional_text, text
from causalpref.data.schema import ANNOTATOR_ID, LABEL, PROMPT, RESPONSE_A, RESPONSE_B

WINNERS = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}
MODEL_A, MODEL_B = "model.a", "model.b"
CONVERSATIONS = ("conversation_a", "conversation_b")
CONSUMED = ("model_a", "model_b", "winner", "judge", PROMPT, RESPONSE_A, RESPONSE_B, *CONVERSATIONS)


def read_arena(rows: Rows, options: ReadOptions) -> Mapped:
    """Arena rows: winner -> label, model_a/b -> model.a/b, judge -> annotator_id."""
    types = dict.fromkeys((MODEL_A, MODEL_B, ANNOTATOR_ID), pa.string())
    return map_records(rows, _map_arena, CONSUMED, types)


def _map_arena(record: dict[str, Any]) -> dict[str, Any]:
    winner = record.get("winner")
    if winner not in WINNERS:
        raise RowFault("winner", f"must be one of {', '.join(map(repr, WINNERS))}", winner)
    if any(record.get(name) is not None for name in CONVERSATIONS):
        out = _from_conversations(record.get("conversation_a"), record.get("conversation_b"))
    else:
        out = {
            PROMPT: optional_text(record.get(PROMPT), PROMPT),
            RESPONSE_A: text(record.get(RESPONSE_A), RESPONSE_A),
            RESPONSE_B: text(record.get(RESPONSE_B), RESPONSE_B),
        }
    out[LABEL] = WINNERS[winner]
    out[MODEL_A] = optional_text(record.get("model_a"), "model_a")
    out[MODEL_B] = optional_text(record.get("model_b"), "model_b")
    if "judge" in record:
        out[ANNOTATOR_ID] = optional_text(record["judge"], "judge")
    return out


def _from_conversations(first: Any, second: Any) -> dict[str, str]:
    """Prompt = the user turns both conversations share; response = the last assistant content."""
    a, b = messages(first, "conversation_a"), messages(second, "conversation_b")
    users = [m for m in a if m["role"] == "user"]
    if users != [m for m in b if m["role"] == "user"]:
        raise RowFault(None, "conversation_a and conversation_b have different user turns")
    if not users:
        raise RowFault(None, "conversation_a has no user turn")
    return {
        PROMPT: render_chat(users),
        RESPONSE_A: _last_assistant(a, "conversation_a"),
        RESPONSE_B: _last_assistant(b, "conversation_b"),
    }


def _last_assistant(turns: list[dict[str, str]], column: str) -> str:
    for message in reversed(turns):
        if message["role"] == "assistant":
            return message["content"]
    raise RowFault(column, "has no assistant message")


LAYOUTS.register(
    "arena",
    Layout(
        summary="model_a, model_b, winner; prompt + response_a/b or conversation_a/b; judge",
        detect=lambda keys, sample: bool(keys & {"model_a", "winner"}),
        read=read_arena,
        example=(
            {
                "prompt": "2+2?",
                "response_a": "4",
                "response_b": "5",
                "model_a": "m1",
                "model_b": "m2",
                "winner": "model_a",
                "judge": "j1",
            },
            {
                "prompt": "Say hi",
                "response_a": "No.",
                "response_b": "Hi!",
                "model_a": "m2",
                "model_b": "m1",
                "winner": "tie",
                "judge": "j2",
            },
        ),
        text_columns=("winner", "model_a", "model_b", "judge", PROMPT, RESPONSE_A, RESPONSE_B),
        list_columns=CONVERSATIONS,
    ),
)
