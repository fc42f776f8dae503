"""Loaders for common preference layouts: TRL, HH-RLHF transcripts, chat, Arena, relabelled HH.

Every loader returns a validated PreferenceData with canonical columns, or raises one
DataValidationError that lists every bad row; nothing is half-loaded. Problem rows are 0-based
data rows (for JSONL the messages also name the 1-based file lines). Input columns a loader does
not use are kept unchanged. docs/data-formats.md documents each mapping.

Empty responses: real data has them (HH-RLHF contains final assistant turns that are empty).
`empty_responses` chooses what happens to rows whose response text is an empty or
whitespace-only string: "keep" (default; the row loads with that text), "drop" (the rows are
left out with a warning) or "error" (reported as problems). Missing (null) responses are always
errors.
"""

from __future__ import annotations

import json
import os
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from causalpref.data import io as _io
from causalpref.data.io import detect_format, read_preferences, write_preferences
from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import (
    ANNOTATOR_ID,
    CHOSEN,
    CONTEXT,
    LABEL,
    MARGIN,
    PAIR_ID,
    PROMPT,
    REJECTED,
    RESPONSE_A,
    RESPONSE_B,
    TEXT_PAIR,
    USER_ID,
    canonical_types,
    partner,
)
from causalpref.data.validate import validate_table
from causalpref.errors import ConfigError, DataValidationError, Problem
from causalpref.features.text_format import content_text, render_chat

Source = str | os.PathLike | Sequence[Mapping[str, Any]] | pa.Table

LAYOUTS = ("auto", "canonical", "trl", "hh", "chat", "arena", "relabeled_hh")
EMPTY_CHOICES = ("keep", "drop", "error")
TIE_CHOICES = ("error", "drop")
ASSISTANT_TURN = "\n\nAssistant:"
ARENA_WINNERS = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}
PROMPT_TYPE = "prompt_type"
ORIGINAL_LABEL = "original_label"
MODEL_A, MODEL_B = "model.a", "model.b"
SNIFF_ROWS = 100
# Input fields that may hold JSON lists; CSV stores them as JSON text.
STRUCTURED = (PROMPT, CHOSEN, REJECTED, "responses", "conversation_a", "conversation_b")
TEXT_TYPES = (PROMPT, RESPONSE_A, RESPONSE_B, PAIR_ID, CONTEXT, PROMPT_TYPE, MODEL_A, MODEL_B)
FLOAT_TYPES = (LABEL, MARGIN, ORIGINAL_LABEL)
BASE_COLUMNS = (PROMPT, RESPONSE_A, RESPONSE_B, LABEL)
_NOTHING = object()


# -- raw rows -----------------------------------------------------------------------------
@dataclass
class _Rows:
    """Raw input records, where they came from, and problems found while reading them."""

    records: list[dict[str, Any]]
    source: str | None = None
    lines: list[int] | None = None
    problems: list[Problem] = field(default_factory=list)


def read_rows(path: str | os.PathLike, *, format: str | None = None) -> pa.Table:
    """Read any supported file as raw rows (no mapping, no validation) so layouts can be inspected.

    Nested values (chat message lists) stay nested; a column whose values mix kinds becomes
    JSON text. Unreadable lines are reported together in one DataValidationError.
    """
    rows = _read_file(Path(path), format)
    if rows.problems:
        raise DataValidationError(rows.problems, rows.source)
    names = list(dict.fromkeys(key for record in rows.records for key in record))
    return pa.table({name: _loose_column([r.get(name) for r in rows.records]) for name in names})


def _rows(source: Source) -> _Rows:
    """Raw records from a file path, a pyarrow Table or an in-memory list of dicts."""
    if isinstance(source, str | os.PathLike):
        return _read_file(Path(source))
    if isinstance(source, pa.Table):
        return _Rows(source.to_pylist())
    if isinstance(source, Sequence) and not isinstance(source, bytes):
        bad = [i for i, r in enumerate(source) if not isinstance(r, Mapping)]
        if bad:
            raise ConfigError(
                f"source: a list must hold one dict per row, but items {bad[:10]} are not dicts "
                f"(item {bad[0]} is {type(source[bad[0]]).__name__}); pass dicts or a file path"
            )
        return _Rows([dict(r) for r in source])
    raise ConfigError(
        f"source: expected a file path or a list of dicts, got {type(source).__name__}"
    )


def _read_file(path: Path, format: str | None = None) -> _Rows:
    """Raw records of a jsonl / jsonl.gz / json / parquet / csv file."""
    fmt = detect_format(path, format)
    if not path.is_file():
        raise ConfigError(f"file not found: {path}")
    reader = {
        "jsonl": _jsonl_rows,
        "jsonl.gz": _jsonl_rows,
        "json": _json_rows,
        "parquet": _parquet_rows,
        "csv": _csv_rows,
    }[fmt]
    return reader(path, str(path))


def _jsonl_rows(path: Path, source: str) -> _Rows:
    """JSONL records, with io.py's line parsing and its reports of unreadable lines."""
    records: list[dict] = []
    lines: list[int] = []
    bad: list[tuple[int, str]] = []
    try:
        for number, raw in enumerate(_io._open_lines(path), start=1):
            _io._parse_line(number, raw, records, lines, bad)
    except (OSError, EOFError, zlib.error) as e:
        raise DataValidationError([Problem(None, f"cannot read file: {e}")], source) from e
    return _Rows(records, source, lines, _io._line_problems(bad))


def _json_rows(path: Path, source: str) -> _Rows:
    """Records of a JSON file holding one list of objects."""
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataValidationError([Problem(None, f"cannot parse JSON: {e}")], source) from e
    if not isinstance(value, list):
        problem = Problem(None, f"expected a JSON list of objects, got {_io._kind(value)}")
        raise DataValidationError([problem], source)
    bad = tuple(i for i, item in enumerate(value) if not isinstance(item, dict))
    if bad:
        raise DataValidationError([Problem(None, "list items must be JSON objects", bad)], source)
    return _Rows(value, source)


def _parquet_rows(path: Path, source: str) -> _Rows:
    """Records of a Parquet file (nested columns come back as Python lists and dicts)."""
    try:
        return _Rows(pq.read_table(path).to_pylist(), source)
    except (pa.ArrowException, OSError) as e:
        raise DataValidationError([Problem(None, f"cannot read Parquet: {e}")], source) from e


def _csv_rows(path: Path, source: str) -> _Rows:
    """Records of a CSV file; cells of list-valued fields holding JSON lists are decoded."""
    text_fields = (*_io.STRING_COLUMNS, *STRUCTURED, "winner", "model_a", "model_b", "objective")
    convert = pcsv.ConvertOptions(column_types=dict.fromkeys(text_fields, pa.string()))
    try:
        records = pcsv.read_csv(path, convert_options=convert).to_pylist()
    except (pa.ArrowInvalid, OSError) as e:
        raise DataValidationError([Problem(None, f"cannot parse CSV: {e}")], source) from e
    for record in records:
        for name in STRUCTURED:
            if name in record:
                record[name] = _json_list(record[name])
    return _Rows(records, source)


def _json_list(cell: Any) -> Any:
    """The list a CSV cell encodes as JSON text, else the cell unchanged."""
    if not isinstance(cell, str) or not cell.lstrip().startswith("["):
        return cell
    try:
        value = json.loads(cell)
    except json.JSONDecodeError:
        return cell
    return value if isinstance(value, list) else cell


# -- mapping rows to canonical columns ----------------------------------------------------
class _Fault(Exception):
    """Why one row cannot be mapped; rows with the same column and message are reported together."""

    def __init__(self, column: str | None, message: str, value: Any = _NOTHING):
        super().__init__(message)
        self.column, self.message, self.value = column, message, value


class _Faults:
    """Row faults grouped into one Problem per (column, message), with example observed values."""

    def __init__(self) -> None:
        self._found: dict[tuple[str | None, str], tuple[list[int], list[str]]] = {}

    def add(self, row: int, fault: _Fault) -> None:
        rows, seen = self._found.setdefault((fault.column, fault.message), ([], []))
        rows.append(row)
        if fault.value is not _NOTHING and len(seen) < 3:
            shown = _short(fault.value)
            if shown not in seen:
                seen.append(shown)

    def problems(self) -> list[Problem]:
        found = []
        for (column, message), (rows, seen) in self._found.items():
            got = f"; got {', '.join(seen)}" if seen else ""
            found.append(Problem(column, message + got, tuple(rows)))
        return found


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


Mapper = Callable[[dict[str, Any]], dict[str, Any]]


def _load(rows: _Rows, mapper: Mapper, consumed: set[str], empty_responses: str) -> PreferenceData:
    """Map every record, keep unused input columns, validate, and raise all problems at once."""
    _check_choice("empty_responses", empty_responses, EMPTY_CHOICES)
    if not rows.records and not rows.problems:
        raise DataValidationError([Problem(None, "has no rows")], rows.source)
    faults = _Faults()
    mapped: list[dict[str, Any] | None] = []
    for i, record in enumerate(rows.records):
        try:
            mapped.append(mapper(record))
        except _Fault as fault:
            faults.add(i, fault)
            mapped.append(None)
    columns, clashes = _columns(rows.records, mapped, consumed)
    failed = {i for i, m in enumerate(mapped) if m is None}
    problems = rows.problems + faults.problems() + clashes
    return _finish(pa.table(columns), rows, problems, failed, empty_responses)


def _columns(
    records: list[dict[str, Any]], mapped: list[dict[str, Any] | None], consumed: set[str]
) -> tuple[dict[str, pa.Array], list[Problem]]:
    """Produced columns first, then input columns the mapping did not use (unchanged)."""
    produced = list(dict.fromkeys([*BASE_COLUMNS, *(k for m in mapped if m for k in m)]))
    columns = {
        name: _typed_column(name, [m.get(name) if m else None for m in mapped]) for name in produced
    }
    extras = dict.fromkeys(k for r in records for k in r if k not in consumed)
    clashes = [
        Problem(name, "is an input column the loader also produces; rename or remove it")
        for name in extras
        if name in columns
    ]
    for name in extras:
        if name not in columns:
            columns[name] = _loose_column([r.get(name) for r in records])
    return columns, clashes


def _typed_column(name: str, values: list[Any]) -> pa.Array:
    if name in TEXT_TYPES:
        return pa.array(values, pa.string())
    if name in FLOAT_TYPES:
        return pa.array(values, pa.float64())
    return _loose_column(values)


def _loose_column(values: list[Any]) -> pa.Array:
    """Arrow column of arbitrary input values; values that mix kinds become JSON text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return _io._as_json_text(values)


def _finish(
    table: pa.Table, rows: _Rows, problems: list[Problem], failed: set[int], empty_responses: str
) -> PreferenceData:
    """Validate the mapped table (ignoring rows already reported), then wrap it or raise."""
    blank = {name: _blank_mask(table[name]) for name in TEXT_PAIR}
    checked = table
    for name, mask in blank.items():  # empty strings are judged by empty_responses, not here
        checked = checked.set_column(
            checked.column_names.index(name), name, pc.if_else(pa.array(mask), "-", table[name])
        )
    found = problems + [
        p for p in map(partial(_without_rows, failed=failed), validate_table(checked)) if p
    ]
    if empty_responses == "error":
        found += [_empty_problem(name, mask) for name, mask in blank.items() if mask.any()]
    if found:
        raise DataValidationError([_io._with_lines(p, rows.lines) for p in found], rows.source)
    data = PreferenceData(canonical_types(table), validate=False, source=rows.source)
    drop = blank[RESPONSE_A] | blank[RESPONSE_B]
    if empty_responses == "drop" and drop.any():
        shown = ", ".join(str(i) for i in np.flatnonzero(drop)[:10])
        warnings.warn(
            f"{rows.source or 'the data'}: dropped {int(drop.sum())} rows whose response is an "
            f"empty string (rows {shown}); pass empty_responses='keep' to keep them",
            UserWarning,
            stacklevel=5,
        )
        data = data.filter(~drop)
    return data


def _blank_mask(column: pa.ChunkedArray) -> np.ndarray:
    """True where the cell is a string that is empty or whitespace-only (not where it is null)."""
    if not pa.types.is_string(column.type):
        return np.zeros(len(column), dtype=bool)
    blank = pc.equal(pc.utf8_trim_whitespace(column), "")
    return pc.fill_null(blank, False).to_numpy(zero_copy_only=False)


def _empty_problem(name: str, mask: np.ndarray) -> Problem:
    return Problem(
        name,
        "is an empty or whitespace-only string; pass empty_responses='keep' to load such rows "
        "or empty_responses='drop' to leave them out",
        tuple(np.flatnonzero(mask).tolist()),
    )


def _without_rows(problem: Problem, failed: set[int]) -> Problem | None:
    """The problem minus rows that already failed mapping (None if nothing is left)."""
    if not problem.rows or not failed:
        return problem
    rows = tuple(r for r in problem.rows if r not in failed)
    return Problem(problem.column, problem.message, rows) if rows else None


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not supported; choose one of {', '.join(choices)}")


# -- cell helpers -------------------------------------------------------------------------
def _text(value: Any, column: str) -> str:
    """`value` if it is a string; a fault naming the column otherwise."""
    if value is None:
        raise _Fault(column, "is missing")
    if not isinstance(value, str):
        raise _Fault(column, "must be a string", value)
    return value


def _number(value: Any, column: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Fault(column, "must be a number", value)
    return float(value)


def _binary(value: Any, column: str) -> int:
    """0 or 1 (ints or whole floats); a fault otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in (0, 1):
        raise _Fault(column, "must be 0 or 1 (an index into 'responses')", value)
    return int(value)


def _optional_text(value: Any, column: str) -> str | None:
    return None if value is None else _text(value, column)


# -- chat messages ------------------------------------------------------------------------
def _messages(value: Any, column: str) -> list[dict[str, str]]:
    """Chat messages as [{'role': str, 'content': str}]; a fault if the shape is wrong."""
    if value is None:
        raise _Fault(column, "is missing")
    if not isinstance(value, list):
        raise _Fault(column, "must be a list of chat messages", value)
    out = []
    for message in value:
        ok = isinstance(message, Mapping) and isinstance(message.get("role"), str)
        content = message.get("content") if ok else None
        if not ok or not isinstance(content, str | list):
            raise _Fault(
                column, "chat messages must be objects with string 'role' and 'content'", message
            )
        try:
            out.append({"role": message["role"], "content": content_text(content)})
        except ConfigError as err:
            raise _Fault(column, str(err), message) from None
    return out


def _shared_length(first: list[dict[str, str]], second: list[dict[str, str]]) -> int:
    """How many leading messages the two conversations have in common."""
    n = 0
    for x, y in zip(first, second, strict=False):
        if x != y:
            break
        n += 1
    return n


def _reply(messages: list[dict[str, str]]) -> str:
    """The response a conversation adds: assistant contents, or a transcript if users speak too."""
    if all(m["role"] == "assistant" for m in messages):
        return "\n\n".join(m["content"] for m in messages)
    return render_chat(messages)


# -- TRL, HH transcripts and chat lists ---------------------------------------------------
def load_trl(
    source: Source, *, prompt_column: str | None = "prompt", empty_responses: str = "keep"
) -> PreferenceData:
    """Load TRL preference rows (explicit prompt, HH transcripts or chat lists); chosen becomes a.

    label is 1.0 (a = chosen preferred); `margin` is kept. With `prompt_column=None`, or when
    no row has that column, the prompt is recovered from the chosen/rejected transcripts.
    """
    return _load_trl(_rows(source), prompt_column, empty_responses)


def _load_trl(rows: _Rows, prompt_column: str | None, empty_responses: str) -> PreferenceData:
    explicit = prompt_column is not None and any(
        r.get(prompt_column) is not None for r in rows.records
    )
    mapper = partial(_map_trl, prompt_column=prompt_column if explicit else None)
    consumed = {CHOSEN, REJECTED, MARGIN, prompt_column or PROMPT}
    return _load(rows, mapper, consumed, empty_responses)


def _map_trl(record: dict[str, Any], prompt_column: str | None) -> dict[str, Any]:
    chosen, rejected = record.get(CHOSEN), record.get(REJECTED)
    prompt = record.get(prompt_column) if prompt_column else None
    if isinstance(chosen, list) or isinstance(rejected, list):
        out = _from_chat(chosen, rejected, prompt, prompt_column or PROMPT)
    elif prompt_column:
        if prompt is None:
            raise _Fault(prompt_column, "is missing (other rows have it)")
        out = {
            PROMPT: _text(prompt, prompt_column),
            RESPONSE_A: _text(chosen, CHOSEN),
            RESPONSE_B: _text(rejected, REJECTED),
        }
    else:
        out = _from_transcripts(_text(chosen, CHOSEN), _text(rejected, REJECTED))
    out[LABEL] = 1.0
    if record.get(MARGIN) is not None:
        out[MARGIN] = _number(record[MARGIN], MARGIN)
    return out


def _from_transcripts(chosen: str, rejected: str) -> dict[str, str]:
    """Split two HH-RLHF transcripts at the last shared '\\n\\nAssistant:' turn."""
    if chosen == rejected:
        raise _Fault(
            None, "chosen and rejected transcripts are identical: there is nothing to compare"
        )
    shared = os.path.commonprefix([chosen, rejected])
    cut = shared.rfind(ASSISTANT_TURN)
    if cut < 0:
        raise _Fault(
            None,
            f"chosen and rejected share no {ASSISTANT_TURN!r} turn, so the prompt cannot be "
            "separated from the responses; add an explicit 'prompt' column",
        )
    start = cut + len(ASSISTANT_TURN)
    return {
        PROMPT: chosen[:cut].lstrip(),
        RESPONSE_A: _drop_one_space(chosen[start:]),
        RESPONSE_B: _drop_one_space(rejected[start:]),
    }


def _drop_one_space(text: str) -> str:
    return text[1:] if text.startswith(" ") else text


def _from_chat(chosen: Any, rejected: Any, prompt: Any, prompt_column: str) -> dict[str, str]:
    """Prompt = shared leading messages (after any given prompt); responses = what differs."""
    c, r = _messages(chosen, CHOSEN), _messages(rejected, REJECTED)
    head: list[dict[str, str]] = []
    lead = ""
    if isinstance(prompt, list):
        head = _messages(prompt, prompt_column)
    elif isinstance(prompt, str):
        lead = prompt
    elif prompt is not None:
        raise _Fault(prompt_column, "must be a string or a list of chat messages", prompt)
    c = c if c[: len(head)] == head else head + c
    r = r if r[: len(head)] == head else head + r
    n = _shared_length(c, r)
    if n == len(c) or n == len(r):
        what = "are identical" if len(c) == len(r) else "continue one another"
        raise _Fault(None, f"chosen and rejected conversations {what}: one response would be empty")
    rendered = render_chat(c[:n])
    return {
        PROMPT: "\n\n".join(t for t in (lead, rendered) if t),
        RESPONSE_A: _reply(c[n:]),
        RESPONSE_B: _reply(r[n:]),
    }


# -- Arena --------------------------------------------------------------------------------
def load_arena(source: Source, *, empty_responses: str = "keep") -> PreferenceData:
    """Load Chatbot-Arena rows (model_a, model_b, winner; responses or conversations)."""
    return _load_arena(_rows(source), empty_responses)


def _load_arena(rows: _Rows, empty_responses: str) -> PreferenceData:
    consumed = {
        "model_a",
        "model_b",
        "winner",
        "judge",
        PROMPT,
        RESPONSE_A,
        RESPONSE_B,
        "conversation_a",
        "conversation_b",
    }
    return _load(rows, _map_arena, consumed, empty_responses)


def _map_arena(record: dict[str, Any]) -> dict[str, Any]:
    winner = record.get("winner")
    if winner not in ARENA_WINNERS:
        raise _Fault("winner", f"must be one of {', '.join(map(repr, ARENA_WINNERS))}", winner)
    if record.get("conversation_a") is not None or record.get("conversation_b") is not None:
        out = _from_conversations(record.get("conversation_a"), record.get("conversation_b"))
    else:
        out = {
            PROMPT: _optional_text(record.get(PROMPT), PROMPT),
            RESPONSE_A: _text(record.get(RESPONSE_A), RESPONSE_A),
            RESPONSE_B: _text(record.get(RESPONSE_B), RESPONSE_B),
        }
    out[LABEL] = ARENA_WINNERS[winner]
    out[MODEL_A] = _optional_text(record.get("model_a"), "model_a")
    out[MODEL_B] = _optional_text(record.get("model_b"), "model_b")
    if "judge" in record:
        out[ANNOTATOR_ID] = _optional_text(record["judge"], "judge")
    return out


def _from_conversations(first: Any, second: Any) -> dict[str, str]:
    """Prompt = the user turns both conversations share; response = the last assistant content."""
    a, b = _messages(first, "conversation_a"), _messages(second, "conversation_b")
    users = [m for m in a if m["role"] == "user"]
    if users != [m for m in b if m["role"] == "user"]:
        raise _Fault(None, "conversation_a and conversation_b have different user turns")
    if not users:
        raise _Fault(None, "conversation_a has no user turn")
    return {
        PROMPT: render_chat(users),
        RESPONSE_A: _last_assistant(a, "conversation_a"),
        RESPONSE_B: _last_assistant(b, "conversation_b"),
    }


def _last_assistant(messages: list[dict[str, str]], column: str) -> str:
    for message in reversed(messages):
        if message["role"] == "assistant":
            return message["content"]
    raise _Fault(column, "has no assistant message")


# -- relabelled HH-RLHF -------------------------------------------------------------------
def load_relabeled_hh(source: Source, *, empty_responses: str = "keep") -> PreferenceData:
    """Load relabelled HH-RLHF rows (prompt, responses, label, objective, data_subset, Index)."""
    return _load_relabeled(_rows(source), empty_responses)


def _load_relabeled(rows: _Rows, empty_responses: str) -> PreferenceData:
    consumed = {
        PROMPT,
        "responses",
        LABEL,
        "objective",
        "data_subset",
        ORIGINAL_LABEL,
        CHOSEN,
        REJECTED,
        "Index",
    }
    return _load(rows, _map_relabeled, consumed, empty_responses)


def _map_relabeled(record: dict[str, Any]) -> dict[str, Any]:
    responses = record.get("responses")
    if not (isinstance(responses, list) and len(responses) == 2):
        raise _Fault("responses", "must be a list of exactly two strings", responses)
    out = {
        PROMPT: _text(record.get(PROMPT), PROMPT),
        RESPONSE_A: _text(responses[0], "responses"),
        RESPONSE_B: _text(responses[1], "responses"),
        LABEL: 1.0 - _binary(record.get(LABEL), LABEL),
        CONTEXT: _text(record.get("objective"), "objective"),
        PROMPT_TYPE: _optional_text(record.get("data_subset"), "data_subset"),
    }
    # The source's own names stay too, so `--context objective --split-by data_subset` work.
    out["objective"], out["data_subset"] = out[CONTEXT], out[PROMPT_TYPE]
    if record.get(ORIGINAL_LABEL) is not None:
        out[ORIGINAL_LABEL] = 1.0 - _binary(record[ORIGINAL_LABEL], ORIGINAL_LABEL)
    if record.get("Index") is not None:
        out[PAIR_ID] = str(record["Index"])
    return out


# -- dispatch -----------------------------------------------------------------------------
def load_pairs(
    path: Source, *, format: str = "auto", empty_responses: str = "keep"
) -> PreferenceData:
    """Load preference pairs in any known layout; "auto" tells the layout from the columns."""
    if format not in LAYOUTS:
        raise ConfigError(
            f"format={format!r} is not a known layout; choose one of {', '.join(LAYOUTS)}"
        )
    if format == "canonical" and isinstance(path, str | os.PathLike):
        return read_preferences(path)
    rows = _rows(path)
    layout = _sniff(rows) if format == "auto" else format
    if layout == "canonical":
        if isinstance(path, str | os.PathLike):
            return read_preferences(path)
        table, problems, failed = _io._records_to_table(rows.records)
        return _io._finish(table, rows.source or "the data", problems, failed)
    loaders: dict[str, Callable[[_Rows], PreferenceData]] = {
        "trl": partial(_load_trl, prompt_column=PROMPT, empty_responses=empty_responses),
        "chat": partial(_load_trl, prompt_column=PROMPT, empty_responses=empty_responses),
        "hh": partial(_load_trl, prompt_column=None, empty_responses=empty_responses),
        "arena": partial(_load_arena, empty_responses=empty_responses),
        "relabeled_hh": partial(_load_relabeled, empty_responses=empty_responses),
    }
    return loaders[layout](rows)


def _sniff(rows: _Rows) -> str:
    """The layout the first rows' columns point to; ConfigError if none fits."""
    sample = rows.records[:SNIFF_ROWS]
    keys = {k for r in sample for k, v in r.items() if v is not None}
    if {"responses", "objective"} <= keys:
        return "relabeled_hh"
    if keys & {"model_a", "winner"}:
        return "arena"
    if {RESPONSE_A, LABEL} <= keys or "vector.a" in keys:
        return "canonical"
    if {CHOSEN, REJECTED} <= keys:
        if any(isinstance(r.get(CHOSEN), list) for r in sample):
            return "chat"
        return "trl" if PROMPT in keys else "hh"
    raise ConfigError(
        f"cannot tell the layout of {rows.source or 'the data'}: its columns {sorted(keys)} fit "
        f"none of the known layouts; pass format= one of {', '.join(LAYOUTS[1:])}"
    )


# -- users --------------------------------------------------------------------------------
def join_users(
    data: PreferenceData, users: Source, *, on: str = USER_ID, prefix: str = "user."
) -> PreferenceData:
    """Add each pair's user covariates (columns `prefix + name`) from a table keyed by `on`."""
    if not data.has(on):
        raise ConfigError(
            f"join_users: the data has no column '{on}' (on={on!r}); columns: {data.columns}"
        )
    rows = _rows(users)
    if rows.problems:
        raise DataValidationError(rows.problems, rows.source)
    index, problems = _user_index(rows.records, on)
    covariates = [k for k in dict.fromkeys(k for r in rows.records for k in r) if k != on]
    taken = [prefix + name for name in covariates if data.has(prefix + name)]
    if taken:
        problems.append(
            Problem(
                None, f"the data already has columns {taken}; pass another prefix= (now {prefix!r})"
            )
        )
    where, missing = _user_rows(data.table[on].to_pylist(), index)
    if missing:
        shown = ", ".join(repr(k) for k in list(dict.fromkeys(missing.values()))[:5])
        problems.append(
            Problem(
                on,
                f"pairs reference {len(set(missing.values()))} user id(s) missing from the users "
                f"table (e.g. {shown}); add them to the users table",
                tuple(missing),
            )
        )
    if problems:
        raise DataValidationError(problems, f"join_users with {rows.source or 'the users table'}")
    take = pa.array(where, pa.int64())
    columns = {
        prefix + name: _loose_column([r.get(name) for r in rows.records]).take(take)
        for name in covariates
    }
    return data.with_columns(columns, validate=False)


def _user_index(records: list[dict[str, Any]], on: str) -> tuple[dict[str, int], list[Problem]]:
    """Row of each user id (ids compared as strings) and problems with the users table."""
    index: dict[str, int] = {}
    no_id, dupes = [], []
    for i, record in enumerate(records):
        key = record.get(on)
        if key is None:
            no_id.append(i)
        elif str(key) in index:
            dupes.append(i)
        else:
            index[str(key)] = i
    problems = []
    if not records:
        problems.append(Problem(None, "the users table has no rows"))
    if no_id:
        problems.append(Problem(on, "is missing in these rows of the users table", tuple(no_id)))
    if dupes:
        shown = ", ".join(repr(str(records[i][on])) for i in dupes[:5])
        message = f"has duplicate user ids in the users table (e.g. {shown}); keep one row per user"
        problems.append(Problem(on, message, tuple(dupes)))
    return index, problems


def _user_rows(keys: list[Any], index: dict[str, int]) -> tuple[list[int | None], dict[int, str]]:
    """Users-table row per pair (None without a user) and the pairs whose user is unknown."""
    where: list[int | None] = []
    missing: dict[int, str] = {}
    for i, key in enumerate(keys):
        row = None if key is None else index.get(str(key))
        if key is not None and row is None:
            missing[i] = str(key)
        where.append(row)
    return where, missing


# -- export to TRL ------------------------------------------------------------------------
def to_trl(data: PreferenceData, *, ties: str = "error") -> list[dict[str, Any]]:
    """Rows in TRL explicit form (prompt, chosen, rejected, row columns); chosen = label > 0.5."""
    return _trl_table(data, ties).to_pylist()


def write_trl(
    data: PreferenceData, path: str | os.PathLike, *, ties: str = "error", format: str | None = None
) -> Path:
    """Write `data` atomically in TRL explicit form; the file format comes from the suffix."""
    table = _trl_table(data, ties)
    # write_preferences only serialises .table: reuse its writers and atomic write.
    return write_preferences(PreferenceData(table, validate=False), path, format=format)


def _trl_table(data: PreferenceData, ties: str) -> pa.Table:
    """TRL columns for decided rows; ties raise ConfigError unless ties='drop' (then a warning)."""
    _check_choice("ties", ties, TIE_CHOICES)
    if not (data.has(RESPONSE_A) and data.has(RESPONSE_B)):
        raise ConfigError(
            f"TRL export needs text columns response_a and response_b; columns: {data.columns}"
        )
    labels = data.labels
    tied = labels == 0.5
    if tied.any():
        _report_ties(np.flatnonzero(tied), ties)
    keep = np.flatnonzero(~tied)
    t = data.table.take(pa.array(keep, pa.int64()))
    wins = pa.array(labels[keep] > 0.5)
    prompt = pc.fill_null(t[PROMPT], "") if PROMPT in t.column_names else [""] * len(keep)
    columns: dict[str, Any] = {
        PROMPT: prompt,
        CHOSEN: pc.if_else(wins, t[RESPONSE_A], t[RESPONSE_B]),
        REJECTED: pc.if_else(wins, t[RESPONSE_B], t[RESPONSE_A]),
    }
    if MARGIN in t.column_names:
        columns[MARGIN] = pc.if_else(wins, t[MARGIN], pc.negate(t[MARGIN]))
    skip = {PROMPT, RESPONSE_A, RESPONSE_B, LABEL, MARGIN}
    for name in t.column_names:
        if name not in skip and partner(name) is None:
            columns[name] = t[name]
    return pa.table(columns)


def _report_ties(rows: np.ndarray, ties: str) -> None:
    shown = ", ".join(str(i) for i in rows[:10]) + (", ..." if len(rows) > 10 else "")
    if ties == "error":
        raise ConfigError(
            f"{len(rows)} rows have label 0.5 (a tie; rows {shown}), which TRL's chosen/rejected "
            "form cannot express; pass ties='drop' to leave them out"
        )
    warnings.warn(
        f"TRL export: dropped {len(rows)} tied rows (label 0.5; rows {shown})",
        UserWarning,
        stacklevel=4,
    )
