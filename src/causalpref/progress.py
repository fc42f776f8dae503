"""The one progress display of the package: tqdm bars on stderr, or a silent stand-in.

Every long loop (encoding, audit checks, study runs) asks `progress_bar` for its bar, so the
look of progress and the way to switch it off are the same everywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class SilentBar:
    """Stand-in for a tqdm bar when progress is off: every call is accepted and ignored."""

    def __enter__(self) -> SilentBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        """Ignore progress."""

    def set_description(self, desc: str) -> None:
        """Ignore the label."""

    def close(self) -> None:
        """Nothing to close."""


def progress_bar(
    *, total: int | None, desc: str, unit: str = "it", initial: int = 0, enabled: bool = True
) -> Any:
    """A context-managed bar counting `total` units on stderr; silent when not `enabled` or empty.

    `initial` counts work already done (cached texts, resumed tasks) so the rate stays honest.
    """
    if not enabled or total == 0:
        return SilentBar()
    from tqdm import tqdm

    return tqdm(
        total=total, initial=initial, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True
    )


def track(
    items: Iterable[T],
    *,
    desc: str,
    total: int | None = None,
    unit: str = "it",
    enabled: bool = True,
) -> Iterator[T]:
    """Iterate over `items` while a bar counts them (`total` defaults to len(items))."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar(total=total, desc=desc, unit=unit, enabled=enabled) as bar:
        for item in items:
            yield item
            bar.update(1)
