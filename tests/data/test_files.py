"""File formats to rows and back: suffixes, nested values, in-memory sources."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from causalpref.data.files import FILE_FORMATS, file_format, read_file, rows_from, write_table
from causalpref.errors import ConfigError


def test_file_format_from_suffix_or_name():
    assert file_format("x/data.JSONL.GZ") == "jsonl.gz"
    assert file_format("data.json") == "json"
    assert file_format("anything", ".Parquet") == "parquet"
    with pytest.raises(ConfigError, match=r"unknown suffix '\.tsv'"):
        file_format("data.tsv")
    assert set(FILE_FORMATS) == {"jsonl", "jsonl.gz", "json", "parquet", "csv"}


def test_read_file_keeps_nested_values(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"chosen": [{"role": "user", "content": "q"}], "x": 1}) + "\n")
    rows = read_file(path)
    assert rows.records == [{"chosen": [{"role": "user", "content": "q"}], "x": 1}]
    assert rows.lines == [1] and rows.source == str(path)


@pytest.mark.parametrize("fmt", FILE_FORMATS)
def test_list_cells_come_back_as_lists_from_every_format(tmp_path, fmt):
    table = pa.Table.from_pylist(
        [{"responses": ["a", "b"], "n": 1}, {"responses": ["c", "d"], "n": 2}]
    )
    path = write_table(table, tmp_path / f"rows.{fmt}")
    rows = read_file(path, list_columns=["responses"], text_columns=["responses"])
    assert rows.records == table.to_pylist()
    assert rows.head(1) == table.to_pylist()[:1]


def test_rows_from_rejects_what_is_not_rows():
    with pytest.raises(ConfigError, match="items \\[1\\] are not dicts"):
        rows_from([{"a": 1}, "b"])
    with pytest.raises(ConfigError, match="got int"):
        rows_from(3)
