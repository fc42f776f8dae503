"""Table validation that reports every problem at once, vectorised with pyarrow / numpy.

Rows in each Problem are 0-based data rows. There is one Problem per (column, kind of fault),
listing all offending rows, so a user can fix a file in one pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from causalpref.data.columns import one_chunk
from causalpref.data.schema import (
    CHOSEN,
    LABEL,
    MARGIN,
    PAIR_ID,
    PROMPT,
    PROPENSITY,
    REJECTED,
    TEXT_PAIR,
    VECTOR_A,
    VECTOR_PAIR,
    WEIGHT,
)
from causalpref.errors import Problem

CHAT_MESSAGE = (
    "holds chat message lists, but canonical columns hold plain strings; read chosen/rejected "
    "chat lists with layout='chat'"
)


def validate_table(table: pa.Table) -> list[Problem]:
    """Return all problems that make `table` unusable as preference data (empty if valid)."""
    problems = _structure_problems(table)
    problems += _label_problems(table)
    problems += _vector_problems(table)
    for name in TEXT_PAIR:
        if name in table.column_names:
            problems += _text_problems(table[name], name)
    if PROMPT in table.column_names:
        problems += _prompt_problems(table[PROMPT])
    problems += _numeric_problems(table, WEIGHT, _weight_faults)
    problems += _numeric_problems(table, PROPENSITY, _propensity_faults)
    problems += _numeric_problems(table, MARGIN, lambda v: [])
    if PAIR_ID in table.column_names:
        problems += _duplicate_problems(table[PAIR_ID], PAIR_ID)
    return problems


def rows_of(mask: np.ndarray) -> tuple[int, ...]:
    """0-based indices where `mask` is true, as the tuple Problem expects."""
    return tuple(np.flatnonzero(mask).tolist())


def _structure_problems(table: pa.Table) -> list[Problem]:
    names = set(table.column_names)
    problems = [] if table.num_rows else [Problem(None, "has no rows")]
    if LABEL not in names:
        hint = ""
        if {CHOSEN, REJECTED} <= names:
            hint = " (chosen/rejected are mapped only if response_a, response_b, label are absent)"
        problems.append(Problem(LABEL, f"required column is missing{hint}"))
    halves = []
    for pair in (TEXT_PAIR, VECTOR_PAIR):
        present = [c for c in pair if c in names]
        if len(present) == 1:
            missing = pair[1] if present[0] == pair[0] else pair[0]
            halves.append(Problem(missing, f"is missing but '{present[0]}' is present"))
    problems += halves
    has_pair = set(TEXT_PAIR) <= names or set(VECTOR_PAIR) <= names
    if not has_pair and not halves:
        problems.append(
            Problem(
                None,
                "needs response_a + response_b (texts) or vector.a + vector.b (embeddings); "
                f"found neither pair among columns {sorted(names)}",
            )
        )
    return problems


def _is_numeric(t: pa.DataType) -> bool:
    return (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_decimal(t)
        or pa.types.is_null(t)
    )


def _float_values(column: pa.ChunkedArray) -> np.ndarray:
    return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)


def _numeric_problems(
    table: pa.Table, name: str, faults: Callable[[np.ndarray], list[tuple[str, np.ndarray]]]
) -> list[Problem]:
    if name not in table.column_names:
        return []
    column = table[name]
    if not _is_numeric(column.type):
        return [Problem(name, f"must be numeric (got type {column.type})")]
    values = _float_values(column)
    return [Problem(name, msg, rows_of(mask)) for msg, mask in faults(values) if mask.any()]


def _label_problems(table: pa.Table) -> list[Problem]:
    return _numeric_problems(table, LABEL, _label_faults)


def _label_faults(v: np.ndarray) -> list[tuple[str, np.ndarray]]:
    with np.errstate(invalid="ignore"):
        outside = (v < 0) | (v > 1)
    return [
        ("is missing or NaN", np.isnan(v)),
        ("must be in [0, 1] (1 = a preferred, 0 = b preferred, 0.5 = tie)", outside),
    ]


def _weight_faults(v: np.ndarray) -> list[tuple[str, np.ndarray]]:
    with np.errstate(invalid="ignore"):
        negative = v < 0
    return [("is missing, NaN or infinite", ~np.isfinite(v)), ("must be >= 0", negative)]


def _propensity_faults(v: np.ndarray) -> list[tuple[str, np.ndarray]]:
    with np.errstate(invalid="ignore"):
        outside = (v <= 0) | (v > 1)
    return [("is missing or NaN", np.isnan(v)), ("must be in (0, 1]", outside)]


def _is_list(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _vector_problems(table: pa.Table) -> list[Problem]:
    problems: list[Problem] = []
    lengths: dict[str, np.ndarray] = {}
    for name in VECTOR_PAIR:
        if name in table.column_names:
            found, length = _vector_cell_problems(one_chunk(table[name]), name)
            problems += found
            if length is not None:
                lengths[name] = length
    return problems + _length_problems(lengths, table.column_names)


def _vector_cell_problems(arr: pa.Array, name: str) -> tuple[list[Problem], np.ndarray | None]:
    t = arr.type
    if pa.types.is_null(t):
        return [Problem(name, "vector is missing", tuple(range(len(arr))))], None
    if not _is_list(t) or not _is_numeric(t.value_type):
        return [Problem(name, f"must hold lists of numbers (got type {t})")], None
    problems = []
    missing = arr.is_null().to_numpy(zero_copy_only=False)
    if missing.any():
        problems.append(Problem(name, "vector is missing", rows_of(missing)))
    values = pc.cast(pc.list_flatten(arr), pa.float32(), safe=False).to_numpy(zero_copy_only=False)
    bad = ~np.isfinite(values)
    if bad.any():
        parents = pc.list_parent_indices(arr).to_numpy(zero_copy_only=False)
        rows = tuple(np.unique(parents[bad]).tolist())
        message = "contains NaN, infinite, missing or non-float32 numbers"
        problems.append(Problem(name, message, rows))
    if pa.types.is_fixed_size_list(t):
        length = np.full(len(arr), t.list_size, dtype=np.int64)
    else:
        length = pc.fill_null(pc.list_value_length(arr), 0).to_numpy(zero_copy_only=False)
    return problems, np.where(missing, -1, length)


def _length_problems(lengths: dict[str, np.ndarray], names: list[str]) -> list[Problem]:
    if not lengths:
        return []
    ref_name = VECTOR_A if VECTOR_A in lengths else next(iter(lengths))
    ref_lengths = lengths[ref_name][lengths[ref_name] >= 0]
    if not len(ref_lengths):
        return []
    values, counts = np.unique(ref_lengths, return_counts=True)
    dim = int(values[np.argmax(counts)])
    if dim == 0:
        return [Problem(ref_name, "vectors are empty (length 0)")]
    problems = []
    for name, length in lengths.items():
        wrong = (length >= 0) & (length != dim)
        if wrong.all() and len(np.unique(length)) == 1:
            problems.append(
                Problem(name, f"has dimension {int(length[0])} but {ref_name} has dimension {dim}")
            )
        elif wrong.any():
            problems.append(
                Problem(
                    name,
                    f"vectors must all have length {dim} (most common in {ref_name})",
                    rows_of(wrong),
                )
            )
    return problems


MISSING_TEXT = "is missing (null); an empty string is allowed, a missing response is not"


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _text_problems(column: pa.ChunkedArray, name: str) -> list[Problem]:
    """A missing (null) response is an error; an empty string is data (the assistant said
    nothing, as in some HH-RLHF turns): the reader can drop or reject those (empty_responses=),
    the audit flags them."""
    t = column.type
    if pa.types.is_null(t):
        return [Problem(name, MISSING_TEXT, tuple(range(len(column))))]
    if _is_list(t):
        return [Problem(name, CHAT_MESSAGE)]
    if not _is_text(t):
        return [Problem(name, f"must be text (got type {t})")]
    missing = column.is_null().to_numpy(zero_copy_only=False)
    if missing.any():
        return [Problem(name, MISSING_TEXT, rows_of(missing))]
    return []


def _prompt_problems(column: pa.ChunkedArray) -> list[Problem]:
    t = column.type
    if _is_list(t):
        return [Problem(PROMPT, CHAT_MESSAGE)]
    if not (_is_text(t) or pa.types.is_null(t)):
        return [Problem(PROMPT, f"must be text (got type {t})")]
    return []


def _duplicate_problems(column: pa.ChunkedArray, name: str) -> list[Problem]:
    try:
        encoded = column.combine_chunks().dictionary_encode()
    except pa.ArrowNotImplementedError:
        return [Problem(name, f"must hold scalar values (got type {column.type})")]
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    present = codes >= 0
    counts = np.bincount(codes[present], minlength=len(encoded.dictionary))
    duplicated = present & (counts[np.where(present, codes, 0)] > 1)
    if not duplicated.any():
        return []
    examples = encoded.dictionary.take(pa.array(np.flatnonzero(counts > 1)[:3])).to_pylist()
    shown = ", ".join(repr(v) for v in examples)
    return [
        Problem(
            name, f"has duplicate values (e.g. {shown}); ids must be unique", rows_of(duplicated)
        )
    ]
