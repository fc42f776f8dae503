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
from causalpref._json import dumps
from causalpref.data.columns import is_number_lists, json_list, json_text, value_kind
from causalpref.data.file_checks import NO_ROWS, UTF8_BOM, check_file
from causalpref.data.parquet_reader import read_parquet
from causalpref.errors import ConfigError, DataValidationError, Problem

FILE_FORMATS = ("jsonl.gz", "jsonl", "json", "parquet", "csv")
MAX_LINE_PROBLEMS = 10
TOO_DEEP = "JSON nested too deeply to read (more than about 1000 levels of [ or {); flatten it"


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

    def sample(self, n: int) -> tuple[set[str], list[dict[str, Any]]]:
        """What layout detection looks at: the columns holding a value in the first `n` rows,
        and those rows as dicts; a table's vector columns (lists of numbers) stay in Arrow."""
        if self._records is not None or self.table is None:
            records = self.records[:n]
            return {k for r in records for k, v in r.items() if v is not None}, records
        head = self.table.slice(0, n)
        keys = {name for name in head.column_names if head[name].null_count < head.num_rows}
        plain = [f.name for f in head.schema if not is_number_lists(f.type)]
        return keys, self._decoded(head.select(plain).to_pylist())

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
        _check_unique_columns(source, None, "the table")
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
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not a file; pass the data file inside it")
    fmt = file_format(path, format)
    if not path.is_file():
        raise ConfigError(f"file not found: {path}")
    try:
        check_file(path, fmt)
        return _read(path, fmt, tuple(text_columns), tuple(list_columns))
    except OSError as e:  # permission denied, I/O errors, a file removed while reading
        problem = Problem(
            None, f"cannot read the file: {e.strerror or e}; check that it is readable"
        )
        raise DataValidationError([problem], str(path)) from e


def _read(
    path: Path, fmt: str, text_columns: tuple[str, ...], list_columns: tuple[str, ...]
) -> Rows:
    source = str(path)
    if fmt in ("jsonl", "jsonl.gz"):
        return _jsonl_rows(path, source)
    if fmt == "json":
        return _json_rows(path, source)
    if fmt == "csv":
        return Rows(
            table=_csv_table(path, source, text_columns),
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
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        problem = Problem(None, f"is a damaged gzip file ({e}); compress the data again")
        raise DataValidationError([problem], source) from e
    return Rows(records=records, source=source, lines=lines, problems=_line_problems(bad))


def _open_lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        for number, raw in enumerate(handle):
            yield raw.removeprefix(UTF8_BOM) if number == 0 else raw


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
    value, fault = _loads(text)
    if fault is None and not isinstance(value, dict):
        fault = f"expected a JSON object, got {value_kind(value)}"
    if fault is None:
        fault = _surrogate_fault(text, value)
    if fault is not None:
        bad.append((number, fault))
        return
    records.append(value)
    lines.append(number)


def _loads(text: str) -> tuple[Any, str | None]:
    """The JSON value of `text`, or why it has none (the fault names the column)."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as e:
        return None, f"invalid JSON ({e.msg}: column {e.colno})"
    except RecursionError:
        return None, TOO_DEEP


def _surrogate_fault(text: str, record: dict) -> str | None:
    """Why a record's text cannot be stored: a lone UTF-16 surrogate escape such as \\ud800.

    Only a `\\ud8xx`..`\\udfxx` escape can produce one, so records without one are not walked.
    """
    if "\\ud" not in text.lower():
        return None
    bad = [key for key, value in record.items() if _has_surrogate(value)]
    if not bad:
        return None
    return (
        f"column '{bad[0]}' holds a lone surrogate escape (such as \\ud800), which is not "
        "valid Unicode; remove it or write the character it stands for"
    )


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False


def _line_problems(bad: list[tuple[int, str]]) -> list[Problem]:
    problems = [Problem(None, f"line {n}: {msg}") for n, msg in bad[:MAX_LINE_PROBLEMS]]
    rest = bad[MAX_LINE_PROBLEMS:]
    if rest:
        shown = ", ".join(str(n) for n, _ in rest[:MAX_LINE_PROBLEMS])
        problems.append(Problem(None, f"{len(rest)} more unreadable lines (lines {shown}, ...)"))
    return problems


def _json_rows(path: Path, source: str) -> Rows:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        problem = Problem(None, f"not valid UTF-8 ({e.reason} at byte {e.start})")
        raise DataValidationError([problem], source) from e
    if not text.strip():
        raise DataValidationError([Problem(None, f"{NO_ROWS}: the file holds only blanks")], source)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        problem = Problem(None, f"line {e.lineno} column {e.colno}: invalid JSON ({e.msg})")
        raise DataValidationError([problem], source) from e
    except RecursionError as e:
        raise DataValidationError([Problem(None, TOO_DEEP)], source) from e
    if not isinstance(value, list):
        problem = Problem(None, f"expected a JSON list of objects, got {value_kind(value)}")
        raise DataValidationError([problem], source)
    bad = [i for i, item in enumerate(value) if not isinstance(item, dict)]
    if bad:
        shown = ", ".join(str(i) for i in bad[:MAX_LINE_PROBLEMS])
        problem = Problem(None, f"list items must be JSON objects; not at items {shown} (0-based)")
        raise DataValidationError([problem], source)
    faults = [(i, _surrogate_fault(text, item)) for i, item in enumerate(value)]
    faults = [(i, fault) for i, fault in faults if fault]
    if faults:
        found = [Problem(None, f"list item {i}: {fault}") for i, fault in faults]
        raise DataValidationError(found[:MAX_LINE_PROBLEMS], source)
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
        table = pcsv.read_csv(path, convert_options=convert)
    except pa.ArrowInvalid as e:
        if "Empty CSV file" in str(e):
            problem = Problem(None, f"{NO_ROWS}: the file holds no header and no rows")
        else:
            problem = Problem(None, f"cannot parse CSV: {e}")
        raise DataValidationError([problem], source) from e
    _check_unique_columns(table, source, "the CSV header")
    return table


def _parquet_table(path: Path, source: str) -> pa.Table:
    try:
        table = read_parquet(path)
    except pa.ArrowException as e:
        problem = Problem(None, f"cannot read Parquet: {e}; write the file again")
        raise DataValidationError([problem], source) from e
    _check_unique_columns(table, source, "the Parquet schema")
    return table


def _check_unique_columns(table: pa.Table, source: str | None, where: str) -> None:
    """DataValidationError naming each column that appears more than once in `where`."""
    names = table.column_names
    twice = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    problems = [
        Problem(
            name,
            f"appears {names.count(name)} times in {where} (columns "
            f"{', '.join(str(i + 1) for i, n in enumerate(names) if n == name)}); "
            "rename or remove the extra ones",
        )
        for name in twice
    ]
    if problems:
        raise DataValidationError(problems, source)


# -- writing ------------------------------------------------------------------------------
def write_table(
    table: pa.Table, path: str | os.PathLike, *, format: str | None = None, overwrite: bool = False
) -> Path:
    """Write `table` atomically; the format comes from the suffix unless `format` is given.

    An existing file is replaced only with `overwrite`, a folder never (ConfigError before
    writing). CSV cells cannot nest, so list and struct values are written there as JSON text.
    """
    from causalpref.outputs import FILE, check_output

    path = check_output(path, kind=FILE, overwrite=overwrite)
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
        yield dumps(record, ensure_ascii=False, default=_default)


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
