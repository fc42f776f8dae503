"""Relabelled HH-RLHF rows: prompt, responses (two), label (an index), objective, data_subset.

The layout of the relabelled test split the founding paper's confounding study uses; `label`
and `original_label` index `responses`, so 0 (the first response preferred) becomes label 1.0.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from causalpref.data.files import Rows
from causalpref.data.layouts.base import LAYOUTS, Layout, Mapped, ReadOptions
from causalpref.data.layouts.rows import RowFault, binary, map_records, optional_text, text
from causalpref.data.schema import (
    CHOSEN,
    CONTEXT,
    LABEL,
    PAIR_ID,
    PROMPT,
    REJECTED,
    RESPONSE_A,
    RESPONSE_B,
)

PROMPT_TYPE = "prompt_type"
ORIGINAL_LABEL = "original_label"
# Whether the labeller's objective matches the prompt's type: the founding paper's confounding
# study scores consistent and inconsistent rows apart (`evaluate --split-by consistency`).
CONSISTENCY = "consistency"
CONSUMED = (
    PROMPT,
    "responses",
    LABEL,
    "objective",
    "data_subset",
    ORIGINAL_LABEL,
    CHOSEN,
    REJECTED,
    "Index",
)


def read_relabeled_hh(rows: Rows, options: ReadOptions) -> Mapped:
    """Relabelled rows; chosen/rejected transcripts are dropped (they repeat the texts)."""
    types = {PROMPT_TYPE: pa.string(), ORIGINAL_LABEL: pa.float64(), CONSISTENCY: pa.string()}
    return map_records(rows, _map_relabeled, CONSUMED, types)


def _map_relabeled(record: dict[str, Any]) -> dict[str, Any]:
    responses = record.get("responses")
    if not (isinstance(responses, list) and len(responses) == 2):
        raise RowFault("responses", "must be a list of exactly two strings", responses)
    out = {
        PROMPT: text(record.get(PROMPT), PROMPT),
        RESPONSE_A: text(responses[0], "responses"),
        RESPONSE_B: text(responses[1], "responses"),
        LABEL: 1.0 - binary(record.get(LABEL), LABEL),
        CONTEXT: text(record.get("objective"), "objective"),
        PROMPT_TYPE: optional_text(record.get("data_subset"), "data_subset"),
    }
    # The source's own names stay too, so `--context objective --split-by data_subset` work.
    out["objective"], out["data_subset"] = out[CONTEXT], out[PROMPT_TYPE]
    if out[PROMPT_TYPE] is not None:
        same = out[PROMPT_TYPE] == out[CONTEXT]
        out[CONSISTENCY] = "consistent" if same else "inconsistent"
    if record.get(ORIGINAL_LABEL) is not None:
        out[ORIGINAL_LABEL] = 1.0 - binary(record[ORIGINAL_LABEL], ORIGINAL_LABEL)
    if record.get("Index") is not None:
        out[PAIR_ID] = str(record["Index"])
    return out


def _example(index: int, label: int, objective: str) -> dict[str, Any]:
    prompt = "Human: Is it safe to mix bleach and ammonia?"
    responses = ["No, it releases toxic gas.", "Sure, go ahead."]
    return {
        "prompt": prompt,
        "responses": responses,
        "label": label,
        "objective": objective,
        "data_subset": "harmless",
        "original_label": 0,
        "chosen": f"\n\n{prompt}\n\nAssistant: {responses[label]}",
        "rejected": f"\n\n{prompt}\n\nAssistant: {responses[1 - label]}",
        "Index": index,
    }


LAYOUTS.register(
    "relabeled_hh",
    Layout(
        summary="prompt, responses [two], label (index), objective, data_subset, Index",
        detect=lambda keys, sample: {"responses", "objective"} <= keys,
        read=read_relabeled_hh,
        example=(_example(0, 0, "harmless"), _example(1, 1, "helpful")),
        text_columns=(PROMPT, "objective", "data_subset", CHOSEN, REJECTED),
        list_columns=("responses",),
    ),
)
