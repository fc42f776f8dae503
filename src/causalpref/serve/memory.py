"""Freed heap memory handed back to the operating system between forward passes.

Forward passes over batches of varying shapes fragment glibc's heap: a server's resident memory
climbs for thousands of requests although nothing leaks. `malloc_trim(0)` returns the free
pages; it runs after a pass at most once per interval, and does nothing where glibc is absent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from collections.abc import Callable


class HeapTrimmer:
    """Calls glibc's `malloc_trim(0)` at most once every `interval_s` seconds."""

    def __init__(self, interval_s: float = 1.0):
        self._trim = _malloc_trim()
        self._interval_s = interval_s
        self._last = -float("inf")

    @property
    def available(self) -> bool:
        """Whether this C library has malloc_trim (glibc)."""
        return self._trim is not None

    def __call__(self) -> None:
        """Trim the heap, unless it was trimmed less than `interval_s` ago."""
        now = time.monotonic()
        if self._trim is None or now - self._last < self._interval_s:
            return
        self._last = now
        self._trim(0)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None
