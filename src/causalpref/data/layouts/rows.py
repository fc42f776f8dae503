"""Row-by-row mapping for layouts whose rows need Python logic (TRL, Arena, relabelled HH),
and the cell checks they share.

A mapper turns one input record into canonical values or raises `RowFault`; `map_records`
runs it over every row, groups the faults into one Problem per (column, message) with example
values, and keeps the input columns the mapper did not consume, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyarrow as pa

from causalpref.data.chat import content_text
from causalpref.data.columns import column_or_problem, loose_column
from causalpref.data.files import Rows
from causalpref.data.layouts.base import Mapped
from causalpref.data.schema import (
    CONTEXT,
    LABEL,
    MARGIN,
    PAIR_ID,
    PROMPT,
    RESPONSE_A,
    RESPONSE_B,
)
from causalpref.errors import ConfigError, Problem

BASE_COLUMNS = (PROMPT, RESPONSE_A, RESPONSE_B, LABEL)
BASE_TYPES: dict[str, pa.DataType] = {
    **dict.fromkeys((PROMPT, RESPONSE_A, RESPONSE_B, PAIR_ID, CONTEXT), pa.string()),
    **dict.fromkeys((LABEL, MARGIN), pa.float64()),
}
_NOTHING = object()

Mapper = Callable[[dict[str, Any]], dict[str, Any]]


class RowFault(Exception):
    """Why one row cannot be mapped; rows with the same column and message are reported together."""

    def __init__(self, column: str | None, message: str, value: Any = _NOTHING):
        super().__init__(message)
        self.column, self.message, self.value = column, message, value


def map_records(
    rows: Rows,
    mapper: Mapper,
    consumed: Iterable[str],
    types: Mapping[str, pa.DataType] | None = None,
) -> Mapped:
    """Map every record; produced columns come first (typed by `types`), then unused inputs."""
    faults = _Faults()
    mapped: list[dict[str, Any] | None] = []
    for i, record in enumerate(rows.records):
        try:
            mapped.append(mapper(record))
        except RowFault as fault:
            faults.add(i, fault)
            mapped.append(None)
    all_types = {**BASE_TYPES, **(types or {})}
    columns, clashes = _columns(rows.records, mapped, set(consumed), all_types)
    failed = {i for i, m in enumerate(mapped) if m is None}
    return Mapped(pa.table(columns), faults.problems() + clashes, failed_rows=failed)


class _Faults:
    """Row faults grouped into one Problem per (column, message), with example observed values."""

    def __init__(self) -> None:
        self._found: dict[tuple[str | None, str], tuple[list[int], list[str]]] = {}

    def add(self, row: int, fault: RowFault) -> None:
        rows, seen = self._found.setdefault((fault.column, fault.message), ([], []))
        rows.append(row)
        if fault.value is not _NOTHING and len(seen) < 3:
            shown = _short(fault.value)
            if shown not in seen:
                seen.append(shown)

    def problems(self) -> list[Problem]:
        found = []
        for (column, message), (rows, seen) in self._found.items():
            got = f"; got {', '.join(seen)}" if seen else ""
            found.append(Problem(column, message + got, tuple(rows)))
        return found


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _columns(
    records: list[dict[str, Any]],
    mapped: list[dict[str, Any] | None],
    consumed: set[str],
    types: Mapping[str, pa.DataType],
) -> tuple[dict[str, pa.Array], list[Problem]]:
    """Produced columns first, then input columns the mapping did not use (unchanged)."""
    produced = list(dict.fromkeys([*BASE_COLUMNS, *(k for m in mapped if m for k in m)]))
    columns, problems = {}, []
    for name in produced:
        values = [m.get(name) if m else None for m in mapped]
        columns[name] = pa.array(values, types[name]) if name in types else loose_column(values)
    extras = dict.fromkeys(k for r in records for k in r if k not in consumed)
    for name in extras:
        if name in columns:
            problems.append(
                Problem(name, "is an input column the layout also produces; rename or remove it")
            )
            continue
        columns[name], problem = column_or_problem(name, [r.get(name) for r in records])
        problems += [problem] if problem else []
    return columns, problems


# -- cell helpers -------------------------------------------------------------------------
def text(value: Any, column: str) -> str:
    """`value` if it is a string; a fault naming the column otherwise."""
    if value is None:
        raise RowFault(column, "is missing")
    if not isinstance(value, str):
        raise RowFault(column, "must be a string", value)
    return value


def optional_text(value: Any, column: str) -> str | None:
    """None, or `value` if it is a string."""
    return None if value is None else text(value, column)


def number(value: Any, column: str) -> float:
    """`value` as a float if it is a number (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowFault(column, "must be a number", value)
    return float(value)


def binary(value: Any, column: str) -> int:
    """0 or 1 (ints or whole floats); a fault otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in (0, 1):
        raise RowFault(column, "must be 0 or 1 (an index into 'responses')", value)
    return int(value)


def messages(value: Any, column: str) -> list[dict[str, str]]:
    """Chat messages as [{'role': str, 'content': str}]; a RowFault if the shape is wrong."""
    if value is None:
        raise RowFault(column, "is missing")
    if not isinstance(value, list):
        raise RowFault(column, "must be a list of chat messages", value)
    out = []
    for message in value:
        ok = isinstance(message, Mapping) and isinstance(message.get("role"), str)
        content = message.get("content") if ok else None
        if not ok or not isinstance(content, str | list):
            raise RowFault(
                column, "chat messages must be objects with string 'role' and 'content'", message
            )
        try:
            out.append({"role": message["role"], "content": content_text(content)})
        except ConfigError as err:
            raise RowFault(column, str(err), message) from None
    return out
