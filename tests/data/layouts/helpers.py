"""Shared builders for the layout tests: transcripts, chat messages, readers by layout."""

from __future__ import annotations

from causalpref.data import PreferenceData, read_preferences
from causalpref.errors import DataValidationError


def read_trl(source, **options) -> PreferenceData:
    return read_preferences(source, layout="trl", **options)


def read_arena(source, **options) -> PreferenceData:
    return read_preferences(source, layout="arena", **options)


def read_relabeled(source, **options) -> PreferenceData:
    return read_preferences(source, layout="relabeled_hh", **options)


def rows_of(error: DataValidationError) -> dict[str, tuple[int, ...]]:
    return {p.message.split(";")[0]: p.rows for p in error.problems}


def transcript(*turns: str) -> str:
    """HH-RLHF style transcript from alternating human / assistant turns."""
    roles = ("Human", "Assistant")
    return "".join(f"\n\n{roles[i % 2]}: {t}" for i, t in enumerate(turns))


def message(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


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
