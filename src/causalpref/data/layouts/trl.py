"""TRL preference rows: explicit prompt (`trl`), HH-RLHF transcripts (`hh`), chat lists (`chat`).

The chosen response becomes a, so label = 1.0; `margin` is kept. With no prompt column the
prompt is recovered from the two transcripts (the text before their last shared assistant
turn) or from the leading messages two chat lists share.
"""

from __future__ import annotations

import os
from typing import Any

from causalpref.data.chat import TURN_SEP, render_chat, reply_text
from causalpref.data.files import Rows
from causalpref.data.layouts.base import LAYOUTS, Layout, Mapped, ReadOptions
from causalpref.data.layouts.rows import RowFault, map_records, messages, number, text
from causalpref.data.schema import (
    CHOSEN,
    LABEL,
    MARGIN,
    PROMPT,
    REJECTED,
    RESPONSE_A,
    RESPONSE_B,
)

ASSISTANT_TURN = "\n\nAssistant:"
TEXT_COLUMNS = (PROMPT, CHOSEN, REJECTED)


def read_trl(rows: Rows, options: ReadOptions) -> Mapped:
    """TRL rows; the prompt is explicit when some row has `options.prompt_column`."""
    column = options.prompt_column
    explicit = column is not None and any(r.get(column) is not None for r in rows.records)
    prompt_column = column if explicit else None

    def mapper(record: dict[str, Any]) -> dict[str, Any]:
        return _map_trl(record, prompt_column)

    return map_records(rows, mapper, consumed={CHOSEN, REJECTED, MARGIN, column or PROMPT})


def read_hh(rows: Rows, options: ReadOptions) -> Mapped:
    """HH-RLHF transcripts: any prompt column is ignored, the prompt comes from the texts."""
    return read_trl(rows, ReadOptions(prompt_column=None))


def _map_trl(record: dict[str, Any], prompt_column: str | None) -> dict[str, Any]:
    chosen, rejected = record.get(CHOSEN), record.get(REJECTED)
    prompt = record.get(prompt_column) if prompt_column else None
    if isinstance(chosen, list) or isinstance(rejected, list):
        out = _from_chat(chosen, rejected, prompt, prompt_column or PROMPT)
    elif prompt_column:
        if prompt is None:
            raise RowFault(prompt_column, "is missing (other rows have it)")
        out = {
            PROMPT: text(prompt, prompt_column),
            RESPONSE_A: text(chosen, CHOSEN),
            RESPONSE_B: text(rejected, REJECTED),
        }
    else:
        out = _from_transcripts(text(chosen, CHOSEN), text(rejected, REJECTED))
    out[LABEL] = 1.0
    if record.get(MARGIN) is not None:
        out[MARGIN] = number(record[MARGIN], MARGIN)
    return out


def _from_transcripts(chosen: str, rejected: str) -> dict[str, str]:
    """Split two HH-RLHF transcripts at the last shared '\\n\\nAssistant:' turn."""
    if chosen == rejected:
        raise RowFault(
            None, "chosen and rejected transcripts are identical: there is nothing to compare"
        )
    shared = os.path.commonprefix([chosen, rejected])
    cut = shared.rfind(ASSISTANT_TURN)
    if cut < 0:
        raise RowFault(
            None,
            f"chosen and rejected share no {ASSISTANT_TURN!r} turn, so the prompt cannot be "
            "separated from the responses; add an explicit 'prompt' column",
        )
    start = cut + len(ASSISTANT_TURN)
    return {
        PROMPT: chosen[:cut].lstrip(),
        RESPONSE_A: _drop_one_space(chosen[start:]),
        RESPONSE_B: _drop_one_space(rejected[start:]),
    }


def _drop_one_space(value: str) -> str:
    return value[1:] if value.startswith(" ") else value


def _from_chat(chosen: Any, rejected: Any, prompt: Any, prompt_column: str) -> dict[str, str]:
    """Prompt = shared leading messages (after any given prompt); responses = what differs."""
    c, r = messages(chosen, CHOSEN), messages(rejected, REJECTED)
    head: list[dict[str, str]] = []
    lead = ""
    if isinstance(prompt, list):
        head = messages(prompt, prompt_column)
    elif isinstance(prompt, str):
        lead = prompt
    elif prompt is not None:
        raise RowFault(prompt_column, "must be a string or a list of chat messages", prompt)
    c = c if c[: len(head)] == head else head + c
    r = r if r[: len(head)] == head else head + r
    n = _shared_length(c, r)
    if n == len(c) or n == len(r):
        what = "are identical" if len(c) == len(r) else "continue one another"
        raise RowFault(
            None, f"chosen and rejected conversations {what}: one response would be empty"
        )
    return {
        PROMPT: TURN_SEP.join(t for t in (lead, render_chat(c[:n])) if t),
        RESPONSE_A: reply_text(c[n:]),
        RESPONSE_B: reply_text(r[n:]),
    }


def _shared_length(first: list[dict[str, str]], second: list[dict[str, str]]) -> int:
    """How many leading messages the two conversations have in common."""
    n = 0
    for x, y in zip(first, second, strict=False):
        if x != y:
            break
        n += 1
    return n


def _has_pair(keys: set[str]) -> bool:
    return {CHOSEN, REJECTED} <= keys


def _holds_chat(keys: set[str], sample: list[dict[str, Any]]) -> bool:
    return _has_pair(keys) and any(isinstance(r.get(CHOSEN), list) for r in sample)


def _user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}


def _assistant(content: str) -> dict[str, str]:
    return {"role": "assistant", "content": content}


LAYOUTS.register(
    "chat",
    Layout(
        summary="chosen, rejected as chat message lists; optional prompt (list or string)",
        detect=_holds_chat,
        read=read_trl,
        example=(
            {
                "chosen": [_user("Hi"), _assistant("Hello!")],
                "rejected": [_user("Hi"), _assistant("Go away.")],
            },
            {
                "chosen": [_user("2+2?"), _assistant("4")],
                "rejected": [_user("2+2?"), _assistant("5")],
            },
        ),
        text_columns=TEXT_COLUMNS,
        list_columns=TEXT_COLUMNS,
    ),
)

LAYOUTS.register(
    "trl",
    Layout(
        summary="prompt, chosen, rejected strings (TRL explicit prompt); optional margin",
        detect=lambda keys, sample: _has_pair(keys) and PROMPT in keys,
        read=read_trl,
        example=(
            {"prompt": "What is 2+2?", "chosen": "4", "rejected": "5", "margin": 1.5},
            {"prompt": "Say hi", "chosen": "Hi!", "rejected": "No.", "margin": 0.5},
        ),
        text_columns=TEXT_COLUMNS,
        list_columns=TEXT_COLUMNS,
    ),
)

LAYOUTS.register(
    "hh",
    Layout(
        summary="chosen, rejected HH-RLHF transcripts (TRL implicit prompt)",
        detect=lambda keys, sample: _has_pair(keys),
        read=read_hh,
        example=(
            {
                "chosen": "\n\nHuman: Hi\n\nAssistant: Hello!",
                "rejected": "\n\nHuman: Hi\n\nAssistant: Go away.",
            },
            {
                "chosen": "\n\nHuman: 2+2?\n\nAssistant: 4",
                "rejected": "\n\nHuman: 2+2?\n\nAssistant: 5",
            },
        ),
        text_columns=TEXT_COLUMNS,
    ),
)
