"""Read and write preference data as JSONL (optionally gzipped), JSON, Parquet or CSV.

Reading is all-or-nothing: a complete, valid PreferenceData comes back, or one
DataValidationError lists every problem found (bad lines, bad cells, failed checks). Problem
rows are 0-based data rows; for JSONL the messages also name the 1-based file lines, which
differ from rows because blank and broken lines are skipped.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from causalpref._atomic import atomic_path
from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import (
    CHOSEN,
    REJECTED,
    TEXT_COLUMNS,
    TRL_RENAMES,
    VECTOR_PAIR,
    canonical_types,
    is_trl,
    map_trl_columns,
)
from causalpref.data.validate import CHAT_MESSAGE, validate_table
from causalpref.errors import ConfigError, DataValidationError, Problem

FORMATS = ("jsonl.gz", "jsonl", "json", "parquet", "csv")
STRING_COLUMNS = (*TEXT_COLUMNS, CHOSEN, REJECTED)
MAX_LINE_PROBLEMS = 10
_UNPARSEABLE = object()


def read_preferences(path: str | os.PathLike, *, format: str | None = None) -> PreferenceData:
    """Read a preference file; the format comes from the suffix unless `format` is given."""
    path = Path(path)
    fmt = detect_format(path, format)
    if not path.is_file():
        raise ConfigError(f"file not found: {path}")
    source = str(path)
    if fmt in ("jsonl", "jsonl.gz"):
        return _read_jsonl(path, source)
    if fmt == "json":
        return _read_json(path, source)
    if fmt == "csv":
        return _read_csv(path, source)
    return _read_parquet(path, source)


def write_preferences(
    data: PreferenceData, path: str | os.PathLike, *, format: str | None = None
) -> Path:
    """Write `data` atomically; the format comes from the suffix unless `format` is given."""
    path = Path(path)
    fmt = detect_format(path, format)
    writer = {
        "jsonl": _write_jsonl,
        "jsonl.gz": _write_jsonl_gz,
        "json": _write_json,
        "parquet": _write_parquet,
        "csv": _write_csv,
    }[fmt]
    with atomic_path(path) as tmp:
        writer(data.table, tmp)
    return path


def detect_format(path: str | os.PathLike, format: str | None = None) -> str:
    """Normalised format name from `format` or from the file suffix; ConfigError if unknown."""
    supported = ", ".join(f".{f}" for f in FORMATS)
    if format is not None:
        fmt = format.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ConfigError(f"unknown format {format!r}; supported: {supported}")
        return fmt
    name = Path(path).name.lower()
    for fmt in FORMATS:
        if name.endswith(f".{fmt}"):
            return fmt
    suffix = "".join(Path(path).suffixes) or "(none)"
    raise ConfigError(
        f"cannot tell the format of {path}: unknown suffix '{suffix}'; "
        f"supported: {supported} (or pass format=...)"
    )


# -- reading ------------------------------------------------------------------------------
def _read_jsonl(path: Path, source: str) -> PreferenceData:
    records: list[dict] = []
    lines: list[int] = []
    bad: list[tuple[int, str]] = []
    try:
        for number, raw in enumerate(_open_lines(path), start=1):
            _parse_line(number, raw, records, lines, bad)
    except (OSError, EOFError, zlib.error) as e:
        raise DataValidationError([Problem(None, f"cannot read file: {e}")], source) from e
    table, problems, failed = _records_to_table(records)
    return _finish(table, source, _line_problems(bad) + problems, failed, lines)


def _open_lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        yield from handle


def _parse_line(
    number: int, raw: bytes, records: list[dict], lines: list[int], bad: list[tuple[int, str]]
) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        bad.append((number, f"not valid UTF-8 ({e.reason} at byte {e.start})"))
        return
    if not text.strip():
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        bad.append((number, f"invalid JSON ({e.msg}: column {e.colno})"))
        return
    if not isinstance(value, dict):
        bad.append((number, f"expected a JSON object, got {_kind(value)}"))
        return
    records.append(value)
    lines.append(number)


def _line_problems(bad: list[tuple[int, str]]) -> list[Problem]:
    problems = [Problem(None, f"line {n}: {msg}") for n, msg in bad[:MAX_LINE_PROBLEMS]]
    rest = bad[MAX_LINE_PROBLEMS:]
    if rest:
        shown = ", ".join(str(n) for n, _ in rest[:MAX_LINE_PROBLEMS])
        problems.append(Problem(None, f"{len(rest)} more unreadable lines (lines {shown}, ...)"))
    return problems


def _read_json(path: Path, source: str) -> PreferenceData:
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as e:
        raise DataValidationError([Problem(None, f"not valid UTF-8 ({e.reason})")], source) from e
    except json.JSONDecodeError as e:
        problem = Problem(None, f"line {e.lineno} column {e.colno}: invalid JSON ({e.msg})")
        raise DataValidationError([problem], source) from e
    if not isinstance(value, list):
        problem = Problem(None, f"expected a JSON list of objects, got {_kind(value)}")
        raise DataValidationError([problem], source)
    bad = [i for i, item in enumerate(value) if not isinstance(item, dict)]
    if bad:
        shown = ", ".join(str(i) for i in bad[:MAX_LINE_PROBLEMS])
        problem = Problem(None, f"list items must be JSON objects; not at items {shown} (0-based)")
        raise DataValidationError([problem], source)
    table, problems, failed = _records_to_table(value)
    return _finish(table, source, problems, failed)


def _read_csv(path: Path, source: str) -> PreferenceData:
    convert = pcsv.ConvertOptions(
        column_types={name: pa.string() for name in (*STRING_COLUMNS, *VECTOR_PAIR)},
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        null_values=[""],
    )
    try:
        table = pcsv.read_csv(path, convert_options=convert)
    except (pa.ArrowInvalid, OSError) as e:
        raise DataValidationError([Problem(None, f"cannot parse CSV: {e}")], source) from e
    problems, failed = [], set()
    for name in VECTOR_PAIR:
        if name in table.column_names and pa.types.is_string(table[name].type):
            cells = [_parse_cell(s) for s in table[name].to_pylist()]
            column, problem = _column_from_values(name, cells)
            table = table.set_column(table.column_names.index(name), name, column)
            if problem:
                problems.append(problem)
                failed.add(name)
    return _finish(table, source, problems, failed)


def _parse_cell(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return _UNPARSEABLE


def _read_parquet(path: Path, source: str) -> PreferenceData:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise DataValidationError([Problem(None, f"cannot read Parquet: {e}")], source) from e
    return _finish(table, source)


def _finish(
    table: pa.Table,
    source: str,
    problems: list[Problem] | None = None,
    failed: set[str] | None = None,
    lines: list[int] | None = None,
) -> PreferenceData:
    """Map TRL columns, validate, and raise every problem at once; else wrap the table."""
    failed = set(failed or ())
    if is_trl(table):
        failed |= {TRL_RENAMES.get(name, name) for name in failed}
    table = map_trl_columns(table)
    found = list(problems or []) + [p for p in validate_table(table) if p.column not in failed]
    if found:
        raise DataValidationError([_with_lines(p, lines) for p in found], source)
    return PreferenceData(canonical_types(table), validate=False, source=source)


def _with_lines(problem: Problem, lines: list[int] | None) -> Problem:
    if not lines or not problem.rows:
        return problem
    shown = ", ".join(str(lines[r]) for r in problem.rows[:MAX_LINE_PROBLEMS])
    more = ", ..." if len(problem.rows) > MAX_LINE_PROBLEMS else ""
    return Problem(problem.column, f"{problem.message}; file lines {shown}{more}", problem.rows)


def _records_to_table(records: list[dict]) -> tuple[pa.Table, list[Problem], set[str]]:
    """Columns from JSON objects (missing keys -> null); bad columns become JSON text."""
    names = list(dict.fromkeys(key for record in records for key in record))
    columns, problems, failed = {}, [], set()
    for name in names:
        columns[name], problem = _column_from_values(name, [r.get(name) for r in records])
        if problem:
            problems.append(problem)
            failed.add(name)
    return pa.table(columns), problems, failed


def _column_from_values(name: str, values: list[Any]) -> tuple[pa.Array, Problem | None]:
    if name in STRING_COLUMNS:
        chats = [i for i, v in enumerate(values) if isinstance(v, list)]
        if chats:
            return _as_json_text(values), Problem(name, CHAT_MESSAGE, tuple(chats))
    if name in VECTOR_PAIR:
        return _vector_from_values(name, values)
    try:
        return pa.array(values), None
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as e:
        return _as_json_text(values), _mixed_kinds(name, values, e)


def _vector_from_values(name: str, values: list[Any]) -> tuple[pa.Array, Problem | None]:
    bad = [i for i, v in enumerate(values) if v is not None and not _is_number_list(v)]
    if bad:
        problem = Problem(name, "cells must be lists of numbers, e.g. [0.1, -2.5]", tuple(bad))
        return _as_json_text(values), problem
    return pa.array(values, pa.list_(pa.float64())), None


def _is_number_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in value
    )


def _mixed_kinds(name: str, values: list[Any], error: Exception) -> Problem:
    kinds = [None if v is None else _kind(v) for v in values]
    counts = Counter(k for k in kinds if k is not None)
    if len(counts) < 2:
        return Problem(name, f"cannot be converted to a column ({error})")
    main = counts.most_common(1)[0][0]
    rows = tuple(i for i, k in enumerate(kinds) if k is not None and k != main)
    others = ", ".join(sorted(k for k in counts if k != main))
    return Problem(name, f"mixes value kinds: mostly {main} but {others} in some rows", rows)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def _as_json_text(values: list[Any]) -> pa.Array:
    return pa.array(
        [None if v is None else json.dumps(v, default=repr) for v in values], pa.string()
    )


# -- writing ------------------------------------------------------------------------------
def _json_rows(table: pa.Table) -> Iterator[str]:
    names = table.column_names
    columns = [table[name].to_pylist() for name in names]
    for values in zip(*columns, strict=True):
        record = dict(zip(names, values, strict=True))
        yield json.dumps(record, ensure_ascii=False, default=_default)


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _write_jsonl(table: pa.Table, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for row in _json_rows(table):
            out.write(row + "\n")


def _write_jsonl_gz(table: pa.Table, path: Path) -> None:
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed,
        io.TextIOWrapper(packed, encoding="utf-8", newline="\n") as out,
    ):
        for row in _json_rows(table):
            out.write(row + "\n")


def _write_json(table: pa.Table, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("[\n")
        for i, row in enumerate(_json_rows(table)):
            out.write(("" if i == 0 else ",\n") + row)
        out.write("\n]\n")


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path)


def _write_csv(table: pa.Table, path: Path) -> None:
    for i, field in enumerate(table.schema):
        if pa.types.is_nested(field.type):
            text = _as_json_text(table[field.name].to_pylist())
            table = table.set_column(i, field.name, text)
    pcsv.write_csv(table, path)
