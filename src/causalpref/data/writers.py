"""Writing preference data: canonical files, and TRL's explicit chosen/rejected form."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from causalpref.data.files import write_table
from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import (
    CHOSEN,
    LABEL,
    MARGIN,
    PROMPT,
    REJECTED,
    RESPONSE_A,
    RESPONSE_B,
    partner,
)
from causalpref.errors import ConfigError

TIE_CHOICES = ("error", "drop")


def write_preferences(
    data: PreferenceData,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write `data` atomically; the file format comes from the suffix unless `format` is given.
    An existing file is replaced only with `overwrite`."""
    return write_table(data.table, path, format=format, overwrite=overwrite)


def to_trl(data: PreferenceData, *, ties: str = "error") -> list[dict[str, Any]]:
    """Rows in TRL explicit form (prompt, chosen, rejected, row columns); chosen = label > 0.5."""
    return _trl_table(data, ties).to_pylist()


def write_trl(
    data: PreferenceData,
    path: str | os.PathLike,
    *,
    ties: str = "error",
    format: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write `data` atomically in TRL explicit form; the file format comes from the suffix. An
    existing file is replaced only with `overwrite`."""
    return write_table(_trl_table(data, ties), path, format=format, overwrite=overwrite)


def _trl_table(data: PreferenceData, ties: str) -> pa.Table:
    """TRL columns for decided rows; ties raise ConfigError unless ties='drop' (then a warning)."""
    if ties not in TIE_CHOICES:
        raise ConfigError(f"ties={ties!r} is not supported; choose one of {', '.join(TIE_CHOICES)}")
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
