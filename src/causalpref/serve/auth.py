"""The bearer token: read from a file, compared in constant time."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from causalpref.errors import ConfigError


def read_token_file(path: str | os.PathLike) -> str:
    """The token in `path` (surrounding whitespace removed); ConfigError if it is empty."""
    token = Path(path).read_text(encoding="utf-8").strip()
    if not token:
        raise ConfigError(
            f"--token-file {path}: the file is empty; write the token into it (e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))' > FILE)"
        )
    if any(c.isspace() for c in token):
        raise ConfigError(f"--token-file {path}: the token contains whitespace; use one word")
    return token


def is_authorized(header: str | None, token: str) -> bool:
    """Whether an Authorization header is `Bearer <token>`, compared in constant time."""
    given = (header or "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, f"Bearer {token}".encode())
