"""Input layouts: each maps one column layout to canonical columns, registered by name.

A new layout is one module here that calls `LAYOUTS.register(name, Layout(...))`, imported
below. "auto" tries the layouts in registration order (the import order below) and takes the
first whose `detect` accepts the first rows, so more specific layouts come first.
"""

from causalpref.data.layouts import relabeled_hh, arena, canonical, trl  # noqa: F401, I001
from causalpref.data.layouts.base import (
    LAYOUTS,
    Layout,
    Mapped,
    ReadOptions,
    csv_list_columns,
    csv_text_columns,
    sniff_layout,
)

__all__ = [
    "LAYOUTS",
    "Layout",
    "Mapped",
    "ReadOptions",
    "csv_list_columns",
    "csv_text_columns",
    "sniff_layout",
]
