"""A users table (one row per user: `user_id` + covariates) joined onto preference pairs."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from causalpref.data.columns import loose_column
from causalpref.data.files import rows_from
from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import USER_ID
from causalpref.errors import ConfigError, DataValidationError, Problem


def join_users(
    data: PreferenceData,
    users: str | os.PathLike | Sequence[Mapping[str, Any]] | pa.Table,
    *,
    on: str = USER_ID,
    prefix: str = "user.",
) -> PreferenceData:
    """Add each pair's user covariates (columns `prefix + name`) from a table keyed by `on`.

    `users` is a file (any format `read_preferences` reads), a list of dicts or a pyarrow Table.
    Ids are compared as strings. Every problem with the users table is reported at once.
    """
    if not data.has(on):
        raise ConfigError(
            f"join_users: the data has no column '{on}' (on={on!r}); columns: {data.columns}"
        )
    rows = rows_from(users)
    if rows.problems:
        raise DataValidationError(rows.problems, rows.source)
    records = rows.records
    index, problems = _user_index(records, on)
    covariates = [k for k in dict.fromkeys(k for r in records for k in r) if k != on]
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
        prefix + name: loose_column([r.get(name) for r in records]).take(take)
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
