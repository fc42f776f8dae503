"""read_preferences on canonical files: round trips, error reports that name every problem."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pyarrow as pa
import pytest

from causalpref.data import PreferenceData, read_preferences, write_preferences
from causalpref.errors import ConfigError, DataValidationError

SUFFIXES = [".jsonl", ".jsonl.gz", ".json", ".parquet", ".csv"]


def sample(n: int = 5, d: int = 4) -> PreferenceData:
    rng = np.random.default_rng(7)
    return PreferenceData.from_columns(
        {
            "pair_id": np.arange(n),
            "prompt": [f'question {i}, with "quotes"' for i in range(n)],
            "response_a": ["first\nline", "é ü 字", "a", "NA", "null"][:n],
            "response_b": [f"b{i}" for i in range(n)],
            "vector.a": rng.normal(size=(n, d)).astype(np.float32) / 3,
            "vector.b": rng.normal(size=(n, d)).astype(np.float32) * 1e-7,
            "label": np.resize([1.0, 0.0, 0.5, 0.3, 0.123456789012345], n),
            "weight": np.linspace(0.1, 2.0, n),
            "context": np.resize(["helpful", "harmless"], n),
            "attr.length.a": np.arange(n) * 3,
            "attr.length.b": np.arange(n) * 5,
            "true_reward.a": rng.normal(size=n),
            "true_reward.b": rng.normal(size=n),
            "prompt_type": np.resize(["code", "chat"], n),
        }
    )


def write_lines(path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def row(**fields) -> str:
    base = {"response_a": "a", "response_b": "b", "label": 1.0}
    base.update(fields)
    return json.dumps(base)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_round_trip_is_lossless(tmp_path, suffix):
    data = sample()
    path = write_preferences(data, tmp_path / f"prefs{suffix}")
    back = read_preferences(path)
    assert back.table.schema.equals(data.table.schema), back.table.schema
    assert back.table.equals(data.table)
    np.testing.assert_array_equal(back.vectors("b"), data.vectors("b"))
    assert back.source == str(path)


def test_write_is_atomic_and_leaves_no_temporaries(tmp_path):
    write_preferences(sample(), tmp_path / "out" / "prefs.jsonl")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["prefs.jsonl"]


def test_gzip_and_explicit_format(tmp_path):
    path = write_preferences(sample(), tmp_path / "prefs.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        assert json.loads(handle.readline())["pair_id"] == 0
    odd = write_preferences(sample(), tmp_path / "prefs.data", format="parquet")
    assert len(read_preferences(odd, format="parquet")) == 5


def test_unknown_suffix_and_format(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown suffix '\.txt'.*\.jsonl, .*\.csv"):
        read_preferences(tmp_path / "prefs.txt")
    with pytest.raises(ConfigError, match="unknown file format 'xml'"):
        write_preferences(sample(), tmp_path / "prefs.jsonl", format="xml")


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="nope.jsonl"):
        read_preferences(tmp_path / "nope.jsonl")


def test_jsonl_rows_may_have_different_keys_and_blank_lines(tmp_path):
    path = tmp_path / "prefs.jsonl"
    write_lines(path, [row(user_id="u1"), "", "   ", row(label=0.5, env="web")])
    data = read_preferences(path)
    assert list(data.column("user_id")) == ["u1", None]
    assert list(data.column("env")) == [None, "web"]
    np.testing.assert_array_equal(data.labels, [1.0, 0.5])


def test_invalid_json_lines_are_all_reported_with_line_numbers(tmp_path):
    path = tmp_path / "prefs.jsonl"
    write_lines(path, [row(), '{"label": 1,, }', "", "[1, 2]", row(), "{oops"])
    with pytest.raises(DataValidationError) as err:
        read_preferences(path)
    text = str(err.value)
    assert "line 2: invalid JSON (Expecting" in text
    assert "line 4: expected a JSON object, got a list" in text
    assert "line 6: invalid JSON" in text
    assert str(path) in text and len(err.value.problems) == 3


def test_three_different_problems_in_one_error(tmp_path):
    path = tmp_path / "prefs.jsonl"
    write_lines(
        path,
        [
            row(),
            "",
            row(label=1.7),
            "not json",
            row(response_b=None),
        ],
    )
    with pytest.raises(DataValidationError) as err:
        read_preferences(path)
    kinds = sorted(str(p.column) for p in err.value.problems)
    assert kinds == ["None", "label", "response_b"]
    text = str(err.value)
    assert "line 4: invalid JSON" in text
    assert "column 'label': must be in [0, 1]" in text and "file lines 3 (rows 1)" in text
    assert "column 'response_b'" in text and "file lines 5 (rows 2)" in text


def test_trl_chosen_rejected_is_mapped(tmp_path):
    path = tmp_path / "trl.jsonl"
    write_lines(path, [json.dumps({"prompt": "q", "chosen": "good", "rejected": "bad"})])
    data = read_preferences(path)
    assert data.columns == ["prompt", "response_a", "response_b", "label"]
    assert data.column("response_a")[0] == "good" and data.column("response_b")[0] == "bad"
    np.testing.assert_array_equal(data.labels, [1.0])


def test_chat_lists_in_the_canonical_layout_point_to_the_chat_layout(tmp_path):
    path = tmp_path / "trl.jsonl"
    chat = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    write_lines(
        path,
        [
            json.dumps({"chosen": "fine", "rejected": "meh"}),
            json.dumps({"chosen": chat, "rejected": "meh"}),
        ],
    )
    with pytest.raises(DataValidationError) as err:
        read_preferences(path, layout="canonical")
    problem = err.value.problems[0]
    assert len(err.value.problems) == 1
    assert problem.column == "chosen" and problem.rows == (1,)
    assert "layout='chat'" in problem.message


def test_variable_length_vectors_in_jsonl_are_reported(tmp_path):
    path = tmp_path / "prefs.jsonl"
    write_lines(
        path,
        [
            json.dumps({"vector.a": [1, 2], "vector.b": [3, 4], "label": 1}),
            json.dumps({"vector.a": [1, 2, 3], "vector.b": [3, 4], "label": 0}),
            json.dumps({"vector.a": [1, "x"], "vector.b": [3, 4], "label": 0}),
        ],
    )
    with pytest.raises(DataValidationError) as err:
        read_preferences(path)
    assert [(p.column, p.rows) for p in err.value.problems] == [("vector.a", (2,))]
    write_lines(
        path,
        [
            json.dumps({"vector.a": [1, 2], "vector.b": [3, 4], "label": 1}),
            json.dumps({"vector.a": [1, 2, 3], "vector.b": [3, 4], "label": 0}),
            json.dumps({"vector.a": [1, 2], "vector.b": [3, 4], "label": 0}),
        ],
    )
    with pytest.raises(DataValidationError, match=r"length 2.*file lines 2 \(rows 1\)"):
        read_preferences(path)


def test_integer_vectors_become_float32(tmp_path):
    path = tmp_path / "prefs.jsonl"
    write_lines(path, [json.dumps({"vector.a": [1, 2], "vector.b": [3, 4], "label": 1})])
    data = read_preferences(path)
    assert data.vector_dim == 2 and data.vectors("b").tolist() == [[3.0, 4.0]]


def test_mixed_value_kinds_are_reported(tmp_path):
    path = tmp_path / "prefs.jsonl"
    write_lines(path, [row(), row(label="yes"), row()])
    with pytest.raises(DataValidationError) as err:
        read_preferences(path)
    problem = err.value.problems[0]
    assert len(err.value.problems) == 1
    assert problem.column == "label" and problem.rows == (1,) and "mixes" in problem.message


def test_json_list_of_objects(tmp_path):
    path = tmp_path / "prefs.json"
    path.write_text(json.dumps([json.loads(row()), json.loads(row(label=0))]))
    assert len(read_preferences(path)) == 2
    path.write_text(json.dumps({"label": 1}))
    with pytest.raises(DataValidationError, match="JSON list of objects"):
        read_preferences(path)
    path.write_text("[{]")
    with pytest.raises(DataValidationError, match="line 1 column 3: invalid JSON"):
        read_preferences(path)


def test_csv_vector_cells_are_parsed_and_bad_cells_reported(tmp_path):
    path = tmp_path / "prefs.csv"
    path.write_text(
        'vector.a,vector.b,label\n"[0.1, 0.2]","[1, 2]",1\n"[0.3, 0.4]","oops",0\n',
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as err:
        read_preferences(path)
    assert [(p.column, p.rows) for p in err.value.problems] == [("vector.b", (1,))]
    path.write_text('vector.a,vector.b,label\n"[0.1, 0.2]","[1, 2]",1\n', encoding="utf-8")
    data = read_preferences(path)
    np.testing.assert_array_equal(data.vectors("a"), np.array([[0.1, 0.2]], dtype=np.float32))


def test_corrupt_parquet_is_a_validation_error(tmp_path):
    path = tmp_path / "prefs.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(DataValidationError, match="is not a Parquet file"):
        read_preferences(path)
    path.write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    with pytest.raises(DataValidationError, match="cannot read Parquet"):
        read_preferences(path)


def test_parquet_with_list_vectors_is_normalised(tmp_path):
    path = tmp_path / "prefs.parquet"
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table(
            {
                "vector.a": [[1.0, 2.0]],
                "vector.b": [[3.0, 4.0]],
                "label": pa.array([1], pa.int64()),
            }
        ),
        path,
    )
    data = read_preferences(path)
    assert data.table["vector.a"].type == pa.list_(pa.float32(), 2)
    assert data.table["label"].type == pa.float64()


# -- every problem at once, across layouts --------------------------------------------------
BROKEN_LINE = '{"response_a": "a",, }'
LAYOUT_ROWS = {
    "canonical": (
        {"prompt": "p", "response_a": "a", "response_b": "b", "label": 1.0},
        {"prompt": "p", "response_a": "a", "label": 0.0},
        {"prompt": "p", "response_a": "", "response_b": "b", "label": 1.0},
        "response_b",
    ),
    "trl": (
        {"prompt": "p", "chosen": "a", "rejected": "b"},
        {"prompt": "p", "chosen": "a"},
        {"prompt": "p", "chosen": "", "rejected": "b"},
        "rejected",
    ),
}


@pytest.mark.parametrize("layout", sorted(LAYOUT_ROWS))
def test_broken_line_missing_column_and_empty_response_are_named_together(tmp_path, layout):
    good, missing, empty, missing_column = LAYOUT_ROWS[layout]
    path = tmp_path / "pairs.jsonl"
    lines = [json.dumps(good), "", BROKEN_LINE, json.dumps(missing), json.dumps(good)]
    write_lines(path, [*lines, json.dumps(empty)])
    with pytest.raises(DataValidationError) as err:
        read_preferences(path, empty_responses="error")
    found = {p.column: p for p in err.value.problems}
    assert set(found) == {None, missing_column, "response_a"}, err.value.problems
    assert found[None].message.startswith("line 3: invalid JSON")
    assert found[missing_column].rows == (1,)
    assert "file lines 4" in found[missing_column].message
    assert found["response_a"].rows == (3,) and "file lines 6" in found["response_a"].message
    assert "empty" in found["response_a"].message and str(path) in str(err.value)


def test_in_memory_rows_and_tables_read_like_files():
    records = [json.loads(row()), json.loads(row(label=0.0))]
    from_records = read_preferences(records)
    from_table = read_preferences(pa.Table.from_pylist(records))
    assert from_records.table.equals(from_table.table)
    assert from_records.source is None
    with pytest.raises(ConfigError, match="applies to files only"):
        read_preferences(records, format="csv")


def test_empty_responses_apply_to_the_canonical_layout():
    records = [json.loads(row()), json.loads(row(response_b=" "))]
    assert len(read_preferences(records)) == 2
    with pytest.warns(UserWarning, match="dropped 1 rows"):
        assert len(read_preferences(records, empty_responses="drop")) == 1


def test_an_empty_file_has_no_rows(tmp_path):
    path = tmp_path / "prefs.jsonl"
    write_lines(path, ["", "{oops"])
    with pytest.raises(DataValidationError) as err:
        read_preferences(path)
    assert [p.message for p in err.value.problems][-1] == "has no rows"
    assert "line 2: invalid JSON" in str(err.value)


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("blank.jsonl", lambda p: p.write_text("\n  \n\n")),
        ("header.csv", lambda p: p.write_text("response_a,response_b,label\n")),
        ("empty.json", lambda p: p.write_text("[]")),
        ("zero.parquet", lambda p: write_preferences(sample().head(0), p)),
    ],
)
def test_files_without_rows_say_so_not_that_the_layout_is_unknown(tmp_path, name, write):
    path = tmp_path / name
    write(path)
    with pytest.raises(DataValidationError) as err:
        read_preferences(path)
    assert [p.message for p in err.value.problems] == ["has no rows"]
