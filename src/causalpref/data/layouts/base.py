"""What a layout is: a registered mapping from one column layout to canonical columns.

A layout says how to recognise its rows (`detect`), how to map them (`read`), which input
columns CSV must keep as text or decode as JSON lists, and gives a small `example` in its own
layout (the contract tests write it to every file format and read it back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from causalpref.data.files import Rows
from causalpref.errors import ConfigError, Problem
from causalpref.registry import Registry

SNIFF_ROWS = 100


@dataclass(frozen=True)
class ReadOptions:
    """Reader settings a layout may use (each layout ignores the ones it has no use for)."""

    prompt_column: str | None = "prompt"


@dataclass
class Mapped:
    """A layout's output: canonical columns plus what went wrong while mapping.

    `failed_rows` / `failed_columns` were already reported in `problems`, so validation of the
    mapped table does not report them again.
    """

    table: pa.Table
    problems: list[Problem] = field(default_factory=list)
    failed_rows: set[int] = field(default_factory=set)
    failed_columns: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Layout:
    """One input layout: how to recognise it, how to map it, and an example of it."""

    summary: str
    detect: Callable[[set[str], list[dict[str, Any]]], bool]
    read: Callable[[Rows, ReadOptions], Mapped]
    example: tuple[dict[str, Any], ...]
    text_columns: tuple[str, ...] = ()
    list_columns: tuple[str, ...] = ()


# "auto" tries the layouts in registration order; the first whose `detect` accepts wins.
LAYOUTS: Registry[Layout] = Registry("layout")


def sniff_layout(rows: Rows) -> str:
    """The first layout whose `detect` accepts the first rows' columns and values (a table's
    vectors are not turned into Python lists); ConfigError if none does."""
    keys, sample = rows.sample(SNIFF_ROWS)
    for name, layout in LAYOUTS.items():
        if layout.detect(keys, sample):
            return name
    raise ConfigError(
        f"cannot tell the layout of {rows.source or 'the data'}: its columns {sorted(keys)} fit "
        f"none of the known layouts; pass layout= one of {', '.join(LAYOUTS.names())}"
    )


def csv_text_columns() -> tuple[str, ...]:
    """Input columns any layout reads as text or as JSON lists (CSV keeps them as strings)."""
    names = (c for _, lay in LAYOUTS.items() for c in (*lay.text_columns, *lay.list_columns))
    return tuple(dict.fromkeys(names))


def csv_list_columns() -> tuple[str, ...]:
    """Input columns any layout reads as lists (CSV cells hold them as JSON text)."""
    return tuple(dict.fromkeys(c for _, layout in LAYOUTS.items() for c in layout.list_columns))
