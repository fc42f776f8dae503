"""The canonical layout: files that already have response_a / response_b (or vectors) and label.

Columns are converted whole (Parquet and CSV stay columnar). A plain TRL chosen/rejected table
without canonical columns is mapped as `PreferenceData` maps it. A column whose values cannot
form one Arrow column (mixed kinds, bad vector cells, chat lists in a text column) is reported
once, with its rows.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from causalpref.data.columns import column_or_problem, json_text
from causalpref.data.files import Rows
from causalpref.data.layouts.base import LAYOUTS, Layout, Mapped, ReadOptions
from causalpref.data.schema import (
    LABEL,
    RESPONSE_A,
    TEXT_COLUMNS,
    TRL_RENAMES,
    VECTOR_A,
    VECTOR_PAIR,
    is_trl,
    map_trl_columns,
)
from causalpref.data.validate import CHAT_MESSAGE
from causalpref.errors import Problem

_UNPARSEABLE = object()


def read_canonical(rows: Rows, options: ReadOptions) -> Mapped:
    """Canonical columns from a table (CSV vector cells parsed) or from JSON records."""
    if rows.table is not None:
        table, problems, failed = _parse_vector_text(rows.table)
    else:
        table, problems, failed = _records_to_table(rows.records)
    if is_trl(table):
        failed |= {TRL_RENAMES.get(name, name) for name in failed}
    return Mapped(map_trl_columns(table), problems, failed_columns=failed)


def _detect(keys: set[str], sample: list[dict[str, Any]]) -> bool:
    return {RESPONSE_A, LABEL} <= keys or VECTOR_A in keys


def _parse_vector_text(table: pa.Table) -> tuple[pa.Table, list[Problem], set[str]]:
    """Vector columns that CSV delivers as JSON text become list columns."""
    problems, failed = [], set()
    for name in VECTOR_PAIR:
        if name in table.column_names and pa.types.is_string(table[name].type):
            cells = [_parse_cell(s) for s in table[name].to_pylist()]
            column, problem = _vector_from_values(name, cells)
            table = table.set_column(table.column_names.index(name), name, column)
            if problem:
                problems.append(problem)
                failed.add(name)
    return table, problems, failed


def _parse_cell(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return _UNPARSEABLE


def _records_to_table(records: list[dict]) -> tuple[pa.Table, list[Problem], set[str]]:
    """Columns from JSON objects (missing keys -> null); bad columns become JSON text."""
    names = list(dict.fromkeys(key for record in records for key in record))
    columns, problems, failed = {}, [], set()
    for name in names:
        columns[name], problem = _column_from_values(name, [r.get(name) for r in records])
        if problem:
            problems.append(problem)
            failed.add(name)
    return pa.table(columns), problems, failed


def _column_from_values(name: str, values: list[Any]) -> tuple[pa.Array, Problem | None]:
    if name in (*TEXT_COLUMNS, *TRL_RENAMES):
        chats = [i for i, v in enumerate(values) if isinstance(v, list)]
        if chats:
            return json_text(values), Problem(name, CHAT_MESSAGE, tuple(chats))
    if name in VECTOR_PAIR:
        return _vector_from_values(name, values)
    return column_or_problem(name, values)


def _vector_from_values(name: str, values: list[Any]) -> tuple[pa.Array, Problem | None]:
    bad = [i for i, v in enumerate(values) if v is not None and not _is_number_list(v)]
    if bad:
        problem = Problem(name, "cells must be lists of numbers, e.g. [0.1, -2.5]", tuple(bad))
        return json_text(values), problem
    return pa.array(values, pa.list_(pa.float64())), None


def _is_number_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in value
    )


LAYOUTS.register(
    "canonical",
    Layout(
        summary="response_a, response_b (and/or vector.a, vector.b), label, optional roles",
        detect=_detect,
        read=read_canonical,
        example=(
            {
                "prompt": "2+2?",
                "response_a": "4",
                "response_b": "5",
                "label": 1.0,
                "vector.a": [0.5, -1.0],
                "vector.b": [0.25, 2.0],
                "split": "train",
            },
            {
                "prompt": "Capital of France?",
                "response_a": "Lyon",
                "response_b": "Paris",
                "label": 0.25,
                "vector.a": [1.5, 0.0],
                "vector.b": [-0.75, 1.0],
                "split": "test",
            },
        ),
        text_columns=(*TEXT_COLUMNS, *TRL_RENAMES, *VECTOR_PAIR),
    ),
)
