"""Contract suite over every registered layout: every layout round-trips through every file format.

Each layout's own `example` is written to jsonl, jsonl.gz, json, parquet and csv, then read back
with layout="auto" and with the layout named; all must give the PreferenceData the in-memory
example gives, and detection must pick the layout. A new layout is covered by registering it.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from causalpref.data import FILE_FORMATS, LAYOUTS, PreferenceData, read_preferences
from causalpref.data.files import rows_from, write_table
from causalpref.data.layouts import Mapped, ReadOptions, sniff_layout
from causalpref.data.validate import validate_table

NAMES = LAYOUTS.names()


def expected(name: str) -> PreferenceData:
    return read_preferences(list(LAYOUTS.get(name).example), layout=name)


@pytest.mark.parametrize("name", NAMES)
def test_layout_declares_a_summary_and_an_example(name):
    layout = LAYOUTS.get(name)
    assert layout.summary.strip()
    assert len(layout.example) >= 2 and all(isinstance(r, dict) for r in layout.example)


@pytest.mark.parametrize("name", NAMES)
def test_example_is_detected_as_its_own_layout(name):
    assert sniff_layout(rows_from(list(LAYOUTS.get(name).example))) == name


@pytest.mark.parametrize("name", NAMES)
def test_read_gives_valid_canonical_columns(name):
    mapped = LAYOUTS.get(name).read(rows_from(list(LAYOUTS.get(name).example)), ReadOptions())
    assert isinstance(mapped, Mapped) and not mapped.problems
    assert validate_table(mapped.table) == []
    data = expected(name)
    assert len(data) == len(LAYOUTS.get(name).example)
    assert data.has("label") and (data.has("response_a") or data.has("vector.a"))


@pytest.mark.parametrize("fmt", FILE_FORMATS)
@pytest.mark.parametrize("name", NAMES)
def test_every_layout_round_trips_through_every_file_format(tmp_path, name, fmt):
    example = pa.Table.from_pylist(list(LAYOUTS.get(name).example))
    path = write_table(example, tmp_path / f"{name}.{fmt}")
    want = expected(name).table
    for layout in ("auto", name):
        got = read_preferences(path, layout=layout)
        assert got.table.to_pylist() == want.to_pylist(), (layout, got.table.schema)
        assert got.table.schema.equals(want.schema), (layout, got.table.schema, want.schema)
        assert got.source == str(path)
