"""Canonical column names, their roles, and the helpers that bring a table to canonical form.

One row is one comparison of two responses, `a` and `b`. Columns that describe one response
are named `<name>.a` / `<name>.b` (e.g. `vector.a`, `attr.length.b`); the two text columns keep
their historical names `response_a` / `response_b`.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from causalpref.errors import ConfigError

PROMPT = "prompt"
RESPONSE_A = "response_a"
RESPONSE_B = "response_b"
VECTOR_A = "vector.a"
VECTOR_B = "vector.b"
LABEL = "label"
PAIR_ID = "pair_id"
USER_ID = "user_id"
ANNOTATOR_ID = "annotator_id"
CONTEXT = "context"
ENV = "env"
WEIGHT = "weight"
PROPENSITY = "propensity"
MARGIN = "margin"
SPLIT = "split"
CHOSEN = "chosen"
REJECTED = "rejected"

SIDES = ("a", "b")
TEXT_PAIR = (RESPONSE_A, RESPONSE_B)
VECTOR_PAIR = (VECTOR_A, VECTOR_B)
TEXT_COLUMNS = (PROMPT, RESPONSE_A, RESPONSE_B)
FLOAT_COLUMNS = (LABEL, WEIGHT, PROPENSITY, MARGIN)
TRL_RENAMES = {CHOSEN: RESPONSE_A, REJECTED: RESPONSE_B}

COLUMNS: dict[str, str] = {
    PROMPT: "optional text shown before both responses",
    RESPONSE_A: "text of response a",
    RESPONSE_B: "text of response b",
    VECTOR_A: "precomputed embedding of response a (fixed_size_list<float32>[d])",
    VECTOR_B: "precomputed embedding of response b (same dimension d as vector.a)",
    LABEL: "P(a preferred) in [0, 1]: 1 = a, 0 = b, 0.5 = tie, in between = soft label",
    PAIR_ID: "optional unique id of the comparison",
    USER_ID: "optional id of the user who asked",
    ANNOTATOR_ID: "optional id of the person or model who judged",
    CONTEXT: "optional context / objective the judgement was made under",
    ENV: "optional environment (data source) the row comes from",
    WEIGHT: "optional row weight >= 0 (default 1)",
    PROPENSITY: "optional probability in (0, 1] that this pair was shown",
    MARGIN: "optional signed strength of preference for a (negated by swap)",
    SPLIT: "optional split name such as train / val / test",
    "<name>.a / <name>.b": "per-response values, e.g. attr.length.a, true_reward.b",
}


def check_side(side: str) -> str:
    """Return `side` if it is 'a' or 'b'; raise ConfigError otherwise."""
    if side not in SIDES:
        raise ConfigError(f"side={side!r}: expected 'a' or 'b'")
    return side


def response_column(side: str) -> str:
    """Name of the text column of response `side`."""
    return RESPONSE_A if check_side(side) == "a" else RESPONSE_B


def vector_column(side: str) -> str:
    """Name of the embedding column of response `side`."""
    return f"vector.{check_side(side)}"


def partner(name: str) -> str | None:
    """The column describing the other response (`x.a` <-> `x.b`), or None if not per-response."""
    if name in TEXT_PAIR:
        return RESPONSE_B if name == RESPONSE_A else RESPONSE_A
    stem, dot, side = name.rpartition(".")
    if dot and stem and side in SIDES:
        return f"{stem}.{'b' if side == 'a' else 'a'}"
    return None


def is_trl(table: pa.Table) -> bool:
    """True if the table is in TRL form (chosen/rejected) and has no canonical pair or label."""
    names = set(table.column_names)
    return {CHOSEN, REJECTED} <= names and not names & {RESPONSE_A, RESPONSE_B, LABEL}


def map_trl_columns(table: pa.Table) -> pa.Table:
    """Rename TRL chosen/rejected to response_a/response_b and add label = 1 (a preferred)."""
    if not is_trl(table):
        return table
    renamed = table.rename_columns([TRL_RENAMES.get(n, n) for n in table.column_names])
    return renamed.append_column(LABEL, pa.array([1.0] * table.num_rows, pa.float64()))


def canonical_types(table: pa.Table) -> pa.Table:
    """Cast a valid table's vectors to fixed_size_list<float32>[d] and numeric roles to float64."""
    for name in VECTOR_PAIR:
        if name in table.column_names and table.num_rows:
            table = _replace(table, name, _as_fixed_float32(table[name]))
    for name in FLOAT_COLUMNS:
        if name in table.column_names and table[name].type != pa.float64():
            table = _replace(table, name, pc.cast(table[name], pa.float64()))
    return table


def _replace(table: pa.Table, name: str, column: pa.Array | pa.ChunkedArray) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, column)


def _as_fixed_float32(column: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    target_ok = pa.types.is_fixed_size_list(column.type) and column.type.value_type == pa.float32()
    if target_ok:
        return column
    values = pc.cast(pc.list_flatten(column.combine_chunks()), pa.float32(), safe=False)
    return pa.FixedSizeListArray.from_arrays(values, len(values) // len(column))
