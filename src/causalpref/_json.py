"""Strict JSON out: numpy values as Python numbers, NaN and infinity as null.

Python's `json.dumps` writes `NaN` by default, which is not JSON; every file causalpref writes
goes through `dumps` here so that any JSON reader can open it.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python, paths to strings, NaN / inf to None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """`json.dumps` of `plain(value)` that refuses NaN (strict JSON)."""
    import json

    return json.dumps(plain(value), allow_nan=False, **kwargs)
