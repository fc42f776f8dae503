"""Parquet to one Arrow table, batch by batch, with vector columns in contiguous float32 memory.

`pyarrow.parquet.read_table` holds the raw column chunks and the decoded lists at once (about
2.5x the data at its peak). Reading in batches bounds that overhead to one batch, and copying
each batch of a vector column (lists of numbers, all of one length) into one preallocated
(n, d) float32 buffer gives the canonical fixed_size_list<float32>[d] column in one piece, so
`PreferenceData.vectors` is a view of it, not a copy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from causalpref.data.columns import is_number_lists
from causalpref.data.schema import VECTOR_PAIR

BATCH_ROWS = 1024
READ_BUFFER = 1 << 20


def read_parquet(path: Path) -> pa.Table:
    """The whole file as one table; vector.a / vector.b of equal-length numbers as
    fixed_size_list<float32>[d] backed by one buffer each (other cells kept as stored)."""
    handle = pq.ParquetFile(path, pre_buffer=False, buffer_size=READ_BUFFER)
    schema = handle.schema_arrow
    rows = handle.metadata.num_rows
    sinks = {
        f.name: _VectorSink(rows)
        for f in schema
        if f.name in VECTOR_PAIR and is_number_lists(f.type)
    }
    batches = []
    for batch in handle.iter_batches(batch_size=BATCH_ROWS):
        for name, sink in sinks.items():
            sink.add(batch.column(name))
        batches.append(batch.drop_columns(list(sinks)))
    rest = pa.Table.from_batches(batches, schema=_without(schema, sinks))
    for name, sink in sinks.items():
        rest = rest.append_column(name, sink.column())
    return rest.select(schema.names)


def _without(schema: pa.Schema, names) -> pa.Schema:
    for name in names:
        schema = schema.remove(schema.get_field_index(name))
    return schema


class _VectorSink:
    """One vector column, gathered batch by batch into an (n, d) float32 buffer.

    A batch with a missing cell or a vector of another length ends the fast path: the column is
    then kept as list<float32> chunks, as stored, for validation to report.
    """

    def __init__(self, rows: int):
        self.rows, self.filled = rows, 0
        self.buffer: np.ndarray | None = None
        self.chunks: list[pa.Array] | None = None

    def add(self, cells: pa.Array) -> None:
        if self.chunks is None:
            values = self._values(cells)
            if values is not None:
                self.buffer[self.filled : self.filled + len(cells)] = values
                self.filled += len(cells)
                return
            self.chunks = [self._filled_part()] if self.filled else []
        self.chunks.append(pc.cast(cells, pa.list_(pa.float32()), safe=False))

    def column(self) -> pa.Array | pa.ChunkedArray:
        if self.chunks is not None:
            return pa.chunked_array(self.chunks, pa.list_(pa.float32()))
        if self.buffer is None:  # no rows
            return pa.array([], pa.list_(pa.float32()))
        return self._fixed(self.buffer)

    def _values(self, cells: pa.Array) -> np.ndarray | None:
        """The batch as an (m, d) array, or None if some cell is missing or of another length."""
        if cells.null_count:
            return None
        if pa.types.is_fixed_size_list(cells.type):
            dim = cells.type.list_size
        else:
            lengths = pc.list_value_length(cells)
            dim = pc.min(lengths).as_py() if len(cells) else 0
            if len(cells) and dim != pc.max(lengths).as_py():
                return None
        if self.buffer is None:
            self.buffer = np.empty((self.rows, dim), dtype=np.float32)
        if dim != self.buffer.shape[1] or cells.flatten().null_count:
            return None
        flat = cells.flatten().to_numpy(zero_copy_only=False)
        return flat.reshape(len(cells), dim)

    def _filled_part(self) -> pa.Array:
        return self._fixed(self.buffer[: self.filled]).cast(pa.list_(pa.float32()))

    @staticmethod
    def _fixed(values: np.ndarray) -> pa.FixedSizeListArray:
        return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])
