"""The reward server's settings: batching, limits, normalisation and the token."""

from __future__ import annotations

from dataclasses import dataclass

from causalpref.errors import ConfigError

MIB = 2**20


@dataclass(frozen=True)
class ServeOptions:
    """How the server batches, what it accepts, and whom it answers; the CLI's options.

    Concurrent requests are gathered into one forward pass of at most `max_batch` responses,
    waiting at most `max_wait_ms` for more to arrive (only while several clients are active);
    at most `max_queue` requests wait (more are answered 503, which OpenRLHF retries). A request
    holds at most `max_items` responses and `max_body_bytes` bytes (413 beyond).
    `max_batch=1` switches micro-batching off.
    """

    max_batch: int = 64
    max_wait_ms: float = 5.0
    max_queue: int = 4096
    max_items: int = 1024
    max_body_bytes: int = 16 * MIB
    normalize: bool = False
    token: str | None = None

    def __post_init__(self) -> None:
        """Refuse every setting that cannot work, all at once."""
        problems = [
            f"{name} must be a positive integer, got {value!r}"
            for name, value in (
                ("max_batch", self.max_batch),
                ("max_queue", self.max_queue),
                ("max_items", self.max_items),
                ("max_body_bytes", self.max_body_bytes),
            )
            if isinstance(value, bool) or not isinstance(value, int) or value < 1
        ]
        if not isinstance(self.max_wait_ms, int | float) or not 0 <= self.max_wait_ms <= 10_000:
            problems.append(f"max_wait_ms must be between 0 and 10000, got {self.max_wait_ms!r}")
        if self.token is not None and not self.token:
            problems.append("token must not be empty (omit it to serve without a token)")
        if problems:
            raise ConfigError("invalid server options:\n  - " + "\n  - ".join(problems))
