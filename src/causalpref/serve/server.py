"""Running the reward server: load the model, build the app, hand it to uvicorn."""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from causalpref.serve.app import create_app
from causalpref.serve.options import ServeOptions

LOOPBACK_NAMES = {"localhost"}


def load_served_model(model_dir: str | os.PathLike) -> Any:
    """The saved model in `model_dir` (PersistenceError if it is not one)."""
    from causalpref.methods import load_model

    return load_model(model_dir)


def exposure_warning(host: str, token: str | None) -> str | None:
    """A warning when the server is reachable beyond this machine without a token."""
    if token is not None or _is_loopback(host):
        return None
    return (
        f"serving on {host} without --token-file: anyone who can reach this address can use "
        "the reward model; pass --token-file FILE, or bind to 127.0.0.1"
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost
        return False


def run_server(model: Any, options: ServeOptions, *, host: str, port: int) -> None:
    """Serve `model` on host:port until interrupted (uvicorn, one process, one event loop)."""
    import uvicorn

    app = create_app(model, options)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
