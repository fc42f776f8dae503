"""Whether a number lies in an interval whose ends may be open, closed or missing (shared by the
method settings and the scenario knobs, which sit in layers that cannot import each other)."""

from __future__ import annotations

CLOSED = ("left", "right", "both", "neither")


def within(x: float, low: float | None, high: float | None, closed: str) -> bool:
    """`low <= x <= high` with each end included only where `closed` says (None: unbounded)."""
    low_ok = low is None or (x >= low if closed in ("both", "left") else x > low)
    high_ok = high is None or (x <= high if closed in ("both", "right") else x < high)
    return low_ok and high_ok
