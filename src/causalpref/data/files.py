"""File formats: JSONL (optionally gzipped), JSON, Parquet and CSV to rows and back.

Reading gives `Rows`: what a file holds before a layout maps it to canonical columns, with the
problems found while reading (unreadable lines are collected, not raised one by one) and, for
JSONL, the 1-based file line of every row. Writing is atomic (temp file + rename).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from causalpref._atomic import atomic_path
from causalpref.data.columns import json_list, json_text, value_kind
from causalpref.errors import ConfigError, DataValidationError, Problem

FILE_FORMATS = ("jsonl.gz", "jsonl", "json", "parquet", "csv")
MAX_LINE_PROBLEMS = 10


class Rows:
    """The rows of one source: a pyarrow Table (Parquet, CSV, Arrow) or JSON records.

    `records` gives plain dicts either way (built once, on demand); cells of `list_columns`
    that hold JSON lists as text, as CSV stores them, are decoded there.
    """

    def __init__(
        self,
        *,
        table: pa.Table | None = None,
        records: list[dict[str, Any]] | None = None,
        source: str | None = None,
        lines: list[int] | None = None,
        problems: Iterable[Problem] = (),
        list_columns: Iterable[str] = (),
    ):
        if (table is None) == (records is None):
            raise ConfigError("Rows needs exactly one of table= and records=")
        self.table, self._records = table, records
        self.source, self.lines, self.problems = source, lines, list(problems)
        self.list_columns = tuple(list_columns)

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every row as a dict of Python values."""
        if self._records is None:
            self._records = self._decoded(self.table.to_pylist())
        return self._records

    def head(self, n: int) -> list[dict[str, Any]]:
        """The first `n` rows as dicts (without converting the rest of a table)."""
        if self._records is not None or self.table is None:
            return self.records[:n]
        return self._decoded(self.table.slice(0, n).to_pylist())

    def __len__(self) -> int:
        return self.table.num_rows if self._records is None else len(self._records)

    def _decoded(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for record in records:
            for name in self.list_columns:
                if name in record:
                    record[name] = json_list(record[name])
        return records


def rows_from(
    source: str | os.PathLike | Sequence[Mapping[str, Any]] | pa.Table,
    *,
    format: str | None = None,
    text_columns: Iterable[str] = (),
    list_columns: Iterable[str] = (),
) -> Rows:
    """Rows of a file path, a pyarrow Table or a list of dicts (one per row)."""
    if isinstance(source, str | os.PathLike):
        return read_file(
            source, format=format, text_columns=text_columns, list_columns=list_columns
        )
    if format is not None:
        raise ConfigError(f"format={format!r} applies to files only; the source is in memory")
    if isinstance(source, pa.Table):
        return Rows(table=source, list_columns=list_columns)
    if isinstance(source, Sequence) and not isinstance(source, str | bytes):
        bad = [i for i, r in enumerate(source) if not isinstance(r, Mapping)]
        if bad:
            raise ConfigError(
                f"source: a list must hold one dict per row, but items {bad[:10]} are not dicts "
                f"(item {bad[0]} is {type(source[bad[0]]).__name__}); pass dicts or a file path"
            )
        return Rows(records=[dict(r) for r in source])
    raise ConfigError(
        f"source: expected a file path, a pyarrow Table or a list of dicts, "
        f"got {type(source).__name__}"
    )


def read_file(
    path: str | os.PathLike,
    *,
    format: str | None = None,
    text_columns: Iterable[str] = (),
    list_columns: Iterable[str] = (),
) -> Rows:
    """Rows of a jsonl / jsonl.gz / json / parquet / csv file; the format comes from the suffix.

    `text_columns` are read from CSV as strings (no type guessing); `list_columns` are decoded
    from the JSON text CSV cells hold when rows are taken as records.
    """
    path = Path(path)
    fmt = file_format(path, format)
    if not path.is_file():
        raise ConfigError(f"file not found: {path}")
    source = str(path)
    if fmt in ("jsonl", "jsonl.gz"):
        return _jsonl_rows(path, source)
    if fmt == "json":
        return _json_rows(path, source)
    if fmt == "csv":
        return Rows(
            table=_csv_table(path, source, tuple(text_columns)),
            source=source,
            list_columns=list_columns,
        )
    return Rows(table=_parquet_table(path, source), source=source)


def file_format(path: str | os.PathLike, format: str | None = None) -> str:
    """Normalised file format from `format` or from the file suffix; ConfigError if unknown."""
    supported = ", ".join(f".{f}" for f in FILE_FORMATS)
    if format is not None:
        fmt = format.lower().lstrip(".")
        if fmt not in FILE_FORMATS:
            raise ConfigError(f"unknown file format {format!r}; supported: {supported}")
        return fmt
    name = Path(path).name.lower()
    for fmt in FILE_FORMATS:
        if name.endswith(f".{fmt}"):
            return fmt
    suffix = "".join(Path(path).suffixes) or "(none)"
    raise ConfigError(
        f"cannot tell the file format of {path}: unknown suffix '{suffix}'; "
        f"supported: {supported} (or name it: format=... in Python, --format on the command line)"
    )


# -- reading ------------------------------------------------------------------------------
def _jsonl_rows(path: Path, source: str) -> Rows:
    records: list[dict] = []
    lines: list[int] = []
    bad: list[tuple[int, str]] = []
    try:
        for number, raw in enumerate(_open_lines(path), start=1):
            _parse_line(number, raw, records, lines, bad)
    except (OSError, EOFError, zlib.error) as e:
        raise DataValidationError([Problem(None, f"cannot read file: {e}")], source) from e
    return Rows(records=records, source=source, lines=lines, problems=_line_problems(bad))


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
        bad.append((number, f"expected a JSON object, got {value_kind(value)}"))
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


def _json_rows(path: Path, source: str) -> Rows:
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as e:
        raise DataValidationError([Problem(None, f"not valid UTF-8 ({e.reason})")], source) from e
    except json.JSONDecodeError as e:
        problem = Problem(None, f"line {e.lineno} column {e.colno}: invalid JSON ({e.msg})")
        raise DataValidationError([problem], source) from e
    if not isinstance(value, list):
        problem = Problem(None, f"expected a JSON list of objects, got {value_kind(value)}")
        raise DataValidationError([problem], source)
    bad = [i for i, item in enumerate(value) if not isinstance(item, dict)]
    if bad:
        shown = ", ".join(str(i) for i in bad[:MAX_LINE_PROBLEMS])
        problem = Problem(None, f"list items must be JSON objects; not at items {shown} (0-based)")
        raise DataValidationError([problem], source)
    return Rows(records=value, source=source)


def _csv_table(path: Path, source: str, text_columns: tuple[str, ...]) -> pa.Table:
    """CSV as a table; an empty unquoted cell is null, a quoted "" is an empty string."""
    convert = pcsv.ConvertOptions(
        column_types=dict.fromkeys(text_columns, pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        null_values=[""],
    )
    try:
        return pcsv.read_csv(path, convert_options=convert)
    except (pa.ArrowInvalid, OSError) as e:
        raise DataValidationError([Problem(None, f"cannot parse CSV: {e}")], source) from e


def _parquet_table(path: Path, source: str) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise DataValidationError([Problem(None, f"cannot read Parquet: {e}")], source) from e


# -- writing ------------------------------------------------------------------------------
def write_table(table: pa.Table, path: str | os.PathLike, *, format: str | None = None) -> Path:
    """Write `table` atomically; the format comes from the suffix unless `format` is given.

    CSV cells cannot nest, so list and struct values are written there as JSON text.
    """
    path = Path(path)
    writer = {
        "jsonl": _write_jsonl,
        "jsonl.gz": _write_jsonl_gz,
        "json": _write_json,
        "parquet": pq.write_table,
        "csv": _write_csv,
    }[file_format(path, format)]
    with atomic_path(path) as tmp:
        writer(table, tmp)
    return path


def _json_lines(table: pa.Table) -> Iterator[str]:
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
        for row in _json_lines(table):
            out.write(row + "\n")


def _write_jsonl_gz(table: pa.Table, path: Path) -> None:
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed,
        io.TextIOWrapper(packed, encoding="utf-8", newline="\n") as out,
    ):
        for row in _json_lines(table):
            out.write(row + "\n")


def _write_json(table: pa.Table, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("[\n")
        for i, row in enumerate(_json_lines(table)):
            out.write(("" if i == 0 else ",\n") + row)
        out.write("\n]\n")


def _write_csv(table: pa.Table, path: Path) -> None:
    for i, field in enumerate(table.schema):
        if pa.types.is_nested(field.type):
            table = table.set_column(i, field.name, json_text(table[field.name].to_pylist()))
    pcsv.write_csv(table, path)
