"""PreferenceData: an immutable, validated table of pairwise comparisons."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from causalpref.data.schema import (
    FLOAT_COLUMNS,
    LABEL,
    MARGIN,
    SPLIT,
    VECTOR_PAIR,
    WEIGHT,
    canonical_types,
    map_trl_columns,
    partner,
    vector_column,
)
from causalpref.data.validate import validate_table
from causalpref.errors import ConfigError, DataValidationError


class PreferenceData:
    """Immutable wrapper around a pyarrow Table with one row per comparison of responses a and b.

    With `validate=True` the table is first mapped from TRL form (chosen/rejected) if needed,
    then checked (every problem is reported in one DataValidationError), then brought to
    canonical types: vectors as fixed_size_list<float32>[d], label/weight/propensity/margin as
    float64. Every transform returns a new object; the wrapped table is never mutated.
    """

    __slots__ = ("_table", "_source")

    def __init__(self, table: pa.Table, *, validate: bool = True, source: str | None = None):
        if not isinstance(table, pa.Table):
            raise ConfigError(f"PreferenceData needs a pyarrow.Table, got {type(table).__name__}")
        if validate:
            table = map_trl_columns(table)
            problems = validate_table(table)
            if problems:
                raise DataValidationError(problems, source)
            table = canonical_types(table)
        self._table = table
        self._source = source

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any], *, validate: bool = True) -> PreferenceData:
        """Build from numpy arrays / lists; 2-D arrays become fixed_size_list columns."""
        return cls(_table_from_columns(columns), validate=validate)

    @classmethod
    def concat(cls, datas: Sequence[PreferenceData], *, validate: bool = True) -> PreferenceData:
        """Stack rows of several datasets with the same columns and types (order may differ).

        Validates by default because pair_id values may collide across the inputs.
        """
        datas = list(datas)
        if not datas:
            raise ConfigError("concat needs at least one PreferenceData")
        first = datas[0].table.schema
        for i, other in enumerate(datas[1:], start=1):
            diffs = _schema_differences(first, other.table.schema)
            if diffs:
                raise ConfigError(
                    f"cannot concatenate: data #{i} differs from data #0: {'; '.join(diffs)}"
                )
        tables = [d.table.select(first.names) for d in datas]
        return cls(pa.concat_tables(tables), validate=validate, source=datas[0].source)

    # -- access ---------------------------------------------------------------------------
    @property
    def table(self) -> pa.Table:
        """The underlying (immutable) pyarrow Table."""
        return self._table

    @property
    def source(self) -> str | None:
        """Where the data came from (a file path), used in messages."""
        return self._source

    def __len__(self) -> int:
        return self._table.num_rows

    @property
    def columns(self) -> list[str]:
        """Column names in table order."""
        return list(self._table.column_names)

    def has(self, name: str) -> bool:
        """True if column `name` exists."""
        return name in self._table.column_names

    def column(self, name: str) -> np.ndarray:
        """Column as numpy: numbers as numeric arrays, text as object arrays, vectors as 2-D."""
        col = self._require(name)
        if pa.types.is_fixed_size_list(col.type):
            return _fixed_to_numpy(col)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        return col.to_numpy(zero_copy_only=False)

    def vectors(self, side: str) -> np.ndarray:
        """Embeddings of response `side` ('a' or 'b') as a read-only float32 (n, d) array."""
        col = self._require(vector_column(side))
        if not pa.types.is_fixed_size_list(col.type):
            raise ConfigError(
                f"column '{vector_column(side)}' has type {col.type}, "
                "not fixed_size_list<float32>[d]"
            )
        return _fixed_to_numpy(col).astype(np.float32, copy=False)

    @property
    def vector_dim(self) -> int | None:
        """Embedding dimension d, or None if the data has no vectors."""
        for name in VECTOR_PAIR:
            if self.has(name) and pa.types.is_fixed_size_list(self._table[name].type):
                return self._table[name].type.list_size
        return None

    @property
    def labels(self) -> np.ndarray:
        """P(a preferred) per row, float64."""
        return self.column(LABEL).astype(np.float64, copy=False)

    @property
    def weights(self) -> np.ndarray:
        """Row weights, float64; ones if there is no weight column."""
        if not self.has(WEIGHT):
            return np.ones(len(self), dtype=np.float64)
        return self.column(WEIGHT).astype(np.float64, copy=False)

    # -- transforms -----------------------------------------------------------------------
    def take(self, indices: Sequence[int] | np.ndarray) -> PreferenceData:
        """Rows at `indices` (0-based, in the given order, repeats allowed)."""
        idx = np.asarray(indices)
        if idx.dtype == bool:
            raise ConfigError("take() got a boolean array; use filter(mask) for masks")
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise ConfigError(f"take() needs integer indices, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise ConfigError(
                f"take(): indices must be in [0, {len(self)}), got {idx.min()}..{idx.max()}"
            )
        return self._derive(self._table.take(pa.array(idx.astype(np.int64, copy=False))))

    def filter(self, mask: np.ndarray) -> PreferenceData:
        """Rows where boolean `mask` (length n) is true."""
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (len(self),):
            raise ConfigError(
                f"filter() needs a boolean mask of shape ({len(self)},), "
                f"got dtype {mask.dtype} shape {mask.shape}"
            )
        return self._derive(self._table.filter(pa.array(mask)))

    def head(self, n: int = 5) -> PreferenceData:
        """The first `n` rows."""
        return self._derive(self._table.slice(0, max(n, 0)))

    def with_columns(self, columns: Mapping[str, Any], *, validate: bool = True) -> PreferenceData:
        """Add or replace columns (same conversions as from_columns); validates the result."""
        table = self._table
        for name, column in _arrow_columns(columns, len(self)).items():
            if name in table.column_names:
                table = table.set_column(table.column_names.index(name), name, column)
            else:
                table = table.append_column(name, column)
        return PreferenceData(table, validate=validate, source=self._source)

    def drop(self, names: str | Iterable[str]) -> PreferenceData:
        """Remove columns; every name must exist."""
        names = [names] if isinstance(names, str) else list(names)
        for name in names:
            self._require(name)
        return self._derive(self._table.drop_columns(names))

    def swap(self) -> PreferenceData:
        """Exchange responses a and b: every `x.a` <-> `x.b`, label -> 1 - label, margin negated."""
        names = self._table.column_names
        renamed = [partner(n) or n for n in names]
        table = self._table.rename_columns(renamed)
        if set(renamed) == set(names):
            table = table.select(names)
        if LABEL in table.column_names:
            table = _set(table, LABEL, pc.subtract(pa.scalar(1.0), table[LABEL]))
        if MARGIN in table.column_names:
            table = _set(table, MARGIN, pc.negate(table[MARGIN]))
        return self._derive(table)

    # -- grouping -------------------------------------------------------------------------
    def split_values(self, column: str = SPLIT) -> list[str]:
        """Sorted distinct values of `column` as strings (null -> 'None')."""
        return sorted(self._groups(column))

    def by(self, column: str) -> dict[str, PreferenceData]:
        """Rows grouped by the value of `column` (keys as str, sorted; null -> 'None')."""
        groups = self._groups(column)
        return {key: self.take(groups[key]) for key in sorted(groups)}

    def _groups(self, column: str) -> dict[str, np.ndarray]:
        encoded = self._require(column).combine_chunks().dictionary_encode()
        keys = [str(v) for v in encoded.dictionary.to_pylist()] + ["None"]
        codes = pc.fill_null(encoded.indices, len(keys) - 1).to_numpy(zero_copy_only=False)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        groups: dict[str, list[np.ndarray]] = {}
        for rows in np.split(order, bounds) if len(order) else []:
            groups.setdefault(keys[codes[rows[0]]], []).append(rows)
        return {k: np.sort(np.concatenate(v)) for k, v in groups.items()}

    # -- helpers --------------------------------------------------------------------------
    def _require(self, name: str) -> pa.ChunkedArray:
        if name not in self._table.column_names:
            raise ConfigError(f"column '{name}' not found; available columns: {self.columns}")
        return self._table[name]

    def _derive(self, table: pa.Table) -> PreferenceData:
        return PreferenceData(table, validate=False, source=self._source)

    def __repr__(self) -> str:
        names = self.columns
        shown = ", ".join(names[:8]) + (f", ... (+{len(names) - 8})" if len(names) > 8 else "")
        return f"PreferenceData({len(self)} rows, vector_dim={self.vector_dim}, columns=[{shown}])"


def _set(table: pa.Table, name: str, column: pa.ChunkedArray) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, column)


def _fixed_to_numpy(col: pa.ChunkedArray) -> np.ndarray:
    arr = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    flat = arr.flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(len(arr), col.type.list_size)


def _table_from_columns(columns: Mapping[str, Any]) -> pa.Table:
    return pa.table(_arrow_columns(columns))


def _arrow_columns(
    columns: Mapping[str, Any], n: int | None = None
) -> dict[str, pa.Array | pa.ChunkedArray]:
    converted = {name: _to_arrow(name, value) for name, value in columns.items()}
    if n is None:
        n = len(next(iter(converted.values()), []))
    wrong = {name: len(col) for name, col in converted.items() if len(col) != n}
    if wrong:
        raise ConfigError(f"columns must all have {n} rows; got lengths {wrong}")
    return converted


def _to_arrow(name: str, value: Any) -> pa.Array | pa.ChunkedArray:
    if isinstance(value, pa.Array | pa.ChunkedArray):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return _fixed_list(name, value)
    if isinstance(value, np.ndarray) and value.ndim != 1:
        raise ConfigError(f"column '{name}': expected a 1-D or 2-D array, got shape {value.shape}")
    if name in FLOAT_COLUMNS:
        try:
            return pa.array(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            pass
    try:
        return pa.array(value)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as e:
        raise ConfigError(f"column '{name}': cannot convert to an Arrow column ({e})") from e


def _fixed_list(name: str, value: np.ndarray) -> pa.FixedSizeListArray:
    dtype = np.float32 if name in VECTOR_PAIR else value.dtype
    flat = np.ascontiguousarray(value, dtype=dtype).reshape(-1)
    return pa.FixedSizeListArray.from_arrays(pa.array(flat), value.shape[1])


def _schema_differences(a: pa.Schema, b: pa.Schema) -> list[str]:
    diffs = []
    if only_a := [n for n in a.names if n not in b.names]:
        diffs.append(f"missing columns {only_a}")
    if only_b := [n for n in b.names if n not in a.names]:
        diffs.append(f"extra columns {only_b}")
    for name in a.names:
        if name in b.names and a.field(name).type != b.field(name).type:
            diffs.append(f"column '{name}' has type {b.field(name).type}, not {a.field(name).type}")
    return diffs
