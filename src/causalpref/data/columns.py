"""Arrow columns from arbitrary Python values, as read from JSON, CSV cells or dicts."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pyarrow as pa

from causalpref.errors import Problem


def loose_column(values: list[Any]) -> pa.Array:
    """Arrow column of input values; values that mix kinds become JSON text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return json_text(values)


def column_or_problem(name: str, values: list[Any]) -> tuple[pa.Array, Problem | None]:
    """Arrow column of input values; values that mix kinds become JSON text and a Problem
    naming the rows that differ from the column's main kind."""
    try:
        return pa.array(values), None
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as e:
        return json_text(values), mixed_kinds_problem(name, values, e)


def mixed_kinds_problem(name: str, values: list[Any], error: Exception) -> Problem:
    """The Problem of a column whose values Arrow cannot hold in one type."""
    kinds = [None if v is None else value_kind(v) for v in values]
    counts = Counter(k for k in kinds if k is not None)
    if len(counts) < 2:
        return Problem(name, f"cannot be converted to a column ({error})")
    main = counts.most_common(1)[0][0]
    rows = tuple(i for i, k in enumerate(kinds) if k is not None and k != main)
    others = ", ".join(sorted(k for k in counts if k != main))
    return Problem(name, f"mixes value kinds: mostly {main} but {others} in some rows", rows)


def json_text(values: list[Any]) -> pa.Array:
    """A string column holding each value as JSON text (nulls stay null)."""
    return pa.array(
        [None if v is None else json.dumps(v, default=repr) for v in values], pa.string()
    )


def value_kind(value: Any) -> str:
    """How a message names the JSON kind of `value` ("a string", "a list", ...)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def json_list(cell: Any) -> Any:
    """The list a CSV cell encodes as JSON text, else the cell unchanged."""
    if not isinstance(cell, str) or not cell.lstrip().startswith("["):
        return cell
    try:
        value = json.loads(cell)
    except json.JSONDecodeError:
        return cell
    return value if isinstance(value, list) else cell


def one_chunk(column: pa.ChunkedArray) -> pa.Array:
    """`column` as one Array: its only chunk as it is (`combine_chunks` would copy even that)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def is_number_lists(kind: pa.DataType) -> bool:
    """Whether `kind` holds lists of numbers (a vector column), fixed-size or not."""
    lists = pa.types.is_list(kind) or pa.types.is_large_list(kind)
    if not (lists or pa.types.is_fixed_size_list(kind)):
        return False
    return pa.types.is_floating(kind.value_type) or pa.types.is_integer(kind.value_type)
