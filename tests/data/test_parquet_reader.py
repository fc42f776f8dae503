"""Parquet read batch by batch: vectors land in one contiguous float32 buffer, or stay as stored
(for validation to report) when their cells are missing or of different lengths."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from causalpref.data import read_preferences
from causalpref.data.parquet_reader import BATCH_ROWS, read_parquet
from causalpref.errors import DataValidationError


def write(tmp_path, **columns) -> str:
    path = tmp_path / "pairs.parquet"
    pq.write_table(pa.table(columns), path, row_group_size=BATCH_ROWS // 2)
    return path


def fixed(values: np.ndarray, kind: pa.DataType | None = None) -> pa.FixedSizeListArray:
    flat = pa.array(values.reshape(-1), kind or pa.float32())
    return pa.FixedSizeListArray.from_arrays(flat, values.shape[1])


@pytest.mark.parametrize("kind", ["fixed32", "fixed64", "list64", "int"])
def test_vectors_become_one_contiguous_float32_view(tmp_path, kind):
    n, d = BATCH_ROWS * 2 + 5, 3
    a = np.arange(n * d, dtype=np.float64).reshape(n, d)
    b = -a
    make = {
        "fixed32": lambda v: fixed(v),
        "fixed64": lambda v: fixed(v, pa.float64()),
        "list64": lambda v: pa.array(list(v), pa.list_(pa.float64())),
        "int": lambda v: pa.array(list(v.astype(np.int64)), pa.list_(pa.int64())),
    }[kind]
    path = write(tmp_path, **{"vector.a": make(a), "vector.b": make(b), "label": np.ones(n)})
    table = read_parquet(path)
    assert table.column_names == ["vector.a", "vector.b", "label"]
    assert table["vector.a"].num_chunks == 1
    assert table["vector.a"].type == pa.list_(pa.float32(), d)
    data = read_preferences(path)
    view = data.vectors("a")
    np.testing.assert_array_equal(view, a.astype(np.float32))
    assert not view.flags.owndata and view.flags.c_contiguous  # a view, not a copy
    np.testing.assert_array_equal(data.vectors("b"), b.astype(np.float32))


def test_vector_lengths_that_differ_between_rows_are_reported(tmp_path):
    n = BATCH_ROWS + 10
    cells = [[1.0, 2.0]] * n
    late = cells[:-1] + [[1.0, 2.0, 3.0]]  # the odd one is in the second batch
    path = write(tmp_path, **{"vector.a": late, "vector.b": cells, "label": np.ones(n)})
    with pytest.raises(DataValidationError) as err:
        read_preferences(path)
    [problem] = err.value.problems
    assert problem.column == "vector.a" and problem.rows == (n - 1,)
    assert "must all have length 2" in problem.message


def test_vector_lengths_that_differ_between_a_and_b_are_reported(tmp_path):
    a, b = np.ones((4, 2)), np.ones((4, 3))
    path = write(tmp_path, **{"vector.a": fixed(a), "vector.b": fixed(b), "label": np.ones(4)})
    with pytest.raises(DataValidationError, match="has dimension 3 but vector.a has dimension 2"):
        read_preferences(path)


def test_missing_vector_cells_are_kept_for_validation(tmp_path):
    cells = pa.array([[1.0, 2.0], None, [3.0, None]], pa.list_(pa.float64()))
    path = write(tmp_path, **{"vector.a": cells, "vector.b": cells, "label": np.ones(3)})
    table = read_parquet(path)
    assert table["vector.a"].to_pylist() == [[1.0, 2.0], None, [3.0, None]]
    with pytest.raises(DataValidationError):
        read_preferences(path)
