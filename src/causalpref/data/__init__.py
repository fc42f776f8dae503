"""Preference data: one row per comparison of two responses a and b.

`COLUMNS` documents every canonical column and its role; `PreferenceData` wraps a validated
pyarrow Table; `read_preferences` / `write_preferences` move it to and from files.
"""

from causalpref.data.io import detect_format, read_preferences, write_preferences
from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import COLUMNS
from causalpref.data.validate import validate_table

__all__ = [
    "COLUMNS",
    "PreferenceData",
    "detect_format",
    "read_preferences",
    "validate_table",
    "write_preferences",
]
