"""The optional `serve` extra: starlette, uvicorn and prometheus-client, checked before use.

The core install does not need them, so every serve module that imports them is reached only
through `causalpref.serve`, whose import checks them first and names the fix.
"""

from __future__ import annotations

import importlib

from causalpref.errors import ConfigError

PACKAGES = {
    "starlette": "starlette",
    "uvicorn": "uvicorn",
    "prometheus_client": "prometheus-client",
}


def require_serve_extra() -> None:
    """ConfigError naming the missing packages and the install command, if any is absent."""
    missing = [dist for module, dist in PACKAGES.items() if not _importable(module)]
    if missing:
        raise ConfigError(
            f"the reward server needs the optional package(s) {missing}, which are not "
            "installed: run pip install 'causalpref[serve]'"
        )


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
