"""File formats to rows and back: suffixes, nested values, in-memory sources."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pytest

from causalpref.data.files import FILE_FORMATS, file_format, read_file, rows_from, write_table
from causalpref.errors import ConfigError, DataValidationError


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


# -- files that are not what their name says ----------------------------------------------
def problems_of(path) -> str:
    """The problems reading `path` finds: raised at once, or collected line by line (JSONL)."""
    try:
        problems = read_file(path).problems
    except DataValidationError as err:
        assert err.source == str(path)
        problems = err.problems
    assert problems
    return "\n".join(p.message for p in problems)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.jsonl", b""),
        ("empty.csv", b""),
        ("empty.json", b""),
        ("empty.parquet", b""),
        ("blank.csv", b"\n\n\n"),
        ("blank.json", b"  \n\n"),
    ],
)
def test_empty_files_have_no_rows(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert problems_of(path).startswith("has no rows")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("random.jsonl", bytes(range(256)) * 8, "holds binary data (a NUL byte at byte 0)"),
        ("image.jsonl", b"\x89PNG\r\n\x1a\n" + bytes(100), "it is a PNG image"),
        ("packed.jsonl", gzip.compress(b'{"a": 1}\n'), "it is gzip-compressed; decompress it"),
        ("table.csv", b"PAR1" + bytes(100) + b"PAR1", "it is a Parquet file; name it .parquet"),
        ("noise.jsonl.gz", gzip.compress(bytes(range(256)) * 8), "holds binary data"),
        ("plain.jsonl.gz", b'{"a": 1}\n', "is not gzip-compressed"),
        ("text.parquet", b"a,b\n1,2\n", "is not a Parquet file"),
        ("windows.csv", "a,b\n1,2\n".encode("utf-16"), "it is UTF-16 encoded; save it as UTF-8"),
        ("cut.parquet", b"PAR1" + bytes(100), "is a damaged Parquet file"),
        ("cut.jsonl.gz", gzip.compress(b'{"a": 1}\n' * 1000)[:-20], "damaged gzip file"),
    ],
)
def test_binary_and_misnamed_files_get_one_clear_problem(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    found = problems_of(path)
    assert expected in found and "line 2" not in found


def test_a_folder_is_not_a_file(tmp_path):
    folder = tmp_path / "data.jsonl"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        read_file(folder)
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        read_file(tmp_path)  # no suffix either


def test_other_os_errors_name_the_path(tmp_path, monkeypatch):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n')

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("causalpref.data.files._read", refuse)
    assert "cannot read the file: Permission denied" in problems_of(path)


@pytest.mark.parametrize("name", ["rows.jsonl", "rows.json"])
def test_a_utf8_byte_order_mark_is_accepted(tmp_path, name):
    path = tmp_path / name
    record = {"a": "x", "b": 1}
    text = json.dumps([record]) if name.endswith(".json") else json.dumps(record) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert read_file(path).records == [record]


def test_lone_surrogates_are_named_by_line_and_column(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"a": "fine \\ud83d\\ude00"}\n{"a": "ok", "b": ["x", "\\uD800"]}\n', encoding="utf-8"
    )
    assert problems_of(path).startswith("line 2: column 'b' holds a lone surrogate")
    path = tmp_path / "rows.json"
    path.write_text('[{"a": "ok"}, {"a": "\\udfff"}]', encoding="utf-8")
    assert problems_of(path).startswith("list item 1: column 'a' holds a lone surrogate")


def test_deeply_nested_json_is_a_problem_not_a_crash(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n' + deep + "\n")
    assert problems_of(path).startswith("line 2: JSON nested too deeply")
    path = tmp_path / "rows.json"
    path.write_text(deep)
    assert "JSON nested too deeply" in problems_of(path)


def test_duplicate_csv_columns_are_named(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("response_a,label,label\nx,1,0\n")
    with pytest.raises(DataValidationError) as err:
        read_file(path)
    [problem] = err.value.problems
    assert problem.column == "label" and "appears 2 times in the CSV header" in problem.message


def test_layout_sample_keeps_a_tables_vectors_in_arrow():
    vectors = pa.array([[0.5, 1.0], [2.0, 3.0]], pa.list_(pa.float32(), 2))
    table = pa.table({"vector.a": vectors, "label": [1.0, 0.0], "note": [None, None]})
    keys, sample = rows_from(table).sample(1)
    assert keys == {"vector.a", "label"}
    assert sample == [{"label": 1.0, "note": None}]


def test_in_memory_tables_with_duplicate_columns_are_refused():
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["label", "label"])
    with pytest.raises(DataValidationError, match="appears 2 times in the table"):
        rows_from(table)
