"""The one reader: every layout from every file format to a validated PreferenceData.

`format` is the file format (jsonl, jsonl.gz, json, parquet, csv; from the suffix by default),
`layout` the column layout (a name in `LAYOUTS`, or "auto" to tell it from the first rows).
Reading is all-or-nothing: a complete, valid PreferenceData comes back, or one
DataValidationError lists every problem found (unreadable lines, rows a layout cannot map,
failed checks). Problem rows are 0-based data rows; for JSONL the messages also name the
1-based file lines, which differ from rows because blank and broken lines are skipped.

Empty responses: real data has them (HH-RLHF contains final assistant turns that are empty).
`empty_responses` chooses what happens to rows whose response text is an empty or
whitespace-only string: "keep" (default; the row loads with that text), "drop" (the rows are
left out with a warning) or "error" (reported as problems). Missing (null) responses are always
errors.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from causalpref.data.degenerate import blank_mask
from causalpref.data.files import MAX_LINE_PROBLEMS, Rows, rows_from
from causalpref.data.layouts import (
    LAYOUTS,
    Mapped,
    ReadOptions,
    csv_list_columns,
    csv_text_columns,
    sniff_layout,
)
from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import RESPONSE_A, RESPONSE_B, TEXT_PAIR, canonical_types
from causalpref.data.validate import validate_table
from causalpref.errors import ConfigError, DataValidationError, Problem

Source = str | os.PathLike | Sequence[Mapping[str, Any]] | pa.Table
EMPTY_CHOICES = ("keep", "drop", "error")


def read_preferences(
    source: Source,
    *,
    layout: str = "auto",
    format: str | None = None,
    prompt_column: str | None = "prompt",
    empty_responses: str = "keep",
) -> PreferenceData:
    """Read preference pairs from a file (or a list of dicts, or a pyarrow Table).

    `layout="auto"` tells the layout from the columns of the first rows; `format` overrides
    the file suffix. `prompt_column` names the prompt column of the trl / chat layouts
    (None: recover the prompt from the transcripts). See docs/data-formats.md.
    """
    if empty_responses not in EMPTY_CHOICES:
        raise ConfigError(
            f"empty_responses={empty_responses!r} is not supported; "
            f"choose one of {', '.join(EMPTY_CHOICES)}"
        )
    if layout != "auto":
        LAYOUTS.get(layout)  # an unknown name fails before the file is read
    rows = rows_from(
        source, format=format, text_columns=csv_text_columns(), list_columns=csv_list_columns()
    )
    if not len(rows):
        raise DataValidationError([*rows.problems, Problem(None, "has no rows")], rows.source)
    name = sniff_layout(rows) if layout == "auto" else layout
    mapped = LAYOUTS.get(name).read(rows, ReadOptions(prompt_column=prompt_column))
    return _finish(mapped, rows, empty_responses)


def _finish(mapped: Mapped, rows: Rows, empty_responses: str) -> PreferenceData:
    """Validate the mapped table (skipping what was already reported), then wrap it or raise."""
    table = mapped.table
    checked = (p for p in validate_table(table) if p.column not in mapped.failed_columns)
    found = [*rows.problems, *mapped.problems]
    found += [p for p in (_without_rows(p, mapped.failed_rows) for p in checked) if p]
    blank = {name: blank_mask(table[name]) for name in TEXT_PAIR if name in table.column_names}
    if empty_responses == "error":
        found += [_empty_problem(name, mask) for name, mask in blank.items() if mask.any()]
    if found:
        raise DataValidationError([_with_lines(p, rows.lines) for p in found], rows.source)
    data = PreferenceData(canonical_types(table), validate=False, source=rows.source)
    if empty_responses == "drop" and blank:
        data = _drop_blank(data, blank, rows.source)
    return data


def _drop_blank(data: PreferenceData, blank: dict[str, np.ndarray], source: str | None):
    none = np.zeros(len(data), dtype=bool)
    drop = blank.get(RESPONSE_A, none) | blank.get(RESPONSE_B, none)
    if not drop.any():
        return data
    shown = ", ".join(str(i) for i in np.flatnonzero(drop)[:10])
    warnings.warn(
        f"{source or 'the data'}: dropped {int(drop.sum())} rows whose response is an "
        f"empty string (rows {shown}); pass empty_responses='keep' to keep them",
        UserWarning,
        stacklevel=4,
    )
    return data.filter(~drop)


def _empty_problem(name: str, mask: np.ndarray) -> Problem:
    return Problem(
        name,
        "is an empty or whitespace-only string; pass empty_responses='keep' to load such rows "
        "or empty_responses='drop' to leave them out",
        tuple(np.flatnonzero(mask).tolist()),
    )


def _without_rows(problem: Problem, failed: set[int]) -> Problem | None:
    """The problem minus rows that already failed mapping (None if nothing is left)."""
    if not problem.rows or not failed:
        return problem
    rows = tuple(r for r in problem.rows if r not in failed)
    return Problem(problem.column, problem.message, rows) if rows else None


def _with_lines(problem: Problem, lines: list[int] | None) -> Problem:
    """The problem with the file lines of its rows added (JSONL)."""
    if not lines or not problem.rows:
        return problem
    shown = ", ".join(str(lines[r]) for r in problem.rows[:MAX_LINE_PROBLEMS])
    more = ", ..." if len(problem.rows) > MAX_LINE_PROBLEMS else ""
    return Problem(problem.column, f"{problem.message}; file lines {shown}{more}", problem.rows)
