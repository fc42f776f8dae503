"""Preference data: one row per comparison of two responses a and b.

`COLUMNS` documents every canonical column and its role; `PreferenceData` wraps a validated
pyarrow Table; `read_preferences` reads every layout (`LAYOUTS`) from every file format
(`FILE_FORMATS`); `write_preferences` / `write_trl` write; `join_users` adds user covariates.
"""

from causalpref.data.files import FILE_FORMATS
from causalpref.data.layouts import LAYOUTS
from causalpref.data.preference_data import PreferenceData
from causalpref.data.reader import read_preferences
from causalpref.data.schema import COLUMNS
from causalpref.data.users import join_users
from causalpref.data.validate import validate_table
from causalpref.data.writers import to_trl, write_preferences, write_trl

__all__ = [
    "COLUMNS",
    "FILE_FORMATS",
    "LAYOUTS",
    "PreferenceData",
    "join_users",
    "read_preferences",
    "to_trl",
    "validate_table",
    "write_preferences",
    "write_trl",
]
